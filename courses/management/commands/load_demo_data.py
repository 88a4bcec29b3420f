"""Loads the demo organization once, so a newcomer can click through the user guide.

Running it again changes nothing. Other apps extend the demo through the
`demo_data_loaders` registry of `courses.extensions`.
"""

from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from courses import extensions
from courses.demo import cohort_demo_load
from courses.models import ClassSession, Course, Registration
from orgs.models import Membership, Organization

DEMO_ORG_SLUG = "demo-training-co"
DEMO_OWNER_EMAIL = "owner@demo.cohortstudio.io"
DEMO_OWNER_PASSWORD = "demo-owner-2026"
DEMO_TRAINER_EMAIL = "trainer@demo.cohortstudio.io"
DEMO_STUDENT_EMAIL = "ada.lovelace@students.example.com"

STUDENTS = [
    ("Ada", "Lovelace"),
    ("Alan", "Turing"),
    ("Grace", "Hopper"),
    ("Katherine", "Johnson"),
    ("Edsger", "Dijkstra"),
    ("Barbara", "Liskov"),
    ("Donald", "Knuth"),
    ("Margaret", "Hamilton"),
    ("Tim", "Berners-Lee"),
    ("Radia", "Perlman"),
    ("Ken", "Thompson"),
    ("Frances", "Allen"),
    ("John", "McCarthy"),
    ("Shafi", "Goldwasser"),
    ("Vint", "Cerf"),
    ("Hedy", "Lamarr"),
    ("Claude", "Shannon"),
    ("Annie", "Easley"),
    ("Dennis", "Ritchie"),
    ("Sophie", "Wilson"),
    ("Guido", "van Rossum"),
    ("Anita", "Borg"),
    ("Linus", "Torvalds"),
    ("Adele", "Goldberg"),
    ("Leslie", "Lamport"),
]


def _student_email(first, last):
    return f"{first}.{last}".lower().replace(" ", "").replace("-", "") + "@students.example.com"


class Command(BaseCommand):
    help = "Create the demo organization (Demo Training Co) with courses, classes and students, once."

    def handle(self, *args, **options):
        organization = Organization.objects.filter(slug=DEMO_ORG_SLUG).first()
        if organization is None:
            with transaction.atomic():
                organization = self._create_demo()
            self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        else:
            self.stdout.write("Demo data already present; nothing changed.")
        students = [(first, last, _student_email(first, last)) for first, last in STUDENTS]
        cohort_demo_load(organization=organization, stdout=self.stdout, students=students)
        for loader in extensions.demo_data_loaders:
            loader(organization=organization, stdout=self.stdout)
        self.stdout.write(
            "\n  Sign in at /accounts/login/ as the demo owner:\n"
            f"    email:    {DEMO_OWNER_EMAIL}\n    password: {DEMO_OWNER_PASSWORD}\n"
            f"  A demo trainer: {DEMO_TRAINER_EMAIL} (same password).\n"
            f"  A demo student signs in to /portal/ with a code: {DEMO_STUDENT_EMAIL}"
            " (the code is printed in this console).\n"
        )

    def _user(self, email, password=None):
        User = get_user_model()
        user = User.objects.filter(email=email).first() or User.objects.create_user(email=email, password=password)
        EmailAddress.objects.get_or_create(user=user, email=email, defaults={"primary": True, "verified": True})
        return user

    def _create_demo(self):
        owner = self._user(DEMO_OWNER_EMAIL, DEMO_OWNER_PASSWORD)
        trainer = self._user(DEMO_TRAINER_EMAIL, DEMO_OWNER_PASSWORD)
        organization = Organization.objects.create(
            name="Demo Training Co", slug=DEMO_ORG_SLUG, timezone="America/New_York"
        )
        Membership.objects.create(organization=organization, user=owner, role="owner")
        Membership.objects.create(organization=organization, user=trainer, role="trainer")
        course = Course.objects.create(
            organization=organization,
            title="PMP Exam Prep",
            certification="Project Management Professional (PMP)",
            description="Eight live sessions covering the PMBOK guide, with practice exams.",
        )
        Course.objects.create(
            organization=organization,
            title="Scrum Master Fundamentals",
            certification="Professional Scrum Master I (PSM I)",
            description="Two days on Scrum theory, roles, events and artifacts.",
        )
        now = timezone.now().replace(second=0, microsecond=0)
        upcoming = ClassSession.objects.create(
            organization=organization,
            course=course,
            title="Week 3: Schedule management",
            starts_at=(now + timedelta(days=3)).replace(minute=0),
            duration_minutes=90,
            timezone=organization.timezone,
            delivery_mode="virtual",
            location="Have the practice workbook ready, chapters 5 and 6.",
            capacity=40,
        )
        past = ClassSession.objects.create(
            organization=organization,
            course=course,
            title="Week 2: Scope management",
            starts_at=(now - timedelta(days=4)).replace(minute=0),
            duration_minutes=90,
            timezone=organization.timezone,
            delivery_mode="virtual",
            capacity=40,
        )
        ClassSession.objects.create(
            organization=organization,
            course=course,
            title="Exam day bootcamp (in person)",
            starts_at=(now + timedelta(days=21)).replace(minute=0),
            duration_minutes=240,
            timezone=organization.timezone,
            delivery_mode="in_person",
            location="Suite 400, 125 Main Street, Boston MA",
            capacity=20,
        )
        for class_session in (upcoming, past):
            for first, last in STUDENTS:
                email = _student_email(first, last)
                Registration.objects.create(
                    organization=organization,
                    class_session=class_session,
                    student=self._user(email),
                    first_name=first,
                    last_name=last,
                    email=email,
                    confirmed_at=class_session.starts_at - timedelta(days=5),
                )
        return organization
