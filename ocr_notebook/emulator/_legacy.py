"""The spec's deprecated endpoints (``ImageProcessing/*``, ``TextToSpeech/*``), for old clients.

Uploads are multipart ``file`` parts; results come as an OCRResponse or as the raw file
(200, or 204 while there is none yet).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ._http import (
    JSON,
    TEXT,
    Reply,
    Scope,
    header,
    multipart_files,
    problem_reply,
    task_id_param,
)
from ._operations import find_operation
from ._requests import BadRequest, Job, parse_legacy_speech
from ._service import Service

__all__ = ["LegacyRoute", "legacy_route"]

Handler = Callable[[Service, Scope, bytes], Awaitable[Reply]]


@dataclass(frozen=True)
class LegacyRoute:
    """One deprecated endpoint: its only method and its handler."""

    method: str
    handler: Handler


def _upload(operation_name: str) -> Handler:
    operation = find_operation(operation_name)
    assert operation is not None

    async def handle(service: Service, scope: Scope, body: bytes) -> Reply:
        ctype = header(scope, b"content-type") or b""
        file = (
            multipart_files(ctype, body).get("file")
            if ctype.lower().startswith(b"multipart/form-data")
            else None
        )
        if file is None:
            message = "Send the image as multipart/form-data with a part named 'file'."
            return problem_reply(400, message, scope["path"], errors={"file": [message]})
        return Reply(200, service.submit(Job(operation, image=file)).encode("utf-8"), TEXT)

    return handle


async def _speech(service: Service, scope: Scope, body: bytes) -> Reply:
    operation = find_operation("ConvertTextToSpeech")
    assert operation is not None
    try:
        job = parse_legacy_speech(operation, body)
    except BadRequest as exc:
        return problem_reply(400, exc.message, scope["path"], errors={exc.field: [exc.message]})
    return Reply(200, service.submit(job).encode("utf-8"), TEXT)


def _missing_id(scope: Scope) -> Reply:
    message = "The id query parameter is required: ?id=<task id>."
    return problem_reply(400, message, scope["path"], errors={"id": [message]})


async def _result(service: Service, scope: Scope, body: bytes) -> Reply:
    task_id = task_id_param(scope)
    if task_id is None:
        return _missing_id(scope)
    return Reply(200, await service.answer(task_id), JSON)


def _file(kind: str, media_type: bytes) -> Handler:
    async def handle(service: Service, scope: Scope, body: bytes) -> Reply:
        task_id = task_id_param(scope)
        if task_id is None:
            return _missing_id(scope)
        _, _, outcome = await service.settle(task_id)
        for result_kind, data in (outcome.results or ()) if outcome is not None else ():
            if result_kind == kind:
                return Reply(200, data, media_type)
        return Reply(204)  # not ready, failed, or unknown: the spec's "no content"

    return handle


_ROUTES: dict[str, LegacyRoute] = {
    "imageprocessing/postupsamplingimagefile": LegacyRoute("POST", _upload("UpscaleImage")),
    "imageprocessing/postbinarizationfile": LegacyRoute("POST", _upload("BinarizeImage")),
    "imageprocessing/postskewcorrectionfile": LegacyRoute("POST", _upload("DeskewImage")),
    "imageprocessing/postdewarpingfile": LegacyRoute("POST", _upload("DewarpImage")),
    "imageprocessing/getresulttask": LegacyRoute("GET", _result),
    "imageprocessing/getresultfile": LegacyRoute("GET", _file("ImagePNG", b"image/png")),
    "texttospeech/posttexttospeech": LegacyRoute("POST", _speech),
    "texttospeech/gettexttospeechresult": LegacyRoute("GET", _result),
    "texttospeech/gettexttospeechresultfile": LegacyRoute(
        "GET", _file("WavFile", b"application/octet-stream")
    ),
}


def legacy_route(name: str) -> LegacyRoute | None:
    """The deprecated endpoint at ``/v5.0/ocr/<name>`` (lower-case), if there is one."""
    return _ROUTES.get(name)
