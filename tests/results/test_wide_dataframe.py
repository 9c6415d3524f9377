"""OCRResultCollection.to_dataframe(wide=True): one row per image, one column per region."""

from __future__ import annotations

import base64

from ocr_notebook import OCRResult, Rect, Submission, TaskFailedError
from ocr_notebook.results.collection import OCRResultCollection

IDS = [
    "b7162f77-bf10-407d-86de-ee255e422ca7",
    "c7162f77-bf10-407d-86de-ee255e422ca7",
    "d7162f77-bf10-407d-86de-ee255e422ca7",
]


def _result(task_id: str, texts: list[str], names: tuple[str, ...], source: str) -> OCRResult:
    rects = tuple(Rect(0, 10 * i, 10, 10 * i + 10) for i in range(len(texts)))
    submission = Submission(
        image=b"png",
        regions=rects,
        orders=tuple(range(len(texts))),
        names=names,
        source=source,
    )
    return OCRResult.from_response(
        {
            "id": task_id,
            "taskStatus": "Completed",
            "responseStatusCode": "Ok",
            "results": [
                {"type": "Text", "data": base64.b64encode(t.encode()).decode()} for t in texts
            ],
        },
        submission=submission,
    )


def test_one_row_per_image_one_column_per_name_errors_in_their_row() -> None:
    failed = TaskFailedError("Task c7162f77 failed: bad scan.", task_id=IDS[1])
    collection = OCRResultCollection(
        [
            _result(IDS[0], ["INV-1", "$10"], ("invoice_no", ""), "a.png"),
            failed,
            _result(IDS[2], ["INV-3", "$30"], ("invoice_no", ""), "c.png"),
        ],
        sources=["a.png", "b.png", "c.png"],
    )
    frame = collection.to_dataframe(wide=True)
    assert list(frame.columns) == ["source", "invoice_no", "region_1", "task_id", "error"]
    assert list(frame["source"]) == ["a.png", "b.png", "c.png"]
    assert list(frame["invoice_no"][[0, 2]]) == ["INV-1", "INV-3"]
    assert list(frame["region_1"][[0, 2]]) == ["$10", "$30"]
    assert list(frame["task_id"]) == IDS
    assert frame["error"].isna().tolist() == [True, False, True]
    assert frame["error"][1] == "Error: Task c7162f77 failed: bad scan."


def test_sources_default_to_the_submissions_and_unnamed_regions_are_numbered() -> None:
    collection = OCRResultCollection([_result(IDS[0], ["x", "y", "z"], (), "scan.tif")])
    frame = collection.to_dataframe(wide=True)
    assert collection.sources == ["scan.tif"]
    assert list(frame.columns) == ["source", "region_0", "region_1", "region_2", "task_id", "error"]
    assert list(frame.iloc[0])[:4] == ["scan.tif", "x", "y", "z"]


def test_the_default_table_is_unchanged() -> None:
    collection = OCRResultCollection([_result(IDS[0], ["x", "y"], ("a", "b"), "s.png")])
    frame = collection.to_dataframe()
    assert list(frame.columns) == [
        "task_id",
        "region",
        "order",
        "type",
        "text",
        "characters",
        "ocr_text",  # with the corrections (explore-analysis)
        "corrected",
    ]
    assert len(frame) == 2
