"""meeting.deleted and meeting.updated (webinar.deleted, webinar.updated alike): what changed on Zoom's side of a
class's meeting, and a meeting converted to a webinar or back (later calls use that kind's endpoints)."""

from ..constants import (
    EVENT_MEETING_CONVERTED_TO_WEBINAR,
    EVENT_MEETING_DELETED,
    EVENT_MEETING_UPDATED,
    EVENT_WEBINAR_CONVERTED_TO_MEETING,
    EVENT_WEBINAR_DELETED,
    EVENT_WEBINAR_UPDATED,
    KIND_MEETING,
    KIND_WEBINAR,
)
from ..inbox.dispatch import EventIgnored, register
from ..models import ZoomMeeting
from ..scheduling import meetings
from .lookup import hosted_by, meeting_for_event, zoom_meeting_id_of


def _series_rows(context):
    """The class rows sharing the event's recurring meeting (empty for a meeting of one class)."""
    rows = list(
        ZoomMeeting.objects.select_related("class_session__course").filter(
            hosted_by(context.connection),
            organization=context.organization,
            zoom_meeting_id=zoom_meeting_id_of(context.object.get("id")),
        )
    )
    return rows if len(rows) > 1 or any(row.is_occurrence for row in rows) else []


@register(EVENT_MEETING_DELETED)
@register(EVENT_WEBINAR_DELETED)
def meeting_deleted(*, context):
    rows = _series_rows(context)
    if not rows:
        meetings.meeting_mark_deleted_on_zoom(meeting=meeting_for_event(context))
        return
    # operation "single": only the occurrences named went; otherwise the whole recurring meeting.
    named = {str(item.get("occurrence_id")) for item in context.object.get("occurrences") or []}
    for row in rows:
        if context.body.get("operation") != "single" or row.occurrence_id in named:
            meetings.meeting_mark_deleted_on_zoom(meeting=row)


@register(EVENT_MEETING_UPDATED)
@register(EVENT_WEBINAR_UPDATED)
def meeting_updated(*, context):
    if _series_rows(context):
        raise EventIgnored("Changes made on Zoom to a series' recurring meeting are not taken per class.")
    meeting = meeting_for_event(context)
    if meeting.is_ready:
        meetings.meeting_record_zoom_changes(meeting=meeting, zoom_object=context.object)


def _converted(context, kind):
    # Every class sharing the Zoom ID follows: they are one meeting on Zoom.
    for meeting in _series_rows(context) or [meeting_for_event(context)]:
        meetings.meeting_kind_converted(meeting=meeting, kind=kind)


@register(EVENT_MEETING_CONVERTED_TO_WEBINAR)
def meeting_converted_to_webinar(*, context):
    _converted(context, KIND_WEBINAR)


@register(EVENT_WEBINAR_CONVERTED_TO_MEETING)
def webinar_converted_to_meeting(*, context):
    _converted(context, KIND_MEETING)
