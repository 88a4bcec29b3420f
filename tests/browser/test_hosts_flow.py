"""Two trainers of one company Zoom account each connect their own Zoom, schedule a class at the same hour on it,
get attendance from their own meetings' webhooks; one uninstalls on Zoom and only their class asks to reconnect."""

import pytest
from allauth.account.models import EmailAddress

from attendance.models import Participant
from courses.models import ClassSession
from tests.factories import CourseFactory, MembershipFactory, UserFactory
from zoom_integration.models import ZoomConnection
from zoom_simulator import services as simulator
from zoom_simulator.models import Meeting as SimulatedMeeting
from zoom_simulator.models import SimUser

from .helpers import PASSWORD, create_virtual_class_with_meeting, owner_with_organization, sign_in

pytestmark = pytest.mark.django_db(transaction=True)


def trainer_of(organization, email):
    user = UserFactory(email=email, password=PASSWORD)
    EmailAddress.objects.create(user=user, email=email, primary=True, verified=True)
    MembershipFactory(organization=organization, user=user, role="trainer")
    return user


def connect_own_zoom(page, *, zoom_email, first_name, same_account_as=None):
    """My Zoom → Connect Zoom account → sign in to (simulated) Zoom as the trainer's own user → Allow."""
    page.goto("/settings/zoom/mine/")
    page.get_by_role("button", name="Connect Zoom account").click()
    page.wait_for_url("**/zoomsim/oauth/authorize**")
    page.fill("#email", zoom_email)
    page.fill("#first_name", first_name)
    page.fill("#last_name", "Trainer")
    if same_account_as is not None:
        page.select_option("#account_of", str(SimUser.objects.get(email=same_account_as).pk))
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url("**/settings/zoom/mine/")
    assert page.get_by_text(f"Connected as {zoom_email}", exact=True).is_visible()


def test_two_trainers_host_on_their_own_zoom_and_one_uninstall_touches_only_theirs(page, browser, site):
    organization, owner = owner_with_organization()
    course = CourseFactory(organization=organization, title="PMP Exam Prep")
    trainers = {
        "ana": (trainer_of(organization, "ana@acme.example.com"), "ana.zoom@company.example.com"),
        "ben": (trainer_of(organization, "ben@acme.example.com"), "ben.zoom@company.example.com"),
    }
    pages = {"ana": page}
    ben_context = browser.new_context(base_url=site, viewport={"width": 390, "height": 844})
    pages["ben"] = ben_context.new_page()
    pages["ben"].shot = page.shot

    for name, (trainer, zoom_email) in trainers.items():
        trainer_page = pages[name]
        sign_in(trainer_page, trainer.email)
        connect_own_zoom(
            trainer_page,
            zoom_email=zoom_email,
            first_name=name.title(),
            same_account_as=None if name == "ana" else trainers["ana"][1],
        )
        create_virtual_class_with_meeting(
            trainer_page, course_id=course.pk, title=f"Week 1 with {name.title()}", starts_at_local="2031-03-04T18:30"
        )
        assert trainer_page.get_by_text(f"Hosted on Zoom by {zoom_email}").is_visible()
        assert trainer_page.get_by_role("button", name="Start meeting").is_visible()
    page.shot("class_hosted_on_the_trainers_own_zoom")

    ana_zoom, ben_zoom = (SimUser.objects.get(email=trainers[name][1]) for name in ("ana", "ben"))
    assert ana_zoom.account_id == ben_zoom.account_id
    classes = {
        name: ClassSession.objects.select_related("zoom_meeting__connection").get(trainer=trainers[name][0])
        for name in trainers
    }
    for name, class_session in classes.items():
        assert class_session.zoom_meeting.connection.user == trainers[name][0]
        simulated = SimulatedMeeting.objects.get(meeting_id=class_session.zoom_meeting.zoom_meeting_id)
        assert simulated.host.email == trainers[name][1]
        simulator.participant_join(
            meeting=simulated, name=f"Student of {name.title()}", email=f"{name}@students.example"
        )

    for name, class_session in classes.items():
        assert list(Participant.objects.filter(class_session=class_session).values_list("display_name", flat=True)) == [
            f"Student of {name.title()}"
        ]

    # Ana removes CohortStudio on Zoom: only her grant goes, only her class asks to reconnect, naming her.
    page.goto("/zoomsim/marketplace/installed/")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr", has_text=trainers["ana"][1]).get_by_role("button", name="Remove").click()
    page.wait_for_load_state()
    statuses = dict(ZoomConnection.objects.values_list("user__email", "status"))
    assert statuses == {"ana@acme.example.com": "disconnected", "ben@acme.example.com": "connected"}

    owner_context = browser.new_context(base_url=site, viewport={"width": 1280, "height": 900})
    page = owner_context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, owner.email)
    page.goto(f"/courses/classes/{classes['ana'].pk}/")
    assert "Reconnect needed" in page.locator("#zoom-panel").inner_text()
    assert "ana@acme.example.com can reconnect it" in page.locator("#zoom-panel").inner_text()
    page.goto(f"/courses/classes/{classes['ben'].pk}/")
    assert "Reconnect needed" not in page.locator("#zoom-panel").inner_text()
    page.goto("/settings/zoom/")
    assert page.get_by_text("ana@acme.example.com must reconnect").is_visible()
    owner_context.close()
    ben_context.close()
