"""The web app (FastAPI + Jinja2 templates in templates/web)."""
