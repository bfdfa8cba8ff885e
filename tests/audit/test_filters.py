"""Reading the times and actions people type into the filters."""

import datetime

import pytest

from audit.filters import ACTION_CHOICES, action_check, moment_parse, order_check

UTC = datetime.UTC


def test_a_date_means_its_whole_day():
    assert moment_parse("2026-01-31") == datetime.datetime(2026, 1, 31, tzinfo=UTC)
    end = moment_parse("2026-01-31", end=True)
    assert end == datetime.datetime(2026, 1, 31, 23, 59, 59, 999999, tzinfo=UTC)


def test_a_datetime_keeps_its_offset_and_a_naive_one_is_in_the_sites_time_zone():
    assert moment_parse("2026-01-31T14:30+02:00") == datetime.datetime(
        2026, 1, 31, 12, 30, tzinfo=UTC
    )
    assert moment_parse("2026-01-31T14:30:05Z") == datetime.datetime(
        2026, 1, 31, 14, 30, 5, tzinfo=UTC
    )
    assert moment_parse("2026-01-31 14:30") == datetime.datetime(2026, 1, 31, 14, 30, tzinfo=UTC)


def test_nothing_narrows_nothing():
    assert moment_parse("") is None
    assert moment_parse("   ") is None


@pytest.mark.parametrize(
    "value", ["yesterday", "2026-02-30", "2026-01-31T25:00", "31/01/2026", "9" * 60]
)
def test_a_bad_moment_says_what_to_type(value):
    with pytest.raises(ValueError) as error:
        moment_parse(value)
    assert str(error.value).startswith("Enter a date (2026-01-31) or a date and time")


def test_since_after_until_is_refused():
    early, late = moment_parse("2026-01-01"), moment_parse("2026-02-01")
    order_check(early, late)
    order_check(early, None)
    with pytest.raises(ValueError, match="“since” must not be after “until”"):
        order_check(late, early)


def test_actions_and_families_are_known_and_others_refused():
    assert {"push", "build.success", "build.", "token.", "repository."} <= set(ACTION_CHOICES)
    assert action_check("build.") == "build."
    with pytest.raises(ValueError, match="Unknown action 'shove'"):
        action_check("shove")
