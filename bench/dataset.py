"""The benchmark's data: users and their todos, the same for every product.

Everything comes from one `random.Random(seed)`, so KoyaLite and PocketBase get
byte-identical titles, flags, priorities and ids, and two runs with the same seed
compare the same rows.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

# PocketBase's record ids are 15 characters from [a-z0-9]; KoyaLite's todos use the
# very same ids (a text primary key), so id lookups and index sizes are comparable.
ID_ALPHABET = string.ascii_lowercase + string.digits
ID_LENGTH = 15

# How many of each user's rows the `get` and `update` scenarios rotate over: enough
# that the rows are not all in one cached page, few enough for a small wrk script.
SAMPLE_IDS_PER_USER = 1000

_WORDS = (
    "buy milk call mom fix bike water plants book flights pay rent walk dog "
    "write report clean desk read paper plan trip cook dinner update docs "
    "review code answer mail renew passport backup laptop sort photos"
).split()


@dataclass(frozen=True, slots=True)
class Todo:
    id: str
    title: str
    done: bool
    priority: int


@dataclass(frozen=True, slots=True)
class User:
    email: str
    password: str
    todos: tuple[Todo, ...]
    get_ids: tuple[str, ...]
    update_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Dataset:
    seed: int
    rows_per_user: int
    users: tuple[User, ...]

    @property
    def total_rows(self) -> int:
        return self.rows_per_user * len(self.users)


def new_id(rng: random.Random) -> str:
    return "".join(rng.choices(ID_ALPHABET, k=ID_LENGTH))


def build(seed: int, users: int, rows_per_user: int) -> Dataset:
    """Return the deterministic dataset for these sizes."""
    rng = random.Random(seed)
    seen: set[str] = set()
    built: list[User] = []
    for user_index in range(users):
        todos: list[Todo] = []
        for row in range(rows_per_user):
            todo_id = new_id(rng)
            while (
                todo_id in seen
            ):  # 36**15 makes this a formality, but ids must be unique
                todo_id = new_id(rng)
            seen.add(todo_id)
            title = " ".join(rng.choices(_WORDS, k=3)) + f" #{row}"
            # Ten priorities on 10,000 rows: many ties, so the `id` tie-breaker in the
            # sort matters and both products must really use the composite index.
            todos.append(Todo(todo_id, title, rng.random() < 0.3, rng.randrange(10)))
        sample = min(SAMPLE_IDS_PER_USER, rows_per_user)
        ids = [todo.id for todo in todos]
        built.append(
            User(
                email=f"bench-user-{user_index}@example.com",
                password=f"bench-password-{user_index}",
                todos=tuple(todos),
                get_ids=tuple(rng.sample(ids, sample)),
                update_ids=tuple(rng.sample(ids, sample)),
            )
        )
    return Dataset(seed=seed, rows_per_user=rows_per_user, users=tuple(built))
