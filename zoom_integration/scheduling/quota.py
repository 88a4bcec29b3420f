"""Zoom's daily limit on a host's meeting creates and updates (100 per UTC day), planned for.

Each create or update is counted against the host before Zoom is asked, in a committed claim, so a call
is only made when it fits today: what does not fit waits until after 00:00 UTC and no call is made only to
get a 429. A call that then fails still counts, as it does on Zoom.
"""

from datetime import UTC, datetime, time, timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from ..constants import MEETING_WRITES_PER_DAY
from ..exceptions import ZoomDailyLimitPlanned
from ..models import ZoomHostDailyWrites


def next_utc_midnight(now=None):
    today = (now or timezone.now()).astimezone(UTC).date()
    return datetime.combine(today + timedelta(days=1), time(), tzinfo=UTC)


def meeting_write_claim(*, connection, message=None):
    """Count one meeting create/update for the connection's Zoom host today, or raise ZoomDailyLimitPlanned."""
    if connection is None:
        return
    now = timezone.now()
    day = now.astimezone(UTC).date()
    with transaction.atomic():
        try:
            with transaction.atomic():
                row, _ = ZoomHostDailyWrites.objects.select_for_update().get_or_create(
                    zoom_user_id=connection.zoom_user_id, day=day
                )
        except IntegrityError:
            row = ZoomHostDailyWrites.objects.select_for_update().get(zoom_user_id=connection.zoom_user_id, day=day)
        if row.used >= MEETING_WRITES_PER_DAY:
            raise ZoomDailyLimitPlanned(next_utc_midnight(now), message=message)
        ZoomHostDailyWrites.objects.filter(pk=row.pk).update(used=F("used") + 1)


def meeting_writes_used_today(*, connection):
    if connection is None:
        return 0
    day = timezone.now().astimezone(UTC).date()
    row = ZoomHostDailyWrites.objects.filter(zoom_user_id=connection.zoom_user_id, day=day).first()
    return row.used if row else 0
