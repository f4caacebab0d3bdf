"""PostgREST's own read spec, case by case, against PostgREST's own fixtures.

Each case names the spec file and the `it "…"` it follows (PostgREST/postgrest,
test/spec/Feature/Query/*.hs) and expects what PostgREST answers there, on
the tables and rows of tests/fixtures/postgrest.sql (copied from PostgREST's
test/spec/fixtures). Cases that need what SQLite or KoyaLite does not have
(schemas other than the exposed one, computed relationships, composite types)
are left out; the README lists those features.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import httpx
import pytest

from tests.conftest import FIXTURES, new_project, run_cli, start_server, stop_server


@dataclass(frozen=True)
class Case:
    spec: str  # "<File>Spec: <it …>"
    path: str
    body: object
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.spec


@pytest.fixture(scope="module")
def spec_server(tmp_path_factory):
    project = new_project(tmp_path_factory.mktemp("postgrest"))
    run_cli(project, "sql", "-f", str(FIXTURES / "postgrest.sql"))
    server = start_server(project)
    yield server
    stop_server(server)


@pytest.fixture(scope="module")
def spec_client(spec_server):
    with httpx.Client(
        base_url=f"{spec_server.url}/rest/v1",
        headers=spec_server.headers(key=spec_server.service_key),
        timeout=10,
    ) as client:
        yield client


def ambiguous(parent: str, target: str, details: list[tuple[str, str]]) -> dict:
    """PGRST201's body: details are (cardinality, relationship) pairs."""
    options = ", ".join(f"'{target}!{text.split(' ')[0]}'" for _, text in details)
    return {
        "code": "PGRST201",
        "details": [
            {
                "cardinality": cardinality,
                "embedding": f"{parent} with {target}",
                "relationship": text,
            }
            for cardinality, text in details
        ],
        "hint": f"Try changing '{target}' to one of the following: {options}. Find the desired relationship in the 'details' key.",
        "message": f"Could not embed because more than one relationship was found for '{parent}' and '{target}'",
    }


def _sorted_details(body: object) -> object:
    """PGRST201 lists the same relationships in an order PostgREST does not
    promise; compare them as a set, and the hint's options likewise."""
    if isinstance(body, dict) and body.get("code") == "PGRST201":
        body = dict(body)
        body["details"] = sorted(body["details"], key=lambda d: d["relationship"])
        head, _, options = body["hint"].partition("following: ")
        listed, _, tail = options.partition(". Find")
        body["hint"] = (
            head
            + "following: "
            + ", ".join(sorted(listed.split(", ")))
            + ". Find"
            + tail
        )
    return body


