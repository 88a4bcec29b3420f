"""What evidence adds to the attendance report (registered in `apps.py`): polls answered per student, the polls
of the class, and the respondents no registration matched, for a trainer to assign.

Two or three queries per class, whatever the roster.
"""

from django.db.models import Count

from attendance.extensions import ReportColumn, ReportSection

from .models import PollAnswer, PollCheck
from .selectors import poll_counts_of_class

POLLS_HEADER = "Polls answered"


def polls_answered_column(*, class_session, registrations):
    """ "5 of 6" per student: distinct attendance-check polls answered of those asked in the class's runs."""
    asked, answered = poll_counts_of_class(class_session=class_session)
    if not asked:
        return []
    return [
        ReportColumn(
            header=POLLS_HEADER,
            cells={registration.pk: f"{answered.get(registration.pk, 0)} of {asked}" for registration in registrations},
            empty=f"0 of {asked}",
        )
    ]


def poll_respondents_section(*, class_session, registrations):
    polls = list(
        PollCheck.objects.filter(organization=class_session.organization, class_session=class_session)
        .annotate(respondents=Count("answers__respondent_name", distinct=True))
        .order_by("fetched_at", "id")
    )
    if not polls:
        return []
    unmatched = {}
    for answer in (
        PollAnswer.objects.filter(
            organization=class_session.organization, poll__class_session=class_session, registration__isnull=True
        )
        .select_related("poll")
        .order_by("answered_at", "id")
    ):
        key = (answer.poll.session_key, answer.respondent_email, answer.respondent_name)
        unmatched.setdefault(key, {"answer": answer, "polls": set()})["polls"].add(answer.poll_id)
    return [
        ReportSection(
            template="evidence/_poll_respondents.html",
            context={
                "polls": polls,
                "unmatched": [
                    {"answer": item["answer"], "polls_answered": len(item["polls"])} for item in unmatched.values()
                ],
                "can_assign": bool(registrations),
            },
        )
    ]
