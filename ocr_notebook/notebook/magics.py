"""``%ocr_fetch`` and ``%ocr_store``: the magics, their configuration, load/unload.

``%ocr_fetch`` parses its arguments, builds a client from ``%config OCRMagics`` and the
environment, and hands the fetch to ``runner`` with a badge from ``badge``. Expected
failures become one ``UsageError`` line (no traceback); the client secret lives in a
private attribute, never in a trait, so ``%config OCRMagics`` cannot list it.
"""

from __future__ import annotations

import getpass
import keyword
import os
import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

from IPython.core import magic_arguments as _margs
from IPython.core.error import StdinNotImplementedError, UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.display import display
from traitlets import Bool, Enum, Float, Int, TraitError, Unicode, observe, validate

from ..client.clients import AsyncOCRClient, OCRClient
from ..client.config import ENV_CLIENT_ID, ENV_CLIENT_SECRET
from ..client.polling import DEFAULT_CONCURRENCY, PollPolicy
from ..results.collection import OCRResultCollection
from ..results.errors import MissingCredentialsError, OCRError
from ..store.backing import StoreBacking, active_store, ocr_store_line, service_base_url
from ..wire.operations import resolve_api
from ..wire.task_ids import parse_task_ids
from .messages import one_line
from .runner import FetchHandle, fetch_blocking, finish, start_fetch

if TYPE_CHECKING:
    from IPython.core.interactiveshell import InteractiveShell

    from ..client.polling import PollEvent
    from ..results.models import OCRResult
    from ..store.result_store import ResultStore

__all__ = ["OCRMagics", "load_ipython_extension", "unload_ipython_extension"]

#: Asks for ``(client_id, client_secret)``; given the id already known (from the
#: environment), or None. Tests inject one; the default uses ``input`` and ``getpass``.
CredentialPrompt = Callable[[str | None], tuple[str, str]]

_DEFAULTS = PollPolicy()
_ID_SEPARATORS = " \t\r\n\f\v,;"  # what parse_task_ids splits on
_DISPLAY_LIMIT = 50  # the renderer's own default (``display.results.DEFAULTS``)
_Magic = Callable[[Any, str], Any]
_Decorator = Callable[[_Magic], _Magic]


# IPython's magic_arguments helpers are untyped; these typed shims keep mypy --strict exact.
def magic_arguments() -> _Decorator:
    return cast("_Decorator", _margs.magic_arguments())  # type: ignore[no-untyped-call]


def argument(*args: Any, **kwargs: Any) -> _Decorator:
    return cast("_Decorator", _margs.argument(*args, **kwargs))  # type: ignore[no-untyped-call]


def _line_magic(func: _Magic) -> _Magic:
    return cast("_Magic", line_magic(func))


def parse_argstring(magic: Callable[..., Any], line: str) -> Any:
    return _margs.parse_argstring(magic, line)  # type: ignore[no-untyped-call]


def _set_display_limit(limit: int | None) -> None:
    # Deferred: %load_ext stays light; the renderer comes with the first result shown.
    from ..display.results import set_display_limit

    set_display_limit(limit)


def _display(obj: object) -> None:
    display(obj)  # type: ignore[no-untyped-call]


def _prompt_credentials(known_id: str | None) -> tuple[str, str]:
    # Looked up at call time: ipykernel swaps in its own input/getpass while a cell runs.
    client_id = known_id or input("Aspose OCR client id: ").strip()
    secret = getpass.getpass("Aspose OCR client secret (hidden): ").strip()
    return client_id, secret


