"""Actions of the Zoom management page: polls, the AI summary and cloud recordings.

Each view loads the class within the signed-in organization (404 alike for
missing and foreign), calls one service and goes back to the page's section.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from courses.selectors import class_session_get
from orgs.access import get_for_org_or_404, member_required, owner_required

from . import meeting_views, selectors
from .connection import selectors as connection_selectors
from .constants import FEATURE_POLLS, FEATURE_RECORDINGS, FEATURE_SUMMARIES, POLL_QUESTION_MAX, POLL_TITLE_MAX
from .content import polls, recordings, summaries
from .exceptions import ZoomError, ZoomMissingScope, ZoomNeedsReconnect
from .models import ConnectionStatus, ZoomRecordingFile, ZoomSummary

# The manage page's polls section shows this bound form (with what was typed) after a refused push.
REQUEST_POLL_FORM = "zoom_poll_form"


class PollForm(forms.Form):
    title = forms.CharField(
        label="Poll title", required=False, widget=forms.TextInput(attrs={"maxlength": POLL_TITLE_MAX})
    )
    question = forms.CharField(
        label="Question", required=False, widget=forms.TextInput(attrs={"maxlength": POLL_QUESTION_MAX})
    )
    answers = forms.CharField(
        label="Answers",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="At least two, one per line.",
    )
    attendance_check = forms.BooleanField(
        label="Attendance check",
        required=False,
        help_text="Answering this poll counts as proof of presence: the attendance report shows "
        "“Polls answered 5 of 6” per student.",
    )

    def clean(self):
        data = super().clean()
        try:
            data["draft"] = polls.poll_draft_check(
                title=data.get("title"),
                question=data.get("question"),
                answers=polls.answers_from_lines(data.get("answers")),
            )
        except polls.PollInvalid as invalid:
            for field, errors in invalid.errors.items():
                for error in errors:
                    self.add_error(field, error)
        return data


def _class_and_meeting(request, class_id):
    class_session = class_session_get(organization=request.organization, class_session_id=class_id)
    return class_session, selectors.meeting_of_class(class_session=class_session)


def feature_missing_message(*, meeting, feature):
    """Why a feature cannot be used on the meeting now (its host not connected, or a scope not granted), else ""."""
    connection = connection_selectors.connection_for_meeting(meeting=meeting)
    if connection_selectors.connection_has_feature(connection=connection, feature=feature):
        return ""
    if connection is None or connection.status != ConnectionStatus.CONNECTED:
        return ZoomNeedsReconnect(connection=connection).user_message
    granted = set(connection.scopes)
    # An app with granular scopes (resource:action:object) is told the granular ones it lacks.
    granular = any(scope.count(":") >= 2 for scope in granted)
    return ZoomMissingScope(sorted(feature.granular - granted) if granular else feature.missing(granted)).user_message


def _usable(request, meeting, feature):
    if meeting is None or meeting.zoom_meeting_id is None:
        messages.error(request, "This class has no Zoom meeting.")
        return False
    problem = feature_missing_message(meeting=meeting, feature=feature)
    if problem:
        messages.error(request, problem)
        return False
    return True


def _back(class_session, anchor):
    response = redirect("zoom:manage", class_id=class_session.pk)
    response["Location"] += f"#{anchor}"
    return response


# Polls --------------------------------------------------------------------------


@member_required
@require_POST
def poll_create_view(request, class_id):
    class_session, meeting = _class_and_meeting(request, class_id)
    if not _usable(request, meeting, FEATURE_POLLS):
        return _back(class_session, "polls")
    form = PollForm(request.POST)
    if form.is_valid():
        try:
            poll = polls.poll_create(
                meeting=meeting,
                draft=form.cleaned_data["draft"],
                attendance_check=form.cleaned_data["attendance_check"],
            )
        except ZoomError as error:
            form.add_error(None, polls.poll_error_message(error))
        else:
            kind = "Attendance-check poll" if poll.attendance_check else "Poll"
            messages.success(
                request, f"{kind} “{poll.title}” pushed to Zoom. Launch it from the Zoom client during the class."
            )
            return _back(class_session, "polls")
    setattr(request, REQUEST_POLL_FORM, form)
    response = meeting_views.zoom_manage_view(request, class_id)
    response.status_code = 400
    return response


@member_required
@require_POST
def poll_delete_view(request, class_id, poll_id):
    class_session, meeting = _class_and_meeting(request, class_id)
    if not _usable(request, meeting, FEATURE_POLLS):
        return _back(class_session, "polls")
    try:
        deleted = polls.poll_delete(meeting=meeting, poll_id=poll_id)
    except ZoomError as error:
        messages.error(request, polls.poll_error_message(error))
    else:
        messages.success(request, "Poll deleted on Zoom." if deleted else "Zoom no longer had this poll.")
    return _back(class_session, "polls")


# AI summary ------------------------------------------------------------------------


@member_required
@require_POST
def summary_refresh_view(request, class_id):
    class_session, meeting = _class_and_meeting(request, class_id)
    if not _usable(request, meeting, FEATURE_SUMMARIES):
        return _back(class_session, "summary")
    try:
        summaries.summaries_refresh(meeting=meeting)
    except ZoomError as error:
        messages.warning(request, summaries.summary_error_message(error))
    else:
        messages.success(request, "The AI summary is up to date with Zoom.")
    return _back(class_session, "summary")


@owner_required
def summary_delete_view(request, class_id, summary_id):
    class_session, meeting = _class_and_meeting(request, class_id)
    summary = get_for_org_or_404(
        ZoomSummary, organization=request.organization, pk=summary_id, meeting=meeting, deleted_at__isnull=True
    )
    if request.method == "POST":
        if _usable(request, meeting, FEATURE_SUMMARIES):
            try:
                summaries.summary_delete(summary=summary)
            except ZoomError as error:
                messages.error(request, summaries.summary_error_message(error, deleting=True))
            else:
                messages.success(request, "The AI summary was deleted from your Zoom account and from CohortStudio.")
        return _back(class_session, "summary")
    return render(
        request,
        "zoom_integration/summary_delete.html",
        {"class_session": class_session, "course": class_session.course, "meeting": meeting, "summary": summary},
    )


# Recordings ------------------------------------------------------------------------


@member_required
@require_POST
def recordings_refresh_view(request, class_id):
    class_session, meeting = _class_and_meeting(request, class_id)
    if not _usable(request, meeting, FEATURE_RECORDINGS):
        return _back(class_session, "recordings")
    try:
        found = recordings.recordings_refresh(meeting=meeting)
    except ZoomError as error:
        messages.warning(request, recordings.recording_error_message(error))
    else:
        messages.success(
            request, f"Recordings are up to date with Zoom: {len(found)} file{'s' if len(found) != 1 else ''}."
        )
    return _back(class_session, "recordings")


def _recording_file(request, class_id, recording_id):
    class_session, meeting = _class_and_meeting(request, class_id)
    recording_file = get_for_org_or_404(
        ZoomRecordingFile, organization=request.organization, pk=recording_id, meeting=meeting, deleted_on_zoom=False
    )
    return class_session, recording_file


@member_required
@require_POST
def recording_share_view(request, class_id, recording_id):
    class_session, recording_file = _recording_file(request, class_id, recording_id)
    recordings.recording_share(recording_file=recording_file, user=request.user)
    messages.success(request, "Shared with the class: confirmed students see it in their student portal.")
    return _back(class_session, "recordings")


@member_required
@require_POST
def recording_unshare_view(request, class_id, recording_id):
    class_session, recording_file = _recording_file(request, class_id, recording_id)
    recordings.recording_unshare(recording_file=recording_file)
    messages.success(request, "Unshared: students no longer see it in CohortStudio. " + recordings.UNSHARE_LIMIT)
    return _back(class_session, "recordings")
