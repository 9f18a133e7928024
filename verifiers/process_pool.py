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
(SymPy's import), so the pool keeps one spare worker warm and a replacement is instant.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from verifiers.metrics import Metrics

log = logging.getLogger(__name__)


_START_TIMEOUT_S = 120.0  # imports plus warm-up; generous for a loaded machine


class TaskTimeout(Exception):
    """The task overran its deadline; its worker was killed."""


class WorkerCrashed(Exception):
    """The worker died under the task twice (or could not be started): an infrastructure failure."""


class TaskFailed(Exception):
    """The target function raised; carries its message (a bug in the target, not a verdict)."""


@dataclass
class _Task:
    args: tuple[Any, ...]
    future: asyncio.Future[Any]


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    conn: Connection
    loop: asyncio.AbstractEventLoop
    waiter: asyncio.Future[tuple[str, Any]] | None = None
    jobs: int = 0
    dead: bool = False
    _reading: bool = field(default=False, repr=False)

    def listen(self) -> None:
        self.loop.add_reader(self.conn.fileno(), self._on_readable)
        self._reading = True

    def _on_readable(self) -> None:
        try:
            message = self.conn.recv()
        except (EOFError, OSError) as exc:
            self._stop_reading()
            self.dead = True
            if self.waiter is not None and not self.waiter.done():
                self.waiter.set_exception(EOFError(f"worker exited: {exc!r}"))
            return
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(message)

    def _stop_reading(self) -> None:
        if self._reading:
            self.loop.remove_reader(self.conn.fileno())
            self._reading = False

    async def call(self, args: tuple[Any, ...], timeout_s: float) -> tuple[str, Any]:
        self.waiter = self.loop.create_future()
        self.conn.send(args)
        return await asyncio.wait_for(self.waiter, timeout_s)

    @property
    def alive(self) -> bool:
        return not self.dead and self.process.poll() is None

    async def kill(self) -> None:
        self._stop_reading()
        self.dead = True
        if self.process.poll() is None:
            self.process.kill()
        await asyncio.to_thread(self.process.wait, 10)
        self.conn.close()


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
        memory_limit_mb: int | None = None,
        max_jobs_per_worker: int = 0,
    ) -> None:
        self.name = name
        self.target = target
        self.size = workers
        self.timeout_s = timeout_s
        self._metrics = metrics
        self._init = init
        self._memory_limit_mb = memory_limit_mb
        self._max_jobs = max_jobs_per_worker
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
            try:
                workers.append(await self._spare)
            except Exception:  # noqa: BLE001 - a spare that failed to start has nothing to kill
                pass
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
    def pids(self) -> list[int]:
        """PIDs of the serving workers (not the spare)."""
        return [w.process.pid for w in self._workers if w is not None]

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
        if self._init is not None:
            cmd += ["--init", self._init[0], *map(str, self._init[1])]
        if self._memory_limit_mb:
            cmd += ["--memory-limit-mb", str(self._memory_limit_mb)]

        def start() -> subprocess.Popen[bytes]:
            # Own session: a signal to the server's process group must not reach the workers.
            return subprocess.Popen(cmd, pass_fds=(child.fileno(),), start_new_session=True, stdin=subprocess.DEVNULL)

        try:
            proc = await asyncio.to_thread(start)
        finally:
            child.close()
        worker = _Worker(proc, Connection(os.dup(parent.fileno())), asyncio.get_running_loop())
        parent.close()
        worker.waiter = worker.loop.create_future()
        worker.listen()
        try:
            kind, _ = await asyncio.wait_for(worker.waiter, _START_TIMEOUT_S)
        except (TimeoutError, EOFError) as exc:
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
            worker.jobs += 1
            if self._max_jobs and worker.jobs >= self._max_jobs:
                await self._replace(slot, "recycle")
            return

    def _report(self) -> None:
        g = self._metrics.pool_workers
        g.labels(self.name, "busy").set(self._busy)
        g.labels(self.name, "idle").set(max(0, self.alive - self._busy))
        g.labels(self.name, "queued").set(self.queued)
