"""meeting.deleted and meeting.updated: what changed on Zoom's side of a class's meeting."""

from ..constants import EVENT_MEETING_DELETED, EVENT_MEETING_UPDATED
from ..inbox.dispatch import register
from ..scheduling import meetings
from .lookup import meeting_for_event


@register(EVENT_MEETING_DELETED)
def meeting_deleted(*, context):
    meetings.meeting_mark_deleted_on_zoom(meeting=meeting_for_event(context))


@register(EVENT_MEETING_UPDATED)
def meeting_updated(*, context):
    meeting = meeting_for_event(context)
    if meeting.is_ready:
        meetings.meeting_record_zoom_changes(meeting=meeting, zoom_object=context.object)
