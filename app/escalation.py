"""The escalation chain: who is rung, in which order, for a call starting at a given instant."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple

from app.schedule import (
    OverrideIndex,
    Rotation,
    next_change,
    next_in_rotation,
    on_call,
    on_call_with_overrides,
)
from app.schedule.changes import HORIZON

OnCall = Callable[[Rotation, datetime], str | None]


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    phone: str
    email: str | None = None
    language: str | None = None  # the screening prompt's; None: the hotline's


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
    passes: int = 1  # how often the chain is run through before the voicemail
    max_wait_seconds: int | None = None  # the caller's whole wait for an engineer, at most
    caller_id: Literal["hotline", "customer"] = "hotline"  # what the engineer's phone shows


@dataclass(frozen=True)
class ChainStep:
    person: str
    role: Literal["on-call", "backup", "cio"]


@dataclass(frozen=True)
class ChainPlan:
    steps: tuple[ChainStep, ...]
    skipped: tuple[str, ...] = ()
    people: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "people", tuple(step.person for step in self.steps))


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


ChainFor = Callable[[Policy, Mapping[str, Rotation], datetime], ChainPlan]


class _Kept(NamedTuple):
    policy: Policy
    rotations: Mapping[str, Rotation]
    overrides: OverrideIndex
    since: datetime
    until: datetime
    plan: ChainPlan


class SteadyChains:
    """Chain plans kept until the next instant at which one can change.

    A plan depends on the time only through its rotations' handoffs, coverage windows and
    overrides (see :func:`app.schedule.next_change`); until the first of those, every call on
    the policy gets the plan worked out for the first one. A new configuration or a new set of
    overrides is a new object, and a plan is kept only for the very objects it came from.
    """

    def __init__(self) -> None:
        self._kept: dict[str, _Kept] = {}

    def plan(self, policy: Policy, rotations: Mapping[str, Rotation], overrides: OverrideIndex,
             at: datetime) -> ChainPlan:
        kept = self._kept.get(policy.id)
        if (kept is not None and kept.policy is policy and kept.rotations is rotations
                and kept.overrides is overrides and kept.since <= at < kept.until):
            return kept.plan
        plan = build_chain(policy, rotations, at,
                           lambda rotation, when: on_call_with_overrides(rotation, overrides, when))
        until = min((next_change(rotation, overrides, at) for rotation in _rotations_of(policy, rotations)),
                    default=at + HORIZON)
        self._kept[policy.id] = _Kept(policy, rotations, overrides, at, until, plan)
        return plan


def _rotations_of(policy: Policy, rotations: Mapping[str, Rotation]) -> list[Rotation]:
    """The rotations a plan of ``policy`` reads: its own and those of its rotation backups."""
    ids = [policy.rotation, *(ref.target for ref in policy.backups if ref.kind == "rotation")]
    return [rotations[rid] for rid in ids if rid in rotations]


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
