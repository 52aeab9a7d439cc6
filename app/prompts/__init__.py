"""What callers and engineers hear: the prompt sets per language and how placeholders are filled.

The texts are data: ``app/prompts/<code>.toml`` per shipped language; a configuration file
overrides single texts per language (``[prompts.<code>]``).
"""

from app.prompts.sets import (
    SHIPPED,
    Speech,
    allowed_placeholders,
    build_speech,
    language_code,
    language_name,
    shipped_texts,
    tag_problem,
    text_problems,
)
from app.prompts.spoken import opening_words, tier_words
from app.prompts.texts import PLACEHOLDERS, PROMPT_NAMES, Prompts, fill, placeholders_in, spoken_seconds

__all__ = [
    "PLACEHOLDERS", "PROMPT_NAMES", "SHIPPED", "Prompts", "Speech", "allowed_placeholders",
    "build_speech", "fill", "language_code", "language_name", "opening_words", "placeholders_in",
    "shipped_texts", "spoken_seconds", "tag_problem", "text_problems", "tier_words",
]
