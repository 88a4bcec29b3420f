"""What attendance adds to pages owned by `courses` (registered in `apps.py`)."""

from django.utils import timezone

from courses.extensions import Panel, PortalSection

from . import selectors


def attendance_class_panel(*, request, class_session):
    """ "Attended / registered" on the class page, once the class has started or anything was recorded."""
    if not class_session.has_started and not selectors.attendance_has_data(class_session=class_session):
        return None
    attendance = selectors.attendance_summary_for_class(class_session=class_session)
    return Panel(
        template="attendance/class_panel.html",
        context={"class_session": class_session, "attendance": attendance},
        order=50,
    )


def attendance_portal_sections(*, request, registrations):
    """Each student's own attendance of the classes that have started, and no one else's."""
    now = timezone.now()
    own_started = [
        registration
        for registration in registrations
        if registration.student_id == request.user.pk and registration.class_session.starts_at <= now
    ]
    return {
        registration_id: [PortalSection(template="attendance/portal_section.html", context={"attendance": row})]
        for registration_id, row in selectors.attendance_for_student(registrations=own_started).items()
    }
