"""WSGI entry point. The API is served over WSGI on purpose: under ASGI Django spools a
whole request body to a temporary file before the view runs, which defeats streaming uploads."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()
