"""Click commands of the ``hotline`` CLI that are more than a few lines."""
