"""What evidence adds to courses' pages (registered in EvidenceConfig.ready())."""

from django.urls import reverse

from courses import extensions
from courses.extensions import PortalSection

from .selectors import course_progress


def course_links(*, request, course):
    return [("Completion & credits", reverse("evidence:course_evidence", args=[course.pk]))]


def enrolment_sections(*, request, enrolments):
    """Each enrolled course's progress in the portal: classes attended, minutes, credits, polls, what is left."""
    sections = {}
    for course in {enrolment.course for enrolment in enrolments if enrolment.is_confirmed}:
        mine = [enrolment.pk for enrolment in enrolments if enrolment.course_id == course.pk]
        _, progress = course_progress(course=course, enrolment_ids=mine)
        for enrolment, item in progress:
            sections[enrolment.pk] = [PortalSection(template="evidence/portal_progress.html", context={"p": item})]
    return sections


def register():
    extensions.course_links.register(course_links)
    extensions.enrolment_sections.register(enrolment_sections)
