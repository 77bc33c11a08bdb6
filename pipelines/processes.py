"""Objects that live in spawned processes, called through queues and answered with futures.

Two services use it: the extraction workers and the archive writer. Why not
``ProcessPoolExecutor``: its ``submit`` writes to a wake-up pipe that its manager thread drains,
and on a busy crawl the reactor thread spent about a sixth of its time blocked in that write,
waiting for the GIL held by other threads. ``multiprocessing.Queue.put`` only appends to a
buffer that a feeder thread sends, so a call costs the reactor almost nothing.

Replies travel the other way through a ``ReplyPipe``: a service process writes each one itself
(it has nothing else to do meanwhile), where a ``multiprocessing.Queue`` would hand it to a
feeder thread; that thread's locking and GIL hand-overs cost the extraction workers more CPU per
page than pickling the reply.

Each process builds its object with ``factory()`` and answers ``(call_id, method, args)`` calls:
one by one, or, if the object has ``handle_batch``, in batches of whatever is queued (the writer
commits a batch in one transaction). Processes are spawned (nothing of the reactor's threads or
sockets leaks into them) and exit within a second when the process that started them dies.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import multiprocessing
import os
import queue
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager, nullcontext
from logging.handlers import QueueHandler
from multiprocessing.reduction import ForkingPickler
from typing import Any

logger = logging.getLogger(__name__)

Call = tuple[int, str, tuple[Any, ...]]
Reply = tuple[int, bool, Any]  # (call id, succeeded, result or traceback text)

# How often a child checks that its parent lives, and the reader that its children do.
WATCH_SECONDS = 1.0
POLL_SECONDS = 0.5
DEAD_GRACE_SECONDS = 5.0
PR_SET_NAME = 15  # prctl option: the calling thread's name, which names the process too


class ServiceError(RuntimeError):
    """A call raised in the service process; the message carries its traceback."""


class ServiceDied(RuntimeError):
    """The service's processes ended before answering."""


class ReplyPipe:
    """Many writers (the service processes), one reader (the caller's reader thread).

    ``put`` pickles and writes in the calling thread under a lock shared by the writers, so a
    message is never interleaved with another; it blocks only while the pipe is full, and the
    reader drains it continuously. ``put_nowait`` lets a ``QueueHandler`` send log records."""

    def __init__(self, context: Any) -> None:
        self._reader, self._writer = context.Pipe(duplex=False)
        self._lock = context.Lock()

    def put(self, obj: Any) -> None:
        data = ForkingPickler.dumps(obj)
        with self._lock:
            self._writer.send_bytes(data)

    put_nowait = put

    def get(self, timeout: float) -> Any:
        """The next message; ``queue.Empty`` when none came within ``timeout`` seconds."""
        if not self._reader.poll(timeout):
            raise queue.Empty
        return ForkingPickler.loads(self._reader.recv_bytes())


def answer(
    target: object,
    calls: list[Call],
    around: Callable[[], AbstractContextManager[Any]] = nullcontext,
) -> list[Reply]:
    """Run each call on its own, inside a fresh ``around()`` context (the writer's savepoint,
    which a raising call rolls back); a call that raises answers with its traceback."""
    replies: list[Reply] = []
    for call_id, method, args in calls:
        try:
            with around():
                value = getattr(target, method)(*args)
            replies.append((call_id, True, value))
        except Exception:
            logger.exception("%s failed in %s", method, type(target).__name__)
            replies.append((call_id, False, traceback.format_exc()))
    return replies


def _watch(parent_pid: int) -> None:
    # Re-parenting, not kill(pid, 0): a killed parent stays a zombie until its own parent reaps
    # it, and that parent may be waiting for our end of the log pipe to close.
    while os.getppid() == parent_pid:
        time.sleep(WATCH_SECONDS)
    os._exit(0)  # the parent is gone: nothing will ever read our results


def start_watchdog(parent_pid: int) -> None:
    threading.Thread(target=_watch, args=(parent_pid,), daemon=True, name="parent-watch").start()


def name_process(name: str) -> None:
    """Show ``name`` for this process in ``top``, ``ps -o comm`` and /proc/<pid>/comm (Linux)."""
    try:
        libc = ctypes.CDLL(None)
        libc.prctl(PR_SET_NAME, name.encode()[:15], 0, 0, 0)
    except (OSError, AttributeError):
        pass  # not Linux: names are a convenience


