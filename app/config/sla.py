"""Answer targets: per tier under ``[sla."24/7"]`` / ``[sla.business-hours]``, per contract in
``contracts.<id>.sla``; each key left out comes from the next level, then the tier's default."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field

from app.contracts import DEFAULT_TARGETS, AnswerTarget, Counted, Tier

TierName = Literal["24/7", "business-hours"]


class SlaSection(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    answer_seconds: int | None = Field(default=None, ge=1, le=3600)
    answer_percent: float | None = Field(default=None, gt=0, le=100)
    counts: Literal["all", "in-hours"] | None = None


def answer_target(tier: Tier, per_tier: Mapping[TierName, SlaSection],
                  own: SlaSection | None) -> AnswerTarget:
    """The contract's target: its own keys over its tier's over the built-in default."""
    target = DEFAULT_TARGETS[tier]
    for section in (per_tier.get(cast(TierName, tier.value)), own):
        if section is None:
            continue
        target = AnswerTarget(
            section.answer_seconds or target.seconds,
            section.answer_percent or target.percent,
            Counted(section.counts) if section.counts else target.counts,
        )
    return target


def check_sla(cfg: Any) -> list[tuple[str, str]]:
    """Counting in-hours calls needs business hours to count them by."""
    problems = []
    for cid, contract in cfg.contracts.items():
        target = answer_target(Tier(contract.tier), cfg.sla, contract.sla)
        if target.counts is Counted.IN_HOURS and not (
            contract.business_hours or cfg.hotline.business_hours
        ):
            key = (f"contracts.{cid}.sla.counts" if contract.sla and contract.sla.counts
                   else f'sla."{contract.tier}".counts')
            problems.append((key, "'in-hours' needs business hours: set "
                             f"contracts.{cid}.business_hours or hotline.business_hours, "
                             "or count 'all' calls"))
    return problems
