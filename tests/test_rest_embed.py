"""Embeds over composite keys: to-one through a two-column foreign key, and
many-to-many through a junction whose primary key holds both keys, as
PostgREST detects them (SchemaCache.hs addM2MRels)."""

from __future__ import annotations

import pytest

SCHEMA = """
create table cpk_students (
  school int, number int, name text not null,
  primary key (school, number)
);
create table cpk_courses (
  code text, term int, title text not null,
  primary key (code, term)
);
create table cpk_enrolments (
  school int, number int, code text, term int, grade text,
  primary key (school, number, code, term),
  foreign key (school, number) references cpk_students (school, number),
  foreign key (code, term) references cpk_courses (code, term)
);
insert into cpk_students values (1, 1, 'Ann'), (1, 2, 'Ben'), (2, 1, 'Cat');
insert into cpk_courses values ('db', 1, 'Databases'), ('db', 2, 'Databases II'),
  ('os', 1, 'Systems');
insert into cpk_enrolments values
  (1, 1, 'db', 1, 'A'), (1, 1, 'os', 1, 'B'), (2, 1, 'db', 2, 'C');
"""


@pytest.fixture(scope="module")
def tables(live):
    live.sql(SCHEMA)
    yield
    live.sql(
        "drop table cpk_enrolments; drop table cpk_courses; drop table cpk_students;"
    )


def get(live, rest, path: str):
    response = rest.get(path, headers=live.headers(key=live.service_key))
    assert response.status_code == 200, response.text
    return response.json()


def test_many_to_many_over_composite_keys(live, rest, tables):
    rows = get(
        live,
        rest,
        "/cpk_students?select=name,cpk_courses(code,term,title)&order=school,number",
    )

    assert rows == [
        {
            "name": "Ann",
            "cpk_courses": [
                {"code": "db", "term": 1, "title": "Databases"},
                {"code": "os", "term": 1, "title": "Systems"},
            ],
        },
        {"name": "Ben", "cpk_courses": []},
        {
            "name": "Cat",
            "cpk_courses": [{"code": "db", "term": 2, "title": "Databases II"}],
        },
    ]


def test_many_to_many_hinted_by_junction_and_filtered_inner(live, rest, tables):
    rows = get(
        live,
        rest,
        "/cpk_students?select=name,cpk_courses!cpk_enrolments!inner(title)"
        "&cpk_courses.term=eq.2",
    )

    assert rows == [{"name": "Cat", "cpk_courses": [{"title": "Databases II"}]}]


def test_to_one_through_a_composite_key_both_ways(live, rest, tables):
    grades = get(
        live,
        rest,
        "/cpk_enrolments?select=grade,cpk_students(name),cpk_courses(title)&order=grade",
    )
    enrolments = get(
        live,
        rest,
        "/cpk_courses?select=title,cpk_enrolments(grade)&code=eq.db&order=term",
    )

    assert grades == [
        {
            "grade": "A",
            "cpk_students": {"name": "Ann"},
            "cpk_courses": {"title": "Databases"},
        },
        {
            "grade": "B",
            "cpk_students": {"name": "Ann"},
            "cpk_courses": {"title": "Systems"},
        },
        {
            "grade": "C",
            "cpk_students": {"name": "Cat"},
            "cpk_courses": {"title": "Databases II"},
        },
    ]
    assert enrolments == [
        {"title": "Databases", "cpk_enrolments": [{"grade": "A"}]},
        {"title": "Databases II", "cpk_enrolments": [{"grade": "C"}]},
    ]


def test_a_composite_key_column_alone_names_no_relationship(live, rest, tables):
    """findRel matches a column only for single-column keys."""
    response = rest.get(
        "/cpk_enrolments?select=grade,school(*)",
        headers=live.headers(key=live.service_key),
    )

    assert (response.status_code, response.json()["code"]) == (400, "PGRST200")
