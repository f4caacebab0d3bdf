"""Move operators out of the app's user table.

Before operators had their own table, they were `auth_users` rows with
`is_staff`: listed by `/auth/v1/admin/users` and able to sign in to the app.
Each becomes an operator with the same address and password hash, and its
app-user row is deleted (its sessions, identities and factors with it). A row
that user tables still reference cannot be deleted; it stays an app user with
a password nobody knows, so the operator's password no longer opens the app.
"""

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, migrations, transaction
from django.db.models import Q
from django.utils import timezone


def move_staff_users(apps, schema_editor):
    Operator = apps.get_model("studio", "Operator")
    User = apps.get_model("accounts", "User")
    staff = User.objects.filter(Q(is_staff=True) | Q(is_superuser=True))
    for user in staff.exclude(email=None):
        if Operator.objects.filter(email__iexact=user.email).exists():
            continue
        Operator.objects.create(
            email=user.email,
            password=user.password,
            last_login=user.last_login,
            date_joined=user.created_at or timezone.now(),
            is_active=user.is_active,
        )
        try:
            with transaction.atomic():
                User.objects.filter(pk=user.pk).delete()
        except IntegrityError:
            User.objects.filter(pk=user.pk).update(password=make_password(None))


class Migration(migrations.Migration):
    dependencies = [
        ("studio", "0001_initial"),
        ("accounts", "0004_session_last_refresh_from_tokens"),
    ]

    operations = [migrations.RunPython(move_staff_users, migrations.RunPython.noop)]
