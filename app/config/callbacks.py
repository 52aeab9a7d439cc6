"""The ``[callbacks]`` section: when callers may ask to be called back, and where to."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CallbacksSection(BaseModel):
    """Every key has a default, so a file without the section offers callbacks with these."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    # ISO country codes a callback may go to; empty: the hotline's region and those of its
    # numbers and its contracts' numbers.
    countries: list[str] = Field(default=[], max_length=250)
    per_caller_per_hour: int = Field(default=3, ge=1, le=100)
    overall_per_hour: int = Field(default=60, ge=1, le=10000)
    # When every engineer is on another call: how long the caller waits before the chain is
    # tried again, and how often.
    retry_seconds: int = Field(default=20, ge=5, le=120)
    retries: int = Field(default=3, ge=0, le=10)
    # For 24/7 contracts: "press 1 if production is down, 2 for everything else"; 2 leads to a
    # callback request (or the voicemail with callbacks off) instead of waking the engineer.
    triage_menu: bool = False
