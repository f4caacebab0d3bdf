"""structlog configuration: JSON lines on stdout, configured once.

Nothing here may ever log `apikey`, `Authorization`, cookies, passwords, bodies
or parameter values; events carry names, ids, sizes and timings only.
"""

from __future__ import annotations

import logging
import sys
import time

import orjson
import structlog
from django.conf import settings

_configured = False


# The formatted second of the last line: (whole seconds, text).
_last_second: tuple[int, str] = (-1, "")


def _timestamp(logger, method_name, event_dict):
    # structlog's ISO TimeStamper costs more than the rest of a log line here;
    # one line per request makes that worth a few lines of code, and lines
    # within one second share its formatted date and time.
    global _last_second
    now = time.time()
    whole = int(now)
    second, text = _last_second
    if second != whole:
        text = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        _last_second = (whole, text)
    event_dict["timestamp"] = f"{text}.{int((now - whole) * 1_000_000):06d}Z"
    return event_dict


def configure() -> None:
    global _configured
    if _configured:
        return
    _configured = True
    level = getattr(logging, settings.LOG_LEVEL.upper())
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        _timestamp,
    ]
    structlog.configure(
        processors=[
            *shared,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.BytesLoggerFactory(file=sys.stdout.buffer),
        cache_logger_on_first_use=True,
    )
    # Django's and the server's own loggers go through the same JSON renderer.
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
            foreign_pre_chain=[*shared, structlog.stdlib.add_logger_name],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # The request log below replaces Django's per-request lines.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    logging.getLogger("django.server").setLevel(logging.WARNING)


def get_logger(name: str):
    return structlog.get_logger(name)
