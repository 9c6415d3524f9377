"""The emulator's fault plan: the spec syntax, seeded determinism, counting, and each fault on
the wire (raw httpx against the emulator over loopback), a bounded stall, and ``--faults``.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
from typing import Any

import httpx
import pytest

from ocr_notebook.emulator import Emulator, FaultPlan, FaultRule
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.support.faults import faults, task

PATH = "/v5.0/ocr/RecognizeRegions"


# -- the plan, without a server -----------------------------------------------------------------


def test_spec_syntax() -> None:
    plan = FaultPlan.parse(
        "get:429=0.5@0.05, get/RecognizeRegions:stall=2@2-4, token:503@1, post:drop, seed=7"
    )
    assert plan.seed == 7
    first, second, third, fourth = plan.rules
    assert first == FaultRule("429", method="GET", rate=0.05, retry_after=0.5)
    assert second == FaultRule(
        "stall", method="GET", operation="recognizeregions", nth=frozenset({2, 3, 4}), stall=2.0
    )
    assert third == FaultRule("503", method="POST", operation="token", nth=frozenset({1}))
    assert fourth == FaultRule("drop", method="POST")
    assert FaultPlan.parse("bad_base64").rules == (FaultRule("bad-base64"),)


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("get:418x", "Unknown fault '418x'"),
        ("get:302", "Unknown fault"),
        ("get:drop=3", "takes no =ARG"),
        ("get:stall=soon", "not a number of seconds"),
        ("get:stall=1000", "stall must be seconds"),
        ("get:429@1.5", "rate must be a fraction"),
        ("get:429@0", "counted from 1"),
        ("fetch:429", "not an HTTP method"),
        ("seed=x", "seed must be an integer"),
    ],
)
def test_bad_specs_say_which_item(spec: str, says: str) -> None:
    with pytest.raises(ValueError, match="Fault spec item") as info:
        FaultPlan.parse(spec)
    assert says in str(info.value)


def _requests(n: int) -> list[tuple[str, str, bytes]]:
    return [("GET", PATH, f"id={i:08d}".encode()) for i in range(n)]


def _faulted(plan: FaultPlan, requests: list[tuple[str, str, bytes]]) -> set[bytes]:
    return {query for method, path, query in requests if plan.choose(method, path, query)}


def test_a_fraction_is_deterministic_given_the_seed_whatever_the_order() -> None:
    requests = _requests(5000)
    first = _faulted(FaultPlan.parse("get:502@0.02,seed=7"), requests)
    shuffled = list(requests)
    random.Random(1).shuffle(shuffled)
    assert _faulted(FaultPlan.parse("get:502@0.02,seed=7"), shuffled) == first
    assert _faulted(FaultPlan.parse("get:502@0.02,seed=8"), requests) != first
    assert 50 <= len(first) <= 150  # about 2 % of 5000


def test_a_retried_request_gets_a_fresh_draw() -> None:
    plan = FaultPlan.parse("get:drop@0.5,seed=1")
    # The same request asked again is a new attempt, so a fault does not repeat forever.
    draws = [plan.choose("GET", PATH, b"id=x") is not None for _ in range(64)]
    assert True in draws and False in draws


def test_nth_limit_target_and_counts() -> None:
    plan = FaultPlan(
        [
            FaultRule("500", method="GET", nth={2, 3}),
            FaultRule("stall", operation="token", limit=1),
        ]
    )
    got = [plan.choose("GET", PATH) for _ in range(4)]
    assert [r.fault if r else None for r in got] == [None, "500", "500", None]
    assert plan.choose("POST", "/connect/token") is not None
    assert plan.choose("POST", "/connect/token") is None  # limit reached
    assert plan.choose("POST", PATH) is None  # not a target
    assert plan.requests == 7
    plan.reset()
    assert plan.requests == 0 and plan.choose("GET", PATH) is None


# -- on the wire ---------------------------------------------------------------------------------


@pytest.fixture
def http(emulator: Emulator) -> Any:
    headers = {"Authorization": f"Bearer {emulator.issue_token()}"}
    with httpx.Client(base_url=emulator.base_url, headers=headers, timeout=10.0) as client:
        yield client


def test_status_faults_carry_retry_after_and_problem_details(
    emulator: Emulator, http: httpx.Client
) -> None:
    tid = task(emulator)
    with faults(emulator, "get:429=2@1,get:503=0.25@2,get:502@3") as plan:
        answers = [http.get(PATH, params={"id": tid}) for _ in range(4)]
    assert [a.status_code for a in answers] == [429, 503, 502, 200]
    assert answers[0].headers["retry-after"] == "2"
    assert answers[1].headers["retry-after"] == "0.25"
    assert "retry-after" not in answers[2].headers
    assert answers[2].json()["title"] == "Bad Gateway"
    assert answers[0].headers["content-type"].startswith("application/problem+json")
    assert dict(plan.served) == {"429": 1, "503": 1, "502": 1}
    assert [s.fault for s in plan.log] == ["429", "503", "502"]


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("drop", "Server disconnected without sending a response"),
        ("truncate", "peer closed connection without sending complete message body"),
        ("stall=1", "timed out"),
    ],
)
def test_connection_faults(emulator: Emulator, http: httpx.Client, fault: str, error: str) -> None:
    tid = task(emulator)
    with faults(emulator, f"get:{fault}@1"):
        with pytest.raises(httpx.TransportError, match=error):
            http.get(PATH, params={"id": tid}, timeout=0.5)  # the stall lasts 1 s
        assert http.get(PATH, params={"id": tid}).json()["taskStatus"] == "Completed"


@pytest.mark.parametrize(
    "fault",
    [
        "cut-json",
        "not-json",
        "missing-fields",
        "unknown-status",
        "unknown-code",
        "bad-base64",
        "wrong-type",
    ],
)
def test_body_faults(emulator: Emulator, http: httpx.Client, fault: str) -> None:
    tid = task(emulator)
    good = http.get(PATH, params={"id": tid})
    with faults(emulator, f"get:{fault}@1") as plan:
        bad = http.get(PATH, params={"id": tid})
    assert plan.served[fault] == 1
    assert bad.status_code == 200
    assert int(bad.headers["content-length"]) == len(bad.content)  # a complete HTTP message
    if fault == "cut-json":
        assert good.content.startswith(bad.content) and len(bad.content) < len(good.content)
        with pytest.raises(json.JSONDecodeError):
            bad.json()
        return
    if fault in ("not-json", "wrong-type"):
        assert bad.headers["content-type"].startswith("text/html")
        if fault == "wrong-type":
            assert bad.content == good.content
        return
    body, expected = bad.json(), good.json()
    if fault == "missing-fields":
        assert body == {"id": tid, "error": None}
    elif fault == "unknown-status":
        assert body == {**expected, "taskStatus": "Hibernating"}
    elif fault == "unknown-code":
        assert body == {**expected, "responseStatusCode": "QuotaWobble"}
    else:
        assert [r["data"] for r in body["results"]] == ["!!not*base64%%"] * 2


def test_body_faults_leave_other_answers_alone(emulator: Emulator, http: httpx.Client) -> None:
    with faults(emulator, "bad-base64,missing-fields") as plan:
        answer = http.post(PATH, json={"image": "aGVsbG8="})  # a text/plain task id
    assert answer.status_code == 200 and len(answer.text) == 36
    assert plan.total == 0


def test_expired_token_stays_refused(emulator: Emulator, http: httpx.Client) -> None:
    tid = task(emulator)
    with faults(emulator, "get:expired-token@1") as plan:
        first = http.get(PATH, params={"id": tid})
        second = http.get(PATH, params={"id": tid})  # the same token: still refused
        fresh = http.get(
            PATH,
            params={"id": tid},
            headers={"Authorization": f"Bearer {emulator.issue_token()}"},
        )
    assert (first.status_code, second.status_code, fresh.status_code) == (401, 401, 200)
    assert first.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert plan.served["expired-token"] == 1


def test_token_endpoint_faults_and_set_faults(emulator: Emulator) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": TEST_CLIENT_ID,
        "client_secret": TEST_CLIENT_SECRET,
    }
    plan = emulator.set_faults("token:503=1@1")
    try:
        assert plan is emulator.faults and plan is not None
        first = httpx.post(f"{emulator.base_url}/connect/token", data=form)
        second = httpx.post(f"{emulator.base_url}/connect/token", data=form)
    finally:
        emulator.set_faults(None)
    assert (first.status_code, second.status_code) == (503, 200)
    assert emulator.faults is None


def test_a_stall_never_holds_the_server_when_it_stops() -> None:
    errors: list[BaseException] = []
    with Emulator(faults="stall=100") as emu:
        token = emu.issue_token()
        url = f"{emu.base_url}{PATH}"

        def stalled_get() -> None:
            try:
                httpx.get(url, params={"id": "x"}, headers={"Authorization": f"Bearer {token}"})
            except BaseException as exc:
                errors.append(exc)

        worker = threading.Thread(target=stalled_get)
        worker.start()
        for _ in range(2000):
            if emu.faults is not None and emu.faults.stalling == 1:
                break
            threading.Event().wait(0.005)
        assert emu.faults is not None and emu.faults.stalling == 1
    assert not emu.running  # the 100 s stall ended with the server, not after it
    worker.join(30)
    assert not worker.is_alive()


def test_an_emulator_constructed_with_a_plan() -> None:
    plan = FaultPlan([FaultRule("500", method="GET")])
    with Emulator(faults=plan) as emu:
        assert emu.faults is plan
        headers = {"Authorization": f"Bearer {emu.issue_token()}"}
        answer = httpx.get(f"{emu.base_url}{PATH}", params={"id": "x"}, headers=headers)
        assert answer.status_code == 500
        emu.faults = None
        answer = httpx.get(f"{emu.base_url}{PATH}", params={"id": "x"}, headers=headers)
        assert answer.status_code == 200
    with pytest.raises(TypeError, match="faults must be"):
        Emulator(faults=42)  # type: ignore[arg-type]


# -- the command line --------------------------------------------------------------------------


def test_cli_faults_flag() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    bad = subprocess.run(
        [sys.executable, "-m", "ocr_notebook.emulator", "--faults", "get:teapot"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert bad.returncode == 2
    assert "Unknown fault 'teapot'" in bad.stderr
    process = subprocess.Popen(
        [sys.executable, "-m", "ocr_notebook.emulator", "--faults", "get:502@1,seed=7"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline().strip() for _ in range(4)]
        base_url = lines[0]
        assert "faults: <FaultPlan rules=1 seed=7 served={}>" in lines
        form = {"grant_type": "client_credentials"}
        client_id = lines[1].split()[-1]
        secret = lines[2].split()[1]
        token = httpx.post(
            f"{base_url}/connect/token",
            data={**form, "client_id": client_id, "client_secret": secret},
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        codes = [
            httpx.get(f"{base_url}{PATH}", params={"id": "x"}, headers=headers).status_code
            for _ in range(2)
        ]
        assert codes == [502, 200]
    finally:
        process.terminate()
        process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()
