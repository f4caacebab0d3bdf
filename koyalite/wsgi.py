"""The WSGI application KoyaLite serves.

Granian hands a list body to its Rust side in one call, but walks any other
iterable chunk by chunk through the GIL; Django's HttpResponse is such an
iterable, and walking it cost more than the rest of a small API request. So
non-streaming responses are joined here (and closed, which is what fires
Django's `request_finished`); streaming responses pass through untouched.
"""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koyalite.settings")
django_application = get_wsgi_application()

from database import checkpoint  # noqa: E402  (needs Django set up)

checkpoint.start()


def application(environ, start_response):
    response = django_application(environ, start_response)
    if getattr(response, "streaming", True):
        return response
    try:
        return [response.content]
    finally:
        response.close()
