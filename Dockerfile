# syntax=docker/dockerfile:1
#
# GuardianNest: one image for every process of the platform.
#
#   web              (default) gunicorn -c deploy/gunicorn.conf.py guardiannest.wsgi:application
#   realtime         uvicorn guardiannest.asgi:application --host 0.0.0.0 --port 8001 --proxy-headers --ws websockets ...
#   worker           celery -A guardiannest worker -Q default -c 2
#   worker-critical  celery -A guardiannest worker -Q critical -c 2 -n critical@%h
#   beat             celery -A guardiannest beat -s /tmp/celerybeat-schedule --enable-remote-control
#   migrate          python manage.py migrate --noinput
#
# compose.yaml runs them side by side. Build: `docker build -t guardiannest .`

ARG PYTHON_IMAGE=python:3.11-slim-bookworm

# --- builder: wheels for every pinned runtime dependency ------------------------------------
FROM ${PYTHON_IMAGE} AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1

# Compilers and headers, only for a dependency without a wheel for this platform.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential libffi-dev libssl-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /build
COPY requirements/base.txt requirements/base.txt
RUN --mount=type=cache,target=/root/.cache/pip \
    pip wheel --wheel-dir /wheels -r requirements/base.txt


# --- runtime: Python, the wheels and the code; no compilers -------------------------------------
FROM ${PYTHON_IMAGE} AS runtime

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    DJANGO_SETTINGS_MODULE=guardiannest.settings \
    DEBUG=false \
    VAR_DIR=/app/var

# An unprivileged user with a fixed id, so volumes and secret files can be granted to it.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /home/app --create-home --shell /usr/sbin/nologin app

WORKDIR /app

# psycopg[binary] brings its own libpq and the other wheels their own libraries,
# so the runtime needs no apt packages. The wheels are mounted, not copied: no layer keeps them.
COPY requirements/base.txt requirements/base.txt
RUN --mount=type=bind,from=builder,source=/wheels,target=/wheels \
    pip install --no-index --find-links=/wheels -r requirements/base.txt

COPY . .

# Static files are collected into the image (whitenoise serves them, hashed and
# compressed). Settings refuse to load without secrets when DEBUG is off, so this
# one command gets throwaway values inline; none of them is kept in the image.
# Then: bytecode compiled ahead (the app user cannot write it at run time), and
# writable folders for uploads and the local outbox, owned by the app user.
RUN DEBUG=false \
    SECRET_KEY=build-only-not-a-secret \
    JWT_SECRET=build-only-not-a-secret-0123456789abcdef \
    FIELD_ENCRYPTION_KEYS=build:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    BLIND_INDEX_KEY=build-only-not-a-secret \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput --verbosity 0 \
 && python -m compileall -q -j 0 /app \
 && mkdir -p /app/var/media /app/var/outbox \
 && chown -R app:app /app/var/media /app/var/outbox

USER 10001:10001

EXPOSE 8000

# Liveness of the web process. Django checks the Host header, so the probe sends
# the first ALLOWED_HOSTS entry ('.example.com' -> 'example.com', '*' -> 'localhost').
# Other processes (realtime, workers, beat) get their own check in compose.yaml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; h = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('*.') or 'localhost'; r.urlopen(r.Request('http://127.0.0.1:' + os.environ.get('HEALTHCHECK_PORT', '8000') + '/health/live', headers={'Host': h}), timeout=4)"]

CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "guardiannest.wsgi:application"]
