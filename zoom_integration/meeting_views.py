"""Views of a class's Zoom meeting: the panel's buttons and the Zoom management page."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from courses.selectors import class_session_get
from orgs.access import member_required, owner_required

from . import jobs, manage_page, selectors
from .connection import selectors as connection_selectors
from .constants import FEATURE_MEETINGS, KIND_MEETING, KIND_WEBINAR
from .exceptions import ZoomError, ZoomNeedsReconnect
from .scheduling import meetings
from .scheduling.host_plans import webinar_unavailable_reason

ROSTER_PAGE_SIZE = 50


def _class_and_meeting(request, class_id):
    class_session = class_session_get(organization=request.organization, class_session_id=class_id)
    return class_session, selectors.meeting_of_class(class_session=class_session)


def _host_of(class_session, meeting):
    if meeting is not None and meeting.connection_id:
        return meeting.connection
    return connection_selectors.connection_for_class(class_session=class_session)


def _connected_or_message(request, class_session, meeting):
    """True when the class's Zoom host is connected; else the message saying who must reconnect."""
    connection = _host_of(class_session, meeting)
    if connection_selectors.connection_has_feature(connection=connection, feature=FEATURE_MEETINGS):
        return True
    messages.error(request, ZoomNeedsReconnect(connection=connection).user_message)
    return False


def _back(class_session):
    return redirect("courses:class_detail", class_id=class_session.pk)


@member_required
@require_POST
def meeting_create_view(request, class_id):
    class_session, meeting = _class_and_meeting(request, class_id)
    if not class_session.is_virtual:
        messages.error(request, "Only virtual classes get a Zoom meeting. Set Delivery mode to Virtual first.")
    elif class_session.is_cancelled:
        messages.error(request, "This class was cancelled.")
    elif _connected_or_message(request, class_session, None):
        # A retry keeps the kind first asked for; a first create takes the button's.
        kind = meeting.kind if meeting is not None else request.POST.get("kind", KIND_MEETING)
        unavailable = kind == KIND_WEBINAR and webinar_unavailable_reason(
            connection=connection_selectors.connection_for_class(class_session=class_session)
        )
        if kind not in (KIND_MEETING, KIND_WEBINAR):
            messages.error(request, "Choose a Zoom meeting or a Zoom webinar.")
        elif unavailable:
            messages.error(request, unavailable)
        else:
            jobs.meeting_request(class_session=class_session, kind=kind)
            noun = "webinar" if kind == KIND_WEBINAR else "meeting"
            messages.info(request, f"Creating the Zoom {noun}. Its details appear here in a moment.")
    return _back(class_session)


@member_required
@require_POST
def meeting_start_view(request, class_id):
    """Start meeting: for the owners and the trainer whose own Zoom hosts the meeting (it signs in as the host)."""
    class_session, meeting = _class_and_meeting(request, class_id)
    if meeting is None or not meeting.is_ready:
        messages.error(request, "This class has no Zoom meeting to start.")
        return _back(class_session)
    host = _host_of(class_session, meeting)
    if not request.membership.is_owner and (host is None or host.user_id != request.user.pk):
        raise PermissionDenied("Only the meeting's host and the organization's owners can start it.")
    try:
        return redirect(meetings.meeting_start_url(meeting=meeting))
    except ZoomError as error:
        messages.error(request, error.user_message)
        return _back(class_session)


@member_required
@require_POST
def meeting_changes_view(request, class_id):
    class_session, meeting = _class_and_meeting(request, class_id)
    if meeting is None or not meeting.zoom_changes:
        return _back(class_session)
    if request.POST.get("keep") == "zoom":
        meetings.meeting_take_zoom_values(meeting=meeting)
        messages.success(request, "The class now matches the meeting on Zoom.")
    elif _connected_or_message(request, class_session, meeting):
        jobs.meeting_push_class_values(meeting=meeting)
        messages.info(request, "Putting the class's values back on Zoom.")
    return _back(class_session)


@member_required
def meeting_replace_view(request, class_id):
    class_session, meeting = _class_and_meeting(request, class_id)
    if meeting is None or meeting.zoom_meeting_id is None:
        return _back(class_session)
    if request.method == "POST":
        if _connected_or_message(request, class_session, None):
            jobs.meeting_replace(meeting=meeting)
            messages.info(
                request,
                "Creating a new Zoom meeting. Registered students are registered on it again "
                "and emailed their new links.",
            )
        return _back(class_session)
    return render(
        request, "zoom_integration/meeting_replace.html", {"class_session": class_session, "meeting": meeting}
    )


@member_required
def zoom_manage_view(request, class_id):
    class_session, meeting = _class_and_meeting(request, class_id)
    if meeting is None or meeting.zoom_meeting_id is None:
        messages.info(request, "Create the class's Zoom meeting first; its Zoom features appear once it exists.")
        return _back(class_session)
    roster = Paginator(selectors.registrants_for_meeting_page(class_session=class_session), ROSTER_PAGE_SIZE)
    context = {
        "class_session": class_session,
        "course": class_session.course,
        "meeting": meeting,
        "counts": selectors.registrant_counts(class_session=class_session),
        "roster": roster.get_page(request.GET.get("page")),
        "sections": [
            section
            for provider in manage_page.sections
            if (section := provider(request=request, class_session=class_session, meeting=meeting)) is not None
        ],
        "connected": connection_selectors.connection_has_feature(
            connection=_host_of(class_session, meeting), feature=FEATURE_MEETINGS
        ),
    }
    return render(request, "zoom_integration/manage.html", context)


@member_required
@require_POST
def registrants_sync_view(request, class_id):
    class_session, meeting = _class_and_meeting(request, class_id)
    if meeting is None or not meeting.is_ready:
        return _back(class_session)
    if not meeting.registration_enabled:
        messages.error(
            request,
            "Pre-registration needs a licensed Zoom host, so this meeting has no registration. "
            "Students get the meeting's join link instead.",
        )
    elif _connected_or_message(request, class_session, meeting):
        started = jobs.registrants_sync(meeting=meeting)
        messages.info(
            request,
            "Sync now started: students are being pre-registered with Zoom."
            if started
            else "A sync is already running; its progress is below.",
        )
    return redirect("zoom:manage", class_id=class_session.pk)


class MeetingDefaultsForm(forms.Form):
    waiting_room = forms.BooleanField(
        required=False, label="Waiting room", help_text="Students wait until you admit them."
    )
    join_before_host = forms.BooleanField(
        required=False,
        label="Join before host",
        help_text="Students may join before you start the meeting (Zoom ignores this while the waiting room is on).",
    )
    auto_recording_cloud = forms.BooleanField(
        required=False,
        label="Record to the cloud automatically",
        help_text="Needs Cloud Recording on your Zoom plan; recordings can then be shared with the class.",
    )


@owner_required
@require_POST
def meeting_defaults_view(request):
    form = MeetingDefaultsForm(request.POST)
    if form.is_valid():
        meetings.meeting_defaults_update(organization=request.organization, **form.cleaned_data)
        messages.success(request, "Meeting settings saved. They apply to meetings created from now on.")
    return redirect("zoom:settings")
