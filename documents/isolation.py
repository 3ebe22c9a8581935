"""Parsing in warm worker processes, each with an address-space limit, and a time limit per file.

A 4 KB PDF can inflate to gigabytes or loop for minutes. Each file is parsed in a separate process
that has an RLIMIT_AS ceiling; the caller waits at most the time limit, then kills that worker and
starts a fresh one. A timeout, memory error or crash gives `needs_review` with the reason, and the
calling process stays healthy. Workers are forked from a forkserver that has already imported
pdfplumber, so a replacement is cheap, and they are reused across files.
"""
from __future__ import annotations

import atexit
import multiprocessing
import os
import queue
import threading
from multiprocessing.connection import Connection

DEFAULT_TIME_LIMIT = 20.0
DEFAULT_MEMORY_LIMIT = 1 << 30


def _review(code: str, message: str) -> dict:
    from documents.parser import result

    return result("needs_review", problems=[{"code": code, "message": message}])


def _serve(conn: Connection, memory_limit: int) -> None:
    """The worker's loop: one file in, one result out, until the pipe closes."""
    import resource

    if memory_limit:
        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    from documents.parser import parse_bytes, render_page

    while True:
        try:
            operation, data, *arguments = conn.recv()
        except (EOFError, OSError):
            return
        try:
            if operation == "render":
                answer = render_page(data, *arguments)
            else:
                answer = parse_bytes(data, *arguments)
        except MemoryError:
            answer = _review("memory_limit", f"Reading the file needed more than the {memory_limit >> 20} MB of memory "
                                             f"allowed (it inflates when opened). A person will read it.")
        except RecursionError:
            answer = _review("parser_error", "The file is built in a way the reader cannot follow. A person will "
                                             "read it.")
        except Exception as exc:  # noqa: BLE001 - any failure of a hostile file is a review, never a crash
            answer = _review("parser_error", f"The reader failed on this file ({exc.__class__.__name__}). A person "
                                             f"will read it.")
        try:
            conn.send(answer)
        except (EOFError, OSError, MemoryError):
            return


class _Worker:
    def __init__(self, context, memory_limit: int) -> None:
        self.conn, child = context.Pipe()
        self.process = context.Process(target=_serve, args=(child, memory_limit), daemon=True)
        self.process.start()
        child.close()

    def stop(self) -> None:
        try:
            self.conn.close()
        finally:
            if self.process.is_alive():
                self.process.kill()
            self.process.join(timeout=5)


class ParserPool:
    """A fixed number of warm workers shared by the threads of one process."""

    def __init__(self, size: int | None = None, time_limit: float = DEFAULT_TIME_LIMIT,
                 memory_limit: int = DEFAULT_MEMORY_LIMIT) -> None:
        self.size = size or os.cpu_count() or 1
        self.time_limit = time_limit
        self.memory_limit = memory_limit
        self._context = multiprocessing.get_context("forkserver")
        self._context.set_forkserver_preload(["documents.parser", "pdfplumber"])
        self._idle: queue.Queue[_Worker] = queue.Queue()
        self._all: list[_Worker] = []
        self._lock = threading.Lock()
        self._closed = False
        self.spawned = 0  # workers started over the pool's life (a warm pool keeps this at its size)
        self.served = 0   # files and pages handled

    def _spawn(self) -> _Worker:
        worker = _Worker(self._context, self.memory_limit)
        with self._lock:
            self._all.append(worker)
            self.spawned += 1
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.stop()
        with self._lock:
            if worker in self._all:
                self._all.remove(worker)

    def _take(self) -> _Worker:
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            pass
        with self._lock:
            room = len(self._all) < self.size
        return self._spawn() if room else self._idle.get()

    def warm(self) -> None:
        """Start every worker now rather than on first use."""
        workers = [self._take() for _ in range(self.size - len(self._all) + self._idle.qsize())]
        for worker in workers:
            self._idle.put(worker)

    def parse(self, data: bytes, filename: str | None = None, max_pages: int = 30) -> dict:
        return self._run(("parse", data, filename, max_pages))

    def render(self, data: bytes, page: int, highlight: str | None = None, resolution: int = 100) -> dict:
        """A page as PNG (`{"png": bytes}`), the highlighted line boxed; errors as `needs_review`."""
        return self._run(("render", data, page, highlight, resolution))

    def _run(self, message: tuple) -> dict:
        if self._closed:
            raise RuntimeError("the parser pool is closed")
        worker = self._take()
        try:
            worker.conn.send(message)
            if not worker.conn.poll(self.time_limit):
                self._retire(worker)
                return _review("timeout", f"Reading the file took longer than {self.time_limit:g} seconds. A person "
                                          f"will read it.")
            answer = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError):
            self._retire(worker)
            code = worker.process.exitcode
            return _review("parser_crash", f"The reader stopped on this file (exit {code}). A person will read it.")
        except BaseException:
            # Interrupted while waiting (a job timeout, a signal): the worker may still be busy with
            # this file, so it must never answer the next caller. Replace it.
            self._retire(worker)
            raise
        finally:
            with self._lock:
                self.served += 1
        self._idle.put(worker)
        return answer

    def close(self) -> None:
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.stop()


_pool: ParserPool | None = None
_pool_lock = threading.Lock()


def pool(size: int | None = None, time_limit: float = DEFAULT_TIME_LIMIT,
         memory_limit: int = DEFAULT_MEMORY_LIMIT) -> ParserPool:
    """This process's pool (created on first use, with these limits)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool._closed or (_pool.time_limit, _pool.memory_limit) != (time_limit, memory_limit):
            if _pool is not None:
                _pool.close()
            _pool = ParserPool(size, time_limit, memory_limit)
        return _pool


@atexit.register
def _close() -> None:
    if _pool is not None:
        _pool.close()
