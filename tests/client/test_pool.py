"""The sharded connection pools under both clients, against the emulator over loopback.

What matters to a user: one request at a time keeps using one connection (no extra TLS
handshakes against the real service), many requests in flight spread over the pools, and a
request that fails still frees its place.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from ocr_notebook import AsyncOCRClient, OCRClient, OCRResult, TransportError
from ocr_notebook.client.pool import SHARDS, ShardedAsyncTransport, ShardedTransport
from ocr_notebook.emulator import Emulator
from tests.support.credentials import TEST_CLIENT_ID, TEST_CLIENT_SECRET
from tests.support.faults import faults

# Each GET waits this long on the emulator, so requests really overlap.
STALL = 0.3


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator(client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET) as emulator:
        yield emulator


def _open(transport: ShardedTransport | ShardedAsyncTransport) -> list[int]:
    """Connections each shard's pool holds (httpx keeps its httpcore pool in ``_pool``)."""
    return [len(shard._pool.connections) for shard in transport.shards]


def _sync(emu: Emulator) -> tuple[OCRClient, ShardedTransport]:
    client = OCRClient(emu.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET)
    transport = client._http._transport
    assert isinstance(transport, ShardedTransport)
    return client, transport


def test_one_request_at_a_time_reuses_one_connection(emu: Emulator) -> None:
    tid = emu.inject_task(results=[("Text", "one by one")])
    client, transport = _sync(emu)
    with client:
        for _ in range(5):
            assert client.get_result(tid).texts == ["one by one"]
        client.get_status(tid)
        assert _open(transport) == [1] + [0] * (SHARDS - 1)  # the token request's too
        assert transport._busy.counts == [0] * SHARDS


def test_many_in_flight_spread_over_every_shard_and_are_released(emu: Emulator) -> None:
    ids = [emu.inject_task(results=[("Text", f"task {n}")]) for n in range(16)]
    client, transport = _sync(emu)
    with client, faults(emu, f"get:stall={STALL}"):
        outcomes = client.fetch_many(ids, concurrency=8)
        assert [o.texts for o in outcomes] == [[f"task {n}"] for n in range(16)]  # type: ignore[union-attr]
        opened = _open(transport)
    assert all(n >= 1 for n in opened), opened
    assert max(opened) <= 3, opened  # 8 in flight over 4 pools: about 2 each
    assert transport._busy.counts == [0] * SHARDS


def test_async_client_spreads_and_releases_too(emu: Emulator) -> None:
    ids = [emu.inject_task(results=[("Text", f"async {n}")]) for n in range(16)]

    async def scenario() -> tuple[list[int], list[int], list[list[str]]]:
        async with AsyncOCRClient(
            emu.base_url, client_id=TEST_CLIENT_ID, client_secret=TEST_CLIENT_SECRET
        ) as client:
            transport = client._http._transport
            assert isinstance(transport, ShardedAsyncTransport)
            with faults(emu, f"get:stall={STALL}"):
                outcomes = await client.fetch_many(ids, concurrency=8)
            texts = [o.texts for o in outcomes]  # type: ignore[union-attr]
            return _open(transport), list(transport._busy.counts), texts

    opened, busy, texts = asyncio.run(scenario())
    assert texts == [[f"async {n}"] for n in range(16)]
    assert all(n >= 1 for n in opened), opened
    assert busy == [0] * SHARDS


def test_a_failed_request_frees_its_place(emu: Emulator) -> None:
    tid = emu.inject_task(results=[("Text", "after the drop")])
    client, transport = _sync(emu)
    with client:
        client.get_status(tid)  # the token, outside the fault
        with faults(emu, "get:drop@1"), pytest.raises(TransportError):
            client.get_result(tid)
        assert transport._busy.counts == [0] * SHARDS
        assert client.get_result(tid).texts == ["after the drop"]
        assert transport._busy.counts == [0] * SHARDS


def test_tls_settings_reach_every_shard() -> None:
    strict = ShardedTransport()
    relaxed = ShardedAsyncTransport(verify=False)
    own = ssl.create_default_context()
    given = ShardedTransport(verify=own)
    try:
        contexts = [{id(s._pool._ssl_context) for s in t.shards} for t in (strict, relaxed, given)]
        assert all(len(c) == 1 for c in contexts)  # one context shared by the shards
        strict_context = strict.shards[0]._pool._ssl_context
        relaxed_context = relaxed.shards[0]._pool._ssl_context
        assert strict_context is not None and relaxed_context is not None
        assert strict_context.verify_mode is ssl.CERT_REQUIRED and strict_context.check_hostname
        assert relaxed_context.verify_mode is ssl.CERT_NONE
        assert given.shards[0]._pool._ssl_context is own
        assert strict.shards[0]._pool._max_connections * SHARDS >= 100
    finally:
        strict.close()
        given.close()
        asyncio.run(relaxed.aclose())


def test_a_transport_passed_in_is_used_as_is() -> None:
    mock = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    with OCRClient("http://127.0.0.1:9", token="t", transport=mock) as client:
        assert client._http._transport is mock


def test_closing_during_a_request_closes_its_connection_when_it_ends(emu: Emulator) -> None:
    # What an interrupted %ocr_fetch does: the cell's thread closes the client while a worker
    # thread's request runs. Closing the pools under it would orphan a connection it opens.
    tid = emu.inject_task(results=[("Text", "in flight")])
    client, transport = _sync(emu)
    client.get_status(tid)  # the token, outside the stall
    got: dict[str, object] = {}
    with faults(emu, f"get:stall={STALL}"):
        worker = threading.Thread(target=lambda: got.update(result=client.get_result(tid)))
        worker.start()
        for _ in range(500):
            if any(transport._busy.counts):
                break
            time.sleep(0.01)
        assert transport._busy.counts == [1] + [0] * (SHARDS - 1)
        client.close()
        assert _open(transport)[0] == 1  # in use: closed when its request ends
        worker.join(timeout=30)
    result = got["result"]
    assert isinstance(result, OCRResult) and result.texts == ["in flight"]
    assert _open(transport) == [0] * SHARDS
    with pytest.raises(RuntimeError, match="closed"):
        client.get_result(tid)  # a closed client sends nothing more
