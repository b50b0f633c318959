# Production image: the same image runs the web app or the worker.
#   docker build -t portal .
#   docker run -e DATABASE_URL=… -e SECRET_KEY=… -e ENCRYPTION_KEY=… -p 8000:8000 portal
#   docker run … portal portal worker
FROM python:3.11-slim-bookworm

RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b \
      fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PORTAL_ENV=production \
    INSTANCE_PATH=/var/lib/portal PORT=8000

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
# Apply migrations, then serve. Run the worker as a second container: `portal worker`.
CMD ["sh", "-c", "portal migrate && exec gunicorn -w ${WEB_CONCURRENCY:-4} -b 0.0.0.0:${PORT} --access-logfile - wsgi:app"]