EMBED_DISAMBIGUATION = [
    Case(
        "EmbedDisambiguationSpec: errs when there are o2m and m2m cardinalities to the target table",
        "/sites?select=*,big_projects(*)",
        ambiguous(
            "sites",
            "big_projects",
            [
                (
                    "many-to-one",
                    "main_project using sites(main_project_id) and big_projects(big_project_id)",
                ),
                (
                    "many-to-many",
                    "jobs using jobs_site_id_fkey(site_id) and jobs_big_project_id_fkey(big_project_id)",
                ),
                (
                    "many-to-many",
                    "main_jobs using jobs_site_id_fkey(site_id) and jobs_big_project_id_fkey(big_project_id)",
                ),
            ],
        ),
        status=300,
    ),
    Case(
        "EmbedDisambiguationSpec: errs on an ambiguous embed that has a circular reference",
        "/agents?select=*,departments(*)",
        ambiguous(
            "agents",
            "departments",
            [
                (
                    "one-to-many",
                    "departments_head_id_fkey using agents(id) and departments(head_id)",
                ),
                (
                    "many-to-one",
                    "agents_department_id_fkey using agents(department_id) and departments(id)",
                ),
            ],
        ),
        status=300,
    ),
    Case(
        "EmbedDisambiguationSpec: errs when there are more than two fks on a junction table",
        "/whatev_sites?select=*,whatev_projects(*)",
        ambiguous(
            "whatev_sites",
            "whatev_projects",
            [
                (
                    "many-to-many",
                    f"whatev_jobs using whatev_jobs_site_id_{s}_fkey(site_id_{s}) and whatev_jobs_project_id_{p}_fkey(project_id_{p})",
                )
                for s in (1, 2)
                for p in (1, 2)
            ],
        ),
        status=300,
    ),
    *[
        Case(
            f"EmbedDisambiguationSpec: … can be disambiguated with spread embeds (site_id_{s}, project_id_{p})",
            f"/whatev_sites?select=*,whatev_jobs!site_id_{s}(...whatev_projects!project_id_{p}(*))",
            [],
        )
        for s in (1, 2)
        for p in (1, 2)
    ],
    Case(
        "EmbedDisambiguationSpec: can disambiguate a recursive m2m with spread embeds (subscribers)",
        "/posters?select=*,subscribers:subscriptions!subscribed(...posters!subscriber(*))&limit=1",
        [
            {
                "id": 1,
                "name": "Mark",
                "subscribers": [{"id": 3, "name": "Bill"}, {"id": 4, "name": "Jeff"}],
            }
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: can disambiguate a recursive m2m with spread embeds (subscriptions)",
        "/posters?select=*,subscriptions!subscriber(...posters!subscribed(*))&limit=1",
        [{"id": 1, "name": "Mark", "subscriptions": [{"id": 2, "name": "Elon"}]}],
    ),
    Case(
        "EmbedDisambiguationSpec: errs on an ambiguous embed that has two one-to-one relationships",
        "/first?select=second(*)",
        ambiguous(
            "first",
            "second",
            [
                (
                    "one-to-one",
                    "first_second_id_1_fkey using first(second_id_1) and second(id)",
                ),
                (
                    "one-to-one",
                    "first_second_id_2_fkey using first(second_id_2) and second(id)",
                ),
            ],
        ),
        status=300,
    ),
    Case(
        "EmbedDisambiguationSpec: can embed by FK name",
        "/projects?id=in.(1,3)&select=id,name,client(id,name)",
        [
            {"id": 1, "name": "Windows 7", "client": {"id": 1, "name": "Microsoft"}},
            {"id": 3, "name": "IOS", "client": {"id": 2, "name": "Apple"}},
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: can embed by FK name and select the FK column at the same time",
        "/projects?id=in.(1,3)&select=id,name,client_id,client(id,name)",
        [
            {
                "id": 1,
                "name": "Windows 7",
                "client_id": 1,
                "client": {"id": 1, "name": "Microsoft"},
            },
            {
                "id": 3,
                "name": "IOS",
                "client_id": 2,
                "client": {"id": 2, "name": "Apple"},
            },
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: embeds by using two fks pointing to the same table",
        "/orders?id=eq.1&select=id, name, billing(address), shipping(address)",
        [
            {
                "id": 1,
                "name": "order 1",
                "billing": {"address": "address 1"},
                "shipping": {"address": "address 2"},
            }
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: fails if the fk is not known",
        "/projects?select=id,clients!space(name)",
        {
            "hint": None,
            "message": "Could not find a relationship between 'projects' and 'clients' in the schema cache",
            "code": "PGRST200",
            "details": "Searched for a foreign key relationship between 'projects' and 'clients' using the hint 'space' in the schema 'public', but no matches were found.",
        },
        status=400,
    ),
    Case(
        "EmbedDisambiguationSpec: can specify a table!fk hint and request children 2 levels",
        "/clients?id=eq.1&select=id,projects:projects!client(id,tasks(id))",
        [
            {
                "id": 1,
                "projects": [
                    {"id": 1, "tasks": [{"id": 1}, {"id": 2}]},
                    {"id": 2, "tasks": [{"id": 3}, {"id": 4}]},
                ],
            }
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: can disambiguate with the fk in case of an o2m and m2m relationship to the same table",
        "/sites?select=name,main_project(name)&site_id=eq.1",
        [{"name": "site 1", "main_project": {"name": "big project 1"}}],
    ),
    Case(
        "EmbedDisambiguationSpec: can embed by column",
        "/projects?id=in.(1,3)&select=id,name,client_id(id,name)",
        [
            {"id": 1, "name": "Windows 7", "client_id": {"id": 1, "name": "Microsoft"}},
            {"id": 3, "name": "IOS", "client_id": {"id": 2, "name": "Apple"}},
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: can embed by column and select the column at the same time, if aliased",
        "/projects?id=in.(1,3)&select=id,name,client_id,client:client_id(id,name)",
        [
            {
                "id": 1,
                "name": "Windows 7",
                "client_id": 1,
                "client": {"id": 1, "name": "Microsoft"},
            },
            {
                "id": 3,
                "name": "IOS",
                "client_id": 2,
                "client": {"id": 2, "name": "Apple"},
            },
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: embeds by using two columns pointing to the same table",
        "/orders?id=eq.1&select=id, name, billing_address_id(id), shipping_address_id(id)",
        [
            {
                "id": 1,
                "name": "order 1",
                "billing_address_id": {"id": 1},
                "shipping_address_id": {"id": 2},
            }
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: can disambiguate with the column in case of an o2m and m2m relationship to the same table",
        "/sites?select=name,main_project_id(name)&site_id=eq.1",
        [{"name": "site 1", "main_project_id": {"name": "big project 1"}}],
    ),
    Case(
        "EmbedDisambiguationSpec: can specify the junction of an m2m relationship",
        "/sites?select=*,big_projects!jobs(name)&site_id=in.(1,2)",
        [
            {
                "big_projects": [{"name": "big project 1"}],
                "main_project_id": 1,
                "name": "site 1",
                "site_id": 1,
            },
            {
                "big_projects": [{"name": "big project 1"}, {"name": "big project 2"}],
                "main_project_id": None,
                "name": "site 2",
                "site_id": 2,
            },
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: embeds by using a column and a fk pointing to the same table",
        "/orders?id=eq.1&select=id, name, billing_address_id(id), shipping(id)",
        [
            {
                "id": 1,
                "name": "order 1",
                "billing_address_id": {"id": 1},
                "shipping": {"id": 2},
            }
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: embeds parents recursively",
        "/family_tree?id=in.(3,4)&select=id,parent(id,name,parent(*))&order=id",
        [
            {"id": "3", "parent": {"id": "1", "name": "Parental Unit", "parent": None}},
            {
                "id": "4",
                "parent": {
                    "id": "2",
                    "name": "Kid One",
                    "parent": {"id": "1", "name": "Parental Unit", "parent": None},
                },
            },
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: embeds children recursively",
        "/family_tree?id=eq.1&select=id,name, children:family_tree!parent(id,name,children:family_tree!parent(id,name))",
        [
            {
                "id": "1",
                "name": "Parental Unit",
                "children": [
                    {
                        "id": "2",
                        "name": "Kid One",
                        "children": [{"id": "4", "name": "Grandkid One"}],
                    },
                    {
                        "id": "3",
                        "name": "Kid Two",
                        "children": [{"id": "5", "name": "Grandkid Two"}],
                    },
                ],
            }
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: embeds parent and then embeds children",
        "/family_tree?id=eq.2&select=id,name,parent(id,name,children:family_tree!parent(id,name))",
        [
            {
                "id": "2",
                "name": "Kid One",
                "parent": {
                    "id": "1",
                    "name": "Parental Unit",
                    "children": [
                        {"id": "2", "name": "Kid One"},
                        {"id": "3", "name": "Kid Two"},
                    ],
                },
            }
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: embeds parents (two self reference foreign keys)",
        "/organizations?select=id,name,referee(id,name),auditor(id,name)&id=eq.3",
        [
            {
                "id": 3,
                "name": "Acme",
                "referee": {"id": 1, "name": "Referee Org"},
                "auditor": {"id": 2, "name": "Auditor Org"},
            }
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: embeds children (refereeds)",
        "/organizations?select=id,name,refereeds:organizations!referee(id,name)&id=eq.1",
        [
            {
                "id": 1,
                "name": "Referee Org",
                "refereeds": [{"id": 3, "name": "Acme"}, {"id": 4, "name": "Umbrella"}],
            }
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: embeds children (auditees)",
        "/organizations?select=id,name,auditees:organizations!auditor(id,name)&id=eq.2",
        [
            {
                "id": 2,
                "name": "Auditor Org",
                "auditees": [{"id": 3, "name": "Acme"}, {"id": 4, "name": "Umbrella"}],
            }
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: embeds other relations(manager) besides the self reference",
        "/organizations?select=name,manager(name),referee(name,manager(name),auditor(name,manager(name))),auditor(name,manager(name),referee(name,manager(name)))&id=eq.5",
        [
            {
                "name": "Cyberdyne",
                "manager": {"name": "Cyberdyne Manager"},
                "referee": {
                    "name": "Acme",
                    "manager": {"name": "Acme Manager"},
                    "auditor": {
                        "name": "Auditor Org",
                        "manager": {"name": "Auditor Manager"},
                    },
                },
                "auditor": {
                    "name": "Umbrella",
                    "manager": {"name": "Umbrella Manager"},
                    "referee": {
                        "name": "Referee Org",
                        "manager": {"name": "Referee Manager"},
                    },
                },
            }
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: embeds other relations(manager) besides the self reference (children)",
        "/organizations?select=name,manager(name),auditees:organizations!auditor(name,manager(name),refereeds:organizations!referee(name,manager(name)))&id=eq.2",
        [
            {
                "name": "Auditor Org",
                "manager": {"name": "Auditor Manager"},
                "auditees": [
                    {
                        "name": "Acme",
                        "manager": {"name": "Acme Manager"},
                        "refereeds": [
                            {
                                "name": "Cyberdyne",
                                "manager": {"name": "Cyberdyne Manager"},
                            },
                            {"name": "Oscorp", "manager": {"name": "Oscorp Manager"}},
                        ],
                    },
                    {
                        "name": "Umbrella",
                        "manager": {"name": "Umbrella Manager"},
                        "refereeds": [],
                    },
                ],
            }
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: works with self reference both ways(m2o and o2m) (family_tree)",
        "/family_tree?select=id,children:family_tree(id)&id=in.(4,5)",
        [{"id": "4", "children": []}, {"id": "5", "children": []}],
    ),
]

USERS = [
    {"id": 1, "name": "Angela Martin"},
    {"id": 2, "name": "Michael Scott"},
    {"id": 3, "name": "Dwight Schrute"},
]

EMPTY_EMBEDS = [
    Case(
        "QuerySpec: empty embed works on a many-to-one relationship",
        "/projects?select=id,name,clients()",
        [
            {"id": 1, "name": "Windows 7"},
            {"id": 2, "name": "Windows 10"},
            {"id": 3, "name": "IOS"},
            {"id": 4, "name": "OSX"},
            {"id": 5, "name": "Orphan"},
        ],
    ),
    Case(
        "QuerySpec: empty embed works on a many-to-one relationship (!inner)",
        "/projects?select=id,name,clients!inner()&clients.id=eq.2",
        [{"id": 3, "name": "IOS"}, {"id": 4, "name": "OSX"}],
    ),
    Case(
        "QuerySpec: empty embed works on a one-to-many relationship",
        "/clients?select=id,name,projects()",
        [{"id": 1, "name": "Microsoft"}, {"id": 2, "name": "Apple"}],
    ),
    Case(
        "QuerySpec: empty embed works on a one-to-many relationship (!inner)",
        "/clients?select=id,name,projects!inner()&projects.name=eq.IOS",
        [{"id": 2, "name": "Apple"}],
    ),
    Case(
        "QuerySpec: empty embed works on a many-to-many relationship",
        "/users?select=*,tasks!inner()",
        USERS,
    ),
    Case(
        "QuerySpec: empty embed works on a many-to-many relationship (filtered)",
        "/users?select=*,tasks!inner()&tasks.id=eq.3",
        [{"id": 1, "name": "Angela Martin"}],
    ),
    Case(
        "QuerySpec: empty embed works on nested relationships",
        "/users?select=*,users_tasks(tasks(projects()))",
        USERS,
    ),
    Case(
        "QuerySpec: empty embed works on nested relationships (!inner)",
        "/users?select=*,users_tasks!inner(tasks!inner(projects()))&users_tasks.tasks.id=eq.3",
        [{"id": 1, "name": "Angela Martin"}],
    ),
    Case(
        "QuerySpec: empty embed works on nested relationships (siblings)",
        "/users?select=*,tasks(projects(clients()),users_tasks())",
        USERS,
    ),
    Case(
        "QuerySpec: empty embed works on nested relationships (rendered sibling)",
        "/users?select=*,tasks!inner(projects(clients()),users_tasks(),name)&tasks.id=eq.3",
        [{"id": 1, "name": "Angela Martin", "tasks": [{"name": "Design w10"}]}],
    ),
    Case(
        "SpreadQueriesSpec: empty spreads embeds return the same as empty embeddings",
        "/users?select=*,...tasks()",
        USERS,
    ),
    Case(
        "SpreadQueriesSpec: empty spreads embeds (nested in a to-one spread)",
        "/tasks?select=name,...projects(project:name,...clients())&id=eq.1",
        [{"name": "Design w7", "project": "Windows 7"}],
    ),
    Case(
        "QuerySpec: empty root select gives all columns",
        "/projects?select=&id=eq.1",
        [{"id": 1, "name": "Windows 7", "client_id": 1}],
    ),
]

NULL_EMBED_FILTERS = [
    Case(
        "RelatedQueriesSpec: null operator on embed works on a many-to-one relationship (not.is.null)",
        "/projects?select=name,clients()&clients=not.is.null",
        [
            {"name": "Windows 7"},
            {"name": "Windows 10"},
            {"name": "IOS"},
            {"name": "OSX"},
        ],
    ),
    Case(
        "RelatedQueriesSpec: null operator on embed works on a many-to-one relationship (is.null)",
        "/projects?select=name,clients()&clients=is.null",
        [{"name": "Orphan"}],
    ),
    Case(
        "RelatedQueriesSpec: null operator on embed works on a one-to-many relationship",
        "/entities?select=name,child_entities()&child_entities=not.is.null",
        [{"name": "entity 1"}, {"name": "entity 2"}],
    ),
    Case(
        "RelatedQueriesSpec: null operator on embed works on a one-to-many relationship (is.null)",
        "/entities?select=name,child_entities()&child_entities=is.null",
        [{"name": "entity 3"}, {"name": None}],
    ),
    Case(
        "RelatedQueriesSpec: null operator on embed works on a one-to-many relationship (aliased)",
        "/entities?select=name,childs:child_entities()&childs=is.null",
        [{"name": "entity 3"}, {"name": None}],
    ),
    Case(
        "RelatedQueriesSpec: null operator on embed works on a many-to-many relationship",
        "/users?select=name,tasks()&tasks.id=eq.1&tasks=not.is.null",
        [{"name": "Angela Martin"}, {"name": "Dwight Schrute"}],
    ),
    Case(
        "RelatedQueriesSpec: null operator on embed works on a many-to-many relationship (is.null)",
        "/users?select=name,tasks()&tasks.id=eq.1&tasks=is.null",
        [{"name": "Michael Scott"}],
    ),
    Case(
        "RelatedQueriesSpec: null operator on embed works on nested embeds",
        "/entities?select=name,child_entities(name,grandchild_entities())&child_entities.grandchild_entities=not.is.null&child_entities=not.is.null",
        [
            {
                "name": "entity 1",
                "child_entities": [
                    {"name": "child entity 1"},
                    {"name": "child entity 2"},
                ],
            }
        ],
    ),
    Case(
        "RelatedQueriesSpec: can do an or across embeds",
        "/client?select=*,clientinfo(),contact()&clientinfo.other=ilike.*main*&contact.name=ilike.*tabby*&or=(clientinfo.not.is.null,contact.not.is.null)",
        [{"id": 1, "name": "Walmart"}, {"id": 2, "name": "Target"}],
    ),
    Case(
        "RelatedQueriesSpec: can do an or across embeds (count=exact)",
        "/client?select=*,clientinfo(),contact()&clientinfo.other=ilike.*main*&contact.name=ilike.*tabby*&or=(clientinfo.not.is.null,contact.not.is.null)",
        [{"id": 1, "name": "Walmart"}, {"id": 2, "name": "Target"}],
        headers={"Prefer": "count=exact"},
        response_headers={"Content-Range": "0-1/2"},
    ),
    Case(
        "RelatedQueriesSpec: doesn't interfere filtering when embedding using the column name",
        "/projects?select=name,client_id,client:client_id(name)&client_id=eq.2",
        [
            {"name": "IOS", "client_id": 2, "client": {"name": "Apple"}},
            {"name": "OSX", "client_id": 2, "client": {"name": "Apple"}},
        ],
    ),
    Case(
        "RelatedQueriesSpec: embeds verifying that the entire target table row is not null",
        "/table_b?select=name,table_a(name)&table_a=not.is.null",
        [
            {"name": "Test 1", "table_a": {"name": "Not null 1"}},
            {"name": "Test 2", "table_a": {"name": None}},
        ],
    ),
    Case(
        "RelatedQueriesSpec: embeds verifying that the entire target table row is not null (is.null)",
        "/table_b?select=name,table_a()&table_a=is.null",
        [{"name": "Test 3"}],
    ),
    Case(
        "RelatedQueriesSpec: works with count=exact (not.is.null)",
        "/projects?select=name,clients(name)&clients=not.is.null",
        [
            {"name": "Windows 7", "clients": {"name": "Microsoft"}},
            {"name": "Windows 10", "clients": {"name": "Microsoft"}},
            {"name": "IOS", "clients": {"name": "Apple"}},
            {"name": "OSX", "clients": {"name": "Apple"}},
        ],
        headers={"Prefer": "count=exact"},
        response_headers={"Content-Range": "0-3/4"},
    ),
    Case(
        "RelatedQueriesSpec: works with count=exact (is.null)",
        "/projects?select=name,clients()&clients=is.null",
        [{"name": "Orphan"}],
        headers={"Prefer": "count=exact"},
        response_headers={"Content-Range": "0-0/1"},
    ),
]

RELATED_ORDER = [
    Case(
        "RelatedQueriesSpec: related orders work on a many-to-one relationship",
        "/projects?select=id,clients(name)&order=clients(name).nullsfirst",
        [
            {"id": 5, "clients": None},
            {"id": 3, "clients": {"name": "Apple"}},
            {"id": 4, "clients": {"name": "Apple"}},
            {"id": 1, "clients": {"name": "Microsoft"}},
            {"id": 2, "clients": {"name": "Microsoft"}},
        ],
    ),
    Case(
        "RelatedQueriesSpec: related orders work on a one-to-one relationship and jsonb column (asc)",
        "/trash?select=id,trash_details(id,jsonb_col)&order=trash_details(jsonb_col->key).asc",
        [
            {"id": 2, "trash_details": {"id": 2, "jsonb_col": {"key": 6}}},
            {"id": 3, "trash_details": {"id": 3, "jsonb_col": {"key": 8}}},
            {"id": 1, "trash_details": {"id": 1, "jsonb_col": {"key": 10}}},
        ],
    ),
    Case(
        "RelatedQueriesSpec: related orders work on a one-to-one relationship and jsonb column (desc)",
        "/trash?select=id,trash_details(id,jsonb_col)&order=trash_details(jsonb_col->key).desc",
        [
            {"id": 1, "trash_details": {"id": 1, "jsonb_col": {"key": 10}}},
            {"id": 3, "trash_details": {"id": 3, "jsonb_col": {"key": 8}}},
            {"id": 2, "trash_details": {"id": 2, "jsonb_col": {"key": 6}}},
        ],
    ),
    Case(
        "RelatedQueriesSpec: fails when is not a to-one relationship",
        "/clients?select=*,projects(*)&order=projects(name).nullsfirst",
        {
            "code": "PGRST118",
            "details": "'clients' and 'projects' do not form a many-to-one or one-to-one relationship",
            "hint": None,
            "message": "A related order on 'projects' is not possible",
        },
        status=400,
    ),
    Case(
        "RelatedQueriesSpec: fails when the resource is not embedded",
        "/projects?select=id,clients(name)&order=clientsx(name).nullsfirst",
        {
            "code": "PGRST108",
            "details": None,
            "hint": "Verify that 'clientsx' is included in the 'select' query parameter.",
            "message": "'clientsx' is not an embedded resource in this request",
        },
        status=400,
    ),
]

JSON_OPERATORS = [
    Case(
        "JsonOperatorSpec: obtains a json subfield one level with casting",
        "/complex_items?id=eq.1&select=settings->>foo::json",
        [{"foo": {"int": 1, "bar": "baz"}}],
    ),
    Case(
        "JsonOperatorSpec: renames json subfield one level with casting",
        "/complex_items?id=eq.1&select=myFoo:settings->>foo::json",
        [{"myFoo": {"int": 1, "bar": "baz"}}],
    ),
    Case(
        "JsonOperatorSpec: fails on bad casting (data of the wrong format)",
        "/complex_items?select=settings->foo->>bar::integer",
        {
            "hint": None,
            "details": None,
            "code": "22P02",
            "message": 'invalid input syntax for type integer: "baz"',
        },
        status=400,
    ),
    *[
        Case(
            "JsonOperatorSpec: fails when a double arrow ->> is followed with a single arrow ->",
            f"/json_arr?select=data->>c->{key}",
            {
                "hint": "You might need to add explicit type casts.",
                "details": "No operator of that name accepts the given argument types.",
                "code": "42883",
                "message": f"operator does not exist: text -> {operand}",
            },
            status=404,
        )
        for key, operand in (("1", "integer"), ("b", "unknown"))
    ],
    Case(
        "JsonOperatorSpec: obtains a json subfield two levels (string)",
        "/complex_items?id=eq.1&select=settings->foo->>bar",
        [{"bar": "baz"}],
    ),
    Case(
        "JsonOperatorSpec: obtains a json subfield two levels with casting (int)",
        "/complex_items?id=eq.1&select=myInt:settings->foo->>int::integer",
        [{"myInt": 1}],
    ),
    Case(
        "JsonOperatorSpec: accepts non reserved special characters in the key's name",
        "/json_arr?id=eq.10&select=data->!@#$%^%26*_d->>!@#$%^%26*_e::integer",
        [{"!@#$%^&*_e": 3}],
    ),
    Case(
        "JsonOperatorSpec: can get array of ints and alias/cast it",
        "/json_arr?select=data->>0::int&id=in.(1,2)",
        [{"data": 1}, {"data": 4}],
    ),
    Case(
        "JsonOperatorSpec: can get array of ints and alias/cast it (aliased)",
        "/json_arr?select=idx0:data->>0::int,idx1:data->>1::int&id=in.(1,2)",
        [{"idx0": 1, "idx1": 2}, {"idx0": 4, "idx1": 5}],
    ),
    Case(
        "JsonOperatorSpec: can get nested array of ints",
        "/json_arr?select=data->0->>1::int&id=in.(3,4)",
        [{"data": 8}, {"data": 7}],
    ),
    Case(
        "JsonOperatorSpec: can get nested array of ints (three levels)",
        "/json_arr?select=data->0->0->>1::int&id=in.(3,4)",
        [{"data": None}, {"data": 6}],
    ),
    Case(
        "JsonOperatorSpec: can get array of objects",
        "/json_arr?select=data->0->>a&id=in.(5,6)",
        [{"a": "A"}, {"a": "[1,2,3]"}],
    ),
    Case(
        "JsonOperatorSpec: can get array of objects (index after key)",
        "/json_arr?select=data->0->a->>2&id=in.(5,6)",
        [{"a": None}, {"a": "3"}],
    ),
    Case(
        "JsonOperatorSpec: can get array in object keys",
        "/json_arr?select=data->c->>0::json&id=in.(7,8)",
        [{"c": 1}, {"c": {"d": [4, 5, 6, 7, 8]}}],
    ),
    Case(
        "JsonOperatorSpec: can get array in object keys (deeper)",
        "/json_arr?select=data->c->0->d->>4::int&id=in.(7,8)",
        [{"d": None}, {"d": 8}],
    ),
    Case(
        "JsonOperatorSpec: only treats well formed numbers as indexes",
        "/json_arr?select=data->0->0xy1->1->23-xy-45->1->xy-6->>0::int&id=eq.9",
        [{"xy-6": 3}],
    ),
    Case(
        "JsonOperatorSpec: works when finishing with a key",
        "/json_arr?select=data->c&id=in.(7,8)",
        [{"c": [1, 2, 3]}, {"c": [{"d": [4, 5, 6, 7, 8]}]}],
    ),
    Case(
        "JsonOperatorSpec: works when finishing with an index",
        "/json_arr?select=data->c->0->d&id=eq.8",
        [{"d": [4, 5, 6, 7, 8]}],
    ),
    Case(
        "JsonOperatorSpec: can filter by properties inside json column",
        "/json_table?data->foo->>bar=eq.baz",
        [{"data": {"id": 1, "foo": {"bar": "baz"}}}],
    ),
    Case(
        "JsonOperatorSpec: can filter by properties inside json column using not",
        "/json_table?data->foo->>bar=not.eq.baz",
        [],
    ),
    Case(
        "JsonOperatorSpec: can filter by properties inside json column using ->>",
        "/json_table?data->>id=eq.1",
        [{"data": {"id": 1, "foo": {"bar": "baz"}}}],
    ),
    Case(
        "JsonOperatorSpec: can be filtered with and/or",
        "/grandchild_entities?or=(jsonb_col->a->>b.eq.foo, jsonb_col->>b.eq.bar)&select=id",
        [{"id": 4}, {"id": 5}],
    ),
    Case(
        "JsonOperatorSpec: can filter when the key's name has non reserved special characters",
        "/json_arr?select=data->!@#$%^%26*_d&data->!@#$%^%26*_d->>!@#$%^%26*_e=eq.3",
        [{"!@#$%^&*_d": {"!@#$%^&*_e": 3}}],
    ),
    Case(
        "JsonOperatorSpec: can filter by array indexes",
        "/json_arr?select=data&data->>0=eq.1",
        [{"data": [1, 2, 3]}],
    ),
    Case(
        "JsonOperatorSpec: can filter by array indexes (nested)",
        "/json_arr?select=data&data->1->>2=eq.13",
        [{"data": [[9, 8, 7], [11, 12, 13]]}],
    ),
    Case(
        "JsonOperatorSpec: can filter by array indexes (object)",
        "/json_arr?select=data&data->1->>b=eq.B",
        [{"data": [{"a": "A"}, {"b": "B"}]}],
    ),
    Case(
        "JsonOperatorSpec: can filter by array indexes (array in object)",
        "/json_arr?select=data&data->1->b->>1=eq.5",
        [{"data": [{"a": [1, 2, 3]}, {"b": [4, 5]}]}],
    ),
    Case(
        "JsonOperatorSpec: can filter jsonb",
        '/jsonb_test?data=eq.{"e":1}',
        [{"id": 4, "data": {"e": 1}}],
    ),
    Case(
        "JsonOperatorSpec: can filter jsonb (path to an object)",
        '/jsonb_test?data->a=eq.{"b":2}',
        [{"id": 1, "data": {"a": {"b": 2}}}],
    ),
    Case(
        "JsonOperatorSpec: can filter jsonb (path to an array)",
        "/jsonb_test?data->c=eq.[1,2,3]",
        [{"id": 2, "data": {"c": [1, 2, 3]}}],
    ),
    Case(
        "JsonOperatorSpec: can filter jsonb (index to an object)",
        '/jsonb_test?data->0=eq.{"d":"test"}',
        [{"id": 3, "data": [{"d": "test"}]}],
    ),
    Case(
        "JsonOperatorSpec: orders by a json column property asc",
        "/json_table?order=data->>id.asc",
        [
            {"data": {"id": 0}},
            {"data": {"id": 1, "foo": {"bar": "baz"}}},
            {"data": {"id": 3}},
        ],
    ),
    Case(
        "JsonOperatorSpec: orders by a json column with two level property nulls first",
        "/json_table?order=data->foo->>bar.nullsfirst",
        [
            {"data": {"id": 3}},
            {"data": {"id": 0}},
            {"data": {"id": 1, "foo": {"bar": "baz"}}},
        ],
    ),
    Case(
        "JsonOperatorSpec: can select with negative indexes",
        "/json_arr?select=data->>-1::int&id=in.(1,2)",
        [{"data": 3}, {"data": 6}],
    ),
    Case(
        "JsonOperatorSpec: can select with negative indexes (nested)",
        "/json_arr?select=data->0->>-2::int&id=in.(3,4)",
        [{"data": 8}, {"data": 7}],
    ),
    Case(
        "JsonOperatorSpec: can select with negative indexes (then a key)",
        "/json_arr?select=data->-2->>a&id=in.(5,6)",
        [{"a": "A"}, {"a": "[1,2,3]"}],
    ),
    Case(
        "JsonOperatorSpec: can filter with negative indexes",
        "/json_arr?select=data&data->>-3=eq.1",
        [{"data": [1, 2, 3]}],
    ),
    Case(
        "JsonOperatorSpec: can filter with negative indexes (nested)",
        "/json_arr?select=data&data->-1->>-3=eq.11",
        [{"data": [[9, 8, 7], [11, 12, 13]]}],
    ),
    Case(
        "JsonOperatorSpec: can filter with negative indexes (then a key)",
        "/json_arr?select=data&data->-1->>b=eq.B",
        [{"data": [{"a": "A"}, {"b": "B"}]}],
    ),
    Case(
        "JsonOperatorSpec: can filter with negative indexes (key then index)",
        "/json_arr?select=data&data->-1->b->>-1=eq.5",
        [{"data": [{"a": [1, 2, 3]}, {"b": [4, 5]}]}],
    ),
]

RANGES_AND_LISTS = [
    Case(
        "RangeSpec: succeeds if offset is negative as a no-op",
        "/projects?select=id&offset=-4&order=id",
        [{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}, {"id": 5}],
        response_headers={"Content-Range": "0-4/*"},
    ),
    Case(
        "RangeSpec: fails if limit is negative",
        "/projects?select=id&limit=-1",
        {
            "message": "Requested range not satisfiable",
            "code": "PGRST103",
            "details": "Limit should be greater than or equal to zero.",
            "hint": None,
        },
        status=416,
    ),
    Case(
        "QuerySpec: returns an empty result set when the in value is empty",
        "/projects?id=in.(    )",
        [],
    ),
    Case(
        "QuerySpec: only returns an empty result set if the in value is empty",
        "/tasks?project_id=in.( ,3,4)",
        {
            "hint": None,
            "details": None,
            "code": "22P02",
            "message": 'invalid input syntax for type integer: ""',
        },
        status=400,
    ),
    Case(
        "AndOrParamsSpec: can have a single condition",
        "/entities?or=(id.eq.1)&select=id",
        [{"id": 1}],
    ),
    Case(
        "AndOrParamsSpec: can have four conditions combining and/or",
        "/grandchild_entities?or=( id.eq.1, id.eq.2, and(id.in.(1,3), id.in.(2,3)), id.eq.4 )&select=id",
        [{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}],
    ),
    Case(
        "AndOrParamsSpec: can query columns that begin with and/or reserved words",
        "/grandchild_entities?or=(and_starting_col.eq.smth, or_starting_col.eq.smth)&select=id",
        [],
    ),
]

VIEW_EMBEDS = [
    Case(
        "EmbedDisambiguationSpec: can embed parent with view!fk and grandparent by using fk",
        "/tasks?id=eq.1&select=id,name,projects_view!project(id,name,client(id,name))",
        [
            {
                "id": 1,
                "name": "Design w7",
                "projects_view": {
                    "id": 1,
                    "name": "Windows 7",
                    "client": {"id": 1, "name": "Microsoft"},
                },
            }
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: can embed parent by using view!column and grandparent by using the column",
        "/tasks?id=eq.1&select=id,name,project:projects_view!project_id(id,name,client:client_id(id,name))",
        [
            {
                "id": 1,
                "name": "Design w7",
                "project": {
                    "id": 1,
                    "name": "Windows 7",
                    "client": {"id": 1, "name": "Microsoft"},
                },
            }
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: can specify a view!fk",
        "/message?select=id,body,sender:person_detail!message_sender_fkey(name,sent),recipient:person_detail!message_recipient_fkey(name,received)&id=lt.4&order=id",
        [
            {
                "id": 1,
                "body": "Hello Jane",
                "sender": {"name": "John", "sent": 2},
                "recipient": {"name": "Jane", "received": 2},
            },
            {
                "id": 2,
                "body": "Hi John",
                "sender": {"name": "Jane", "sent": 1},
                "recipient": {"name": "John", "received": 1},
            },
            {
                "id": 3,
                "body": "How are you doing?",
                "sender": {"name": "John", "sent": 2},
                "recipient": {"name": "Jane", "received": 2},
            },
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: errs with multiple references to the same composite key columns in a view",
        "/i2459_composite_v2?select=*,i2459_composite_v1(*)",
        ambiguous(
            "i2459_composite_v2",
            "i2459_composite_v1",
            [
                (
                    "many-to-one",
                    f"i2459_composite_t2_t1_a_t1_b_fkey using i2459_composite_v2(t1_a{a}, t1_b{b}) and i2459_composite_v1(a, b)",
                )
                for a in (1, 2)
                for b in (1, 2)
            ],
        ),
        status=300,
    ),
    *[
        Case(
            f"EmbedDisambiguationSpec: can specify all view column names that reference the same base column ({path})",
            path,
            [],
        )
        for path in (
            "/i2459_simple_v1?select=*,i2459_simple_v2!t1_id1(*)",
            "/i2459_simple_v1?select=*,i2459_simple_v2!t1_id2(*)",
            "/i2459_simple_v2?select=*,i2459_simple_v1!t1_id1(*)",
            "/i2459_simple_v2?select=*,i2459_simple_v1!t1_id2(*)",
        )
    ],
    Case(
        "EmbedDisambiguationSpec: can specify the junction of an m2m relationship (main_jobs)",
        "/sites?select=*,big_projects!main_jobs(name)&site_id=in.(1,2)",
        [
            {
                "big_projects": [{"name": "big project 1"}],
                "main_project_id": 1,
                "name": "site 1",
                "site_id": 1,
            },
            {
                "big_projects": [],
                "main_project_id": None,
                "name": "site 2",
                "site_id": 2,
            },
        ],
    ),
    # PostgREST's `job` reads `private.internal_job`, a schema it does not
    # expose; here `internal_job` is a table too, so the children half of
    # the request is PostgREST's and `parent_id(*)` also names the table.
    Case(
        "EmbedDisambiguationSpec: embeds parent and then embeds children on a view (children)",
        "/job?select=id,children:job!parent_id(id,parent_id)&order=id",
        [
            {"id": 1, "children": [{"id": 2, "parent_id": 1}]},
            {"id": 2, "children": []},
        ],
    ),
    Case(
        "EmbedDisambiguationSpec: embeds parent and then embeds children on a view (parent, base table exposed)",
        "/job?select=id,parent_id(*)&order=id",
        {
            **ambiguous("job", "parent_id", [("", "parent_fk"), ("", "parent_fk")]),
            "details": [
                {
                    "cardinality": "many-to-one",
                    "embedding": f"job with {child}",
                    "relationship": f"parent_fk using job(parent_id) and {child}(id)",
                }
                for child in ("internal_job", "job")
            ],
        },
        status=300,
    ),
    *[
        Case(
            f"EmbedDisambiguationSpec: has to be explicit for a view embedding ({target})",
            f"/adaptation_notifications?select=id,status,{target}(*)",
            [],
        )
        for target in ("series", "series_popularity")
    ],
    Case(
        "EmbedDisambiguationSpec: resolves when there's a table and view that point to the same col",
        "/message?select=id,body,sender(id,name)&id=eq.5",
        [{"id": 5, "body": "What's up Jake", "sender": {"id": 4, "name": "Julie"}}],
    ),
    Case(
        "QuerySpec: works when requesting parents and children on views",
        "/projects_view?id=eq.1&select=id, name, clients(*), tasks(id, name)",
        [
            {
                "id": 1,
                "name": "Windows 7",
                "clients": {"id": 1, "name": "Microsoft"},
                "tasks": [{"id": 1, "name": "Design w7"}, {"id": 2, "name": "Code w7"}],
            }
        ],
    ),
    Case(
        "QuerySpec: works when requesting parents and children on views with renamed keys",
        "/projects_view_alt?t_id=eq.1&select=t_id, name, clients(*), tasks(id, name)",
        [
            {
                "t_id": 1,
                "name": "Windows 7",
                "clients": {"id": 1, "name": "Microsoft"},
                "tasks": [{"id": 1, "name": "Design w7"}, {"id": 2, "name": "Code w7"}],
            }
        ],
    ),
    Case(
        "QuerySpec: can embed a view that has group by",
        "/projects_count_grouped_by?select=number_of_projects,client:clients(name)&order=number_of_projects",
        [
            {"number_of_projects": 1, "client": None},
            {"number_of_projects": 2, "client": {"name": "Microsoft"}},
            {"number_of_projects": 2, "client": {"name": "Apple"}},
        ],
    ),
    *[
        Case(f"QuerySpec: works with one to one relationships ({path})", path, body)
        for path, body in (
            (
                "/students_view?select=name,students_info(address)",
                [
                    {"name": "John Doe", "students_info": {"address": "Street 1"}},
                    {"name": "Jane Doe", "students_info": {"address": "Street 2"}},
                ],
            ),
            (
                "/students_view?select=name,students_info_view(address)",
                [
                    {"name": "John Doe", "students_info_view": {"address": "Street 1"}},
                    {"name": "Jane Doe", "students_info_view": {"address": "Street 2"}},
                ],
            ),
            (
                "/students_info_view?select=address,students(name)",
                [
                    {"address": "Street 1", "students": {"name": "John Doe"}},
                    {"address": "Street 2", "students": {"name": "Jane Doe"}},
                ],
            ),
            (
                "/students_info_view?select=address,students_view(name)",
                [
                    {"address": "Street 1", "students_view": {"name": "John Doe"}},
                    {"address": "Street 2", "students_view": {"name": "Jane Doe"}},
                ],
            ),
        )
    ],
]

KABUL = {"name": "Kabul"}
ALGIERS = {"name": "Algiers"}
ONE_TO_ONE = [
    Case(
        "QuerySpec: one to one relationships work when having a pk as fk",
        "/students_info?select=address,students(name)",
        [
            {"address": "Street 1", "students": {"name": "John Doe"}},
            {"address": "Street 2", "students": {"name": "Jane Doe"}},
        ],
    ),
    Case(
        "QuerySpec: one to one relationships work when having a pk as fk (inverse)",
        "/students?select=name,students_info(address)",
        [
            {"name": "John Doe", "students_info": {"address": "Street 1"}},
            {"name": "Jane Doe", "students_info": {"address": "Street 2"}},
        ],
    ),
    *[
        Case(
            f"QuerySpec: one to one relationships work {how} ({path})",
            path,
            [
                {"name": "Afghanistan", key: KABUL},
                {"name": "Algeria", key: ALGIERS},
            ]
            if path.startswith("/country")
            else [
                {"name": "Kabul", key: {"name": "Afghanistan"}},
                {"name": "Algiers", key: {"name": "Algeria"}},
            ],
        )
        for how, path, key in [
            (
                "when having a fk with a unique constraint",
                "/country?select=name,capital(name)",
                "capital",
            ),
            (
                "when having a fk with a unique constraint",
                "/capital?select=name,country(name)",
                "country",
            ),
            (
                "when using column as target",
                "/capital?select=name,country_id(name)",
                "country_id",
            ),
            (
                "when using column as target",
                "/capital?select=name,capital_country_id_fkey(name)",
                "capital_country_id_fkey",
            ),
            (
                "when using column as target",
                "/country?select=name,capital_country_id_fkey(name)",
                "capital_country_id_fkey",
            ),
            ("when using column as target", "/country?select=name,id(name)", "id"),
            (
                "when using column as hint",
                "/country?select=name,capital!id(name)",
                "capital",
            ),
            (
                "when using column as hint",
                "/country?select=name,capital!country_id(name)",
                "capital",
            ),
            (
                "when using column as hint",
                "/capital?select=name,country!id(name)",
                "country",
            ),
            (
                "when using column as hint",
                "/capital?select=name,country!country_id(name)",
                "country",
            ),
        ]
    ],
]

CASES = (
    EMBED_DISAMBIGUATION
    + VIEW_EMBEDS
    + EMPTY_EMBEDS
    + NULL_EMBED_FILTERS
    + RELATED_ORDER
    + JSON_OPERATORS
    + RANGES_AND_LISTS
    + ONE_TO_ONE
)


@pytest.mark.parametrize("case", CASES, ids=str)
def test_postgrest_spec_case(spec_client, case):
    path, _, query = case.path.partition("?")
    # The query as a browser or supabase-js sends it: reserved characters of
    # values percent-encoded, PostgREST's own punctuation as typed.
    url = path + ("?" + query.replace(" ", "%20").replace("#", "%23") if query else "")

    response = spec_client.get(httpx.URL(url), headers=case.headers)

    assert response.status_code == case.status, response.text
    assert _sorted_details(response.json()) == _sorted_details(case.body)
    for name, value in case.response_headers.items():
        assert response.headers[name] == value
