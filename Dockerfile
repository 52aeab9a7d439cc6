# The hotline image: the same image runs the web tier (default command), the log worker
# (`hotline worker`) and the migrations (`hotline migrate`); see docker-compose.yml.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORT=5000 \
    HOTLINE_VAR_DIR=/srv/hotline/var

WORKDIR /srv/hotline

# The dependencies exactly as locked, each checked against its hash (scripts/lock writes the
# file): the app and PostgreSQL's driver, no test tools, no bundled Redis. Their own layer, so a
# change to the code alone does not install them again.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock

COPY . .
RUN pip install --no-deps -e . \
 && useradd --system --uid 10001 --home-dir /srv/hotline --no-create-home hotline \
 && mkdir -p var \
 && chown hotline:hotline var

USER hotline
EXPOSE 5000
CMD ["gunicorn", "-c", "app/gunicorn_conf.py", "app.wsgi:application"]