@magics_class
class OCRMagics(Magics):
    """The ``%ocr_fetch`` magic, configured with ``%config OCRMagics.<name> = value``.

    Credentials come from ``ASPOSE_OCR_CLIENT_ID`` / ``ASPOSE_OCR_CLIENT_SECRET`` or, when
    those are unset, from a hidden prompt; a prompted secret is kept for the session in a
    private attribute (never a config trait, never shown).
    """

    base_url = Unicode(
        "",
        help="Service URL. Empty: $ASPOSE_OCR_BASE_URL, else https://api.aspose.cloud.",
    ).tag(config=True)
    timeout = Float(
        _DEFAULTS.timeout,
        help="Seconds to wait for a task before giving up (it goes on on the service).",
    ).tag(config=True)
    poll_interval = Float(
        _DEFAULTS.first_delay,
        help="Seconds between the first polls; the interval grows from here.",
    ).tag(config=True)
    max_poll_interval = Float(
        _DEFAULTS.max_delay, help="Longest interval between two polls, in seconds."
    ).tag(config=True)
    display_limit = Int(
        _DISPLAY_LIMIT,
        allow_none=True,
        help="Regions shown in a rich result display (None: all). Applies to every OCRResult.",
    ).tag(config=True)
    concurrency = Int(
        DEFAULT_CONCURRENCY, help="Requests in flight at most when fetching several ids."
    ).tag(config=True)
    badge = Enum(
        ("auto", "widget", "text"),
        "auto",
        help="Status display: a live widget (Jupyter), plain status lines, or auto-detect.",
    ).tag(config=True)
    store = Bool(
        True,
        help=(
            "Keep every Completed result in the local result store and answer from it first "
            "(--refresh asks the service again). Also off when OCR_NOTEBOOK_STORE=0."
        ),
    ).tag(config=True)
    request_timeout = Float(
        30.0,
        help=(
            "Seconds one HTTP request may take before it counts as failed and is retried "
            "(never more than the fetch's timeout)."
        ),
    ).tag(config=True)

    def __init__(
        self,
        shell: InteractiveShell | None = None,
        *,
        prompt: CredentialPrompt | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(shell=shell, **kwargs)
        self._prompt: CredentialPrompt = prompt or _prompt_credentials
        # Credentials typed at the prompt: private, so `%config OCRMagics` never lists them.
        self._credentials: tuple[str, str] | None = None
        #: Test hook: called after every poll response of a blocking fetch (worker thread).
        self.on_event: Callable[[PollEvent], None] | None = None
        if self.display_limit != _DISPLAY_LIMIT:
            # Configured before loading (a profile, `%config` then `%reload_ext`). The
            # renderer is imported only when needed: it is not cheap, and loading should be.
            _set_display_limit(self.display_limit)

    # -- configuration ------------------------------------------------------------------

    @validate("timeout", "poll_interval", "max_poll_interval", "request_timeout")
    def _positive(self, proposal: Any) -> float:
        value = float(proposal["value"])
        name = proposal["trait"].name
        if not value > 0:
            raise TraitError(f"OCRMagics.{name} must be a number of seconds > 0, got {value!r}.")
        return value

    @validate("display_limit", "concurrency")
    def _non_negative(self, proposal: Any) -> int | None:
        value = proposal["value"]
        name = proposal["trait"].name
        minimum = 1 if name == "concurrency" else 0
        if value is not None and value < minimum:
            raise TraitError(f"OCRMagics.{name} must be >= {minimum}, got {value!r}.")
        return value  # type: ignore[no-any-return]

    @observe("display_limit")
    def _display_limit_changed(self, change: Any) -> None:
        _set_display_limit(change["new"])

    def _badge_mode(self) -> Literal["auto", "widget", "text"]:
        return cast('Literal["auto", "widget", "text"]', self.badge)

    def forget_credentials(self) -> None:
        """Drop credentials typed at the prompt (the next fetch asks again)."""
        self._credentials = None

    def _policy(self, timeout: float) -> PollPolicy:
        try:
            return PollPolicy(
                first_delay=self.poll_interval,
                max_delay=max(self.max_poll_interval, self.poll_interval),
                timeout=timeout,
            )
        except ValueError as exc:
            raise UsageError(str(exc)) from None

    def _client(self, cls: type[Any], timeout: float) -> Any:
        """Build a client of ``cls`` from the config, the environment, then the prompt."""
        kwargs: dict[str, Any] = {
            "base_url": self.base_url or None,
            "poll_policy": self._policy(timeout),
            # A stalled request must not outlive the fetch's own deadline.
            "timeout": min(self.request_timeout, timeout),
            "store": self._result_store(),
        }
        try:
            return cls(**kwargs)
        except MissingCredentialsError:
            pass
        except (OCRError, ValueError) as exc:
            raise UsageError(one_line(exc)) from None
        if self._credentials is None:
            self._credentials = self._ask()
        client_id, secret = self._credentials
        try:
            return cls(**kwargs, client_id=client_id, client_secret=secret)
        except (OCRError, ValueError) as exc:
            raise UsageError(one_line(exc)) from None

    def _result_store(self) -> ResultStore | None:
        return active_store(self.store)

    def _store_backing(self, api: str, original: bool = False) -> StoreBacking:
        """The local store behind a fetch of ``api`` tasks (see ``store/backing.py``).

        ``original``: show the service's texts, not the corrections stored for them.
        """
        try:
            base_url = service_base_url(self.base_url)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        return StoreBacking(
            self._result_store(),
            base_url=base_url,
            api=api,
            note=lambda n: print(n.line),
            original=original,
        )

    def _through_store(
        self,
        ids: list[str],
        api: str,
        fetch: Callable[[list[str]], Sequence[OCRResult | OCRError]],
        refresh: bool,
        original: bool = False,
    ) -> list[OCRResult | OCRError]:
        """Answer stored ids from the local store, fetch the rest (see ``store/backing.py``).

        Raises:
            UsageError: the fetch was interrupted, or failed as a whole: one line each.
        """
        try:
            return self._store_backing(api, original).fetch(ids, fetch, refresh=refresh)
        except KeyboardInterrupt:
            raise UsageError(_interrupted(ids)) from None
        except OCRError as exc:
            raise UsageError(one_line(exc)) from None

    def _ask(self) -> tuple[str, str]:
        missing = (
            f"No credentials: set {ENV_CLIENT_ID} and {ENV_CLIENT_SECRET} (os.environ in a cell, "
            "or before starting Jupyter), then run the fetch again."
        )
        try:
            client_id, secret = self._prompt(os.environ.get(ENV_CLIENT_ID) or None)
        except (StdinNotImplementedError, EOFError, OSError, Warning, KeyboardInterrupt):
            # No way to ask (nbclient, a captured stdin) or the user declined.
            raise UsageError(missing) from None
        if not client_id or not secret:
            raise UsageError(missing)
        return client_id, secret

    def make_client(self, timeout: float | None = None) -> OCRClient:
        """A synchronous client configured like the magic's (for use in Python code)."""
        client: OCRClient = self._client(OCRClient, self.timeout if timeout is None else timeout)
        return client

    def make_async_client(self, timeout: float | None = None) -> AsyncOCRClient:
        """An async client configured like the magic's."""
        client: AsyncOCRClient = self._client(
            AsyncOCRClient, self.timeout if timeout is None else timeout
        )
        return client

    # -- the magic ----------------------------------------------------------------------

    @magic_arguments()
    @argument(
        "task_ids",
        nargs="*",
        metavar="TASK_ID",
        help="One or more task ids (GUIDs returned when the tasks were submitted).",
    )
    @argument(
        "--api",
        default="RecognizeRegions",
        help="The operation the tasks were submitted to (default: RecognizeRegions).",
    )
    @argument(
        "--timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="Stop waiting after this many seconds (default: %%config OCRMagics.timeout).",
    )
    @argument(
        "-o",
        "--output",
        default=None,
        metavar="NAME",
        help="Also bind the result to NAME in the notebook's namespace.",
    )
    @argument(
        "--background",
        action="store_true",
        help=(
            "Return at once and keep polling in the background (a task on the kernel's "
            "event loop; a thread in terminal IPython). Returns a handle: `await handle` "
            "gives the result."
        ),
    )
    @argument(
        "--no-wait",
        action="store_true",
        help="Make one request and show the task as it is now, without waiting.",
    )
    @argument(
        "--refresh",
        action="store_true",
        help="Ask the service even when the local result store already holds the result.",
    )
    @argument(
        "--original",
        action="store_true",
        help="Show the service's texts, not the corrections kept in the local result store.",
    )
    @_line_magic
    def ocr_fetch(self, line: str) -> Any:
        """Fetch Aspose.OCR Cloud tasks with a live status badge; return their result.

        Blocking (the default): a badge shows each task's status, seconds elapsed and polls,
        and changes as the task goes Pending -> Processing -> Completed. When the task ends
        the badge settles (green Completed; red Error with the service's messages; grey
        NotExist: results are kept 24 hours; amber Timeout: run the same command again to
        resume; purple Unreachable: no usable answer came, the line says from which URL,
        why and what to check) and the magic returns an ``OCRResult``, so ``_`` and
        ``Out[n]`` hold it and its rich display shows every region. Several ids are
        fetched concurrently with one compact badge (a row per task, an N-of-M bar) and give
        an ``OCRResultCollection`` (``.texts``, ``.text``, ``.to_dataframe()``, iteration,
        ``.errors``).

        Interrupt the kernel (or Ctrl-C) to stop polling: the badge shows Cancelled and
        the task goes on on the service. Every failure (a malformed id, missing
        credentials, the network, a task Error, a timeout) is one line saying what to do.

        ``--background`` returns a handle at once and polls as a task on the kernel's
        event loop (in terminal IPython, where no loop runs, in a thread instead); the
        badge keeps updating while you run other cells, ``-o NAME`` is bound when the
        fetch ends, and ``await handle`` (or ``handle.result()`` outside the kernel's loop)
        gives the result. A failure is reported in the cell's output.

        ``--no-wait`` makes one request per id and returns what is there now.

        Configuration (``%config OCRMagics`` lists it): ``base_url``, ``timeout``,
        ``poll_interval``, ``max_poll_interval``, ``display_limit``, ``concurrency``,
        ``badge``, ``request_timeout``, ``store``. Credentials: ``ASPOSE_OCR_CLIENT_ID`` and
        ``ASPOSE_OCR_CLIENT_SECRET`` from the environment, else a hidden prompt (the secret
        is kept for the session in memory only, never shown or saved).

        Every Completed result is also kept in a local result store (SQLite in the user's
        cache directory), and a blocking or ``--no-wait`` fetch answers from it first, with
        a note; ``--refresh`` asks the service again. When the service has forgotten a
        task (NotExist: it keeps results 24 hours) the stored copy is shown, with a note.
        ``%ocr_store`` shows the store, ``%ocr_store clear`` empties it;
        ``%config OCRMagics.store = False`` or ``OCR_NOTEBOOK_STORE=0`` turns it off.
        Corrections saved for a task (``save_corrections``, the fetch widget, the
        workbench) are shown with a note; ``--original`` shows the service's texts.

        Examples::

            %ocr_fetch b7162f77-bf10-407d-86de-ee255e422ca7
            %ocr_fetch ID1 ID2 ID3 -o results
            h = %ocr_fetch ID --background -o result
            %ocr_fetch ID --no-wait
            %config OCRMagics.base_url = "http://127.0.0.1:8000"
        """
        args = parse_argstring(self.ocr_fetch, line)
        ids = self._task_ids(args.task_ids)
        api = self._api(args.api)
        name = self._name(args.output)
        timeout = self._timeout(args.timeout)
        if args.background and args.no_wait:
            raise UsageError("--background and --no-wait exclude each other; pick one.")
        refresh, original = args.refresh, args.original
        if args.no_wait:
            return self._bind(name, self._no_wait(ids, api, refresh, original))
        if args.background:
            return self._background(ids, api, timeout, name, refresh, original)
        return self._bind(name, self._blocking(ids, api, timeout, refresh, original))

    @_line_magic
    def ocr_store(self, line: str) -> None:
        """Show the local result store (``%ocr_store``) or delete it (``%ocr_store clear``).

        Every Completed result ``%ocr_fetch`` gets is kept there (SQLite, file mode 0600,
        in the user's cache directory or ``$OCR_NOTEBOOK_STORE_PATH``), so it is still
        there after the service forgets it (24 hours). Turn it off with
        ``%config OCRMagics.store = False`` or ``OCR_NOTEBOOK_STORE=0``.
        ``ocr_notebook.clear_store()`` clears it from Python.
        """
        try:
            print(ocr_store_line(line, enabled=self.store))
        except (ValueError, OSError, sqlite3.Error) as exc:
            raise UsageError(str(exc)) from None

    @magic_arguments()
    @argument("image", metavar="IMAGE", help="An image file (PNG, JPEG, TIFF, BMP, ...).")
    @argument(
        "-o",
        "--output",
        default=None,
        metavar="NAME",
        help="Also bind the workbench to NAME (NAME.regions, NAME.result, ...).",
    )
    @argument(
        "--page", type=int, default=None, metavar="N", help="The page of a multi-page TIFF, from 0."
    )
    @_line_magic
    def ocr_regions(self, line: str) -> None:
        """Open the region workbench on an image file: draw, detect, recognize rectangles.

        Shows an ``OCRWorkbench``: drag on the image to draw rectangles, Detect to have the
        service find the text blocks, Recognize to read them with the live badge. The
        client comes from the environment, as ``OCRFetchWidget``'s does.

        Examples::

            %ocr_regions invoice.png -o wb
            %ocr_regions scans.tiff --page 2 -o wb
        """
        # Deferred: `%load_ext` loads no anywidget nor Pillow until a workbench is opened.
        from ..widgets.workbench import OCRWorkbench

        args = parse_argstring(self.ocr_regions, line)
        name = self._name(args.output)
        path = os.path.expanduser(args.image.strip("'\""))
        if not os.path.isfile(path):
            raise UsageError(f"No image file {path!r}: give the path of a PNG, JPEG or TIFF file.")
        try:
            workbench = OCRWorkbench(path, page=args.page)
        except (OCRError, ValueError) as exc:
            raise UsageError(one_line(exc)) from None
        self._bind(name, workbench)
        _display(workbench)

    # -- argument checks ----------------------------------------------------------------

    @staticmethod
    def _task_ids(raw: Sequence[str]) -> list[str]:
        text = " ".join(raw)
        if not text.strip(_ID_SEPARATORS):
            raise UsageError(
                "No task id given: %ocr_fetch <task id> [<task id> ...] (see %ocr_fetch?)."
            )
        try:
            return parse_task_ids(text)
        except OCRError as exc:
            raise UsageError(one_line(exc)) from None

    @staticmethod
    def _api(api: str) -> str:
        try:
            return resolve_api(api)
        except OCRError as exc:
            raise UsageError(one_line(exc)) from None

    @staticmethod
    def _name(name: str | None) -> str | None:
        if name is not None and (not name.isidentifier() or keyword.iskeyword(name)):
            raise UsageError(f"-o {name!r}: NAME must be a Python identifier, e.g. -o result.")
        return name

    def _timeout(self, timeout: float | None) -> float:
        if timeout is None:
            return float(self.timeout)
        if not timeout > 0:
            raise UsageError(f"--timeout must be a number of seconds > 0, got {timeout!r}.")
        return timeout

    def _bind(self, name: str | None, value: Any) -> Any:
        if name is not None and self.shell is not None:
            self.shell.user_ns[name] = value
        return value

    # -- the three ways to fetch --------------------------------------------------------

    def _blocking(
        self,
        ids: list[str],
        api: str,
        timeout: float,
        refresh: bool = False,
        original: bool = False,
    ) -> OCRResult | OCRResultCollection:
        # Deferred: %load_ext stays light; ipywidgets come with the first fetch.
        from .badge import make_badge

        def fetch(missing: list[str]) -> list[OCRResult | OCRError]:
            client = self.make_client(timeout)
            badge = make_badge(missing, mode=self._badge_mode())
            badge.show()
            with client:
                return fetch_blocking(
                    client,
                    missing,
                    api=api,
                    timeout=timeout,
                    badge=badge,
                    concurrency=self.concurrency,
                    on_event=self.on_event,
                )

        outcomes = self._through_store(ids, api, fetch, refresh, original)
        try:
            fetched = finish(ids, outcomes)
        except OCRError as exc:
            raise UsageError(one_line(exc)) from None
        return self._check_collection(fetched)

    @staticmethod
    def _check_collection(
        fetched: OCRResult | OCRResultCollection,
    ) -> OCRResult | OCRResultCollection:
        if isinstance(fetched, OCRResultCollection):
            errors = fetched.errors
            if errors and not fetched.results:
                first = next(iter(errors.values()))
                raise UsageError(f"All {len(errors)} tasks failed; first: {one_line(first)}")
            if errors:
                print(
                    f"{len(errors)} of {len(fetched.task_ids)} tasks gave no result; "
                    "see .errors on the returned collection.",
                    file=sys.stderr,
                )
        return fetched

    def _no_wait(
        self, ids: list[str], api: str, refresh: bool = False, original: bool = False
    ) -> OCRResult | OCRResultCollection:
        def fetch(missing: list[str]) -> list[OCRResult | OCRError]:
            with self.make_client() as client:
                return [client.get_result(tid, api=api) for tid in missing]

        outcomes = self._through_store(ids, api, fetch, refresh, original)
        if len(ids) == 1:
            result = outcomes[0]
            assert not isinstance(result, OCRError)
            return result
        return OCRResultCollection(outcomes, task_ids=ids)

    def _background(
        self,
        ids: list[str],
        api: str,
        timeout: float,
        name: str | None,
        refresh: bool = False,
        original: bool = False,
    ) -> FetchHandle:
        # Deferred: %load_ext stays light; ipywidgets come with the first fetch.
        from .badge import make_badge

        backing = self._store_backing(api, original)
        known = backing.answered(ids, refresh=refresh)
        if len(known) < len(ids):
            # Resolve credentials now (the prompt needs the cell still running).
            self.make_client(timeout).close()
        badge = make_badge(ids, mode=self._badge_mode())

        def on_done(handle: FetchHandle) -> None:
            line = handle.error_line()
            if line is not None:
                print(f"%ocr_fetch: {line}", file=sys.stderr)
                return
            value = handle.result()
            self._bind(name, value)
            _display(value)

        try:
            return start_fetch(
                ids,
                api=api,
                timeout=timeout,
                badge=badge,
                concurrency=self.concurrency,
                make_async_client=lambda: self.make_async_client(timeout),
                make_client=lambda: self.make_client(timeout),
                on_done=on_done,
                known=known,
                amend=backing.amend,
            )
        except OCRError as exc:
            raise UsageError(one_line(exc)) from None


def _interrupted(ids: Sequence[str]) -> str:
    shown = " ".join(ids) if len(ids) <= 3 else f"{ids[0]} … ({len(ids)} ids)"
    return f"Fetch interrupted; the task goes on on the service: run %ocr_fetch {shown} to resume."


def _new_magics(ipython: InteractiveShell) -> OCRMagics:
    try:
        return OCRMagics(ipython)
    except (TraitError, UsageError) as exc:
        # IPython merges `%config OCRMagics.x = …` into the shell's config before our
        # validators reject it, so a bad value would stop the extension from ever loading
        # again: drop the section and start from the defaults instead.
        ipython.config.pop("OCRMagics", None)
        _forget_configurables(ipython)  # the failed instance had already registered itself
        print(f"ocr_notebook: ignoring invalid %config OCRMagics settings: {exc}", file=sys.stderr)
        return OCRMagics(ipython)


def load_ipython_extension(ipython: InteractiveShell) -> None:
    """Register ``%ocr_fetch`` and ``%ocr_store`` and make ``%config OCRMagics`` work."""
    magics = _new_magics(ipython)
    ipython.register_magics(magics)
    # `%config OCRMagics.x = y` finds configurables here (as jupysql does). IPython 9's
    # Magics.__init__ already appends itself; older versions do not.
    configurables: list[Any] = ipython.configurables  # typed too narrowly by IPython
    if magics not in configurables:
        configurables.append(magics)


def unload_ipython_extension(ipython: InteractiveShell) -> None:
    """Remove ``%ocr_fetch``, ``%ocr_store`` and the ``OCRMagics`` configurable."""
    manager = ipython.magics_manager
    for name in ("ocr_fetch", "ocr_store"):
        manager.magics["line"].pop(name, None)
    manager.registry.pop("OCRMagics", None)
    _forget_configurables(ipython)


def _forget_configurables(ipython: InteractiveShell) -> None:
    ipython.configurables[:] = [c for c in ipython.configurables if not isinstance(c, OCRMagics)]
