"""Cloud recordings (API-FACTS 7): references to Zoom's files and the trainer's decision to share them.

The media stays on Zoom. We keep each file's kind, times, size, status, Zoom's
player and share links and the share passcode (encrypted); never a download
URL or token. A file trashed or deleted on Zoom is flagged and hidden, and
loses its sharing, so a recovered file is shared again only by choice.
"""

import logging

from django.db import transaction
from django.utils import timezone

from ..connection.tokens import meeting_client
from ..constants import RECORDING_FILE_TYPE_LABELS, RECORDING_TYPE_LABELS
from ..exceptions import ZoomNotFound, ZoomRejected
from ..models import ZoomRecordingFile
from ..payloads import zoom_time
from .summaries import TROUBLESHOOTING, latest_references

logger = logging.getLogger(__name__)

NOT_READY = (
    "No cloud recording yet: Zoom processes it after the meeting ends (usually 10 to 60 minutes), and only when "
    "the meeting was recorded to the cloud. " + TROUBLESHOOTING
)
UNSHARE_LIMIT = (
    "Unshare hides the recording in CohortStudio at once, but it cannot revoke a link someone already copied: "
    "to stop that, change the recording's passcode or sharing settings on Zoom, or delete it there."
)


def recording_kind(*, recording_type, file_type):
    """A file's kind in plain words."""
    if recording_type in RECORDING_TYPE_LABELS:
        return RECORDING_TYPE_LABELS[recording_type]
    if file_type in RECORDING_FILE_TYPE_LABELS:
        return RECORDING_FILE_TYPE_LABELS[file_type]
    return (recording_type or file_type or "Recording").replace("_", " ").capitalize()


def _file_key(item):
    """Zoom's file id; captions and timelines come without one, so they are named by kind and start."""
    if item.get("id"):
        return str(item["id"])[:128]
    return f"{item.get('file_type') or 'file'}@{item.get('recording_start') or ''}"[:128]


def recordings_store(*, meeting, recording):
    """Keep the files of one recorded instance as Zoom lists them (GET recordings or recording.completed).

    Files of that instance Zoom no longer lists are flagged deleted. Returns the files kept.
    """
    meeting_uuid = str(recording.get("uuid") or "")
    if not meeting_uuid:
        raise ValueError("A recording without a meeting uuid cannot be stored.")
    share_url = str(recording.get("share_url") or "")[:1000]
    passcode = str(recording.get("password") or "")
    kept = []
    with transaction.atomic():
        for item in recording.get("recording_files") or []:
            if not isinstance(item, dict):
                continue
            recording_file, _ = ZoomRecordingFile.objects.select_for_update().get_or_create(
                meeting=meeting,
                meeting_uuid=meeting_uuid,
                file_id=_file_key(item),
                defaults={"organization": meeting.organization},
            )
            recording_file.file_type = str(item.get("file_type") or "")[:16]
            recording_file.file_extension = str(item.get("file_extension") or "")[:16]
            recording_file.recording_type = str(item.get("recording_type") or "")[:64]
            recording_file.recording_start = zoom_time(item.get("recording_start"))
            recording_file.recording_end = zoom_time(item.get("recording_end"))
            recording_file.file_size = item.get("file_size") if isinstance(item.get("file_size"), int) else None
            recording_file.status = str(item.get("status") or "")[:16]
            recording_file.play_url = str(item.get("play_url") or "")[:1000]
            recording_file.share_url = share_url
            recording_file.set_passcode(passcode)
            if recording_file.deleted_on_zoom:
                recording_file.deleted_on_zoom = False
                recording_file.deleted_at = None
            recording_file.save()
            kept.append(recording_file)
        _files_mark_deleted(
            ZoomRecordingFile.objects.filter(meeting=meeting, meeting_uuid=meeting_uuid).exclude(
                pk__in=[recording_file.pk for recording_file in kept]
            )
        )
    logger.info("zoom recordings stored meeting=%s files=%d", meeting.pk, len(kept))
    return kept


def _files_mark_deleted(files):
    return files.filter(deleted_on_zoom=False).update(
        deleted_on_zoom=True,
        deleted_at=timezone.now(),
        shared=False,
        shared_by=None,
        shared_at=None,
        updated_at=timezone.now(),
    )


