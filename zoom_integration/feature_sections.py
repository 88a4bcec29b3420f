"""Polls, AI summary and recordings on the Zoom management page, and shared recordings in the student portal.

Registered by `register()` in `ZoomIntegrationConfig.ready()`. When the page
is opened after the class started and no summary or recording is held yet,
Zoom is asked for them there and then (the guide's "refresh the page after a
few minutes"); the answer, or why there is none, is shown in the section.
"""

from dataclasses import dataclass

from courses import extensions
from courses.extensions import PortalSection

from . import manage_page
from .constants import FEATURE_POLL_RESULTS, FEATURE_POLLS, FEATURE_RECORDINGS, FEATURE_SUMMARIES
from .content import polls, recordings, summaries
from .exceptions import ZoomError
from .feature_views import REQUEST_POLL_FORM, PollForm, feature_missing_message
from .models import ZoomRecordingFile


@dataclass(frozen=True)
class RecordingRow:
    recording_file: ZoomRecordingFile
    kind: str
    passcode: str = ""


def _rows(files, *, with_passcode=False):
    return [
        RecordingRow(
            recording_file=recording_file,
            kind=recordings.recording_kind(
                recording_type=recording_file.recording_type, file_type=recording_file.file_type
            ),
            passcode=recording_file.passcode() if with_passcode else "",
        )
        for recording_file in files
    ]


def _may_ask_zoom(request, class_session, problem):
    return request.method == "GET" and not problem and class_session.has_started


def polls_section(*, request, class_session, meeting):
    if not meeting.is_ready:
        return None
    problem = feature_missing_message(meeting=meeting, feature=FEATURE_POLLS)
    context = {
        "form": getattr(request, REQUEST_POLL_FORM, None) or PollForm(),
        "problem": problem,
        "results_problem": feature_missing_message(meeting=meeting, feature=FEATURE_POLL_RESULTS),
        "polls": [],
        "error": "",
    }
    if not problem:
        try:
            context["polls"] = polls.polls_of_meeting(meeting=meeting)
        except ZoomError as error:
            context["error"] = polls.poll_error_message(error)
    return {"template": "zoom_integration/_polls.html", "anchor": "polls", "label": "Polls", "context": context}


def summary_section(*, request, class_session, meeting):
    problem = feature_missing_message(meeting=meeting, feature=FEATURE_SUMMARIES)
    held = list(summaries.summaries_held(meeting=meeting))
    notice = ""
    # Once a summary was deleted here, Zoom's answer is its Trash copy: new ones come by event or Refresh.
    if not meeting.summaries.exists() and _may_ask_zoom(request, class_session, problem):
        try:
            held = summaries.summaries_refresh(meeting=meeting)
        except ZoomError as error:
            notice = summaries.summary_error_message(error)
    return {
        "template": "zoom_integration/_summary.html",
        "anchor": "summary",
        "label": "AI summary",
        "context": {
            "summaries": [(summary, summaries.summary_html(summary=summary)) for summary in held],
            "deleted": list(meeting.summaries.filter(deleted_at__isnull=False)) if not held else [],
            "problem": problem,
            "notice": notice,
            "started": class_session.has_started,
            "is_owner": request.membership is not None and request.membership.is_owner,
            "troubleshooting": summaries.TROUBLESHOOTING,
        },
    }


def recordings_section(*, request, class_session, meeting):
    problem = feature_missing_message(meeting=meeting, feature=FEATURE_RECORDINGS)
    held = recordings.recordings_of_meeting(meeting=meeting)
    notice = ""
    if not held and _may_ask_zoom(request, class_session, problem):
        try:
            held = recordings.recordings_refresh(meeting=meeting)
        except ZoomError as error:
            notice = recordings.recording_error_message(error)
    return {
        "template": "zoom_integration/_recordings.html",
        "anchor": "recordings",
        "label": "Recordings",
        "context": {
            "rows": _rows(held),
            "problem": problem,
            "notice": notice,
            "started": class_session.has_started,
            "unshare_limit": recordings.UNSHARE_LIMIT,
            "troubleshooting": summaries.TROUBLESHOOTING,
        },
    }


def recordings_portal_sections(*, request, registrations):
    """The recordings shared with each class the signed-in student is confirmed for, and nothing else."""
    own = [
        registration
        for registration in registrations
        if registration.student_id == request.user.pk and registration.is_confirmed
    ]
    return {
        registration_id: [
            PortalSection(
                template="zoom_integration/_portal_recordings.html", context={"rows": _rows(files, with_passcode=True)}
            )
        ]
        for registration_id, files in recordings.recordings_shared_with(registrations=own).items()
    }


def register():
    manage_page.register(polls_section)
    manage_page.register(summary_section)
    manage_page.register(recordings_section)
    extensions.portal_sections.register(recordings_portal_sections)
