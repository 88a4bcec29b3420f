"""Reads: token lookup, meetings and instances as a host's token may see them."""

from urllib.parse import unquote

from django.utils import timezone

from zoom_simulator import constants
from zoom_simulator.exceptions import ApiError
from zoom_simulator.identifiers import token_digest
from zoom_simulator.models import Meeting, MeetingInstance, Token


def grant_for_access_token(*, token):
    """The active grant behind a bearer token, or the 124 refusal Zoom gives."""
    if not token:
        raise _invalid_token(constants.MESSAGE_REQUIRES_TOKEN)
    access_token = (
        Token.objects.select_related("grant__user")
        .filter(token_hash=token_digest(token), kind=Token.KIND_ACCESS)
        .first()
    )
    if access_token is None or access_token.revoked_at or access_token.grant.revoked_at:
        raise _invalid_token(constants.MESSAGE_INVALID_TOKEN)
    if access_token.expires_at <= timezone.now():
        raise _invalid_token(constants.MESSAGE_EXPIRED_TOKEN)
    return access_token.grant


def _invalid_token(message):
    return ApiError(status=401, code=constants.CODE_INVALID_TOKEN, message=message)


def meeting_not_found(meeting_ref, kind=constants.KIND_MEETING):
    message = (
        constants.MESSAGE_WEBINAR_NOT_FOUND if kind == constants.KIND_WEBINAR else constants.MESSAGE_MEETING_NOT_FOUND
    )
    return ApiError(status=404, code=constants.CODE_MEETING_NOT_FOUND, message=message.format(meeting_id=meeting_ref))


def meeting_get_for_host(*, host, meeting_ref, kind=constants.KIND_MEETING):
    """A live meeting (or, under /webinars, webinar) of this host by its numeric id; missing and foreign alike.

    A meeting asked for under /webinars (or the reverse) is not found, as on Zoom.
    """
    if not str(meeting_ref).isdigit():
        raise ApiError(status=400, code=constants.CODE_VALIDATION, message=constants.MESSAGE_INVALID_MEETING_ID)
    meeting = (
        Meeting.objects.select_related("host")
        .filter(meeting_id=int(meeting_ref), host=host, kind=kind, deleted_at__isnull=True)
        .first()
    )
    if meeting is None:
        raise meeting_not_found(meeting_ref, kind)
    return meeting


def meeting_uuid_from_path(raw_ref):
    """Undo Zoom's encoding of a uuid path segment (Django has already decoded it once).

    A uuid that begins with "/" or contains "//" must arrive double-encoded; sent
    single-encoded it reaches Zoom as a broken path, so it is not found.
    """
    if "%" in raw_ref:
        return unquote(raw_ref)
    if raw_ref.startswith("/") or "//" in raw_ref:
        return None
    return raw_ref


def instance_get_for_host(*, host, meeting_ref, ended_only=True, kind=None):
    """An instance by uuid, or the latest instance of a meeting id (as Zoom resolves ids); `kind` only that kind's."""
    instances = MeetingInstance.objects.select_related("meeting__host").filter(meeting__host=host)
    if kind is not None:
        instances = instances.filter(meeting__kind=kind)
    if ended_only:
        instances = instances.filter(ended_at__isnull=False)
    if meeting_ref.isdigit():
        instance = instances.filter(meeting__meeting_id=int(meeting_ref)).order_by("-started_at").first()
    else:
        uuid = meeting_uuid_from_path(meeting_ref)
        instance = instances.filter(uuid=uuid).first() if uuid else None
    if instance is None:
        raise meeting_not_found(meeting_ref, kind or constants.KIND_MEETING)
    return instance


def meeting_live_instance(*, meeting):
    return meeting.instances.filter(ended_at__isnull=True).first()


def meeting_latest_ended_instance(*, meeting):
    return meeting.instances.filter(ended_at__isnull=False).order_by("-started_at").first()


def meeting_status(*, meeting):
    return "started" if meeting_live_instance(meeting=meeting) else "waiting"
