"""``python -m app.cli``: the ``hotline`` command without its console script."""

from app.cli import main

main()
