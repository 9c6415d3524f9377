"""RegionTemplate.recognize over a generated batch, through the emulator, with the badge."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from ocr_notebook import (
    HTTPStatusError,
    ImageInputError,
    OCRClient,
    OCRResult,
    RegionTemplate,
    TaskFailedError,
)
from ocr_notebook.emulator import Emulator
from ocr_notebook.emulator.samples.invoices import (
    INVOICE_FIELDS,
    INVOICE_SIZE,
    invoice_png,
    invoice_texts,
    render_invoice,
)
from ocr_notebook.notebook.badge import StatusBadge, TextBadge
from ocr_notebook.notebook.batch import expand_images, recognize_batch
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET

NUMBERS = [101, 2202, 3303, 4404, 5505]


def _template() -> RegionTemplate:
    return RegionTemplate.from_boxes(
        [box for _, box in INVOICE_FIELDS],
        INVOICE_SIZE,
        names=[name for name, _ in INVOICE_FIELDS],
        name="invoices",
    )


@pytest.fixture
def client(emulator: Emulator) -> Iterator[OCRClient]:
    with OCRClient(
        emulator.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET
    ) as c:
        yield c


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Five invoices of two sizes (and a JPEG), plus a note that is not an image."""
    for i, number in enumerate(NUMBERS):
        scale = 1.0 if i % 2 == 0 else 1.5
        if i == 3:
            render_invoice(number, scale=scale).save(tmp_path / f"inv{i}.jpg", quality=95)
        else:
            (tmp_path / f"inv{i}.png").write_bytes(invoice_png(number, scale=scale))
    (tmp_path / "notes.txt").write_text("not an image", "utf-8")
    return tmp_path


def _expected(number: int) -> list[str]:
    texts = invoice_texts(number)
    return [texts[name] for name, _ in INVOICE_FIELDS]


def test_folder_batch_reads_every_invoice_in_order(client: OCRClient, folder: Path) -> None:
    badge = StatusBadge([f"inv{i}.{'jpg' if i == 3 else 'png'}" for i in range(5)])
    results = recognize_batch(_template(), folder, client=client, concurrency=3, badge=badge)
    assert results.ok and len(results) == 5
    for result, number in zip(results, NUMBERS, strict=True):
        assert result.texts == _expected(number)
        assert result.submission is not None
        assert result.submission.names == ("invoice_no", "date", "total")
    assert results.sources == [
        str(folder / f"inv{i}.{'jpg' if i == 3 else 'png'}") for i in range(5)
    ]
    # The 1.5x invoices got the template scaled to their size.
    assert results[1].submission is not None
    assert results[1].submission.regions[0].as_tuple() == (30, 30, 1170, 135)
    # The badge ended with every row Completed.
    assert [s.status for s in badge.states] == ["Completed"] * 5


def test_template_recognize_takes_paths_bytes_and_pil_images(
    client: OCRClient, folder: Path
) -> None:
    images: list[object] = [
        folder / "inv0.png",
        invoice_png(NUMBERS[1]),
        render_invoice(NUMBERS[2], scale=1.5),
    ]
    results = _template().recognize(images, client=client)  # type: ignore[arg-type]
    assert [r.texts for r in results] == [_expected(n) for n in NUMBERS[:3]]
    assert results.sources == [str(folder / "inv0.png"), "image 1", "image 2"]


