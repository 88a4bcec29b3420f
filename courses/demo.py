"""Demo cohort for `make run`: an evening course run as an eight-class series, full, with a waitlist.

Made through the product's own services, as a trainer clicking through the pages would; loading it again
changes nothing.
"""

import zoneinfo
from datetime import time, timedelta

from django.test.utils import override_settings
from django.utils import timezone

from .cohorts import class_series_create, enrolment_create
from .models import Course
from .recurrence import WEEKLY, RepeatRule

COHORT_COURSE_TITLE = "PMP Evening Cohort"
COHORT_SEATS = 8
COHORT_WAITING = 2


def cohort_demo_load(*, organization, stdout, students):
    """`students` holds (first, last, email) triples; the first COHORT_SEATS fill the course, the next wait."""
    if Course.objects.filter(organization=organization, title=COHORT_COURSE_TITLE).exists():
        return
    # The demo's own emails would only flood the console.
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        course = Course.objects.create(
            organization=organization,
            title=COHORT_COURSE_TITLE,
            certification="Project Management Professional (PMP)",
            description="Eight Tuesday evenings, the same group each week: enrol once for the whole course.",
        )
        today = timezone.localdate(timezone=zoneinfo.ZoneInfo(organization.timezone))
        first_tuesday = today + timedelta(days=(1 - today.weekday()) % 7 or 7)
        class_series_create(
            course=course,
            title_pattern="Week {n}: PMP evening",
            rule=RepeatRule(first_tuesday, time(18, 30), organization.timezone, WEEKLY, weekdays=(1,), count=8),
            duration_minutes=90,
            delivery_mode="virtual",
            capacity=COHORT_SEATS,
            one_zoom_meeting=True,
        )
        for first, last, email in students[: COHORT_SEATS + COHORT_WAITING]:
            enrolment_create(course=course, first_name=first, last_name=last, email=email, by="trainer")
    stdout.write(
        f"Demo cohort “{COHORT_COURSE_TITLE}”: 8 weekly classes, {COHORT_SEATS} enrolled, {COHORT_WAITING} waiting."
    )
