from datetime import date
from decimal import Decimal

import pytest

from courses.models import Enrolment
from evidence.extensions import CourseProgress
from tests.factories import ClassSessionFactory, MembershipFactory, UserFactory


@pytest.fixture
def enrolment(course, owner):
    owner.first_name, owner.last_name = "Grace", "Hopper"
    owner.save()
    ClassSessionFactory(course=course)
    student = UserFactory(email="ada@example.com", password=None)
    return Enrolment.objects.create(
        organization=course.organization,
        course=course,
        student=student,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
    )


def progress_of(enrolment, **changes):
    values = {
        "enrolment_id": enrolment.pk,
        "status": "completed",
        "reason": "attended 8 of 8 classes",
        "classes_total": 8,
        "classes_attended": 8,
        "minutes": 750,
        "credits": Decimal("14.5"),
        "credit_label": "CPE credits",
        "first_class_on": date(2026, 3, 3),
        "last_class_on": date(2026, 4, 21),
        **changes,
    }
    return CourseProgress(**values)


@pytest.fixture
def progress(enrolment):
    return progress_of(enrolment)


@pytest.fixture
def other_student_enrolment(course):
    student = UserFactory(email="bob@example.com", password=None)
    return Enrolment.objects.create(
        organization=course.organization, course=course, student=student, first_name="Bob", email="bob@example.com"
    )


@pytest.fixture
def trainer_member(organization):
    return MembershipFactory(organization=organization, role="trainer").user
