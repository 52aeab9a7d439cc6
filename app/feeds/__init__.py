"""Calendar feeds of on-call shifts: tokens, windows and iCalendar documents (served by app.web.feeds)."""

from app.feeds.ical import build_calendar, local, person_calendar, rotation_calendar, shift_event
from app.feeds.tokens import feed_path, feed_token, feed_urls, token_matches
from app.feeds.window import feed_window, parse_bound, whole_shifts

__all__ = [
    "build_calendar", "feed_path", "feed_token", "feed_urls", "feed_window", "local",
    "parse_bound", "person_calendar", "rotation_calendar", "shift_event",
    "token_matches", "whole_shifts",
]
