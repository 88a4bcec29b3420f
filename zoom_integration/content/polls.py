"""Polls pushed to a class's Zoom meeting (API-FACTS 5).

Zoom is the record of a meeting's polls: they are listed from Zoom each time,
so polls added in the Zoom web portal show too. What CohortStudio adds is kept
in a `ZoomPoll` row per pushed poll: whether it is an attendance check.
"""

import logging
from dataclasses import dataclass

from ..connection.tokens import meeting_client
from ..constants import (
    CODE_CANNOT_HOST,
    CODE_POLLS_DISABLED,
    CODE_VALIDATION_FAILED,
    POLL_ANSWERS_MIN,
    POLL_QUESTION_MAX,
    POLL_QUESTION_SINGLE,
    POLL_SINGLE_ANSWERS_MAX,
    POLL_TITLE_MAX,
    POLL_TYPE_POLL,
)
from ..exceptions import ZoomNotFound, ZoomRejected
from ..models import ZoomPoll

logger = logging.getLogger(__name__)

POLL_STATUS_LABELS = {
    "notstart": "Not launched yet",
    "started": "Running",
    "ended": "Ended",
    "sharing": "Results shared",
    "deactivated": "Deactivated",
}


class PollInvalid(Exception):
    """The poll breaks one of our checks or Zoom's limits; `errors` maps a field to its messages."""

    def __init__(self, errors):
        self.errors = errors
        super().__init__("; ".join(message for messages in errors.values() for message in messages))


@dataclass(frozen=True)
class PollDraft:
    title: str
    question: str
    answers: tuple


@dataclass(frozen=True)
class PollOnZoom:
    poll_id: str
    title: str
    status: str
    questions: list
    attendance_check: bool = False

    @property
    def status_label(self):
        return POLL_STATUS_LABELS.get(self.status, self.status.capitalize())


