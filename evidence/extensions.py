"""What other apps plug into evidence (filled in their AppConfig.ready())."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class CourseProgress:
    """Where one enrolled student stands in a course, from the same attendance the class pages show."""

    enrolment_id: int
    status: str  # "in_progress", "completed" or "not_completed"
    reason: str  # in words: "missed 2 of 8 classes; 1 allowed"
    classes_total: int
    classes_attended: int
    minutes: int
    credits: Decimal
    credit_label: str  # "CPE credits", "PDUs", "contact hours"
    polls_answered: int = 0
    polls_total: int = 0
    first_class_on: date | None = None
    last_class_on: date | None = None
    per_class: tuple = field(default_factory=tuple)


class _Registry:
    def __init__(self):
        self._items = []

    def register(self, item):
        if item not in self._items:
            self._items.append(item)
        return item

    def __iter__(self):
        return iter(list(self._items))


# hook(*, enrolment, progress: CourseProgress) after commit, once per enrolment that became "completed"
# (for example: issue its certificate). Hooks must be idempotent: a recomputation may call them again.
course_completed_hooks = _Registry()

# provider(*, enrolments) -> {enrolment_id: (certificate number, status label)}: for the audit file and pages.
certificate_summaries = _Registry()


def certificates_of(enrolments):
    found = {}
    for provider in certificate_summaries:
        for enrolment_id, summary in provider(enrolments=enrolments).items():
            found.setdefault(enrolment_id, summary)
    return found
