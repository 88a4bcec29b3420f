from datetime import timedelta

import factory
from django.utils import timezone

from accounts.models import User
from courses.models import ClassSession, Course, Registration
from orgs.models import Membership, Organization


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    password = factory.django.Password("correct-horse-battery")


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"organization-{n}")
    timezone = "Europe/Berlin"


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = "owner"


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"PMP Exam Prep {n}")
    certification = "PMP"


class ClassSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClassSession

    course = factory.SubFactory(CourseFactory)
    organization = factory.SelfAttribute("course.organization")
    title = factory.Sequence(lambda n: f"Week {n}: Scope management")
    starts_at = factory.LazyFunction(lambda: (timezone.now() + timedelta(days=7)).replace(microsecond=0))
    duration_minutes = 90
    timezone = "Europe/Berlin"
    delivery_mode = "virtual"
    capacity = 30


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Registration

    class_session = factory.SubFactory(ClassSessionFactory)
    organization = factory.SelfAttribute("class_session.organization")
    first_name = factory.Sequence(lambda n: f"Student{n}")
    last_name = "Example"
    email = factory.Sequence(lambda n: f"student{n}@example.com")
    student = factory.LazyAttribute(lambda o: UserFactory(email=o.email, password=None))