def answers_from_lines(text):
    """One answer per line; blank lines and surrounding spaces dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def poll_draft_check(*, title, question, answers):
    """The poll as Zoom will take it, or PollInvalid naming every rule broken (Zoom's limits by their numbers)."""
    title = (title or "").strip()
    question = (question or "").strip()
    answers = [answer.strip() for answer in answers if answer and answer.strip()]
    errors = {}
    if not title:
        errors.setdefault("title", []).append("Enter a poll title.")
    elif len(title) > POLL_TITLE_MAX:
        errors.setdefault("title", []).append(
            f"Zoom allows poll titles of at most {POLL_TITLE_MAX} characters; this one has {len(title)}."
        )
    if not question:
        errors.setdefault("question", []).append("Enter the question.")
    elif len(question) > POLL_QUESTION_MAX:
        errors.setdefault("question", []).append(
            f"Zoom allows questions of at most {POLL_QUESTION_MAX:,} characters; this one has {len(question):,}."
        )
    seen = {}
    duplicates = []
    for answer in answers:
        key = answer.casefold()
        if key in seen and seen[key] not in duplicates:
            duplicates.append(seen[key])
        seen.setdefault(key, answer)
    if len(answers) < POLL_ANSWERS_MIN:
        errors.setdefault("answers", []).append("Enter at least two answers, one per line.")
    if len(answers) > POLL_SINGLE_ANSWERS_MAX:
        errors.setdefault("answers", []).append(
            f"Zoom allows at most {POLL_SINGLE_ANSWERS_MAX} answers to a single-choice question; "
            f"this poll has {len(answers)}."
        )
    if duplicates:
        named = ", ".join(f"“{answer}”" for answer in duplicates)
        errors.setdefault("answers", []).append(f"Each answer must be different: {named} appears more than once.")
    if errors:
        raise PollInvalid(errors)
    return PollDraft(title=title, question=question, answers=tuple(answers))


def poll_body(*, draft):
    """The POST /meetings/{meetingId}/polls body: one single-choice question, answer required."""
    return {
        "title": draft.title,
        "poll_type": POLL_TYPE_POLL,
        "anonymous": False,
        "questions": [
            {
                "name": draft.question,
                "type": POLL_QUESTION_SINGLE,
                "answer_required": True,
                "answers": list(draft.answers),
            }
        ],
    }


def _poll_of(item):
    return PollOnZoom(
        poll_id=str(item.get("id") or ""),
        title=item.get("title") or "",
        status=item.get("status") or "",
        questions=[
            {"name": question.get("name") or "", "answers": list(question.get("answers") or [])}
            for question in item.get("questions") or []
        ],
    )


def poll_create(*, meeting, draft, attendance_check=False):
    """Push a checked poll to the meeting on Zoom and remember it (with `attendance_check`); Zoom's refusal is
    raised as a ZoomError."""
    client = meeting_client(meeting=meeting)
    created = client.poll_create(meeting_id=meeting.zoom_meeting_id, body=poll_body(draft=draft), kind=meeting.kind)
    poll = _poll_of(created)
    if poll.poll_id:
        ZoomPoll.objects.update_or_create(
            organization=meeting.organization,
            zoom_meeting_id=meeting.zoom_meeting_id,
            poll_id=poll.poll_id,
            defaults={"title": poll.title or draft.title, "attendance_check": attendance_check, "pushed_from": meeting},
        )
    logger.info("zoom poll created meeting=%s poll=%s attendance_check=%s", meeting.pk, poll.poll_id, attendance_check)
    return PollOnZoom(poll.poll_id, poll.title, poll.status, poll.questions, attendance_check=attendance_check)


def polls_of_meeting(*, meeting):
    """The meeting's polls as Zoom has them now, including those added in Zoom (read while the page waits)."""
    client = meeting_client(meeting=meeting, for_page=True)
    answer = client.polls_list(meeting_id=meeting.zoom_meeting_id, kind=meeting.kind) or {}
    checks = set(
        ZoomPoll.objects.filter(
            organization=meeting.organization, zoom_meeting_id=meeting.zoom_meeting_id, attendance_check=True
        ).values_list("poll_id", flat=True)
    )
    found = [_poll_of(item) for item in answer.get("polls") or []]
    return [
        PollOnZoom(poll.poll_id, poll.title, poll.status, poll.questions, attendance_check=poll.poll_id in checks)
        for poll in found
    ]


def poll_delete(*, meeting, poll_id):
    """Delete a poll on Zoom; True when deleted now, False when Zoom no longer had it."""
    client = meeting_client(meeting=meeting)
    try:
        client.poll_delete(meeting_id=meeting.zoom_meeting_id, poll_id=poll_id, kind=meeting.kind)
    except ZoomNotFound:
        return False
    logger.info("zoom poll deleted meeting=%s poll=%s", meeting.pk, poll_id)
    return True


def poll_error_message(error):
    """What a trainer reads when Zoom refuses a poll."""
    if isinstance(error, ZoomRejected):
        if error.code == CODE_POLLS_DISABLED:
            return (
                "Zoom refused the poll because polls are turned off for this Zoom account. Turn on "
                "“Meeting Polls/Quizzes” in your Zoom web settings (Settings → Meeting → In Meeting), "
                "then click Push to Zoom again."
            )
        if error.code == CODE_CANNOT_HOST:
            return (
                "Zoom refused the poll because the connected Zoom user may not host meetings. "
                "Ask your Zoom account admin to allow it, then try again."
            )
        if error.code == CODE_VALIDATION_FAILED:
            return (
                f"Zoom refused the poll as invalid ({error.zoom_message or 'no reason given'}). Check it and try again."
            )
        return f"Zoom refused the poll: {error.zoom_message or 'no reason given'}."
    if isinstance(error, ZoomNotFound):
        return (
            "Zoom no longer has this meeting, so the poll could not be added. Create a new meeting from the class page."
        )
    return error.user_message
