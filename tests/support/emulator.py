"""The test emulators, and helpers for the emulator's tests: the spec as a checker, images, bodies."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import yaml
from openapi_schema_validator import OAS30ReadValidator
from PIL import Image, ImageDraw, ImageFont

from ocr_notebook.emulator import Emulator
from tests.support.clock import FakeClock
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET

SPEC_PATH = Path(__file__).resolve().parents[1] / "data" / "aspose-ocr-cloud-v5.openapi.yaml"
GUID_UNKNOWN = "00000000-0000-0000-0000-000000000000"


@contextmanager
def running_emulator(clock: FakeClock | None = None, **options: Any) -> Iterator[Emulator]:
    """An emulator serving on 127.0.0.1 (a random port) with the test credentials.

    Every emulator fixture starts its server here. ``clock`` drives its task lifecycle and
    token expiry; ``options`` are the other ``Emulator`` arguments (``latency``,
    ``retention``, ``token_ttl``, ``faults``, ...).
    """
    settings: dict[str, Any] = {
        "port": 0,
        "client_id": TEST_CLIENT_ID,
        "client_secret": TEST_CLIENT_SECRET,
        **options,
    }
    if clock is not None:
        settings["clock"] = clock
    with Emulator(**settings) as emulator:
        yield emulator


@cache
def spec() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is ~10x faster
    loaded: dict[str, Any] = yaml.load(SPEC_PATH.read_text("utf-8"), Loader=loader)
    return loaded


@cache
def _validator(schema_json: str) -> OAS30ReadValidator:
    root = {"components": spec()["components"], "allOf": [json.loads(schema_json)]}
    return OAS30ReadValidator(root)


def validate_schema(schema: dict[str, Any], instance: Any) -> None:
    """Validate ``instance`` against ``schema`` (which may $ref the spec's components)."""
    _validator(json.dumps(schema, sort_keys=True)).validate(instance)


def validate_named(name: str, instance: Any) -> None:
    validate_schema({"$ref": f"#/components/schemas/{name}"}, instance)


def _spec_operation(path: str, method: str) -> dict[str, Any]:
    for template, item in spec()["paths"].items():
        if template.lower() == path.rstrip("/").lower():
            operation: dict[str, Any] = item[method.lower()]
            return operation
    raise AssertionError(f"{method} {path} is not in the spec")


def check_response(response: httpx.Response) -> Any:
    """Assert ``response`` has a shape the spec allows for its request; return its parsed body.

    Success bodies are checked against the operation's declared 200 content. Error bodies the
    spec declares (401) or that ASP.NET produces (400, 404, 405) must be ProblemDetails.
    """
    request = response.request
    path = request.url.path
    ctype = response.headers.get("content-type", "")
    if response.status_code >= 400:
        if path.lower() == "/connect/token" and response.status_code == 400:
            assert ctype.startswith("application/json")
            body = response.json()
            assert set(body) <= {"error", "error_description"}
            assert isinstance(body["error"], str)
            return body
        assert ctype.startswith("application/problem+json"), ctype
        body = response.json()
        validate_named("ProblemDetails", body)
        assert body["status"] == response.status_code
        return body
    if path.lower() == "/connect/token":
        body = response.json()
        assert ctype.startswith("application/json")
        assert set(body) == {"access_token", "expires_in", "token_type"}
        assert body["token_type"] == "Bearer"
        assert isinstance(body["expires_in"], int)
        return body
    declared = _spec_operation(path, request.method)["responses"][str(response.status_code)]
    content = declared.get("content")
    if content is None or response.status_code == 204:  # DELETE 200, or "no content"
        assert response.content == b""
        return None
    media = ctype.split(";")[0].strip()
    assert media in content, f"{media} not among {list(content)}"
    if media in ("image/png", "application/octet-stream"):  # a raw file (deprecated GETs)
        return response.content
    schema = content[media]["schema"]
    if media == "text/plain" and schema.get("type") == "string":
        text = response.text
        assert text and not text.startswith('"'), "a bare id, not a JSON string"
        return text
    assert ctype == "application/json; charset=utf-8"
    body = json.loads(response.content)
    validate_schema(schema, body)
    assert list(body) == ["id", "responseStatusCode", "taskStatus", "results", "error"]
    return body


def text_image(
    lines: list[str], *, size: int = 32, width: int = 900, line_height: int = 70
) -> tuple[bytes, list[tuple[int, int, int, int]]]:
    """A PNG with one line of ``lines`` per band, and the band rectangles."""
    font = ImageFont.load_default(size=size)
    image = Image.new("RGB", (width, 20 + line_height * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    rects = []
    for i, line in enumerate(lines):
        top = 10 + i * line_height
        rects.append((10, top, width - 10, top + line_height))
        draw.text((30, top + (line_height - size) // 2), line, fill="black", font=font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue(), rects


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def regions_body(
    image: bytes,
    rects: list[tuple[int, int, int, int]],
    orders: list[int] | None = None,
    **settings: Any,
) -> dict[str, Any]:
    regions = [
        {
            "rect": dict(
                zip(("topLeftX", "topLeftY", "bottomRightX", "bottomRightY"), r, strict=True)
            ),
            "order": orders[i] if orders else i,
        }
        for i, r in enumerate(rects)
    ]
    return {"image": b64(image), "settings": {"regions": regions, **settings}}


def decoded(body: dict[str, Any]) -> list[tuple[str, bytes]]:
    return [(r["type"], base64.b64decode(r["data"])) for r in body["results"]]
