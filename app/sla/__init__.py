"""SLA reports per contract: which calls count, the figures and their exports (pure)."""
