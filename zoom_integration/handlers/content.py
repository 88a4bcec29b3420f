"""AI summaries and cloud recordings announced by Zoom's webhooks."""

from ..constants import (
    EVENT_RECORDING_COMPLETED,
    EVENT_RECORDING_DELETED,
    EVENT_RECORDING_RECOVERED,
    EVENT_RECORDING_TRASHED,
    EVENT_SUMMARY_COMPLETED,
)
from ..content import recordings, summaries
from ..exceptions import ZoomError, ZoomRateLimited, ZoomUnavailable
from ..inbox.dispatch import EventIgnored, register
from .lookup import meeting_for_event


@register(EVENT_SUMMARY_COMPLETED)
def meeting_summary_completed(*, context):
    """Fetch the summary the event announces (by its instance uuid) and keep our copy."""
    meeting = meeting_for_event(
        context, meeting_id_field="meeting_id", uuid_field="meeting_uuid", start_field="meeting_start_time"
    )
    meeting_uuid = str(context.object.get("meeting_uuid") or "")
    if not meeting_uuid:
        raise EventIgnored("The event names no meeting instance.")
    try:
        summaries.summary_fetch(meeting=meeting, meeting_id_or_uuid=meeting_uuid)
    except (ZoomUnavailable, ZoomRateLimited):
        raise
    except ZoomError as error:
        raise EventIgnored(summaries.summary_error_message(error)) from None


@register(EVENT_RECORDING_COMPLETED)
def recording_completed(*, context):
    """The event lists every file of the instance: keep their references (never its download token)."""
    meeting = meeting_for_event(context)
    recordings.recordings_store(meeting=meeting, recording=context.object)


def _removed_files(context):
    meeting = meeting_for_event(context)
    meeting_uuid = str(context.object.get("uuid") or "")
    if not meeting_uuid:
        raise EventIgnored("The event names no meeting instance.")
    file_ids = [str(item["id"]) for item in context.object.get("recording_files") or [] if item.get("id")]
    return meeting, meeting_uuid, file_ids


@register(EVENT_RECORDING_DELETED)
def recording_deleted(*, context):
    meeting, meeting_uuid, file_ids = _removed_files(context)
    recordings.recordings_mark_deleted(meeting=meeting, meeting_uuid=meeting_uuid, file_ids=file_ids)


@register(EVENT_RECORDING_TRASHED)
def recording_trashed(*, context):
    meeting, meeting_uuid, file_ids = _removed_files(context)
    recordings.recordings_mark_deleted(meeting=meeting, meeting_uuid=meeting_uuid, file_ids=file_ids)


@register(EVENT_RECORDING_RECOVERED)
def recording_recovered(*, context):
    meeting, meeting_uuid, file_ids = _removed_files(context)
    recordings.recordings_mark_recovered(meeting=meeting, meeting_uuid=meeting_uuid, file_ids=file_ids)
