"""A call, end to end: the webhooks' flow, parameters, signed state, routing, events, ledger."""
