"""The call log's vocabulary: typed events and what they mean for a call."""
