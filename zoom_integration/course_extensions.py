"""What Zoom adds to courses' pages, emails and hooks (registered in `ZoomIntegrationConfig.ready()`)."""

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q

from courses import extensions
from courses.extensions import JoinInfo, Panel

from . import jobs, selectors
from .connection import selectors as connection_selectors
from .constants import FEATURE_MEETINGS, KIND_MEETING, KIND_WEBINAR
from .models import ConnectionStatus, MeetingKind, MeetingStatus, ZoomMeeting, ZoomRegistrant
from .scheduling import host_plans, registrants

CREATE_MEETING_FIELD = extensions.ONLINE_MEETING_CREATE
MEETING_KIND_FIELD = "zoom_meeting_kind"
DELETE_MEETING_OPTION = extensions.ONLINE_MEETING_DELETE
SCHEDULE_CHANGES = {"title", "starts_at", "duration_minutes", "timezone"}


def class_form_fields(*, organization, class_session):
    """**Create Zoom meeting** on the class form, when a Zoom host is connected and the class has no meeting.

    The meeting is made on the class's host: its trainer's own Zoom when they connected one, else the
    organization's.
    """
    hosts = [
        connection
        for connection in connection_selectors.connections_of(organization=organization)
        if connection_selectors.connection_has_feature(connection=connection, feature=FEATURE_MEETINGS)
    ]
    if not hosts:
        return {}
    if class_session is not None and ZoomMeeting.objects.filter(class_session=class_session).exists():
        return {}
    organizations = next((connection for connection in hosts if connection.user_id is None), None)
    where = (
        f"on the trainer's own Zoom when they connected one, else under {organizations.zoom_email}"
        if organizations is not None
        else "on the trainer's own Zoom (the organization's Zoom is not connected)"
    )
    return {
        CREATE_MEETING_FIELD: forms.BooleanField(
            label="Create Zoom meeting",
            required=False,
            help_text=f"Creates the meeting {where}; students get their own join link.",
            widget=forms.CheckboxInput(attrs={"data-virtual-only": "true"}),
        ),
        MEETING_KIND_FIELD: _kind_field(
            connection_selectors.connection_for_class(class_session=class_session)
            if class_session is not None
            else organizations or hosts[0]
        ),
    }


def _kind_field(connection):
    """Zoom meeting or Zoom webinar; the webinar choice says why when the host's plan cannot run one."""
    unavailable = host_plans.webinar_unavailable_reason(connection=connection)
    webinar_label = MeetingKind.WEBINAR.label
    if unavailable:
        webinar_label += " (not available on this Zoom account)"
        help_text = unavailable
    else:
        help_text = (
            "A webinar suits large information sessions: attendees see and hear only you and your panelists, "
            "not one another."
        )

    def webinar_check(value):
        if value == KIND_WEBINAR and unavailable:
            raise ValidationError(unavailable)

    return forms.ChoiceField(
        label="Zoom session type",
        choices=[(KIND_MEETING, MeetingKind.MEETING.label), (KIND_WEBINAR, webinar_label)],
        initial=KIND_MEETING,
        required=False,
        help_text=help_text,
        validators=[webinar_check],
        widget=forms.Select(attrs={"data-virtual-only": "true"}),
    )


def class_session_hook(*, class_session, event, changes, options):
    if event in ("created", "updated") and options.get(CREATE_MEETING_FIELD) and class_session.is_virtual:
        # A service may ask for a meeting without knowing whether Zoom is connected (a booked session is).
        connection = connection_selectors.connection_for_class(class_session=class_session)
        if connection_selectors.connection_has_feature(connection=connection, feature=FEATURE_MEETINGS):
            jobs.meeting_request(class_session=class_session, kind=options.get(MEETING_KIND_FIELD) or KIND_MEETING)
        return
    meeting = ZoomMeeting.objects.filter(class_session=class_session).select_related("connection").first()
    if meeting is None or not meeting.is_ready:
        return
    if event == "updated" and "trainer" in changes and _moves_to_another_host(class_session, meeting):
        # A meeting belongs to its host's Zoom: the class gets a new one there, as New meeting ID does.
        jobs.meeting_replace(meeting=meeting)
    elif event == "updated" and SCHEDULE_CHANGES & set(changes) and not options.get("from_zoom"):
        jobs.meeting_update(meeting=meeting)
    elif event in ("cancelled", "deleting") and options.get(DELETE_MEETING_OPTION):
        if meeting.is_occurrence:
            jobs.occurrence_delete(meeting=meeting)  # the series' other classes keep the meeting
        else:
            jobs.meeting_delete(meeting=meeting)


def _moves_to_another_host(class_session, meeting):
    """The class's new trainer has their own connected Zoom (or left one): its meeting should move there."""
    if meeting.is_occurrence:
        return False  # the recurring meeting is the whole series', on its host
    host = connection_selectors.connection_for_class(class_session=class_session)
    if not connection_selectors.connection_has_feature(connection=host, feature=FEATURE_MEETINGS):
        return False
    current = (
        meeting.connection
        if meeting.connection_id
        else connection_selectors.connection_of(organization=class_session.organization)
    )
    return current is None or current.pk != host.pk


