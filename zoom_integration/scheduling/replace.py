"""New meeting ID: a fresh meeting replaces a class's meeting, and every student is registered again."""

import logging

from django.utils import timezone

from courses.services import class_session_invite_revise

from ..connection import selectors
from ..connection.tokens import connection_client
from ..exceptions import ZoomError, ZoomNotFound
from ..models import MeetingStatus, SyncStatus, ZoomMeeting
from . import meetings
from .registrants import registrants_reset, registrants_sync

logger = logging.getLogger(__name__)


def meeting_replace(*, meeting_pk):
    """Create a new meeting, delete the old one on Zoom, re-register students and email their new links."""
    meeting = ZoomMeeting.objects.select_related("organization").get(pk=meeting_pk)
    old_zoom_meeting_id = meeting.zoom_meeting_id
    # The new meeting is made on the class's host now (its trainer may have changed); the old one is deleted
    # by the host that has it.
    old_connection = selectors.connection_for_meeting(meeting=meeting)
    ZoomMeeting.objects.filter(pk=meeting.pk).update(
        zoom_meeting_id=None, connection=None, status=MeetingStatus.CREATING
    )
    try:
        meetings.meeting_create(meeting_pk=meeting.pk)
    except ZoomError:
        ZoomMeeting.objects.filter(pk=meeting.pk).update(zoom_meeting_id=old_zoom_meeting_id, connection=old_connection)
        raise
    if old_zoom_meeting_id:
        try:
            connection_client(connection=old_connection).meeting_delete(
                meeting_id=old_zoom_meeting_id, kind=meeting.kind
            )
        except ZoomNotFound:
            logger.info("the replaced zoom meeting was already gone")
    # Students are emailed their new links with an invite that must replace the one they hold.
    class_session_invite_revise(class_session_id=meeting.class_session_id)
    registrants_reset(meeting_pk=meeting.pk)
    ZoomMeeting.objects.filter(pk=meeting.pk).update(sync_status=SyncStatus.RUNNING, sync_started_at=timezone.now())
    return registrants_sync(meeting_pk=meeting.pk)
