"""hotline: a self-hosted 24/7 support hotline.

Importing this package loads nothing: the pure domain (``app.calls``, ``app.schedule``, ...)
stays free of Flask, Redis and SQLAlchemy at run time too. The web application is built by
``app.web.create_app``; ``docs/decisions/0007-layers.md`` describes the layers.
"""
