"""pipelines.processes: calls answered by spawned processes, failures and deaths reported."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import re
import signal
import struct
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipelines.processes import (
    PARTIAL,
    InlineService,
    LoopService,
    ProcessService,
    ServiceDied,
    ServiceError,
    frame,
    unframe,
)


class Counter:
    """A stateful object: each process holds its own."""

    def __init__(self) -> None:
        self.calls = 0

    def bump(self, by: int) -> tuple[int, int]:
        self.calls += by
        return os.getpid(), self.calls

    def fail(self) -> None:
        raise ValueError("bad input")


class Batched(Counter):
    def handle_batch(self, calls):
        return [(call_id, True, len(calls)) for call_id, _, _ in calls]


def test_calls_run_in_other_processes_and_keep_their_state():
    service = ProcessService(Counter, processes=1, name="test")
    try:
        first = service.call("bump", 2).result(timeout=60)
        second = service.call("bump", 3).result(timeout=60)
    finally:
        assert service.close(timeout=30) == [0]
    assert first[0] != os.getpid()
    assert first == (first[0], 2) and second == (first[0], 5)


def test_work_spreads_over_the_processes():
    service = ProcessService(Counter, processes=2, name="test")
    try:
        pids = {service.call("bump", 1).result(timeout=60)[0] for _ in range(200)}
    finally:
        service.close(timeout=30)
    assert os.getpid() not in pids and 1 <= len(pids) <= 2


def test_a_failing_call_reports_its_traceback_and_the_service_goes_on():
    service = ProcessService(Counter, name="test")
    try:
        with pytest.raises(ServiceError, match="ValueError: bad input"):
            service.call("fail").result(timeout=60)
        assert service.call("bump", 1).result(timeout=60)[1] == 1
    finally:
        service.close(timeout=30)


def test_queued_calls_reach_handle_batch_together():
    service = ProcessService(Batched, batch_size=50, name="test")
    try:
        futures = [service.call("bump", 1) for _ in range(300)]
        sizes = [future.result(timeout=60) for future in futures]
    finally:
        service.close(timeout=30)
    assert all(1 <= size <= 50 for size in sizes)
    assert max(sizes) > 1  # 300 calls queued at once did not go one by one


def test_a_killed_process_fails_pending_and_later_calls():
    service = ProcessService(Counter, name="test")
    pid = service.call("bump", 1).result(timeout=60)[0]
    os.kill(pid, signal.SIGKILL)
    pending = service.call("bump", 1)
    with pytest.raises(ServiceDied):
        pending.result(timeout=30)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        late = service.call("bump", 1)
        if late.done():
            break
        time.sleep(0.1)
    with pytest.raises(ServiceDied):
        late.result(timeout=10)
    service.close(timeout=10)


def test_inline_service_answers_in_this_process():
    service = InlineService(Counter)
    assert service.call("bump", 4).result() == (os.getpid(), 4)
    with pytest.raises(ServiceError, match="bad input"):
        service.call("fail").result()
    assert service.close() == []


class Chatty(Counter):
    def speak(self, text: str) -> None:
        logging.getLogger("tests.chatty").warning("worker says %s", text)


def test_log_records_of_a_service_reach_the_callers_logging(caplog):
    service = ProcessService(Chatty, name="test")
    try:
        with caplog.at_level(logging.INFO):
            service.call("speak", "hello").result(timeout=60)
            with pytest.raises(ServiceError):
                service.call("fail").result(timeout=60)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and len(caplog.records) < 2:
                time.sleep(0.05)
    finally:
        service.close(timeout=30)
    messages = [(r.name, r.getMessage()) for r in caplog.records]
    assert ("tests.chatty", "worker says hello") in messages
    failure = [r for r in caplog.records if r.name == "pipelines.processes"]
    assert failure and "ValueError: bad input" in failure[0].getMessage()


# --- LoopService: the same calls from an asyncio event loop, through per-process pipes ---------


def on_loop(body):
    """Run ``body(service)`` as a coroutine with a fresh two-process ``LoopService``."""

    async def main():
        service = LoopService(Counter, processes=2, name="test")
        try:
            return await body(service)
        finally:
            service.close(timeout=30)

    return asyncio.run(asyncio.wait_for(main(), timeout=120))


def test_loop_service_calls_keep_their_state_and_spread_over_the_processes():
    async def body(service):
        # a burst goes to the process that owes the fewest answers: both get work
        burst = await asyncio.gather(*(service.call("bump", 1) for _ in range(200)))
        return burst

    burst = on_loop(body)
    pids = {pid for pid, _ in burst}
    assert len(pids) == 2 and os.getpid() not in pids
    for pid in pids:  # each process counted its own calls, one by one
        counts = sorted(count for p, count in burst if p == pid)
        assert counts == list(range(1, len(counts) + 1))


def test_loop_service_failures_report_the_traceback_and_the_service_goes_on():
    async def body(service):
        with pytest.raises(ServiceError, match="ValueError: bad input"):
            await service.call("fail")
        return await service.call("bump", 1)

    assert on_loop(body)[1] == 1


class Echo(Counter):
    def echo(self, data: bytes) -> bytes:
        return data[::-1]


def test_loop_service_carries_messages_larger_than_a_pipe_holds():
    big = bytes(range(256)) * 20_000  # 5 MB each way: many partial writes and reads

    async def main():
        service = LoopService(Echo, processes=1, name="test")
        try:
            replies = await asyncio.gather(*(service.call("echo", big[n:]) for n in range(3)))
        finally:
            codes = service.close(timeout=30)
        return replies, codes

    replies, codes = asyncio.run(asyncio.wait_for(main(), timeout=120))
    assert replies == [big[n:][::-1] for n in range(3)]
    assert codes == [0]


def test_loop_service_close_answers_what_is_queued():
    async def main():
        service = LoopService(Counter, processes=2, name="test")
        futures = [service.call("bump", 1) for _ in range(50)]
        codes = service.close(timeout=30)  # without awaiting: close reads the answers itself
        late = service.call("bump", 1)
        return futures, codes, late

    futures, codes, late = asyncio.run(asyncio.wait_for(main(), timeout=120))
    assert codes == [0, 0]
    assert all(f.done() and not f.exception() for f in futures)
    assert sum(1 for f in futures if f.result()) == 50
    with pytest.raises(ServiceDied):
        late.result()


class Sleeper(Counter):
    def nap(self, seconds: float) -> int:
        time.sleep(seconds)
        return os.getpid()


def test_loop_service_a_killed_process_fails_pending_and_later_calls():
    async def main():
        service = LoopService(Sleeper, processes=1, name="test")
        try:
            pid = (await service.call("bump", 1))[0]
            pending = service.call("nap", 60)  # cannot be answered before the kill
            os.kill(pid, signal.SIGKILL)
            with pytest.raises(ServiceDied):
                await pending
            with pytest.raises(ServiceDied):
                await service.call("bump", 1)
        finally:
            codes = service.close(timeout=30)
        return codes

    assert asyncio.run(asyncio.wait_for(main(), timeout=120)) == [-signal.SIGKILL]


def test_loop_service_batches_what_is_queued():
    async def main():
        service = LoopService(Batched, batch_size=50, name="test")
        try:
            return await asyncio.gather(*(service.call("bump", 1) for _ in range(300)))
        finally:
            service.close(timeout=30)

    sizes = asyncio.run(asyncio.wait_for(main(), timeout=120))
    assert all(1 <= size <= 50 for size in sizes) and max(sizes) > 1


def test_loop_service_log_records_reach_the_callers_logging(caplog):
    async def main():
        service = LoopService(Chatty, name="test")
        try:
            await service.call("speak", "hello")
        finally:
            service.close(timeout=30)  # reads what is still in the pipe, records included

    with caplog.at_level(logging.INFO):
        asyncio.run(asyncio.wait_for(main(), timeout=120))
    messages = [(r.name, r.getMessage()) for r in caplog.records]
    assert ("tests.chatty", "worker says hello") in messages
    # its last words: what the garbage collector cost it
    assert any(
        re.fullmatch(r"test process \d+: collector runs young \d+ in .*full \d+ in [\d.]+ s", m)
        for name, m in messages
        if name == "pipelines.processes"
    ), messages


@given(
    st.lists(st.one_of(st.none(), st.binary(max_size=300), st.text(max_size=50)), max_size=8),
    st.integers(min_value=1, max_value=64),
)
def test_frames_survive_any_chunking(messages, chunk):
    """What ``frame`` writes, ``unframe`` reads back whole, however the pipe splits it."""
    stream = b"".join(bytes(part) for message in messages for part in frame(message))
    buffer, got = bytearray(), []
    for start in range(0, len(stream), chunk):
        buffer += stream[start : start + chunk]
        while (message := unframe(buffer)) is not PARTIAL:
            got.append(message)
    assert got == messages and not buffer


def test_unframe_reads_the_long_header_and_connection_reads_our_frames():
    payload = pickle.dumps("x")  # below: Connection's header form for messages above 2 GiB
    long_form = bytearray(struct.pack("!iQ", -1, len(payload)) + payload)
    assert unframe(long_form) == "x" and not long_form
    reader, writer = multiprocessing.Pipe(duplex=False)
    try:
        os.writev(writer.fileno(), frame({"a": 1}))
        assert pickle.loads(reader.recv_bytes()) == {"a": 1}
    finally:
        reader.close()
        writer.close()
