"""The RQ entry points: thin functions taking ids and primitives, composing storage, notify and alerts."""
