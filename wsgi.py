"""gunicorn entry point: ``gunicorn wsgi:app``."""

from portal import create_app, logs

logs.configure()
app = create_app()
