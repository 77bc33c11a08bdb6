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

``LoopService`` is the same for a caller on an asyncio event loop (the crawl's reactor): each
process has a call pipe and a reply pipe of its own, which the loop writes and reads itself, so
no helper thread runs in the caller at all.

Each process builds its object with ``factory()`` and answers ``(call_id, method, args)`` calls:
one by one, or, if the object has ``handle_batch``, in batches of whatever is queued (the writer
commits a batch in one transaction). Processes are spawned (nothing of the reactor's threads or
sockets leaks into them) and exit within a second when the process that started them dies.
"""

from __future__ import annotations

import asyncio
import ctypes
import itertools
import logging
import multiprocessing
import os
import queue
import selectors
import struct
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import Future
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from logging.handlers import QueueHandler
from multiprocessing.reduction import ForkingPickler
from typing import Any

from .gc_tuning import CollectionClock

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
    """Writers in the service processes (all of ``ProcessService``'s, or one ``LoopService``
    process), one reader in the caller (a reader thread, or the event loop).

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


class CallPipe:
    """The reading end of one process's call pipe, with the ``get``/``get_nowait`` of a queue.

    ``LoopService`` writes each call as one message in ``Connection``'s framing."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection

    def get(self) -> Any:
        return ForkingPickler.loads(self._connection.recv_bytes())

    def get_nowait(self) -> Any:
        if not self._connection.poll(0):
            raise queue.Empty
        return self.get()


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


def settle(future: Future[Any] | asyncio.Future[Any], ok: bool, value: Any) -> None:
    """Answer a call's future from its reply: the value, or the service's traceback text."""
    if ok:
        future.set_result(value)
    else:
        future.set_exception(ServiceError(value))


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
    clock = CollectionClock()  # what the garbage collector cost this process, logged at the end
    clock.watch()
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
        logger.info("%s process %d: collector runs %s", name, os.getpid(), clock.summary())
        results.put(None)


class _Service:
    """What both services share: ``processes`` spawned copies of ``factory()``'s object, each
    answering calls in batches of up to ``batch_size``; ``_start`` wires them up."""

    def __init__(
        self,
        factory: Callable[[], Any],
        processes: int = 1,
        batch_size: int = 1,
        name: str = "service",
    ) -> None:
        self.name = name
        self._factory, self._batch_size = factory, batch_size
        self._context = multiprocessing.get_context("spawn")
        self._ids = itertools.count()
        self._closed = False
        self._start(processes)

    def _start(self, processes: int) -> None:
        raise NotImplementedError

    def _process(self, n: int, calls: Any, replies: ReplyPipe) -> Any:
        """The n-th process (not started): reads ``calls``, writes ``replies``."""
        return self._context.Process(
            target=serve,
            args=(self._factory, calls, replies, os.getpid(), self._batch_size, self.name),
            name=f"{self.name}-{n}",
            daemon=True,
        )


class ProcessService(_Service):
    """``processes`` copies of ``factory()``'s object; ``call`` returns a future."""

    def _start(self, processes: int) -> None:
        self._calls = self._context.Queue()
        self._results = ReplyPipe(self._context)
        self._processes = [self._process(n, self._calls, self._results) for n in range(processes)]
        self._pending: dict[int, Future[Any]] = {}
        self._lock = threading.Lock()
        self._died = False
        for process in self._processes:
            process.start()
        self._reader = threading.Thread(target=self._read, name=f"{self.name}-results", daemon=True)
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
            settle(future, ok, value)
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


def frame(obj: Any) -> list[bytes | memoryview]:
    """``obj`` pickled as one message in ``multiprocessing.Connection``'s framing."""
    data = ForkingPickler.dumps(obj)
    size = len(data)
    header = struct.pack("!i", size) if size <= 0x7FFFFFFF else struct.pack("!iQ", -1, size)
    return [header, data]


PARTIAL = object()  # what ``unframe`` returns while no whole message is buffered


def unframe(buffer: bytearray) -> Any:
    """Take the first whole message off ``buffer`` and unpickle it; ``PARTIAL`` if the buffer
    holds no whole message yet."""
    if len(buffer) < 4:
        return PARTIAL
    (size,) = struct.unpack_from("!i", buffer)
    start = 4
    if size == -1:
        if len(buffer) < 12:
            return PARTIAL
        (size,) = struct.unpack_from("!Q", buffer, 4)
        start = 12
    if len(buffer) < start + size:
        return PARTIAL
    # without a copy; the views are released before the buffer shrinks
    with memoryview(buffer) as view, view[start : start + size] as payload:
        obj = ForkingPickler.loads(payload)
    del buffer[: start + size]
    return obj


@dataclass(eq=False)
class _Child:
    """One process of a ``LoopService``: its pipes, what it owes, and what is not sent yet."""

    process: Any
    call_fd: int  # our end of its call pipe (non-blocking)
    reply_fd: int  # our end of its reply pipe (non-blocking)
    replies: ReplyPipe  # kept: the child shares its lock, which must outlive the child's start
    pending: dict[int, asyncio.Future[Any]] = field(default_factory=dict)
    unsent: bytearray = field(default_factory=bytearray)
    received: bytearray = field(default_factory=bytearray)
    finished: bool = False  # it sent its last message (None)
    ended: bool = False  # its reply pipe reached end of file


class LoopService(_Service):
    """``ProcessService``'s interface for a caller on an asyncio event loop.

    ``call`` must run on the loop's thread and returns an ``asyncio.Future``. Each call goes to
    the process that owes the fewest answers. A process that ends without saying goodbye fails
    every pending call and every later one with ``ServiceDied``, as ``ProcessService`` does.
    ``close`` runs on the loop's thread too, between or after the loop's runs: it answers what
    is queued itself, then stops the processes.
    """

    def _start(self, processes: int) -> None:
        self._children: list[_Child] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        for n in range(processes):
            call_reader, call_writer = self._context.Pipe(duplex=False)
            replies = ReplyPipe(self._context)
            process = self._process(n, CallPipe(call_reader), replies)
            process.start()
            # Only the child holds these ends now: its exit shows here as end of file.
            call_reader.close()
            replies._writer.close()
            call_fd, reply_fd = os.dup(call_writer.fileno()), os.dup(replies._reader.fileno())
            call_writer.close()
            replies._reader.close()
            os.set_blocking(call_fd, False)
            os.set_blocking(reply_fd, False)
            self._children.append(_Child(process, call_fd, reply_fd, replies))

    def call(self, method: str, *args: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        if self._closed:
            future.set_exception(ServiceDied(f"the {self.name} processes are closed"))
            return future
        if self._loop is None:  # the first call: from now on the loop reads the replies
            self._loop = loop
            for child in self._children:
                loop.add_reader(child.reply_fd, self._read, child)
        child = min(self._children, key=lambda c: len(c.pending))
        call_id = next(self._ids)
        child.pending[call_id] = future
        self._send(child, frame((call_id, method, args)))
        return future

    def _send(self, child: _Child, parts: list[bytes | memoryview]) -> None:
        if child.unsent:
            for part in parts:
                child.unsent += part
            return
        try:
            sent = os.writev(child.call_fd, parts)
        except BlockingIOError:
            sent = 0
        except OSError:  # the process is gone; its end of file fails the calls
            return
        if sent < sum(len(part) for part in parts):
            child.unsent = bytearray(b"".join(parts)[sent:])
            if self._loop is not None:
                self._loop.add_writer(child.call_fd, self._flush, child)

    def _flush(self, child: _Child) -> None:
        try:
            sent = os.write(child.call_fd, child.unsent)
        except BlockingIOError:
            return
        except OSError:
            sent = len(child.unsent)  # the process is gone; its end of file fails the calls
        del child.unsent[:sent]
        if not child.unsent and self._loop is not None:
            self._loop.remove_writer(child.call_fd)

    def _read(self, child: _Child) -> None:
        try:
            data = os.read(child.reply_fd, 1 << 20)
        except BlockingIOError:
            return
        if not data:
            child.ended = True
            if self._loop is not None:
                self._loop.remove_reader(child.reply_fd)
            if not child.finished:
                self._fail_all(child)
            return
        child.received += data
        while (message := unframe(child.received)) is not PARTIAL:
            self._handle(child, message)

    def _handle(self, child: _Child, message: Any) -> None:
        if isinstance(message, logging.LogRecord):
            logging.getLogger(message.name).handle(message)
        elif message is None:
            child.finished = True
        else:
            call_id, ok, value = message
            future = child.pending.pop(call_id, None)
            if future is not None and not future.done():  # not failed (a sibling died), cancelled
                settle(future, ok, value)

    def _fail_all(self, dead: _Child) -> None:
        self._closed = True
        dead.process.join(POLL_SECONDS)
        why = f"the {self.name} processes ended (exit {dead.process.exitcode})"
        for child in self._children:
            pending, child.pending = child.pending, {}
            for future in pending.values():
                if not future.done():
                    future.set_exception(ServiceDied(why))

    def close(self, timeout: float | None = None) -> list[int | None]:
        """Answer what is queued, stop the processes and return their exit codes.

        A process that has not finished within ``timeout`` seconds, or whose sibling died, is
        killed: nothing would read what it still sends."""
        self._closed = True
        if self._loop is not None:
            for child in self._children:
                self._loop.remove_writer(child.call_fd)
                if not child.ended:
                    self._loop.remove_reader(child.reply_fd)
            self._loop = None  # from here on, this method does the loop's reading and writing
        for child in self._children:
            if not child.ended:
                self._send(child, frame(None))
        deadline = None if timeout is None else time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            for child in self._children:
                if not child.ended:
                    selector.register(child.reply_fd, selectors.EVENT_READ, child)
            while selector.get_map():
                for child in self._children:
                    if child.unsent:
                        self._flush(child)
                wait = POLL_SECONDS
                if deadline is not None:
                    wait = min(wait, deadline - time.monotonic())
                    if wait <= 0:
                        break
                for key, _ in selector.select(wait):
                    self._read(key.data)
                    if key.data.ended:
                        selector.unregister(key.fd)
                if any(c.process.exitcode not in (None, 0) for c in self._children):
                    break  # a death: what the others still owe will not come
        for child in self._children:
            if child.ended:
                child.process.join(DEAD_GRACE_SECONDS)  # it closed its pipes and is exiting
            if child.process.is_alive():
                child.process.kill()
                child.process.join(DEAD_GRACE_SECONDS)
            if not child.finished:
                self._fail_all(child)
            if child.call_fd >= 0:
                os.close(child.call_fd)
                os.close(child.reply_fd)
                child.call_fd = child.reply_fd = -1
        return [child.process.exitcode for child in self._children]


class InlineService:
    """The same interface run in the calling process (``BROADSHEET_EXTRACT_WORKERS = 0``)."""

    def __init__(self, factory: Callable[[], Any]) -> None:
        self.name = "inline"
        self._target = factory()

    def call(self, method: str, *args: Any) -> Future[Any]:
        future: Future[Any] = Future()
        ((_, ok, value),) = answer(self._target, [(0, method, args)])
        settle(future, ok, value)
        return future

    def close(self, timeout: float | None = None) -> list[int | None]:
        return []
