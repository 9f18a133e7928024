"""Worker processes that can be killed in the middle of a call.

CPU-bound checks (SymPy) cannot be cancelled from a thread or by `asyncio.wait_for`, and
signal-based timeouts only work in a main thread and cannot interrupt C code. So each check runs
in a long-lived worker process; the deadline is measured by the parent from the moment the task
is handed to a worker (queue time never counts), and a worker that overruns is SIGKILLed, reaped
and replaced. A worker that dies under a task (segfault, OOM kill) gets the task retried once on a
fresh worker before the caller hears `WorkerCrashed`.

Workers are plain `python -m verifiers.worker_process` children talking over a socketpair, not
`multiprocessing` processes: multiprocessing's spawn/forkserver re-import the parent's `__main__`,
which breaks any script without a main guard. A fresh interpreter costs about half a second
(SymPy's import), so the pool keeps one spare worker warm and a replacement is instant. Arguments
and results of any size travel as `verifiers.framing` messages over asyncio streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from verifiers import framing
from verifiers.errors import TaskFailed, TaskTimeout, WorkerCrashed
from verifiers.metrics import Metrics

log = logging.getLogger(__name__)


_START_TIMEOUT_S = 120.0  # imports plus warm-up; generous for a loaded machine


@dataclass
class _Task:
    args: tuple[Any, ...]
    future: asyncio.Future[Any]


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter

    async def call(self, message: Any, timeout_s: float) -> tuple[str, Any]:
        """Send `message` and return the reply; the deadline covers both, since a large argument
        takes part of it to arrive. Raises TimeoutError, or EOFError/OSError if the worker died."""
        async with asyncio.timeout(timeout_s):
            await framing.send(self.writer, message)
            reply: tuple[str, Any] = await framing.receive(self.reader)
            return reply

    @property
    def alive(self) -> bool:
        return self.process.poll() is None and not self.writer.is_closing()

    async def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        await asyncio.to_thread(self.process.wait, 10)
        self.writer.close()
        with contextlib.suppress(OSError):
            await self.writer.wait_closed()


class KillablePool:
    """A fixed number of killable workers running `target` ("module:function")."""

    def __init__(
        self,
        name: str,
        target: str,
        *,
        workers: int,
        timeout_s: float,
        metrics: Metrics,
        init: tuple[str, tuple[Any, ...]] | None = None,
    ) -> None:
        """`init` ("module:function", args) runs once in each worker before it counts as started."""
        self.name = name
        self.target = target
        self.size = workers
        self.timeout_s = timeout_s
        self._metrics = metrics
        self._init = init
        # One queue per slot: tasks with the same affinity key (e.g. the same math reference) go to
        # the same worker, whose SymPy caches already hold that reference's expressions. An idle
        # worker steals from a busy one's tail, so affinity never leaves a core idle.
        self._queues: list[deque[_Task]] = [deque() for _ in range(workers)]
        self._wake = [asyncio.Event() for _ in range(workers)]
        self._running = [False] * workers
        self._workers: list[_Worker | None] = [None] * workers
        self._drivers: list[asyncio.Task[None]] = []
        self._busy = 0
        self._spare: asyncio.Task[_Worker] | None = None
        self.replaced = 0  # workers replaced since start, as `RunnerPool.replaced` counts runners

    # -- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> None:
        workers = await asyncio.gather(*(self._spawn() for _ in range(self.size)))
        self._workers = list(workers)
        self._spare = asyncio.create_task(self._spawn())
        self._drivers = [asyncio.create_task(self._drive(i), name=f"{self.name}-{i}") for i in range(self.size)]
        self._report()

    async def close(self) -> None:
        for d in self._drivers:
            d.cancel()
        await asyncio.gather(*self._drivers, return_exceptions=True)
        self._drivers = []
        workers = [w for w in self._workers if w is not None]
        if self._spare is not None:
            with contextlib.suppress(Exception):  # a spare that failed to start has nothing to kill
                workers.append(await self._spare)
            self._spare = None
        await asyncio.gather(*(w.kill() for w in workers), return_exceptions=True)
        self._workers = [None] * self.size
        for q in self._queues:
            while q:
                task = q.popleft()
                if not task.future.done():
                    task.future.set_exception(WorkerCrashed(f"{self.name} pool closed"))
        self._report()

    @property
    def alive(self) -> int:
        return sum(1 for w in self._workers if w is not None and w.alive)

    @property
    def queued(self) -> int:
        return sum(len(q) for q in self._queues)

    # -- work --------------------------------------------------------------------------------

    async def run(self, *args: Any, affinity: int | None = None) -> Any:
        """Run `target(*args)` in a worker; raises TaskTimeout, WorkerCrashed or TaskFailed.

        Tasks with equal `affinity` prefer the same worker; without it, the least loaded one.
        """
        if not self._drivers:
            raise WorkerCrashed(f"{self.name} pool is not running")
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        if affinity is not None:
            slot = affinity % self.size
        else:
            slot = min(range(self.size), key=lambda i: len(self._queues[i]) + self._running[i])
        self._queues[slot].append(_Task(args, fut))
        self._wake[slot].set()
        for i in range(self.size):
            if not self._running[i]:
                self._wake[i].set()  # an idle worker may steal it
        return await fut

    def _next_task(self, slot: int) -> _Task | None:
        own = self._queues[slot]
        if own:
            return own.popleft()
        victims = [i for i in range(self.size) if self._running[i] and self._queues[i]]
        if victims:
            return self._queues[max(victims, key=lambda i: len(self._queues[i]))].pop()
        return None

    async def _spawn(self) -> _Worker:
        parent, child = socket.socketpair()
        cmd = [sys.executable, "-m", "verifiers.worker_process", self.target, str(child.fileno())]

        def start() -> subprocess.Popen[bytes]:
            # Own session: a signal to the server's process group must not reach the workers.
            return subprocess.Popen(cmd, pass_fds=(child.fileno(),), start_new_session=True, stdin=subprocess.DEVNULL)

        try:
            proc = await asyncio.to_thread(start)
        except BaseException:
            parent.close()
            raise
        finally:
            child.close()
        reader, writer = await asyncio.open_unix_connection(sock=parent)
        worker = _Worker(proc, reader, writer)
        init, init_args = self._init if self._init is not None else (None, ())
        try:
            kind, _ = await worker.call((init, init_args), _START_TIMEOUT_S)
        except (TimeoutError, EOFError, OSError) as exc:
            await worker.kill()
            raise WorkerCrashed(f"{self.name}: worker did not start: {exc!r}") from exc
        if kind != "ready":
            await worker.kill()
            raise WorkerCrashed(f"{self.name}: worker sent {kind!r} instead of 'ready'")
        return worker

    async def _replace(self, slot: int, reason: str) -> _Worker:
        old = self._workers[slot]
        self._workers[slot] = None
        if old is not None:
            await old.kill()
        self._metrics.worker_restarts.labels(self.name, reason).inc()
        self.replaced += 1
        spare, self._spare = self._spare, asyncio.create_task(self._spawn())
        worker = await spare if spare is not None else await self._spawn()
        if not worker.alive:  # the spare died while waiting (killed from outside)
            await worker.kill()
            worker = await self._spawn()
        self._workers[slot] = worker
        return worker

    async def _drive(self, slot: int) -> None:
        while True:
            task = self._next_task(slot)
            if task is None:
                self._wake[slot].clear()
                await self._wake[slot].wait()
                continue
            if task.future.done():  # the caller gave up while it queued
                continue
            self._running[slot] = True
            self._busy += 1
            self._report()
            try:
                await self._execute(slot, task)
            except asyncio.CancelledError:
                if not task.future.done():
                    task.future.set_exception(WorkerCrashed(f"{self.name} pool closed"))
                raise
            except Exception as exc:  # a driver must never die
                log.exception("%s: driver %d failed", self.name, slot)
                if not task.future.done():
                    task.future.set_exception(WorkerCrashed(f"{self.name}: {exc!r}"))
            finally:
                self._running[slot] = False
                self._busy -= 1
                self._report()

    async def _execute(self, slot: int, task: _Task) -> None:
        for attempt in (1, 2):
            worker = self._workers[slot]
            if worker is None or not worker.alive:
                worker = await self._replace(slot, "dead")
            started = time.perf_counter()
            try:
                kind, value = await worker.call(task.args, self.timeout_s)
            except TimeoutError:
                elapsed = time.perf_counter() - started
                log.warning("%s: task overran %.1f s; killing worker pid %s", self.name, elapsed, worker.process.pid)
                await self._replace(slot, "timeout")
                if not task.future.done():
                    task.future.set_exception(TaskTimeout(f"no result within {self.timeout_s:g} s"))
                return
            except (EOFError, OSError) as exc:
                log.warning(
                    "%s: worker pid %s died under a task (attempt %d): %r", self.name, worker.process.pid, attempt, exc
                )
                await self._replace(slot, "crash")
                if attempt == 2 and not task.future.done():
                    task.future.set_exception(WorkerCrashed(f"worker died twice under this task: {exc!r}"))
                continue
            if not task.future.done():
                if kind == "ok":
                    task.future.set_result(value)
                else:
                    task.future.set_exception(TaskFailed(value))
            return

    def _report(self) -> None:
        g = self._metrics.pool_workers
        g.labels(self.name, "busy").set(self._busy)
        g.labels(self.name, "idle").set(max(0, self.alive - self._busy))
        g.labels(self.name, "queued").set(self.queued)
