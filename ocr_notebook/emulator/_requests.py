"""Request bodies -> typed jobs. Property names match case-insensitively (ASP.NET's JSON binder).

Bad bodies raise :class:`BadRequest`, which the app turns into a 400 validation ProblemDetails.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._enums import DSR_CONFIDENCES, DSR_MODES, LANGUAGES, RESULT_TYPES, TABLE_RESULT_TYPES
from ._operations import Operation

__all__ = [
    "RESULT_TYPES",
    "TABLE_RESULT_TYPES",
    "BadRequest",
    "Job",
    "Region",
    "Settings",
    "parse_job",
]

_MAX_TTS_CHARS = 100_000


class BadRequest(Exception):
    """A request the service's model binding would refuse (HTTP 400).

    Attributes:
        field: The JSON path of the offending value (``$.settings.rotate``), for ``errors``.
        message: One line saying what is wrong and what to send instead.
    """

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class Region:
    """A rectangle in pixel corners and its ``order`` (missing numbers read as 0)."""

    rect: tuple[int, int, int, int]
    order: int = 0


@dataclass(frozen=True)
class Settings:
    """The settings the emulator acts on; the rest are accepted and ignored."""

    language: str = "English"
    rotate: int = 0
    result_type: str = "Text"
    result_type_table: str = "Csv"
    make_upsampling: bool = False
    regions: tuple[Region, ...] | None = None


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to produce a task's outcome."""

    operation: Operation
    image: bytes = b""
    text: str = ""
    settings: Settings = field(default_factory=Settings)


def _lower_keys(value: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in value.items()}


def _object(value: Any, where: str) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise BadRequest(where, f"{where} must be a JSON object, got {type(value).__name__}.")
    return _lower_keys(value)


def _int(value: Any, where: str) -> int:
    if value is None:
        return 0
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(where, f"{where} must be an integer, got {json.dumps(value)[:40]}.")
    if not -(2**31) <= value < 2**31:
        raise BadRequest(where, f"{where} must fit in a 32-bit integer.")
    return value


def _bool(value: Any, where: str, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise BadRequest(where, f"{where} must be true or false.")
    return value


def _enum(value: Any, where: str, allowed: tuple[str, ...], default: str) -> str:
    if value is None:
        return default
    if isinstance(value, str):
        for name in allowed:
            if name.lower() == value.lower():
                return name
    shown = ", ".join(allowed[:10]) + (", ..." if len(allowed) > 10 else "")
    got = json.dumps(value)[:40]
    raise BadRequest(where, f"{where} must be one of {shown} (got {got}).")


def _regions(value: Any) -> tuple[Region, ...] | None:
    if value is None:
        return None
    if not isinstance(value, list):
        raise BadRequest("$.settings.regions", "$.settings.regions must be a list or null.")
    regions = []
    for i, item in enumerate(value):
        where = f"$.settings.regions[{i}]"
        region = _object(item, where) or {}
        rect = _object(region.get("rect"), f"{where}.rect") or {}
        corners = tuple(
            _int(rect.get(name.lower()), f"{where}.rect.{name}")
            for name in ("topLeftX", "topLeftY", "bottomRightX", "bottomRightY")
        )
        regions.append(
            Region(
                (corners[0], corners[1], corners[2], corners[3]),
                _int(region.get("order"), f"{where}.order"),
            )
        )
    return tuple(regions)


_BOOLEANS = (
    "makeSkewCorrect",
    "makeBinarization",
    "makeSpellCheck",
    "makeContrastCorrection",
    "makeUpsampling",
)


def _settings(raw: dict[str, Any] | None) -> Settings:
    if raw is None:
        return Settings()
    flags = {name: _bool(raw.get(name.lower()), f"$.settings.{name}", False) for name in _BOOLEANS}
    # Accepted and checked like the service's binder does, but they change nothing here.
    _enum(raw.get("dsrmode"), "$.settings.dsrMode", DSR_MODES, "Regions")
    _enum(raw.get("dsrconfidence"), "$.settings.dsrConfidence", DSR_CONFIDENCES, "Default")
    return Settings(
        language=_enum(raw.get("language"), "$.settings.language", LANGUAGES, "English"),
        rotate=_int(raw.get("rotate"), "$.settings.rotate"),
        result_type=_enum(raw.get("resulttype"), "$.settings.resultType", RESULT_TYPES, "Text"),
        result_type_table=_enum(
            raw.get("resulttypetable"), "$.settings.resultTypeTable", TABLE_RESULT_TYPES, "Csv"
        ),
        make_upsampling=flags["makeUpsampling"],
        regions=_regions(raw.get("regions")),
    )


def _decode_image(value: Any) -> bytes:
    if value is None:
        raise BadRequest("$.image", "The image field is required: send the file as Base64.")
    if not isinstance(value, str):
        raise BadRequest("$.image", "$.image must be a Base64 string.")
    try:
        # Standard Base64 as .NET's Convert.FromBase64String reads it: whitespace is ignored.
        return base64.b64decode("".join(value.split()), validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest("$.image", "$.image is not valid Base64; encode the file bytes.") from None


def _json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("$", "The request body is not valid JSON.") from None
    top = _object(parsed, "$")
    if top is None:
        raise BadRequest("$", "The request body must be a JSON object.")
    return top


def _speech_job(operation: Operation, text: Any, settings: dict[str, Any] | None) -> Job:
    if not isinstance(text, str) or not text:
        raise BadRequest("$.text", "The text field is required: a non-empty string to read.")
    if len(text) > _MAX_TTS_CHARS:
        raise BadRequest("$.text", f"$.text is longer than {_MAX_TTS_CHARS} characters.")
    if settings is None:
        raise BadRequest(
            "$.settings",
            'The settings field is required: {"language": "English", "resultType": "Wav"}.',
        )
    if settings.get("language") is None or settings.get("resulttype") is None:
        raise BadRequest("$.settings", 'Send both "language": "English" and "resultType": "Wav".')
    _enum(settings.get("language"), "$.settings.language", ("English",), "English")
    _enum(settings.get("resulttype"), "$.settings.resultType", ("Wav",), "Wav")
    return Job(operation, text=text)


def parse_job(operation: Operation, body: bytes) -> Job:
    """Parse a POST body for ``operation`` into a :class:`Job`.

    Raises:
        BadRequest: The body is not JSON, misses a required field, or has a value of the
            wrong type or outside its enum.
    """
    top = _json_object(body)
    if operation.speech:
        return _speech_job(operation, top.get("text"), _object(top.get("settings"), "$.settings"))
    image = _decode_image(top.get("image"))
    settings_raw = _object(top.get("settings"), "$.settings")
    return Job(operation, image=image, settings=_settings(settings_raw))


def parse_legacy_speech(operation: Operation, body: bytes) -> Job:
    """Parse the deprecated ``TextToSpeech/PostTextToSpeech`` body ``{text, language, resultType}``.

    Raises:
        BadRequest: As :func:`parse_job`.
    """
    top = _json_object(body)
    settings = {k: v for k, v in top.items() if k in ("language", "resulttype")}
    return _speech_job(operation, top.get("text"), settings)