def recordings_mark_deleted(*, meeting, meeting_uuid, file_ids=()):
    """Zoom trashed or deleted some files of an instance (all of them when `file_ids` is empty)."""
    files = ZoomRecordingFile.objects.filter(meeting=meeting, meeting_uuid=meeting_uuid)
    if file_ids:
        files = files.filter(file_id__in=list(file_ids))
    count = _files_mark_deleted(files)
    logger.info("zoom recordings removed on zoom meeting=%s files=%d", meeting.pk, count)
    return count


def recordings_mark_recovered(*, meeting, meeting_uuid, file_ids=()):
    """Zoom restored trashed files: they are listed again, unshared."""
    files = ZoomRecordingFile.objects.filter(meeting=meeting, meeting_uuid=meeting_uuid, deleted_on_zoom=True)
    if file_ids:
        files = files.filter(file_id__in=list(file_ids))
    return files.update(deleted_on_zoom=False, deleted_at=None, updated_at=timezone.now())


def recordings_refresh(*, meeting):
    """Re-read each recorded instance we know (3301: all its files are gone), then the latest instance's.

    Returns the files listed now; raises the ZoomError of the latest-instance
    lookup when there is still no recording at all (a "not ready" is a ZoomNotFound).
    """
    client = meeting_client(meeting=meeting)
    known_uuids = list(
        ZoomRecordingFile.objects.filter(meeting=meeting, deleted_on_zoom=False)
        .order_by("meeting_uuid")
        .values_list("meeting_uuid", flat=True)
        .distinct()
    )
    for meeting_uuid in known_uuids:
        try:
            recording = client.recordings_get(meeting_id_or_uuid=meeting_uuid)
        except ZoomNotFound:
            recordings_mark_deleted(meeting=meeting, meeting_uuid=meeting_uuid)
            continue
        recordings_store(meeting=meeting, recording={"uuid": meeting_uuid, **(recording or {})})
    try:
        for reference in latest_references(meeting=meeting):
            if reference in known_uuids:
                continue
            latest = client.recordings_get(meeting_id_or_uuid=reference) or {}
            if meeting.is_occurrence:  # asked by the run's own uuid
                latest = {"uuid": reference, **latest}
            recordings_store(meeting=meeting, recording=latest)
    except ZoomNotFound:
        if not recordings_of_meeting(meeting=meeting):
            raise
    return recordings_of_meeting(meeting=meeting)


def recordings_of_meeting(*, meeting):
    return list(ZoomRecordingFile.objects.filter(meeting=meeting, deleted_on_zoom=False))


def recording_share(*, recording_file, user):
    if recording_file.deleted_on_zoom:
        return False
    ZoomRecordingFile.objects.filter(pk=recording_file.pk).update(
        shared=True, shared_by=user, shared_at=timezone.now(), updated_at=timezone.now()
    )
    logger.info("zoom recording shared file=%s by user=%s", recording_file.pk, user.pk)
    return True


def recording_unshare(*, recording_file):
    ZoomRecordingFile.objects.filter(pk=recording_file.pk).update(
        shared=False, shared_by=None, shared_at=None, updated_at=timezone.now()
    )
    logger.info("zoom recording unshared file=%s", recording_file.pk)


def recordings_shared_with(*, registrations):
    """{registration id: [files]} for confirmed registrations: the files shared with each one's class, same org."""
    confirmed = [registration for registration in registrations if registration.is_confirmed]
    by_class = {}
    files = ZoomRecordingFile.objects.filter(
        meeting__class_session_id__in={registration.class_session_id for registration in confirmed},
        shared=True,
        deleted_on_zoom=False,
    ).select_related("meeting")
    for recording_file in files:
        by_class.setdefault((recording_file.organization_id, recording_file.meeting.class_session_id), []).append(
            recording_file
        )
    found = {}
    for registration in confirmed:
        shared = by_class.get((registration.organization_id, registration.class_session_id))
        if shared:
            found[registration.pk] = shared
    return found


def recording_error_message(error):
    """What a trainer reads for each way Zoom can refuse recordings."""
    if isinstance(error, ZoomNotFound):
        return NOT_READY
    if isinstance(error, ZoomRejected):
        return f"Zoom refused to list the recordings: {error.zoom_message or 'no reason given'}. " + TROUBLESHOOTING
    return error.user_message
