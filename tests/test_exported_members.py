"""The public API is exactly ``ocr_notebook.__all__``: pinned here, sorted, all importable.

Adding or removing a public name is a deliberate act: update this list with it.
"""

from __future__ import annotations

import subprocess
import sys

import ocr_notebook

PUBLIC = [
    "TERMINAL_STATUSES",
    "AsyncOCRClient",
    "AsyncPoller",
    "AuthenticationError",
    "Comparison",
    "FetchCancelledError",
    "FetchHandle",
    "HTTPStatusError",
    "ImageInputError",
    "InsecureTransportError",
    "InvalidTaskIdError",
    "LoginLockoutError",
    "MissingCredentialsError",
    "OCRClient",
    "OCRError",
    "OCRFetchWidget",
    "OCRMagics",
    "OCRResult",
    "OCRResultCollection",
    "OCRWorkbench",
    "PollEvent",
    "PollPolicy",
    "Poller",
    "PollingTimeoutError",
    "RateLimitError",
    "Rect",
    "RegionError",
    "RegionResult",
    "RegionTemplate",
    "ResponseFormatError",
    "ResponseStatusCode",
    "ResultStore",
    "ScanImage",
    "SearchHits",
    "Submission",
    "TaskError",
    "TaskFailedError",
    "TaskNotFoundError",
    "TaskStatus",
    "TemplateFileError",
    "TransportError",
    "UnknownOperationError",
    "__version__",
    "clear_store",
    "is_valid_task_id",
    "load_ipython_extension",
    "save_corrections",
    "unload_ipython_extension",
    "validate_task_id",
]


def test_all_is_pinned() -> None:
    assert ocr_notebook.__all__ == PUBLIC


def test_all_is_sorted_like_ruff() -> None:
    # RUF022's isort-style order: SCREAMING_CASE, then CamelCase, then the rest.
    def key(name: str) -> tuple[int, str]:
        if name.isupper():
            return (0, name)
        if name[0].isupper():
            return (1, name)
        return (2, name)

    assert sorted(PUBLIC, key=key) == PUBLIC


def test_every_public_name_resolves_to_our_code() -> None:
    for name in PUBLIC:
        value = getattr(ocr_notebook, name)
        if name not in ("__version__", "TERMINAL_STATUSES"):
            assert value.__module__.split(".")[0] == "ocr_notebook", name


def test_public_classes_say_they_are_ours() -> None:
    # Errors and models are documented under their private modules; nothing leaks from httpx.
    from ocr_notebook.client import clients as _client
    from ocr_notebook.client import polling as _polling

    for name in ("OCRClient", "AsyncOCRClient"):
        assert getattr(ocr_notebook, name) is getattr(_client, name)
    for name in ("Poller", "AsyncPoller", "PollEvent", "PollPolicy"):
        assert getattr(ocr_notebook, name) is getattr(_polling, name)


def test_plain_import_loads_no_notebook_machinery() -> None:
    code = (
        "import sys, ocr_notebook; "
        "print(sorted(m for m in ('IPython', 'ipywidgets', 'PIL', 'pandas', 'regex', 'rapidfuzz') "
        "if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
