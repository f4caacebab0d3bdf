"""Email templates compiled and rendered in a sandbox.

A template sees only the context it is given: no request, no settings, no
template files (`include` and `extends` find nothing), no tag libraries to
`load`, and no `debug` tag (it would print the process's modules). Subject
and text render without HTML escaping, the HTML part with it, as Django's
own engine does for `.txt` and `.html` files.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.template import (
    Context,
    Engine,
    Template,
    TemplateDoesNotExist,
    TemplateSyntaxError,
)
from django.template.defaulttags import register as default_tags
from django.template.library import Library

from emails.errors import InvalidEmailTemplate

PARTS = ("subject", "html", "text")


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str


@cache
def engine(autoescape: bool) -> Engine:
    sandboxed = Engine(loaders=[], libraries={}, autoescape=autoescape)
    tags = Library()
    tags.tags = {k: v for k, v in default_tags.tags.items() if k != "debug"}
    tags.filters = dict(default_tags.filters)
    sandboxed.template_builtins = [
        tags if library is default_tags else library
        for library in sandboxed.template_builtins
    ]
    return sandboxed


def _invalid(name: str, part: str, error: Exception) -> InvalidEmailTemplate:
    if isinstance(error, TemplateDoesNotExist):
        cause = f"'{error}' cannot be included or extended: an email template sees no template files"
    else:
        cause = str(error).strip()
    return InvalidEmailTemplate(name, part, cause)


def compile_part(name: str, part: str, source: str) -> Template:
    try:
        return engine(part == "html").from_string(source)
    except (TemplateSyntaxError, TemplateDoesNotExist) as error:
        raise _invalid(name, part, error) from None


def validate_template(name: str, subject: str, html: str, text: str) -> None:
    """Raise `InvalidEmailTemplate` if a part does not compile."""
    for part, source in zip(PARTS, (subject, html, text)):
        compile_part(name, part, source)


def render_template(
    name: str, subject: str, html: str, text: str, context: dict[str, Any]
) -> RenderedEmail:
    rendered = {}
    for part, source in zip(PARTS, (subject, html, text)):
        template = compile_part(name, part, source)
        try:
            rendered[part] = template.render(
                Context(context, autoescape=part == "html")
            )
        except (TemplateSyntaxError, TemplateDoesNotExist) as error:
            raise _invalid(name, part, error) from None
    # One line: a newline in a subject would start a new mail header.
    subject = " ".join(rendered["subject"].split())
    if not subject:
        raise InvalidEmailTemplate(name, "subject", "it renders to nothing")
    return RenderedEmail(subject, rendered["text"], rendered["html"])
