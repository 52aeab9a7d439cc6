"""The WSGI entry point for gunicorn: ``app.wsgi:application``."""

import gc

from app.web import create_app

application = create_app()

# Everything built so far (modules, configuration, number metadata) lives as long as the
# worker: keep it out of the collector's full passes, which would otherwise walk all of it
# (about 100 ms here) in the middle of some call's webhook.
gc.freeze()
