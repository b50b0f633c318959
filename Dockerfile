# Production image: the same image runs every role.
#   docker build -t portal .
#   docker run … portal portal migrate      # one-off, before the others (safe to repeat)
#   docker run -e DATABASE_URL=… -e SECRET_KEY=… -e ENCRYPTION_KEY=… -p 8000:8000 portal
#   docker run … portal portal worker       # any number
#   docker run … portal portal scheduler    # one per cluster (a second one waits as stand-by)
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
      fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORTAL_ENV=production \
    INSTANCE_PATH=/var/lib/portal PORT=8000 LOG_FORMAT=json

WORKDIR /app
COPY pyproject.toml ./
COPY portal ./portal
RUN pip install --no-cache-dir -e . \
 && pybabel compile -d portal/translations
COPY templates ./templates
COPY static ./static
COPY migrations ./migrations
COPY wsgi.py ./

RUN useradd --system --uid 10001 --home-dir /var/lib/portal --create-home portal
USER portal

EXPOSE 8000
# Serve the web app. Migrations are a one-off step (`portal migrate`, the compose file's
# `migrate` service); MIGRATE_ON_START=1 applies them here first (it is locked, so several
# containers starting at once wait for one another).
CMD ["sh", "-c", "if [ \"${MIGRATE_ON_START:-0}\" = 1 ]; then portal migrate || exit 1; fi; exec portal web --port ${PORT} --web-workers ${WEB_CONCURRENCY:-4}"]
