from datetime import timedelta

from django.utils import timezone

from orgs.templatetags.ui import time_ago


def test_time_ago_says_just_now_under_a_minute_and_counts_with_plurals():
    now = timezone.now()
    assert time_ago(now) == "just now"
    assert time_ago(now - timedelta(seconds=50)) == "just now"
    assert time_ago(now - timedelta(minutes=1, seconds=5)) == "1\xa0minute ago"
    assert time_ago(now - timedelta(minutes=5, seconds=5)) == "5\xa0minutes ago"
    assert time_ago(now - timedelta(hours=1, minutes=2, seconds=5)) == "1\xa0hour, 2\xa0minutes ago"
    assert time_ago(None) == ""
