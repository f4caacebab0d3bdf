"""Seed the template of the mail that says a webhook endpoint was switched off."""

from django.db import migrations

NAME = "webhooks/endpoint_disabled"
SUBJECT = "Webhook endpoint '{{ name }}' was switched off"
TEXT = (
    "KoyaLite switched off the webhook endpoint '{{ name }}' ({{ url }}): {{ reason }}.\n"
    "\n"
    "Its undelivered events are kept. Fix the receiver, switch the endpoint on again "
    "in the Studio or the admin, and replay the failed deliveries.\n"
)


def seed(apps, schema_editor):
    EmailTemplate = apps.get_model("emails", "EmailTemplate")
    EmailTemplate.objects.update_or_create(
        name=NAME,
        defaults={
            "subject": SUBJECT,
            "html": "",
            "text": "{% autoescape off %}" + TEXT + "{% endautoescape %}",
        },
    )


def unseed(apps, schema_editor):
    apps.get_model("emails", "EmailTemplate").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("emails", "0002_auth_templates")]

    operations = [migrations.RunPython(seed, unseed)]
