"""pipelines.processes: calls answered by spawned processes, failures and deaths reported."""

from __future__ import annotations

import logging
import os
import signal
import time

import pytest

from pipelines.processes import InlineService, ProcessService, ServiceDied, ServiceError


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
