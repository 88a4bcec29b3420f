"""The class meeting a webhook event is about, or `EventIgnored`.

A recurring meeting is shared by the classes of a series (one `ZoomMeeting` row each, same Zoom ID), so an
event about it belongs to the class whose window its instance started in: from INSTANCE_EARLY_START before
the class to the class's end. The instance's uuid is remembered with its class, so the instance's later
events (participants, the end, the summary, recordings) and a restart within the window find the same class.
"""

from django.db import IntegrityError, transaction
from django.db.models import Q

from ..inbox.dispatch import EventIgnored
from ..models import ZoomMeeting, ZoomMeetingInstance
from ..payloads import zoom_time
from ..tuning import INSTANCE_EARLY_START


def zoom_meeting_id_of(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise EventIgnored("The event names no meeting id.") from None


def hosted_by(connection):
    """Meetings the event's connection hosts (and those from before hosts were recorded, of its organization):
    an event of one host never reaches another host's classes, even in the same organization and Zoom account."""
    return Q(connection=connection) | Q(connection__isnull=True)


def meeting_for_event(context, *, meeting_id_field="id", uuid_field="uuid", start_field="start_time"):
    """The host's class meeting named by `payload.object[meeting_id_field]` (a string or a number)."""
    zoom_meeting_id = zoom_meeting_id_of(context.object.get(meeting_id_field))
    candidates = list(
        ZoomMeeting.objects.select_related("class_session__course", "organization").filter(
            hosted_by(context.connection), organization=context.organization, zoom_meeting_id=zoom_meeting_id
        )
    )
    if not candidates:
        raise EventIgnored("The meeting is not one of this organization's classes.")
    if len(candidates) == 1:
        return candidates[0]
    uuid = str(context.object.get(uuid_field) or "")
    return instance_class_meeting(
        organization=context.organization,
        zoom_meeting_id=zoom_meeting_id,
        candidates=candidates,
        uuid=uuid,
        start_time=zoom_time(context.object.get(start_field)),
    )


def meetings_for_events(contexts):
    """`meeting_for_event` of each context (or its EventIgnored), the organizations' meetings read in one query."""
    wanted = {}
    for context in contexts:
        try:
            wanted.setdefault(context.connection, set()).add(zoom_meeting_id_of(context.object.get("id")))
        except EventIgnored:
            pass
    # Two plain IN lists (a superset, narrowed below to each host's own meetings) where an OR per host, at the
    # top of the hour a hundred of them, costs longer to build than to run.
    hosts_by_organization = {}
    for connection, zoom_meeting_ids in wanted.items():
        hosts_by_organization.setdefault(connection.organization_id, []).append((connection, zoom_meeting_ids))
    candidates = {}
    for meeting in ZoomMeeting.objects.select_related("class_session__course", "organization").filter(
        organization_id__in=hosts_by_organization,
        zoom_meeting_id__in={value for values in wanted.values() for value in values},
    ):
        for connection, zoom_meeting_ids in hosts_by_organization[meeting.organization_id]:
            # As `hosted_by`: the host's own meetings, and those from before hosts were recorded.
            if meeting.zoom_meeting_id in zoom_meeting_ids and meeting.connection_id in (None, connection.pk):
                candidates.setdefault((connection.pk, meeting.zoom_meeting_id), []).append(meeting)
    found = []
    for context in contexts:
        try:
            zoom_meeting_id = zoom_meeting_id_of(context.object.get("id"))
        except EventIgnored as ignored:
            found.append(ignored)
            continue
        own = candidates.get((context.connection.pk, zoom_meeting_id), [])
        if len(own) == 1:
            found.append(own[0])
            continue
        try:  # none (ignored), or a series' shared meeting: the instance decides, as for one event
            found.append(meeting_for_event(context))
        except EventIgnored as ignored:
            found.append(ignored)
    return found


def class_for_start(candidates, start_time):
    """The class meeting whose window holds `start_time`; the latest-starting one when windows overlap."""
    inside = [
        meeting
        for meeting in candidates
        if meeting.class_session.starts_at - INSTANCE_EARLY_START <= start_time <= meeting.class_session.ends_at
    ]
    return max(inside, key=lambda meeting: meeting.class_session.starts_at) if inside else None


def instance_class_meeting(*, organization, zoom_meeting_id, candidates, uuid, start_time):
    """The class of one instance of a shared meeting: known by its uuid, else by when it started (then kept)."""
    if uuid:
        known = ZoomMeetingInstance.objects.filter(
            organization=organization, zoom_meeting_id=zoom_meeting_id, uuid=uuid
        ).first()
        if known is not None:
            for meeting in candidates:
                if meeting.pk == known.meeting_id:
                    return meeting
    if start_time is None:
        raise EventIgnored("The event names no instance start time, so its class of the series is unknown.")
    meeting = class_for_start(candidates, start_time)
    if meeting is None:
        raise EventIgnored("The meeting instance started outside every class of the series.")
    if uuid:
        try:
            with transaction.atomic():
                ZoomMeetingInstance.objects.get_or_create(
                    organization=organization,
                    zoom_meeting_id=zoom_meeting_id,
                    uuid=uuid,
                    defaults={"meeting": meeting, "start_time": start_time},
                )
        except IntegrityError:
            pass  # another worker recorded the same instance
    return meeting
