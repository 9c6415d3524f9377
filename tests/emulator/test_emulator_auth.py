"""The emulator's token endpoint and bearer checks, over loopback HTTP with raw httpx."""

from __future__ import annotations

import base64
from urllib.parse import quote_plus

import httpx
import pytest

from ocr_notebook.emulator import Emulator
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.support.emulator import GUID_UNKNOWN, check_response

GRANT = {"grant_type": "client_credentials"}
GOOD = {**GRANT, "client_id": TEST_CLIENT_ID, "client_secret": TEST_CLIENT_SECRET}


def _get_status(client: httpx.Client, token: str) -> httpx.Response:
    return client.get(
        "/v5.0/ocr/Utilities/GetTaskStatus",
        params={"id": GUID_UNKNOWN},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_form_urlencoded_credentials_give_a_working_token(emulator_anon: httpx.Client) -> None:
    response = emulator_anon.post("/connect/token", data=GOOD)
    assert response.status_code == 200
    body = check_response(response)
    assert body["expires_in"] == 3600
    assert response.headers["cache-control"] == "no-store"
    status = _get_status(emulator_anon, body["access_token"])
    assert status.status_code == 200
    assert check_response(status)["taskStatus"] == "NotExist"


def test_multipart_credentials_as_the_old_python_sdk_sends_them(
    emulator_anon: httpx.Client,
) -> None:
    # SDK 24.8.0 posts the fields with urllib3's `fields=`, i.e. multipart/form-data.
    files = {name: (None, value) for name, value in GOOD.items()}
    response = emulator_anon.post("/connect/token", files=files)
    assert response.headers["content-type"].startswith("application/json")
    assert response.status_code == 200, response.text
    token = check_response(response)["access_token"]
    assert _get_status(emulator_anon, token).status_code == 200


def test_http_basic_client_auth_as_go_oauth2_sends_it(emulator_anon: httpx.Client) -> None:
    pair = f"{quote_plus(TEST_CLIENT_ID)}:{quote_plus(TEST_CLIENT_SECRET)}"
    basic = base64.b64encode(pair.encode()).decode()
    response = emulator_anon.post(
        "/connect/token",
        data=GRANT,
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.text
    assert _get_status(emulator_anon, check_response(response)["access_token"]).status_code == 200


@pytest.mark.parametrize(
    "fields",
    [
        {**GRANT, "client_id": TEST_CLIENT_ID, "client_secret": "wrong"},
        {**GRANT, "client_id": "someone-else", "client_secret": TEST_CLIENT_SECRET},
        {**GRANT, "client_id": TEST_CLIENT_ID},
        GRANT,
    ],
    ids=["wrong-secret", "wrong-id", "no-secret", "nothing"],
)
def test_wrong_credentials_are_400_invalid_client(
    emulator_anon: httpx.Client, fields: dict[str, str]
) -> None:
    response = emulator_anon.post("/connect/token", data=fields)
    assert response.status_code == 400
    assert check_response(response)["error"] == "invalid_client"
    assert TEST_CLIENT_SECRET not in response.text


def test_wrong_basic_credentials_are_400(emulator_anon: httpx.Client) -> None:
    basic = base64.b64encode(f"{TEST_CLIENT_ID}:nope".encode()).decode()
    response = emulator_anon.post(
        "/connect/token",
        data=GRANT,
        headers={"Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 400
    assert check_response(response)["error"] == "invalid_client"


def test_other_grant_types_are_refused(emulator_anon: httpx.Client) -> None:
    fields = {**GOOD, "grant_type": "password"}
    response = emulator_anon.post("/connect/token", data=fields)
    assert response.status_code == 400
    assert check_response(response)["error"] == "unsupported_grant_type"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v5.0/ocr/RecognizeRegions"),
        ("GET", "/v5.0/ocr/RecognizeRegions"),
        ("DELETE", "/v5.0/ocr/RecognizeRegions"),
        ("GET", "/v5.0/ocr/Utilities/GetTaskStatus"),
        ("GET", "/v5.0/ocr/ConvertTextToSpeech"),
    ],
)
@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer not-a-token", "Bearer", "Basic dGVzdDp0ZXN0", "Bearer a.b.c", "Bearer \u00e9"],
)
def test_missing_or_bad_bearer_is_401_problem_details(
    emulator_anon: httpx.Client, method: str, path: str, authorization: str | None
) -> None:
    headers = {} if authorization is None else {b"Authorization": authorization.encode("utf-8")}
    response = emulator_anon.request(
        method,
        path,
        params={"id": GUID_UNKNOWN},
        json={"image": "iVBORw0KGgo=", "settings": {}},
        headers=headers,
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert check_response(response)["title"] == "Unauthorized"


def test_token_from_another_emulator_is_refused(emulator_anon: httpx.Client) -> None:
    with Emulator(client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET) as other:
        foreign = other.issue_token()
    assert _get_status(emulator_anon, foreign).status_code == 401


def test_token_expires_on_the_emulators_clock() -> None:
    now = [1_000_000.0]
    with (
        Emulator(token_ttl=60.0, clock=lambda: now[0]) as emu,
        httpx.Client(base_url=emu.base_url) as client,
    ):
        token = emu.issue_token()
        assert _get_status(client, token).status_code == 200
        now[0] += 59.0
        assert _get_status(client, token).status_code == 200
        now[0] += 2.0
        assert _get_status(client, token).status_code == 401
        assert _get_status(client, emu.issue_token()).status_code == 200


def test_trial_endpoints_need_no_token(emulator_anon: httpx.Client) -> None:
    response = emulator_anon.post(
        "/v5.0/ocr/ConvertTextToSpeechTrial",
        json={"text": "hello", "settings": {"language": "English", "resultType": "Wav"}},
    )
    assert response.status_code == 200
    task_id = check_response(response)
    got = emulator_anon.get("/v5.0/ocr/ConvertTextToSpeechTrial", params={"id": task_id})
    assert check_response(got)["taskStatus"] == "Completed"


def test_generated_credentials_are_readable_and_not_in_repr() -> None:
    with Emulator() as emu:
        assert emu.client_id
        assert len(emu.client_secret) >= 16
        assert emu.client_secret not in repr(emu)
        response = httpx.post(
            f"{emu.base_url}/connect/token",
            data={**GRANT, "client_id": emu.client_id, "client_secret": emu.client_secret},
        )
        assert response.status_code == 200
        assert emu.issue_token() not in repr(emu)
