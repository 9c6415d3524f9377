"""Fault plans: which requests the emulator answers badly, and how (see ``_fault_middleware``).

A :class:`FaultPlan` is a list of :class:`FaultRule` objects and a seed. For every request the
first rule that matches it (method, operation) and fires (every request, the Nth ones, or
a seeded fraction) decides how the answer goes wrong:

============== ==================================================================
fault          what the client sees
============== ==================================================================
``429``        429 Too Many Requests with ``Retry-After`` (``=SECONDS``, default 1)
``500``...     that HTTP status (any 4xx/5xx; 503 also carries ``Retry-After``)
drop           the connection is closed without a response
stall          nothing for ``=SECONDS`` (default 5), then the normal answer
truncate       ``Content-Length`` larger than the bytes sent, then the connection closes
cut-json       a complete HTTP answer whose JSON body is cut in half
not-json       200 with an HTML page instead of JSON
missing-fields the OCRResponse without ``taskStatus``, ``responseStatusCode``, ``results``
unknown-status ``taskStatus`` set to a value the API does not define
unknown-code   ``responseStatusCode`` set to a value the API does not define
bad-base64     every ``results[].data`` replaced by text that is not Base64
wrong-type     the normal body with ``Content-Type: text/html``
expired-token  401 ``invalid_token`` for the bearer token presented, which stays refused
============== ==================================================================

Which requests fire is deterministic given the seed: a fraction rule hashes the seed, the
rule, the request (method, path, query) and how many times that same request was seen
before, so concurrent clients get the same faults whatever order their requests arrive in.

The same plan written as a spec (the CLI's ``--faults``)::

    get:429=0.1@0.05,get:502@0.02,get:drop@0.01,seed=7
    token:503@1,get/RecognizeRegions:stall=2@2-3

``ITEM[,ITEM...]``; an item is ``seed=N`` or ``[TARGET:]FAULT[=ARG][@WHEN]``. TARGET is a
method (``get``, ``post``, ``delete``), optionally ``/OPERATION`` (``get/RecognizeRegions``,
``get/GetTaskStatus``), or ``token`` for ``POST /connect/token``; omitted, every request.
WHEN is a fraction with a decimal point (``0.05``), a 1-based request number (``3``) or
range (``2-4``) among the requests the target matches, or ``*`` (the default): all of them.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, deque
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

__all__ = ["FAULTS", "OCR_BODY_FAULTS", "FaultPlan", "FaultRule", "Served"]

#: Fault names other than HTTP status codes.
FAULTS: tuple[str, ...] = (
    "drop",
    "stall",
    "truncate",
    "cut-json",
    "not-json",
    "missing-fields",
    "unknown-status",
    "unknown-code",
    "bad-base64",
    "wrong-type",
    "expired-token",
)
# Faults that rewrite an OCRResponse body; they leave other answers alone (and uncounted).
OCR_BODY_FAULTS = frozenset({"missing-fields", "unknown-status", "unknown-code", "bad-base64"})
_MAX_STALL = 120.0  # seconds; a stall never outlives this, whatever the plan says
_STALL_STEP = 0.02  # how often a stall checks whether the server is stopping
_LOG_SIZE = 1000
# Distinct requests whose attempts are remembered; past this the memory starts afresh, so a
# long-running emulator stays bounded (a retried request then draws as a first attempt).
_MAX_TRACKED = 65536
_PREFIX = "/v5.0/ocr/"
_METHODS = frozenset({"GET", "POST", "DELETE", "PUT", "PATCH", "HEAD", "OPTIONS"})
_HTML = b"<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1><p>upstream hiccup</p></body></html>"


def _canonical_fault(fault: object) -> str:
    text = str(fault).strip().lower().replace("_", "-")
    if text.isdigit() and 400 <= int(text) <= 599:
        return str(int(text))
    if text in FAULTS:
        return text
    raise ValueError(
        f"Unknown fault {fault!r}: use an HTTP status 400-599 or one of {', '.join(FAULTS)}."
    )


@dataclass(frozen=True)
class FaultRule:
    """One way to misbehave, and which requests it hits.

    Args:
        fault: ``"429"``, ``"502"`` (any status 400-599), or a name from :data:`FAULTS`.
        method: Only requests with this method (``"GET"``, ...); None: any.
        operation: Only this operation (``"RecognizeRegions"``, ``"GetTaskStatus"``), or
            ``"token"`` for ``/connect/token``; case-insensitive. None: any path.
        nth: Only the Nth matching requests (1-based numbers); None: see ``rate``.
        rate: A fraction of the matching requests (seeded); None with ``nth`` None: all.
        limit: Fire at most this many times (None: no limit).
        retry_after: ``Retry-After`` seconds sent with 429 and 503.
        stall: Seconds a ``stall`` waits before answering (capped at 120).
    """

    fault: str
    method: str | None = None
    operation: str | None = None
    nth: Collection[int] | None = None
    rate: float | None = None
    limit: int | None = None
    retry_after: float = 1.0
    stall: float = 5.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "fault", _canonical_fault(self.fault))
        if self.method is not None:
            method = self.method.upper()
            if method not in _METHODS:
                raise ValueError(f"FaultRule.method {self.method!r} is not an HTTP method.")
            object.__setattr__(self, "method", method)
        if self.operation is not None:
            # "Utilities/GetTaskStatus" and "GetTaskStatus" name the same operation.
            name = self.operation.strip().strip("/").lower().rsplit("/", 1)[-1]
            object.__setattr__(self, "operation", name)
        if self.nth is not None:
            numbers = frozenset(int(n) for n in self.nth)
            if not numbers or min(numbers) < 1:
                raise ValueError("FaultRule.nth holds request numbers counted from 1.")
            object.__setattr__(self, "nth", numbers)
        if self.rate is not None and not 0.0 <= float(self.rate) <= 1.0:
            raise ValueError(f"FaultRule.rate must be a fraction in [0, 1], got {self.rate!r}.")
        if self.limit is not None and self.limit < 0:
            raise ValueError("FaultRule.limit must be >= 0.")
        if not self.retry_after >= 0:
            raise ValueError("FaultRule.retry_after must be seconds >= 0.")
        if not 0 <= self.stall <= _MAX_STALL:
            raise ValueError(f"FaultRule.stall must be seconds in [0, {_MAX_STALL:g}].")

    @property
    def status(self) -> int | None:
        """The HTTP status this rule answers with, if it is a status fault."""
        return int(self.fault) if self.fault.isdigit() else None

    def matches(self, method: str, operation: str) -> bool:
        """Whether a request (upper-case method, lower-case operation) is a target."""
        if self.method is not None and method != self.method:
            return False
        return self.operation is None or operation == self.operation


@dataclass(frozen=True)
class Served:
    """One fault served: which rule's fault, to which request."""

    fault: str
    method: str
    path: str


