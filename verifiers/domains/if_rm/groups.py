"""Holding the samples of one prompt until the group is complete or a deadline passes.

OpenRLHF sends the G rollouts of a prompt as G separate requests with no group id, yet the IF + RM
reward normalises over all G. Each sample joins the open group of its key (a `group_id`, or the
prompt text); everyone in it is released together when `expected` members have joined or
`deadline_s` after the first one joined, whichever comes first. A released group is closed: the
next sample with the same key opens a new one (the same prompt in a later step).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Group(Generic[T]):
    """What a member sees when its group is released: every member that joined, in join order."""

    members: tuple[T, ...]
    expected: int

    @property
    def complete(self) -> bool:
        return len(self.members) >= self.expected


@dataclass(slots=True)
class _Open(Generic[T]):
    expected: int
    released: asyncio.Future[None]
    members: list[T] = field(default_factory=list)
    timer: asyncio.TimerHandle | None = None


class GroupHolder(Generic[T]):
    def __init__(self, deadline_s: float) -> None:
        self.deadline_s = deadline_s
        self._open: dict[str, _Open[T]] = {}

    @property
    def open_groups(self) -> int:
        return len(self._open)

    async def join(self, key: str, expected: int, member: T) -> tuple[Group[T], int]:
        """Wait for the group of `key` to be released; return it and this member's index in it.

        `expected` is taken from the member that opens the group.
        """
        group = self._open.get(key)
        if group is None:
            loop = asyncio.get_running_loop()
            group = _Open(expected, loop.create_future())
            group.timer = loop.call_later(self.deadline_s, self._release, key, group)
            self._open[key] = group
        index = len(group.members)
        group.members.append(member)
        if len(group.members) >= group.expected:
            self._release(key, group)
        await asyncio.shield(group.released)  # a member that gives up must not release the others
        return Group(tuple(group.members), group.expected), index

    def _release(self, key: str, group: _Open[T]) -> None:
        if group.timer is not None:
            group.timer.cancel()
        if self._open.get(key) is group:
            del self._open[key]
        if not group.released.done():
            group.released.set_result(None)
