"""``python -m ocr_notebook.emulator``: base URL first, credentials next, clean stop on SIGTERM."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.support.emulator import text_image


def _start(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "ocr_notebook.emulator", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def _token(base_url: str, client_id: str, client_secret: str) -> httpx.Response:
    return httpx.post(
        f"{base_url}/connect/token",
        data={
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
        },
    )


def test_given_credentials_first_line_is_base_url_and_sigterm_stops_it(
    processes: list[subprocess.Popen[str]],
) -> None:
    process = _start(
        "--port", "0", "--client-id", "cli-id", "--client-secret", "cli-s3cret", "--latency", "0.5"
    )
    processes.append(process)
    assert process.stdout is not None
    base_url = process.stdout.readline().strip()
    assert base_url.startswith("http://127.0.0.1:")
    assert int(base_url.rsplit(":", 1)[1]) > 0
    rest = [process.stdout.readline() for _ in range(3)]
    assert "cli-id" in rest[0]
    assert all("cli-s3cret" not in line for line in rest)  # a given secret is not echoed
    assert _token(base_url, "cli-id", "cli-s3cret").status_code == 200
    assert _token(base_url, "cli-id", "wrong").status_code == 400
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0


def test_generated_credentials_are_printed_and_work(processes: list[subprocess.Popen[str]]) -> None:
    process = _start()
    processes.append(process)
    assert process.stdout is not None
    base_url = process.stdout.readline().strip()
    client_id = process.stdout.readline().split(":", 1)[1].strip()
    client_secret = process.stdout.readline().split(":", 1)[1].split()[0]
    assert _token(base_url, client_id, client_secret).status_code == 200
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 0


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (["--latency", "soon"], 2, "--latency"),
        (["--retention", "0"], 1, "retention"),
        (["--port", "99999"], 1, "port"),
        (["--rate-limit", "0"], 2, "--rate-limit"),
        (["--rate-limit", "fast"], 2, "--rate-limit"),
    ],
)
def test_bad_arguments_give_one_clear_line(
    processes: list[subprocess.Popen[str]], args: list[str], code: int, needle: str
) -> None:
    process = _start(*args)
    processes.append(process)
    _, err = process.communicate(timeout=30)
    assert process.returncode == code
    assert needle in err.strip().splitlines()[-1]
    assert "Traceback" not in err


def test_no_ocr_and_rate_limit_serve_a_load_target(processes: list[subprocess.Popen[str]]) -> None:
    # One request per 1000 s: the second request is refused however slow this machine is.
    process = _start(
        "--client-id", "cli-id", "--client-secret", "s", "--no-ocr", "--rate-limit", "0.001"
    )
    processes.append(process)
    assert process.stdout is not None
    base_url = process.stdout.readline().strip()
    banner = [process.stdout.readline() for _ in range(4)]
    assert "OCR off" in banner[2]
    assert "0.001 requests/s" in banner[3]
    token = _token(base_url, "cli-id", "s").json()["access_token"]  # not rate-limited
    image = base64.b64encode(text_image(["Load target"])[0]).decode("ascii")
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as client:
        task_id = client.post("/v5.0/ocr/RecognizeImage", json={"image": image}).text
        refused = client.get("/v5.0/ocr/RecognizeImage", params={"id": task_id})
    assert refused.status_code == 429
    assert 990 <= int(refused.headers["retry-after"]) <= 1000
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0
