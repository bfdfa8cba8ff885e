"""The activity pages: what each column says, the filters, 50 rows a page with the filters kept,
the CSV of the same rows (formula-safe), and a fixed number of queries."""

import csv
import datetime
import io
import re

import pytest
from django.utils import timezone

from audit.export import csv_row, csv_safe
from audit.models import Event
from hub.events import EventActor
from tests.audit.conftest import as_user, push, record

pytestmark = pytest.mark.django_db

APP_LOG = "/r/alice/app/settings/activity/"


def main(response) -> str:
    html = response.content.decode()
    return html[html.index("<main") : html.index("</main>")]


def rows_of(html: str) -> list[list[str]]:
    """The table's rows as text cells, as a person reads them."""
    rows = []
    for row in re.findall(r"<tr data-event-id=\"\d+\">(.*?)</tr>", html, re.S):
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
        rows.append([re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", c)).strip() for c in cells])
    return rows


def csv_of(response) -> list[dict]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.DictReader(io.StringIO(body)))


@pytest.fixture
def signed_in_alice(client, alice):
    client.force_login(alice)
    return client


def test_each_column_says_who_did_what_to_what(signed_in_alice, alice, app):
    push(app, "v1", alice)
    record(
        "delete",
        actor=as_user(alice, token_name="ci laptop"),
        repository=app,
        digest="sha256:" + "ab" * 32,
        data={"kind": "manifest"},
    )
    record(
        "push",
        actor=EventActor(user=alice, kind="build", name="alice", ip="10.1.2.3"),
        repository=app,
        tag="nightly",
    )
    record("pull", actor=EventActor(kind="anonymous", ip="198.51.100.9"), repository=app, tag="v1")
    record("login.failed", actor=EventActor(kind="anonymous", ip="192.0.2.1"), namespace="alice")

    response = signed_in_alice.get("/u/alice/-/activity/?action=")
    rows = rows_of(main(response))

    assert response.status_code == 200
    assert [r[1:4] for r in rows[:5]] == [
        ["anonymous 192.0.2.1", "login.failed", "alice"],
        ["anonymous 198.51.100.9", "pull", "alice/app:v1"],
        ["build by alice 10.1.2.3", "push", "alice/app:nightly"],
        ["alice (token “ci laptop”) 203.0.113.7", "delete", "alice/app@sha256:abababababab"],
        ["alice 203.0.113.7", "push", "alice/app:v1"],
    ]
    assert rows[3][4] == "kind=manifest"
    assert (
        rows[4][4] == "media_type=application/vnd.oci.image.manifest.v1+json, platforms=linux/amd64"
    )
    assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", rows[0][0])
    assert 'href="/r/alice/app/tags/v1/"' in main(response)


def test_details_are_escaped(signed_in_alice, alice, app):
    record(
        "permission.changed",
        actor=as_user(alice),
        repository=app,
        data={"change": "collaborator", "subject": "<script>alert(1)</script>"},
    )
    html = main(signed_in_alice.get(APP_LOG))
    assert "<script>alert(1)" not in html
    assert "subject=&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_action_filter_keeps_one_action_or_a_family(signed_in_alice, alice, app):
    push(app, "v1", alice)
    record("build.queued", actor=as_user(alice), repository=app)
    record("build.success", actor=as_user(alice), repository=app)

    pushes = rows_of(main(signed_in_alice.get(APP_LOG + "?action=push")))
    builds = rows_of(main(signed_in_alice.get(APP_LOG + "?action=build.")))

    assert [r[2] for r in pushes] == ["push"]
    assert [r[2] for r in builds] == ["build.success", "build.queued"]
    html = main(signed_in_alice.get(APP_LOG + "?action=build."))
    assert '<option value="build." selected>build.* (every build event)</option>' in html


def test_actor_repository_and_time_filters_on_the_namespace_page(
    signed_in_alice, alice, bob, app, site
):
    push(app, "v1", alice, minutes_ago=3 * 24 * 60)
    push(site, "v2", bob)
    push(app, "v3", bob)

    by_bob = rows_of(main(signed_in_alice.get("/u/alice/-/activity/?actor=bob")))
    in_site = rows_of(main(signed_in_alice.get("/u/alice/-/activity/?repository=site&action=push")))
    old = rows_of(
        main(signed_in_alice.get("/u/alice/-/activity/?action=push&until=" + _days_ago(2)))
    )

    assert [r[3] for r in by_bob] == ["alice/app:v3", "alice/site:v2"]
    assert [r[3] for r in in_site] == ["alice/site:v2"]
    assert [r[3] for r in old] == ["alice/app:v1"]


def _days_ago(days: int) -> str:
    return (timezone.now() - datetime.timedelta(days=days)).date().isoformat()


@pytest.mark.parametrize(
    "query, message",
    [
        ("since=last+week", "Enter a date (2026-01-31) or a date and time"),
        ("until=2026-02-30", "Enter a date (2026-01-31) or a date and time"),
        ("since=2026-02-01&until=2026-01-01", "“since” must not be after “until”."),
        ("action=shove", "Select a valid choice. shove is not one of the available choices."),
    ],
)
def test_a_bad_filter_says_what_is_wrong(signed_in_alice, alice, app, query, message):
    push(app, "v1", alice)
    response = signed_in_alice.get(f"/u/alice/-/activity/?{query}")
    assert response.status_code == 400
    html = main(response)
    assert message in html.replace("&quot;", '"').replace("&#x27;", "'")
    assert rows_of(html) == []
    # The CSV link asks the same: no file for a filter that means nothing.
    assert signed_in_alice.get(f"/u/alice/-/activity/?{query}&format=csv").status_code == 400


def test_fifty_rows_a_page_and_the_pages_keep_the_filters(signed_in_alice, alice, app):
    for i in range(120):
        record("pull", actor=as_user(alice), repository=app, tag=f"t{i}")

    first = signed_in_alice.get(APP_LOG + "?action=pull&actor=alice")
    third = signed_in_alice.get(APP_LOG + "?action=pull&actor=alice&page=3")

    assert len(rows_of(main(first))) == 50
    assert "120 events · page 1 of 3" in main(first)
    assert 'href="?action=pull&amp;actor=alice&amp;page=2"' in main(first)
    assert [r[3] for r in rows_of(main(third))][-1] == "alice/app:t0"
    assert len(rows_of(main(third))) == 20
    assert 'href="?action=pull&amp;actor=alice&amp;page=2"' in main(third)  # ← Newer


def test_the_csv_has_every_row_of_the_filter_in_the_pages_order(signed_in_alice, alice, app):
    for i in range(60):
        record("pull", actor=as_user(alice, token_name="ci"), repository=app, tag=f"t{i}")
    push(app, "v1", alice)

    shown = []
    for number in (1, 2):
        shown += rows_of(main(signed_in_alice.get(APP_LOG + f"?action=pull&page={number}")))
    response = signed_in_alice.get(APP_LOG + "?action=pull&format=csv")
    exported = csv_of(response)

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(
        r'attachment; filename="wharf-activity-alice-app-\d{8}-\d{6}\.csv"',
        response["Content-Disposition"],
    )
    assert len(exported) == len(shown) == 60
    assert [[r["actor"], r["action"], r["target"], r["details"]] for r in exported] == [
        [r[1].removesuffix(" 203.0.113.7"), r[2], r[3], r[4]] for r in shown
    ]
    assert {r["ip"] for r in exported} == {"203.0.113.7"}
    assert {r["token_name"] for r in exported} == {"ci"}
    page = main(signed_in_alice.get(APP_LOG + "?action=pull"))
    assert 'href="?action=pull&amp;format=csv"' in page


def test_csv_cells_that_would_run_as_formulas_are_quoted(signed_in_alice, alice, app):
    for name in ('=HYPERLINK("http://evil")', "+1+2", "-2+3", "@SUM(A1)", "plain"):
        record(
            "token.created",
            actor=as_user(alice, token_name=name),
            namespace="alice",
            data={"token": name, "kind": "pat"},
        )

    exported = csv_of(signed_in_alice.get("/u/alice/-/activity/?action=token.created&format=csv"))

    assert [r["token_name"] for r in exported] == [
        "plain",
        "'@SUM(A1)",
        "'-2+3",
        "'+1+2",
        '\'=HYPERLINK("http://evil")',
    ]
    assert [r["details"] for r in exported][-1] == 'kind=pat, token==HYPERLINK("http://evil")'


def test_an_empty_log_says_so(signed_in_alice, alice, app):
    Event.objects.all().delete()
    assert "No activity yet" in main(signed_in_alice.get(APP_LOG))
    assert "No activity matches these filters" in main(signed_in_alice.get(APP_LOG + "?actor=x"))


def test_the_settings_pages_link_to_the_activity(client, alice, acme, app):
    client.force_login(alice)
    assert 'href="/r/alice/app/settings/activity/"' in main(client.get("/r/alice/app/settings/"))
    assert 'href="/u/acme/-/activity/"' in main(client.get("/orgs/acme/settings/"))
    menu = client.get("/").content.decode()
    assert 'href="/u/alice/-/activity/"' in menu


# Signed in: the session and the user (2) and the user menu's organizations (1); then the
# page's own: what it is the log of, and the count and the rows of one page.
PAGES = {
    "/u/alice/-/activity/": 3,  # namespace, count, rows
    "/u/acme/-/activity/": 5,  # namespace, owner's role (who reads), role (the tabs), count, rows
    "/r/alice/app/settings/activity/": 4,  # repository, star button, count, rows
    "/-/activity/": 2,  # count, rows
}


@pytest.mark.parametrize("path, expected", PAGES.items())
def test_activity_pages_run_a_fixed_number_of_queries(
    client, alice, staff, acme, app, django_assert_num_queries, path, expected
):
    viewer = staff if path == "/-/activity/" else alice
    client.force_login(viewer)
    for count in (3, 60):
        for i in range(count):
            push(app, f"v{i}", alice)
            record("token.created", actor=as_user(alice, token_name="ci"), namespace="acme")
        with django_assert_num_queries(3 + expected):
            response = client.get(path + "?page=1")
        assert response.status_code == 200
        assert rows_of(main(response))
    # The CSV: no user menu and no count, and its rows in one query per thousand.
    with django_assert_num_queries(2 + expected - 1):
        response = client.get(path + "?format=csv")
        assert len(csv_of(response)) > 60


def test_every_cell_that_starts_like_a_formula_is_quoted():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert csv_safe(f"{start}1") == f"'{start}1"
    assert csv_safe("a=1") == "a=1" and csv_safe(5) == 5
    event = Event(
        pk=1,
        occurred_at=timezone.now(),
        action="push",
        actor_name="-x",
        actor_kind="user",
        namespace="alice",
        tag="@t",
        data={"=cmd": "1"},
    )
    row = csv_row(event)
    assert row[2] == "'-x" and row[-1] == "'=cmd=1" and row[9] == "'@t"
