"""``hotline worker-alive``: the health check of a worker's container (or host)."""

from __future__ import annotations

import os
import socket

import click
from redis import Redis
from redis.exceptions import RedisError
from rq import Worker


@click.command("worker-alive")
@click.option("--host", default=socket.gethostname, show_default="this host's name",
              help="The host whose worker must be registered.")
def worker_alive_command(host: str) -> None:
    """Exit 0 if a worker of this host is registered in Redis (REDIS_URL), else 1.

    A worker renews its registration every few seconds and it lapses 45 s after the last
    renewal (WORKER_TTL in app/cli/worker.py): a registration means a live worker that reaches
    Redis.
    """
    url = os.environ.get("REDIS_URL")
    if not url:
        raise click.UsageError("REDIS_URL is not set")
    connection = Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        workers = [w.name for w in Worker.all(connection=connection) if w.hostname == host]
    except (OSError, RedisError) as error:
        click.echo(f"Redis unreachable: {error}", err=True)
        raise SystemExit(1) from None
    finally:
        connection.close()
    if not workers:
        click.echo(f"no worker of {host} is registered", err=True)
        raise SystemExit(1)
    click.echo(f"{len(workers)} worker(s) of {host}: {', '.join(sorted(workers))}")