def schedule_conflicts(*, organization, class_session, starts_at, ends_at, virtual, options, trainer=None):
    """One Zoom host runs one meeting at a time: two classes of the same host at once would collide."""
    if not virtual:
        return []
    on_zoom = options.get(CREATE_MEETING_FIELD) or (
        class_session is not None and ZoomMeeting.objects.filter(class_session=class_session).exists()
    )
    if not on_zoom:
        return []
    trainer_id = trainer.pk if trainer is not None else (class_session.trainer_id if class_session else None)
    host = connection_selectors.connection_for_trainer(organization_id=organization.pk, trainer_id=trainer_id)
    if host is None:
        return []
    same_host = Q(connection=host)
    if host.user_id is not None:
        same_host |= Q(connection__isnull=True, class_session__trainer_id=host.user_id)
    else:  # meetings not made yet go to the organization's host unless their trainer has their own
        same_host |= Q(connection__isnull=True) & ~Q(
            class_session__trainer__zoom_connections__organization=organization,
            class_session__trainer__zoom_connections__status=ConnectionStatus.CONNECTED,
        )
    others = (
        ZoomMeeting.objects.filter(
            same_host,
            organization=organization,
            status__in=[MeetingStatus.READY, MeetingStatus.CREATING],
            class_session__status="scheduled",
            class_session__starts_at__lt=ends_at,
        )
        .exclude(class_session=class_session)
        .select_related("class_session")
    )
    if class_session is not None and class_session.series_id:
        # Classes of one recurring meeting never run at once: they are its occurrences.
        others = others.exclude(class_session__series=class_session.series_id)
    messages = []
    for meeting in others:
        other = meeting.class_session
        if other.ends_at <= starts_at:
            continue
        messages.append(
            f"“{other.title}” ({other.local_starts_at:%a %b %-d, %H:%M}–{other.local_ends_at:%H:%M} {other.timezone}) "
            "is on Zoom at the same time, with the same host: a Zoom host runs one meeting at a time."
        )
    return messages


def class_delete_options(*, class_session):
    meeting = ZoomMeeting.objects.filter(class_session=class_session, status=MeetingStatus.READY).first()
    if meeting is None:
        return []
    if meeting.is_occurrence:
        return [
            {
                "name": DELETE_MEETING_OPTION,
                "label": f"Also delete this class's occurrence of Zoom meeting {meeting.formatted_meeting_id}",
                "help": "The series' other classes keep the recurring meeting and every student's link.",
                "checked": True,
            }
        ]
    return [
        {
            "name": DELETE_MEETING_OPTION,
            "label": f"Also delete Zoom meeting {meeting.formatted_meeting_id} on Zoom",
            "help": "Untick to keep the meeting on your Zoom account.",
            "checked": True,
        }
    ]


def registration_hook(*, registration, event):
    if event == "confirmed":
        jobs.registrant_sync(registration=registration)
    elif event == "cancelled" and ZoomRegistrant.objects.filter(registration=registration).exists():
        jobs.registrant_cancel(registration=registration)


def join_info(*, registrations):
    """A student's unique link when they are pre-registered, else the meeting's own link (also after a disconnect)."""
    ids = [registration.pk for registration in registrations]
    class_ids = {registration.class_session_id for registration in registrations}
    personal = {
        row.registration_id: row
        for row in ZoomRegistrant.objects.filter(registration_id__in=ids, status="synced").exclude(join_url="")
    }
    by_class = {
        meeting.class_session_id: meeting
        for meeting in ZoomMeeting.objects.filter(class_session_id__in=class_ids, status=MeetingStatus.READY)
    }
    found = {}
    for registration in registrations:
        meeting = by_class.get(registration.class_session_id)
        if meeting is None:
            continue
        row = personal.get(registration.pk)
        found[registration.pk] = JoinInfo(
            url=row.join_url if row else meeting.join_url,
            meeting_id=meeting.formatted_meeting_id,
            passcode=meeting.password,
            personal=row is not None,
            label="Join on Zoom",
        )
    return found


def class_join_info(*, class_sessions):
    """The meeting's own link per class (for observers' feeds): no student's personal link."""
    return {
        meeting.class_session_id: JoinInfo(
            url=meeting.join_url,
            meeting_id=meeting.formatted_meeting_id,
            passcode=meeting.password,
            label="Join on Zoom",
        )
        for meeting in ZoomMeeting.objects.filter(
            class_session__in=[c.pk for c in class_sessions], status=MeetingStatus.READY
        ).exclude(join_url="")
    }


def zoom_panel(*, request, class_session):
    if not class_session.is_virtual and not ZoomMeeting.objects.filter(class_session=class_session).exists():
        return None
    return Panel(
        template="zoom_integration/_class_panel.html",
        context=selectors.zoom_panel_for_class(class_session=class_session, membership=request.membership),
        order=10,
    )


def online_hosting_note(*, organization, teacher):
    """For pages that make meetings on their own (booked sessions): under which Zoom user, or why none yet."""
    connection = connection_selectors.connection_for_trainer(
        organization_id=organization.pk, trainer_id=getattr(teacher, "pk", None)
    )
    if connection_selectors.connection_has_feature(connection=connection, feature=FEATURE_MEETINGS):
        return f"Each booked time gets its own Zoom meeting with a passcode, hosted by {connection.zoom_email}."
    return (
        "Zoom isn't connected, so booked times get no meeting link yet: the trainer connects their own Zoom under "
        "My Zoom, or an owner connects the organization's in Settings → Zoom."
    )


def register():
    extensions.class_form_fields.register(class_form_fields)
    extensions.class_session_hooks.register(class_session_hook)
    extensions.class_delete_options.register(class_delete_options)
    extensions.schedule_conflict_checkers.register(schedule_conflicts)
    extensions.registration_hooks.register(registration_hook)
    extensions.confirmation_deferrers.register(registrants.registrant_takes_confirmation)
    extensions.join_info_providers.register(join_info)
    extensions.class_join_info_providers.register(class_join_info)
    extensions.class_panels.register(zoom_panel)
    extensions.online_hosting_notes.register(online_hosting_note)