def _operation(path: str) -> str:
    """``recognizeregions``, ``gettaskstatus``, ``token`` or the lower-case path."""
    lowered = unquote(path).rstrip("/").lower()
    if lowered == "/connect/token":
        return "token"
    if lowered.startswith(_PREFIX):
        name = lowered[len(_PREFIX) :]
        return name.rsplit("/", 1)[-1]
    return lowered


def _fraction(seed: int, rule: int, key: bytes, attempt: int) -> float:
    digest = hashlib.blake2b(b"%d|%d|%d|" % (seed, rule, attempt) + key, digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


@dataclass
class _RuleState:
    matched: int = 0
    fired: int = 0


class FaultPlan:
    """Which requests the emulator answers badly, deterministic given ``seed``.

    Args:
        rules: The rules, tried in order for each request; the first that fires wins.
        seed: Seed of the fraction rules.

    Attributes:
        served: How many times each fault was served (``Counter``: ``served["429"]``).
        requests: How many requests the plan has seen (faulted or not).
        stalling: How many requests are being stalled right now.

    Example:
        >>> plan = FaultPlan.parse("get:429=0@0.05,get:502@0.02,seed=7")
        >>> plan = FaultPlan([FaultRule("drop", method="GET", nth={1})])
    """

    def __init__(self, rules: Iterable[FaultRule] = (), *, seed: int = 0) -> None:
        self.rules: tuple[FaultRule, ...] = tuple(rules)
        self.seed = int(seed)
        self._lock = threading.Lock()
        self._states = [_RuleState() for _ in self.rules]
        self._attempts: Counter[bytes] = Counter()
        self.served: Counter[str] = Counter()
        self.requests = 0
        self.log: deque[Served] = deque(maxlen=_LOG_SIZE)
        self._revoked: set[str] = set()
        self.stalling = 0

    @classmethod
    def parse(cls, spec: str) -> FaultPlan:
        """A plan from the spec syntax described in this module's docstring.

        Raises:
            ValueError: the spec is malformed; the message names the bad item.
        """
        rules: list[FaultRule] = []
        seed = 0
        for raw in spec.split(","):
            item = raw.strip()
            if not item:
                continue
            if item.lower().startswith("seed="):
                try:
                    seed = int(item[5:])
                except ValueError:
                    message = f"Fault spec item {item!r}: seed must be an integer."
                    raise ValueError(message) from None
                continue
            try:
                rules.append(_parse_rule(item))
            except ValueError as exc:
                raise ValueError(f"Fault spec item {item!r}: {exc}") from None
        return cls(rules, seed=seed)

    def __repr__(self) -> str:
        served = dict(self.served)
        return f"<FaultPlan rules={len(self.rules)} seed={self.seed} served={served}>"

    @property
    def total(self) -> int:
        """How many faults were served in all."""
        return sum(self.served.values())

    def reset(self) -> None:
        """Forget counts, attempts and revoked tokens (the rules stay)."""
        with self._lock:
            self._states = [_RuleState() for _ in self.rules]
            self._attempts.clear()
            self.served.clear()
            self.requests = 0
            self.log.clear()
            self._revoked.clear()

    # -- decisions --------------------------------------------------------------------------

    def choose(self, method: str, path: str, query: bytes = b"") -> FaultRule | None:
        """The rule that fires for this request, or None; counts the request."""
        method = method.upper()
        operation = _operation(path)
        key = method.encode() + b" " + path.lower().encode("utf-8", "replace") + b"?" + query
        with self._lock:
            self.requests += 1
            attempt = self._attempts[key]
            if attempt == 0 and len(self._attempts) >= _MAX_TRACKED:
                self._attempts.clear()
            self._attempts[key] = attempt + 1
            chosen: FaultRule | None = None
            for index, rule in enumerate(self.rules):
                if not rule.matches(method, operation):
                    continue
                state = self._states[index]
                # Every rule counts the requests it targets, so "the 3rd GET" means just that
                # even when an earlier rule answered the 1st.
                state.matched += 1
                if chosen is not None or (rule.limit is not None and state.fired >= rule.limit):
                    continue
                if rule.nth is not None:
                    fires = state.matched in rule.nth
                elif rule.rate is not None:
                    fires = _fraction(self.seed, index, key, attempt) < rule.rate
                else:
                    fires = True
                if fires:
                    state.fired += 1
                    chosen = rule
        return chosen

    def record(self, rule: FaultRule, method: str, path: str) -> None:
        """Count a fault as served."""
        with self._lock:
            self.served[rule.fault] += 1
            self.log.append(Served(rule.fault, method, path))

    def stall_begins(self, delta: int) -> None:
        """Count a stall starting (``+1``) or ending (``-1``) in ``stalling``."""
        with self._lock:
            self.stalling += delta

    def revoke(self, token: str) -> None:
        """Refuse ``token`` from now on (as if it expired early)."""
        with self._lock:
            self._revoked.add(token)

    def is_revoked(self, token: str) -> bool:
        """Whether ``token`` was revoked by an ``expired-token`` fault."""
        with self._lock:
            return token in self._revoked


def _parse_rule(item: str) -> FaultRule:
    target, _, rest = item.rpartition(":")
    fault_part, _, when = rest.partition("@")
    fault, _, arg = fault_part.partition("=")
    kwargs: dict[str, Any] = {}
    target = target.strip().lower()
    if target in ("", "*", "any"):
        pass
    elif target == "token":
        kwargs.update(method="POST", operation="token")
    else:
        method, _, operation = target.partition("/")
        kwargs["method"] = method.upper()
        if operation:
            kwargs["operation"] = operation
    name = _canonical_fault(fault)
    if arg:
        try:
            seconds = float(arg)
        except ValueError:
            raise ValueError(f"{arg!r} is not a number of seconds.") from None
        if name == "stall":
            kwargs["stall"] = seconds
        elif name in ("429", "503"):
            kwargs["retry_after"] = seconds
        else:
            raise ValueError(f"the fault {name} takes no =ARG.")
    when = when.strip()
    if when and when != "*":
        if "." in when:
            kwargs["rate"] = float(when)
        elif "-" in when:
            first, _, last = when.partition("-")
            kwargs["nth"] = frozenset(range(int(first), int(last) + 1))
        else:
            kwargs["nth"] = frozenset({int(when)})
    return FaultRule(name, **kwargs)
