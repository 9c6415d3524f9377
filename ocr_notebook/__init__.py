"""ocr_notebook: the Aspose.OCR Cloud v5 API in Jupyter and plain Python.

``%load_ext ocr_notebook`` then ``%ocr_fetch <task id>`` in a notebook; ``OCRClient`` /
``AsyncOCRClient`` anywhere; ``ocr_notebook.emulator.Emulator`` for an offline server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .client.clients import AsyncOCRClient, OCRClient
from .client.polling import AsyncPoller, Poller, PollEvent, PollPolicy
from .regions.template import RegionTemplate
from .results.errors import (
    AuthenticationError,
    FetchCancelledError,
    HTTPStatusError,
    ImageInputError,
    InsecureTransportError,
    InvalidTaskIdError,
    LoginLockoutError,
    MissingCredentialsError,
    OCRError,
    PollingTimeoutError,
    RateLimitError,
    RegionError,
    ResponseFormatError,
    TaskError,
    TaskFailedError,
    TaskNotFoundError,
    TemplateFileError,
    TransportError,
    UnknownOperationError,
)
from .results.models import (
    TERMINAL_STATUSES,
    OCRResult,
    Rect,
    RegionResult,
    ResponseStatusCode,
    Submission,
    TaskStatus,
)
from .store.backing import clear_store
from .store.corrections import save_corrections
from .store.result_store import ResultStore
from .wire.task_ids import is_valid_task_id, validate_task_id

if TYPE_CHECKING:  # pragma: no cover
    from IPython.core.interactiveshell import InteractiveShell

    from .analysis.compare import Comparison
    from .analysis.search import SearchHits
    from .notebook.magics import OCRMagics
    from .notebook.runner import FetchHandle
    from .regions.scan import ScanImage
    from .results.collection import OCRResultCollection
    from .widgets.fetch import OCRFetchWidget
    from .widgets.workbench import OCRWorkbench

__version__ = "0.1.0"

__all__ = [
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

# Notebook-only names load lazily (PEP 562) so that `import ocr_notebook` in a plain
# script does not pay for IPython or ipywidgets (nor the analysis for its libraries).
_LAZY: dict[str, str] = {
    "Comparison": ".analysis.compare",  # with SearchHits: rapidfuzz and regex load on use
    "SearchHits": ".analysis.search",
    "FetchHandle": ".notebook.runner",
    "OCRFetchWidget": ".widgets.fetch",
    "OCRMagics": ".notebook.magics",
    "OCRResultCollection": ".results.collection",
    "OCRWorkbench": ".widgets.workbench",
    # Pillow is loaded only when a scan is opened.
    "ScanImage": ".regions.scan",
}


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """``%load_ext ocr_notebook``: register ``%ocr_fetch`` and ``%config OCRMagics``."""
    # Deferred: `import ocr_notebook` stays free of IPython until the extension loads.
    from .notebook.magics import load_ipython_extension as load

    load(ipython)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """``%unload_ext ocr_notebook``: remove ``%ocr_fetch`` and ``OCRMagics``."""
    # Deferred: `import ocr_notebook` stays free of IPython until the extension loads.
    from .notebook.magics import unload_ipython_extension as unload

    unload(ipython)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'ocr_notebook' has no attribute {name!r}")
    return getattr(importlib.import_module(module, __name__), name)