def serve(
    factory: Callable[[], Any],
    calls: Any,
    results: ReplyPipe,
    parent_pid: int,
    batch_size: int,
    name: str = "",
) -> None:
    """A service process: answer calls until the sentinel (None) arrives."""
    if name:
        name_process(name)
    start_watchdog(parent_pid)
    # Log records travel with the results and are logged by the parent, so they land wherever
    # the crawl logs (its log file under cron), not on a stderr nobody reads.
    root = logging.getLogger()
    root.handlers[:] = [QueueHandler(results)]
    root.setLevel(logging.INFO)
    target = factory()
    handle = getattr(target, "handle_batch", None) or (lambda batch: answer(target, batch))
    try:
        while True:
            batch = [calls.get()]
            while batch[-1] is not None and len(batch) < batch_size:
                try:
                    batch.append(calls.get_nowait())
                except queue.Empty:
                    break
            work = [call for call in batch if call is not None]
            if work:
                for reply in handle(work):
                    results.put(reply)
            if batch[-1] is None:
                return
    finally:
        close = getattr(target, "close", None)
        if close is not None:
            close()
        results.put(None)


class ProcessService:
    """``processes`` copies of ``factory()``'s object; ``call`` returns a future."""

    def __init__(
        self,
        factory: Callable[[], Any],
        processes: int = 1,
        batch_size: int = 1,
        name: str = "service",
    ) -> None:
        context = multiprocessing.get_context("spawn")
        self.name = name
        self._calls = context.Queue()
        self._results = ReplyPipe(context)
        self._processes = [
            context.Process(
                target=serve,
                args=(factory, self._calls, self._results, os.getpid(), batch_size, name),
                name=f"{name}-{n}",
                daemon=True,
            )
            for n in range(processes)
        ]
        self._pending: dict[int, Future[Any]] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count()
        self._closed = False
        self._died = False
        for process in self._processes:
            process.start()
        self._reader = threading.Thread(target=self._read, name=f"{name}-results", daemon=True)
        self._reader.start()

    def call(self, method: str, *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        with self._lock:
            if self._closed:
                future.set_exception(ServiceDied(f"the {self.name} processes are closed"))
                return future
            call_id = next(self._ids)
            self._pending[call_id] = future
        self._calls.put((call_id, method, args))
        return future

    def _read(self) -> None:
        running = len(self._processes)
        checked = time.monotonic()
        while running:
            try:
                reply = self._results.get(timeout=POLL_SECONDS)
            except queue.Empty:
                reply = False
            if time.monotonic() - checked >= POLL_SECONDS:
                checked = time.monotonic()
                # A process that died mid-call never answers it: fail everything pending
                # rather than leave the caller waiting for good.
                if any(p.exitcode not in (None, 0) for p in self._processes) or not any(
                    p.is_alive() for p in self._processes
                ):
                    self._died = True
                    break
            if reply is False:
                continue
            if isinstance(reply, logging.LogRecord):
                logging.getLogger(reply.name).handle(reply)
                continue
            if reply is None:
                running -= 1
                continue
            call_id, ok, value = reply
            with self._lock:
                future = self._pending.pop(call_id)
            if ok:
                future.set_result(value)
            else:
                future.set_exception(ServiceError(value))
        with self._lock:
            self._closed = True
            pending, self._pending = self._pending, {}
        codes = [process.exitcode for process in self._processes]
        for future in pending.values():
            future.set_exception(ServiceDied(f"the {self.name} processes ended (exit {codes})"))

    def close(self, timeout: float | None = None) -> list[int | None]:
        """Answer what is queued, stop the processes and return their exit codes."""
        for _ in self._processes:
            self._calls.put(None)
        start = time.monotonic()
        for process in self._processes:
            dead_since: float | None = None
            while process.is_alive():
                process.join(POLL_SECONDS)
                now = time.monotonic()
                if self._died:
                    # After a death nobody reads the survivors' results, and one blocked on a
                    # full pipe would never exit: a moment's grace, then kill (its calls failed).
                    dead_since = dead_since or now
                    if now - dead_since >= DEAD_GRACE_SECONDS:
                        process.kill()
                        process.join(DEAD_GRACE_SECONDS)
                elif timeout is not None and now - start >= timeout:
                    break
        self._reader.join(timeout)
        with self._lock:
            self._closed = True
        # Calls still buffered have no reader left (a process died): do not let the interpreter
        # wait at exit for the feeder thread to push them into a full pipe.
        self._calls.cancel_join_thread()
        self._calls.close()
        return [process.exitcode for process in self._processes]


class InlineService:
    """The same interface run in the calling process (``BROADSHEET_EXTRACT_WORKERS = 0``)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.name = "inline"
        self._target = factory()

    def call(self, method: str, *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        ((_, ok, value),) = answer(self._target, [(0, method, args)])
        if ok:
            future.set_result(value)
        else:
            future.set_exception(ServiceError(value))
        return future

    def close(self, timeout: float | None = None) -> list[int | None]:
        return []
