"""Demo one-to-one sessions: the demo trainer's oral-exam practice with a few bookings, and a group Q&A clinic.

Booked through the product's services, so each booked time has its own meeting on the Zoom simulator.
"""

from django.test.utils import override_settings

from bookings import selectors, services
from bookings.models import BookingOffer
from courses.models import Course, Registration
from orgs.models import Membership
from zoom_integration.models import ZoomMeeting
from zoom_integration.scheduling import meetings, registrants

from .loaders import site_served

WEEKDAY_MORNINGS = [[day, "09:00", "12:00"] for day in range(5)]
WEEKDAY_AFTERNOONS = [[day, "16:00", "18:00"] for day in (1, 3)]


def bookings_demo_load(*, organization, stdout):
    if BookingOffer.objects.filter(organization=organization).exists():
        return
    trainer = Membership.objects.filter(organization=organization, role="trainer").select_related("user").first()
    prep = Course.objects.filter(organization=organization, title="PMP Exam Prep").first()
    if trainer is None or prep is None:
        return
    course = Course.objects.create(
        organization=organization,
        title="PMP oral exams and coaching",
        certification=prep.certification,
        description="Booked one-to-one and small-group sessions.",
        enrolment_open=False,
    )
    people = list(
        Registration.objects.filter(class_session__course=prep)
        .order_by("email")
        .values_list("first_name", "last_name", "email")
        .distinct()[:5]
    )
    with site_served(), override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"):
        oral = services.offer_create(
            organization=organization,
            course=course,
            trainer=trainer.user,
            title="Oral exam practice",
            description="A 30-minute mock oral exam on Zoom, with feedback on each knowledge area.",
            duration_minutes=30,
            buffer_minutes=10,
            timezone=organization.timezone,
            availability=WEEKDAY_MORNINGS,
            notice_hours=12,
            horizon_days=21,
            max_per_student=1,
            capacity=1,
        )
        clinic = services.offer_create(
            organization=organization,
            course=course,
            trainer=trainer.user,
            title="Exam Q&A clinic",
            description="Bring your questions; up to six students share one meeting.",
            duration_minutes=45,
            buffer_minutes=15,
            timezone=organization.timezone,
            availability=WEEKDAY_AFTERNOONS,
            notice_hours=12,
            horizon_days=21,
            max_per_student=2,
            capacity=6,
        )
        slots = selectors.offer_free_slots(offer=oral)
        for (first, last, email), start in zip(people[:3], slots[1::3], strict=False):
            _booked(services.booking_create(offer=oral, starts_at=start, first_name=first, last_name=last, email=email))
        clinic_start = selectors.offer_free_slots(offer=clinic)[0]
        for first, last, email in people[3:5]:
            _booked(
                services.booking_create(
                    offer=clinic, starts_at=clinic_start, first_name=first, last_name=last, email=email
                )
            )
    stdout.write("Demo one-to-one sessions: “Oral exam practice” with 3 bookings, a group Q&A clinic with 2.")


def _booked(booking):
    """Make sure the booked time's meeting exists and its student is on it, whatever ran the tasks."""
    meeting = ZoomMeeting.objects.filter(class_session=booking.slot.class_session).first()
    if meeting is None:
        return
    if not meeting.is_ready:
        meetings.meeting_create(meeting_pk=meeting.pk)
    registrants.registrants_sync(meeting_pk=meeting.pk)
