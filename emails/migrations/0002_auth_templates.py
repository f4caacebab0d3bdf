"""Seed the auth emails' templates, as the files of accounts/templates/accounts/email were."""

from django.db import migrations

AUTH_TEMPLATES = {
    "auth/confirmation": (
        "Confirm your sign-up",
        '<h2>Confirm your sign-up</h2>\n<p>Follow this link to confirm your email address:</p>\n<p><a href="{{ link }}">Confirm your email address</a></p>\n<p>Or enter this code: <strong>{{ code }}</strong></p>\n<p>If you did not sign up, ignore this email.</p>\n',
        "{% autoescape off %}Confirm your sign-up\n\nFollow this link to confirm your email address:\n\n{{ link }}\n\nOr enter this code: {{ code }}\n\nIf you did not sign up, ignore this email.\n{% endautoescape %}\n",
    ),
    "auth/magic_link": (
        "Your sign-in link",
        '<h2>Your sign-in link</h2>\n<p><a href="{{ link }}">Sign in</a></p>\n<p>Or enter this code: <strong>{{ code }}</strong></p>\n<p>If you did not ask to sign in, ignore this email.</p>\n',
        "{% autoescape off %}Your sign-in link\n\nFollow this link to sign in:\n\n{{ link }}\n\nOr enter this code: {{ code }}\n\nIf you did not ask to sign in, ignore this email.\n{% endautoescape %}\n",
    ),
    "auth/recovery": (
        "Reset your password",
        '<h2>Reset your password</h2>\n<p><a href="{{ link }}">Choose a new password</a></p>\n<p>Or enter this code: <strong>{{ code }}</strong></p>\n<p>If you did not ask for this, ignore this email; your password stays as it is.</p>\n',
        "{% autoescape off %}Reset your password\n\nFollow this link to choose a new password:\n\n{{ link }}\n\nOr enter this code: {{ code }}\n\nIf you did not ask for this, ignore this email; your password stays as it is.\n{% endautoescape %}\n",
    ),
    "auth/email_change_current": (
        "Confirm your email change",
        '<h2>Confirm your email change</h2>\n<p>Follow this link to confirm changing your email address to {{ new_email }}:</p>\n<p><a href="{{ link }}">Confirm the change</a></p>\n<p>Or enter this code: <strong>{{ code }}</strong></p>\n<p>If you did not ask for this, ignore this email; nothing changes until both addresses confirm.</p>\n',
        "{% autoescape off %}Confirm your email change\n\nFollow this link to confirm changing your email address to {{ new_email }}:\n\n{{ link }}\n\nOr enter this code: {{ code }}\n\nIf you did not ask for this, ignore this email; nothing changes until both addresses confirm.\n{% endautoescape %}\n",
    ),
    "auth/email_change_new": (
        "Confirm your new email address",
        '<h2>Confirm your email change</h2>\n<p>Follow this link to confirm changing your email address to {{ new_email }}:</p>\n<p><a href="{{ link }}">Confirm the change</a></p>\n<p>Or enter this code: <strong>{{ code }}</strong></p>\n<p>If you did not ask for this, ignore this email; nothing changes until both addresses confirm.</p>\n',
        "{% autoescape off %}Confirm your email change\n\nFollow this link to confirm changing your email address to {{ new_email }}:\n\n{{ link }}\n\nOr enter this code: {{ code }}\n\nIf you did not ask for this, ignore this email; nothing changes until both addresses confirm.\n{% endautoescape %}\n",
    ),
    "auth/invite": (
        "You have been invited",
        '<h2>You have been invited</h2>\n<p>You have been invited to create an account for {{ email }}.</p>\n<p><a href="{{ link }}">Accept the invite</a></p>\n<p>If you were not expecting this, ignore this email.</p>\n',
        "{% autoescape off %}You have been invited\n\nYou have been invited to create an account for {{ email }}. Follow this link to accept:\n\n{{ link }}\n\nIf you were not expecting this, ignore this email.\n{% endautoescape %}\n",
    ),
    "auth/reauthentication": (
        "Confirm it is you",
        "<h2>Confirm it is you</h2>\n<p>Enter this code to confirm the change to your account: <strong>{{ code }}</strong></p>\n<p>If you did not ask for this, change your password.</p>\n",
        "{% autoescape off %}Confirm it is you\n\nEnter this code to confirm the change to your account: {{ code }}\n\nIf you did not ask for this, change your password.\n{% endautoescape %}\n",
    ),
}


def seed(apps, schema_editor):
    EmailTemplate = apps.get_model("emails", "EmailTemplate")
    for name, (subject, html, text) in AUTH_TEMPLATES.items():
        EmailTemplate.objects.update_or_create(
            name=name, defaults={"subject": subject, "html": html, "text": text}
        )


def unseed(apps, schema_editor):
    EmailTemplate = apps.get_model("emails", "EmailTemplate")
    EmailTemplate.objects.filter(name__in=AUTH_TEMPLATES).delete()


class Migration(migrations.Migration):
    dependencies = [("emails", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
