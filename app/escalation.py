"""The escalation chain: who is rung, in which order, for a call starting at a given instant."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from app.schedule import Rotation, next_in_rotation, on_call

OnCall = Callable[[Rotation, datetime], str | None]


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    phone: str
    email: str | None = None


@dataclass(frozen=True)
class BackupRef:
    """One backup step of a policy: the next person in the rotation, a named person, or a rotation."""

    kind: Literal["next", "person", "rotation"]
    target: str = ""

    def describe(self) -> str:
        return "next in rotation" if self.kind == "next" else f"{self.kind} {self.target}"


@dataclass(frozen=True)
class Policy:
    id: str
    rotation: str
    backups: tuple[BackupRef, ...] = ()
    cio: str | None = None
    ring_seconds: int = 20


@dataclass(frozen=True)
class ChainStep:
    person: str
    role: Literal["on-call", "backup", "cio"]


@dataclass(frozen=True)
class ChainPlan:
    steps: tuple[ChainStep, ...]
    skipped: tuple[str, ...] = ()

    @property
    def people(self) -> tuple[str, ...]:
        return tuple(step.person for step in self.steps)


def build_chain(
    policy: Policy,
    rotations: Mapping[str, Rotation],
    at: datetime,
    who: OnCall = on_call,
) -> ChainPlan:
    """Resolve ``policy`` at ``at``: on-call person, backups, CIO; nobody twice, gaps recorded."""
    primary = rotations.get(policy.rotation)
    candidates: list[tuple[str | None, str, str]] = [
        (who(primary, at) if primary else None, "on-call", f"rotation {policy.rotation}")
    ]
    for ref in policy.backups:
        candidates.append((_resolve_backup(ref, primary, rotations, at, who), "backup", ref.describe()))
    if policy.cio:
        candidates.append((policy.cio, "cio", "cio"))
    steps: list[ChainStep] = []
    skipped: list[str] = []
    for person, role, label in candidates:
        if person is None:
            skipped.append(f"{label}: nobody on call")
        elif any(step.person == person for step in steps):
            skipped.append(f"{label}: {person} already in the chain")
        else:
            steps.append(ChainStep(person, role))  # type: ignore[arg-type]
    return ChainPlan(tuple(steps), tuple(skipped))


def _resolve_backup(
    ref: BackupRef,
    primary: Rotation | None,
    rotations: Mapping[str, Rotation],
    at: datetime,
    who: OnCall,
) -> str | None:
    if ref.kind == "person":
        return ref.target
    if ref.kind == "next":
        return next_in_rotation(primary, at) if primary else None
    rotation = rotations.get(ref.target)
    return who(rotation, at) if rotation else None
