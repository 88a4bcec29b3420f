"""Answers to the polls of an ended meeting instance (API-FACTS 5), kept as certification evidence.

Zoom lists one item per respondent, each with their answers (`question_details`) naming the poll by
`polling_id`. The answers are stored per poll and run through `evidence.services.poll_results_record`,
which matches respondents by email and keeps a second fetch from storing anything twice. A poll pushed
from CohortStudio and marked as an attendance check counts toward presence; any other poll run on Zoom
is kept and shown, but not counted.
"""

import logging

from evidence import services as evidence_services

from ..connection import selectors
from ..connection.tokens import meeting_client
from ..constants import FEATURE_POLL_RESULTS
from ..exceptions import ZoomMissingScope, ZoomNotFound, ZoomRejected
from ..models import ZoomMeeting, ZoomPoll
from ..payloads import zoom_time

logger = logging.getLogger(__name__)

SOURCE = "zoom"


def _answers_by_poll(body):
    """{polling_id: [answer, ...]} in Zoom's order, each answer as evidence takes it."""
    found = {}
    for respondent in body.get("questions") or []:
        email = str(respondent.get("email") or "").strip()
        name = str(respondent.get("name") or "").strip()
        for detail in respondent.get("question_details") or []:
            poll_id = str(detail.get("polling_id") or "").strip()
            question = str(detail.get("question") or "").strip()
            if not poll_id or not question:
                continue
            found.setdefault(poll_id, []).append(
                {
                    "email": email,
                    "name": name,
                    "question": question,
                    "answer": str(detail.get("answer") or ""),
                    "answered_at": zoom_time(detail.get("date_time")),
                }
            )
    return found


def poll_results_fetch(*, meeting_pk, zoom_uuid):
    """Fetch and keep the poll answers of one ended instance of the class's meeting; returns how many polls.

    `meeting_pk` is the class whose run it was (for a series, the class the instance was mapped to). A
    connection without the scope is not asked. Zoom being down or rate limited is raised for the task to retry.
    """
    meeting = (
        ZoomMeeting.objects.select_related("class_session__organization", "organization").filter(pk=meeting_pk).first()
    )
    if meeting is None or meeting.zoom_meeting_id is None:
        return 0
    connection = selectors.connection_for_meeting(meeting=meeting)
    if not selectors.connection_has_feature(connection=connection, feature=FEATURE_POLL_RESULTS):
        logger.info(
            "zoom poll results skipped meeting=%s: the connection lacks scopes %s",
            meeting.zoom_meeting_id,
            " ".join(FEATURE_POLL_RESULTS.missing(connection.scopes if connection else [])),
        )
        return 0
    client = meeting_client(meeting=meeting)
    try:
        body = client.past_meeting_poll_results(meeting_id_or_uuid=zoom_uuid, kind=meeting.kind) or {}
    except (ZoomMissingScope, ZoomNotFound, ZoomRejected) as error:
        logger.info("zoom poll results skipped meeting=%s: %s", meeting.zoom_meeting_id, type(error).__name__)
        return 0
    answers_by_poll = _answers_by_poll(body)
    ours = {
        poll.poll_id: poll
        for poll in ZoomPoll.objects.filter(
            organization=meeting.organization, zoom_meeting_id=meeting.zoom_meeting_id, poll_id__in=answers_by_poll
        )
    }
    for poll_id, answers in answers_by_poll.items():
        pushed = ours.get(poll_id)
        evidence_services.poll_results_record(
            class_session=meeting.class_session,
            source=SOURCE,
            session_key=zoom_uuid,
            poll_key=poll_id,
            # Zoom's results name no poll title; a poll added on Zoom is named by its first question.
            title=pushed.title if pushed else answers[0]["question"],
            attendance_check=bool(pushed and pushed.attendance_check),
            answers=answers,
        )
    logger.info(
        "zoom poll results stored meeting=%s polls=%d answers=%d",
        meeting.zoom_meeting_id,
        len(answers_by_poll),
        sum(len(answers) for answers in answers_by_poll.values()),
    )
    return len(answers_by_poll)
