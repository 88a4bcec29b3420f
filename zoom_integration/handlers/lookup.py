"""The class meeting a webhook event is about, or `EventIgnored`."""

from ..inbox.dispatch import EventIgnored
from ..models import ZoomMeeting


def _zoom_meeting_id(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise EventIgnored("The event names no meeting id.") from None


def meeting_for_event(context, *, meeting_id_field="id"):
    """The organization's class meeting named by `payload.object[meeting_id_field]` (a string or a number)."""
    zoom_meeting_id = _zoom_meeting_id(context.object.get(meeting_id_field))
    meeting = (
        ZoomMeeting.objects.select_related("class_session__course", "organization")
        .filter(organization=context.organization, zoom_meeting_id=zoom_meeting_id)
        .first()
    )
    if meeting is None:
        raise EventIgnored("The meeting is not one of this organization's classes.")
    return meeting
