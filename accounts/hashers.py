"""Password hashing parameters (chosen and measured in koyalite/settings.py)."""

from django.contrib.auth.hashers import Argon2PasswordHasher, BCryptPasswordHasher


class Argon2idPasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's minimum cost: 19 MiB, 2 passes, 1 lane.

    Django's defaults (100 MiB, 8 lanes) cost ~150 ms of CPU per sign-in on a
    2-core machine, which would make sign-in the easiest way to exhaust it.
    """

    time_cost = 2
    memory_cost = 19456
    parallelism = 1


class GoTrueBCryptPasswordHasher(BCryptPasswordHasher):
    """Verify bcrypt hashes imported from Supabase as Go's bcrypt does.

    bcrypt reads only the first 72 bytes of a password; Go ignores the rest,
    while the Python `bcrypt` package raises on longer input, which would turn
    a sign-in attempt with a long password into a server error.
    """

    algorithm = "bcrypt"

    def encode(self, password, salt):
        return super().encode(password.encode()[:72].decode(errors="ignore"), salt)
