"""Who teaches a class: a trainer and co-trainers chosen among the organization's owners and trainers."""

from datetime import date, time, timedelta

import pytest
from django.utils import timezone

from courses import cohorts
from courses.models import ClassSession
from courses.recurrence import RepeatRule
from tests.factories import ClassSessionFactory, MembershipFactory

from .test_views import _class_form


@pytest.mark.django_db
def test_a_new_class_is_its_authors_and_names_who_teaches(trainer_client, trainer, owner, course):
    form = trainer_client.get(f"/courses/{course.pk}/classes/new/").context["form"]
    assert form.fields["trainer"].initial == trainer.pk

    trainer_client.post(
        f"/courses/{course.pk}/classes/new/", _class_form(trainer=trainer.pk, co_trainers=[owner.pk, trainer.pk])
    )

    class_session = ClassSession.objects.get(course=course)
    assert class_session.trainer == trainer
    assert list(class_session.co_trainers.all()) == [owner]  # the trainer is not their own co-trainer
    page = trainer_client.get(f"/courses/classes/{class_session.pk}/")
    assert f"Trainer: {trainer.email}" in page.content.decode()
    assert f"Co-trainers: {owner.email}" in page.content.decode()


@pytest.mark.django_db
def test_someone_of_another_organization_cannot_be_named(trainer_client, course, other_owner):
    response = trainer_client.post(f"/courses/{course.pk}/classes/new/", _class_form(trainer=other_owner.pk))
    assert "trainer" in response.context["form"].errors
    response = trainer_client.post(f"/courses/{course.pk}/classes/new/", _class_form(co_trainers=[other_owner.pk]))
    assert "co_trainers" in response.context["form"].errors
    assert not ClassSession.objects.filter(course=course).exists()


@pytest.mark.django_db
def test_editing_changes_the_co_trainers_and_counts_as_a_change(trainer_client, trainer, owner, course, organization):
    class_session = ClassSessionFactory(course=course, organization=organization, trainer=trainer)
    class_session.co_trainers.add(owner)
    second = MembershipFactory(organization=organization, role="trainer").user
    data = _class_form(
        title=class_session.title,
        timezone=class_session.timezone,
        starts_at_local=class_session.local_starts_at.strftime("%Y-%m-%dT%H:%M"),
        duration_minutes=class_session.duration_minutes,
        capacity=class_session.capacity,
        delivery_mode=class_session.delivery_mode,
        location=class_session.location,
        trainer=second.pk,
        co_trainers=[trainer.pk],
    )
    trainer_client.post(f"/courses/classes/{class_session.pk}/edit/", data)
    class_session.refresh_from_db()
    assert class_session.trainer == second
    assert list(class_session.co_trainers.all()) == [trainer]


@pytest.mark.django_db
def test_a_series_and_its_copy_keep_who_teaches(trainer, owner, course):
    first = (timezone.now() + timedelta(days=7)).date()
    rule = RepeatRule(
        first_date=first,
        start_time=time(18, 0),
        zone_name="Europe/Berlin",
        count=3,
    )
    cohorts.class_series_create(
        course=course,
        title_pattern="Week {n}",
        rule=rule,
        duration_minutes=60,
        delivery_mode="in_person",
        capacity=10,
        trainer=trainer,
        co_trainers=[owner],
    )
    classes = list(ClassSession.objects.filter(course=course))
    assert [c.trainer for c in classes] == [trainer] * 3
    assert all(list(c.co_trainers.all()) == [owner] for c in classes)

    copy = cohorts.course_copy(course=course, title="Next", first_starts_on=date.today() + timedelta(days=60))
    copied = list(ClassSession.objects.filter(course=copy))
    assert [c.trainer for c in copied] == [trainer] * 3
    assert all(list(c.co_trainers.all()) == [owner] for c in copied)
