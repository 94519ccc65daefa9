# Regiozorg production image: Daphne (ASGI) + the same image for the Celery worker/beat.
# Build:  docker build -t regiozorg .
# Run:    see docker-compose.yml (needs PostgreSQL and Redis).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    PATH="/app/.venv/bin:${PATH}"

WORKDIR /app

RUN pip install --no-cache-dir "uv==0.13.8"

# Dependencies first (cached layer as long as the lock file does not change).
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-cache

# Application source. Translations are committed as compiled .mo files (no gettext here).
COPY . .

# Collect static files into /app/var/static (STATIC_ROOT) with the production storage
# (hashed + compressed by WhiteNoise). The variables below exist only for this RUN line.
RUN DEBUG=false \
    SECRET_KEY=build-only-collectstatic-key-not-used-at-runtime-0123456789abcdef \
    ACCESS_LOG_HMAC_KEY=build-only-collectstatic-key-not-used-at-runtime-0123 \
    FHIR_IDENTIFIER_SYSTEM=https://build-only.invalid/collectstatic \
    ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput

# Unprivileged runtime user: the code stays root-owned and read-only for it; only
# /app/var/media, /app/var/private (uploaded files and attachments) and
# /app/var/access-log-seals (the access log's seals, the worker's) are writable: volumes in
# docker-compose.yml, which take this owner when they are first created.
RUN groupadd --system regiozorg \
    && useradd --system --gid regiozorg --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin regiozorg \
    && mkdir -p /app/var/media /app/var/private /app/var/access-log-seals \
    && chown regiozorg:regiozorg /app/var/media /app/var/private /app/var/access-log-seals \
    && chmod 750 /app/var/access-log-seals

USER regiozorg

EXPOSE 8000

CMD ["daphne", "-b", "0.0.0.0", "-p", "8000", "regiozorg.asgi:application"]