def test_failed_images_are_their_slots_error_and_the_batch_goes_on(
    client: OCRClient, tmp_path: Path
) -> None:
    (tmp_path / "a.png").write_bytes(invoice_png(1))
    cut = invoice_png(2)
    (tmp_path / "b.png").write_bytes(cut[: len(cut) // 2])
    # Readable here, but over the emulator's 60-megapixel limit: its task ends in Error.
    huge = io.BytesIO()
    Image.new("1", (8000, 7700), 1).save(huge, format="PNG")
    (tmp_path / "c.png").write_bytes(huge.getvalue())
    (tmp_path / "d.png").write_bytes(invoice_png(4))
    badge = TextBadge(["a.png", "b.png", "c.png", "d.png"], stream=io.StringIO())
    results = recognize_batch(_template(), tmp_path, client=client, badge=badge)
    outcomes = list(results.outcomes.values())
    assert isinstance(outcomes[0], OCRResult) and outcomes[0].texts == _expected(1)
    assert isinstance(outcomes[1], ImageInputError)
    assert isinstance(outcomes[2], TaskFailedError)
    assert isinstance(outcomes[3], OCRResult) and outcomes[3].texts == _expected(4)
    assert not results.ok and len(results.errors) == 2
    assert [s.status for s in badge.states] == ["Completed", "Error", "Error", "Completed"]
    frame = results.to_dataframe(wide=True)
    assert list(frame["source"]) == [
        str(tmp_path / n) for n in ("a.png", "b.png", "c.png", "d.png")
    ]
    error_line = str(frame.loc[1, "error"])
    assert error_line.startswith("Error: ") and "truncated or damaged" in error_line
    assert frame.loc[3, "invoice_no"] == _expected(4)[0]


def test_a_refused_submission_is_that_slots_error(tmp_path: Path) -> None:
    with (
        Emulator(
            port=0,
            client_id=TEST_CLIENT_ID,
            client_secret=TEST_CLIENT_SECRET,
            faults="post/RecognizeRegions:500@2",
        ) as emu,
        OCRClient(
            emu.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET
        ) as client,
    ):
        images = [invoice_png(n) for n in NUMBERS[:3]]
        results = recognize_batch(
            _template(), images, client=client, concurrency=1, badge_mode="text"
        )
    outcomes = list(results.outcomes.values())
    assert isinstance(outcomes[1], HTTPStatusError) and outcomes[1].http_status == 500
    assert [r.texts for r in results] == [_expected(NUMBERS[0]), _expected(NUMBERS[2])]


def test_folder_expansion_is_sorted_images_only(tmp_path: Path) -> None:
    for name in ("b.PNG", "a.jpg", "c.tiff", "z.txt"):
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "sub.png").mkdir()
    items = expand_images([tmp_path, b"raw"])
    assert [i.source for i in items] == [
        str(tmp_path / "a.jpg"),
        str(tmp_path / "b.PNG"),
        str(tmp_path / "c.tiff"),
        "image 3",
    ]
    assert [i.key for i in items] == ["a.jpg", "b.PNG", "c.tiff", "image 3"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ImageInputError, match="holds no image file"):
        expand_images(empty)
    with pytest.raises(ImageInputError, match="Batch entry 0 is a int"):
        expand_images([3])  # type: ignore[list-item]


def test_concurrency_must_be_positive(client: OCRClient) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        recognize_batch(_template(), [invoice_png(1)], client=client, concurrency=0)


def test_hostile_file_names_are_escaped_in_the_badge(client: OCRClient, tmp_path: Path) -> None:
    hostile = '<img src=x onerror="alert(1)">.png'
    (tmp_path / hostile).write_bytes(invoice_png(7))
    badge = StatusBadge([hostile])
    results = recognize_batch(_template(), tmp_path, client=client, badge=badge)
    assert results.ok and results.sources == [str(tmp_path / hostile)]
    assert "<img src=x" not in badge.html.value
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;.png" in badge.html.value


def test_an_interrupt_cancels_the_batch_and_the_badge_says_so() -> None:
    import _thread
    import threading

    with (
        Emulator(
            port=0, latency=60.0, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET
        ) as emu,
        OCRClient(emu.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET) as c,
    ):
        badge = TextBadge(["image 0", "image 1", "image 2"], stream=io.StringIO())

        def interrupt_once_submitted() -> None:
            while not any(s.status == "Pending" for s in badge.states):
                threading.Event().wait(0.02)
            _thread.interrupt_main()

        threading.Thread(target=interrupt_once_submitted, daemon=True).start()
        with pytest.raises(KeyboardInterrupt):
            recognize_batch(_template(), [invoice_png(n) for n in (1, 2, 3)], client=c, badge=badge)
    assert {s.status for s in badge.states} == {"Cancelled"}


def test_a_badge_given_must_have_the_batchs_rows(client: OCRClient) -> None:
    with pytest.raises(ValueError, match="rows must be the batch's images"):
        recognize_batch(_template(), [invoice_png(1)], client=client, badge=TextBadge(["x"]))
