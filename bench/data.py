"""The rows a benchmark needs, made with the project's models and services in the benchmark's own database.

Classes are created as rows (not through `class_session_create`) so no class hook asks Zoom for a meeting; the
Zoom connection, meeting and registrants are rows as a finished "Create meeting" and "Sync now" leave them.
"""

import secrets
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from courses.models import ClassSession, Course, Registration
from orgs.models import Membership, Organization, Role
from zoom_integration.constants import SCOPES_GRANULAR
from zoom_integration.models import (
    ConnectionStatus,
    MeetingStatus,
    RegistrantStatus,
    ZoomConnection,
    ZoomMeeting,
    ZoomRegistrant,
)

TRAINER_PASSWORD = "bench-trainer-password"
ZOOM_ACCOUNT_ID = "benchAccountA1b2C3d4E5"
ZOOM_HOST_ID = "benchHostZ9y8X7w6V5u4"


def organization_with_trainer(*, name, zoom_user_id=ZOOM_HOST_ID, zoom_account_id=ZOOM_ACCOUNT_ID):
    """An organization whose Zoom is connected (as `zoom_user_id` of `zoom_account_id`), and a trainer of it."""
    User = get_user_model()
    with transaction.atomic():
        organization = Organization.objects.create(name=name, slug=f"bench-{secrets.token_hex(4)}", timezone="UTC")
        trainer = User.objects.create_user(
            email=f"trainer-{organization.slug}@bench.example.com", password=TRAINER_PASSWORD
        )
        EmailAddress.objects.create(user=trainer, email=trainer.email, primary=True, verified=True)
        Membership.objects.create(organization=organization, user=trainer, role=Role.TRAINER)
        connection = ZoomConnection(
            organization=organization,
            zoom_user_id=zoom_user_id,
            zoom_account_id=zoom_account_id,
            zoom_email="host@bench.example.com",
            account_type=2,
            status=ConnectionStatus.CONNECTED,
            connected_at=timezone.now(),
            connected_by=trainer,
        )
        connection.set_tokens(
            access_token=secrets.token_urlsafe(32),
            refresh_token=secrets.token_urlsafe(32),
            expires_at=timezone.now() + timedelta(days=1),
            scopes=SCOPES_GRANULAR,
        )
        connection.save()
    return organization, trainer


def class_with_students(
    *, organization, students, starts_at, zoom_meeting_id, title="Week 3: Schedule management", host_id=ZOOM_HOST_ID
):
    """A virtual class of `students` confirmed registrations, each pre-registered on the class's Zoom meeting."""
    User = get_user_model()
    with transaction.atomic():
        course, _ = Course.objects.get_or_create(
            organization=organization, title="PMP Exam Prep", defaults={"certification": "PMP"}
        )
        class_session = ClassSession.objects.create(
            organization=organization,
            course=course,
            title=title,
            starts_at=starts_at,
            duration_minutes=90,
            timezone="UTC",
            delivery_mode="virtual",
            capacity=max(students, 1),
        )
        emails = [f"student{number:04d}.{class_session.pk}@students.example.com" for number in range(students)]
        users = User.objects.bulk_create([User(email=email, password="!") for email in emails])
        registrations = Registration.objects.bulk_create(
            [
                Registration(
                    organization=organization,
                    class_session=class_session,
                    student=user,
                    first_name=f"Student{number:04d}",
                    last_name="Bench",
                    email=user.email,
                    confirmed_at=starts_at - timedelta(days=7),
                )
                for number, user in enumerate(users)
            ]
        )
        meeting = ZoomMeeting.objects.create(
            organization=organization,
            class_session=class_session,
            # Made by the organization's Zoom, as every meeting created since hosts are recorded.
            connection=ZoomConnection.objects.filter(organization=organization, user__isnull=True).first(),
            status=MeetingStatus.READY,
            zoom_meeting_id=zoom_meeting_id,
            zoom_uuid=f"{secrets.token_urlsafe(16)}==",
            host_id=host_id,
            join_url=f"https://zoom.us/j/{zoom_meeting_id}",
            registration_url=f"https://zoom.us/meeting/register/{zoom_meeting_id}",
            password="123456",
            topic=title,
            start_time=starts_at,
            duration=90,
            timezone="UTC",
        )
        ZoomRegistrant.objects.bulk_create(
            [
                ZoomRegistrant(
                    organization=organization,
                    meeting=meeting,
                    registration=registration,
                    status=RegistrantStatus.SYNCED,
                    registrant_id=f"reg{registration.pk:08d}{secrets.token_hex(3)}",
                    join_url=f"https://zoom.us/w/{zoom_meeting_id}?tk={secrets.token_urlsafe(12)}",
                    synced_at=timezone.now(),
                )
                for registration in registrations
            ]
        )
    return class_session, meeting
