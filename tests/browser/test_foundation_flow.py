"""Sign up → organization → course → virtual class → a student registers → the portal shows the class."""

import re

import pytest
from django.core import mail

pytestmark = pytest.mark.django_db(transaction=True)


def _link_in(body, pattern):
    match = re.search(pattern, body)
    assert match, f"no link matching {pattern!r} in:\n{body}"
    return match.group(0)


def test_trainer_sets_up_a_class_and_a_student_finds_it_in_the_portal(page, site):
    page.goto("/accounts/signup/")
    page.fill("input[name=email]", "maria@trainers.example.com")
    page.fill("input[name=password1]", "a-long-pass-phrase-9")
    page.fill("input[name=password2]", "a-long-pass-phrase-9")
    page.shot("signup")
    page.click("button[type=submit]")
    page.wait_for_url("**/confirm-email/**")
    confirm_url = _link_in(mail.outbox[-1].body, r"http://\S+/accounts/confirm-email/\S+/")
    page.goto(confirm_url)
    page.click("button[type=submit]")
    page.goto("/accounts/login/")
    page.fill("input[name=login]", "maria@trainers.example.com")
    page.fill("input[name=password]", "a-long-pass-phrase-9")
    page.click("button[type=submit]")

    page.wait_for_url("**/organizations/new/")
    page.fill("#id_name", "Maria's PM Academy")
    page.select_option("#id_timezone", "Europe/Madrid")
    page.shot("create_organization")
    page.get_by_role("button", name="Create organization").click()
    page.wait_for_url("**/courses/")
    assert page.locator("#org-chooser").inner_text().strip() == "Maria's PM Academy"

    page.get_by_role("link", name="Create your first course").click()
    page.fill("#id_title", "PMP Exam Prep")
    page.fill("#id_certification", "PMP")
    page.get_by_role("button", name="Save course").click()
    page.get_by_role("link", name="New class session").first.click()
    page.fill("#id_title", "Week 1: Integration management")
    page.fill("#id_starts_at_local", "2031-03-04T18:30")
    page.fill("#id_duration_minutes", "90")
    page.select_option("#id_delivery_mode", "virtual")
    page.fill("#id_capacity", "12")
    page.shot("new_class_session")
    page.get_by_role("button", name="Save class").click()
    page.wait_for_url(re.compile(r".*/courses/classes/\d+/$"))
    heading = page.locator("h1").inner_text()
    assert "Week 1: Integration management" in heading
    assert "18:30" in page.content() and "Europe/Madrid" in page.content()
    page.shot("class_detail")
    public_url = page.locator("code.join-url").inner_text().strip()

    student = page.context.browser.new_context(base_url=site).new_page()
    student.goto(public_url)
    student.fill("#id_first_name", "Ada")
    student.fill("#id_last_name", "Lovelace")
    student.fill("#id_email", "ada@students.example.com")
    student.click("button[type=submit]")
    student.wait_for_selector("text=You're registered")
    confirmation = mail.outbox[-1]
    assert confirmation.to == ["ada@students.example.com"]
    assert "Week 1: Integration management" in confirmation.body and "18:30" in confirmation.body
    assert confirmation.attachments[0][0] == "invite.ics"

    student.goto("/portal/")
    student.wait_for_url("**/accounts/login/code/**")
    student.fill("input[name=email]", "ada@students.example.com")
    student.click("button[type=submit]")
    code = re.search(r"browser window\.\s+(\S+)\s", mail.outbox[-1].body).group(1)
    student.fill("input[name=code]", code)
    student.click("button[type=submit]")
    student.wait_for_url("**/portal/")
    assert "Week 1: Integration management" in student.content()
    assert "Maria's PM Academy" in student.content()
    student.screenshot(path=str(page.shots[0].parent / "foundation__student_portal.png"), full_page=True)

    page.reload()
    assert "1 / 12" in page.content()
