"""ocr_notebook: the Aspose.OCR Cloud v5 API in Jupyter and plain Python.

``%load_ext ocr_notebook`` then ``%ocr_fetch <task id>`` in a notebook; ``OCRClient`` /
``AsyncOCRClient`` anywhere; ``ocr_notebook.emulator.Emulator`` for an offline server.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._exceptions import (
    AuthenticationError,
    FetchCancelledError,
    HTTPStatusError,
    InsecureTransportError,
    InvalidTaskIdError,
    MissingCredentialsError,
    OCRError,
    PollingTimeoutError,
    RateLimitError,
    ResponseFormatError,
    TaskError,
    TaskFailedError,
    TaskNotFoundError,
    TransportError,
)
from ._models import (
    TERMINAL_STATUSES,
    OCRResult,
    Rect,
    RegionResult,
    ResponseStatusCode,
    Submission,
    TaskStatus,
)
from ._task_id import is_valid_task_id, validate_task_id

if TYPE_CHECKING:  # pragma: no cover
    pass

__version__ = "0.1.0"

__all__ = [
    "TERMINAL_STATUSES",
    "AuthenticationError",
    "FetchCancelledError",
    "HTTPStatusError",
    "InsecureTransportError",
    "InvalidTaskIdError",
    "MissingCredentialsError",
    "OCRError",
    "OCRResult",
    "PollingTimeoutError",
    "RateLimitError",
    "Rect",
    "RegionResult",
    "ResponseFormatError",
    "ResponseStatusCode",
    "Submission",
    "TaskError",
    "TaskFailedError",
    "TaskNotFoundError",
    "TaskStatus",
    "TransportError",
    "__version__",
    "is_valid_task_id",
    "validate_task_id",
]

# Notebook-only names load lazily (PEP 562) so that `import ocr_notebook` in a plain
# script does not pay for IPython or ipywidgets.
_LAZY: dict[str, str] = {}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ocr_notebook' has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module, __name__), name)
