"""iCalendar invites and feeds for classes."""

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//CohortStudio//Classes//EN"


def _calendar(method=None):
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    return calendar


def _event(class_session, *, stamp, join_info=None, include_location=True, cancelled=False):
    event = Event()
    event.add("uid", f"class-{class_session.pk}@cohortstudio.io")
    event.add("sequence", class_session.calendar_sequence)
    event.add("dtstamp", stamp)
    event.add("dtstart", class_session.starts_at)
    event.add("dtend", class_session.ends_at)
    event.add("summary", f"{class_session.course.title}: {class_session.title}")
    description = []
    if join_info is not None:
        description.append(f"Join online: {join_info.url}")
        if join_info.meeting_id:
            description.append(f"Meeting ID: {join_info.meeting_id}")
        if join_info.passcode:
            description.append(f"Passcode: {join_info.passcode}")
        event.add("location", join_info.url)
        event.add("url", join_info.url)
    elif include_location and class_session.location:
        event.add("location", class_session.location)
    if class_session.location and join_info is not None:
        description.append(class_session.location)
    if description:
        event.add("description", "\n".join(description))
    event.add("status", "CANCELLED" if cancelled or class_session.is_cancelled else "CONFIRMED")
    return event


def invite_for_registration(registration, *, join_info=None, cancelled=False):
    """An invite (or its cancellation) for one student, as bytes for an email attachment."""
    class_session = registration.class_session
    calendar = _calendar(method="CANCEL" if cancelled else "REQUEST")
    # An invite's DTSTAMP is when it was made (RFC 5545 §3.8.7.2): calendars keep the newest.
    event = _event(class_session, stamp=timezone.now(), join_info=join_info, cancelled=cancelled)
    organizer = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL.split('<')[-1].rstrip('>')}")
    organizer.params["cn"] = vText(class_session.organization.name)
    event["organizer"] = organizer
    attendee = vCalAddress(f"mailto:{registration.email}")
    attendee.params["cn"] = vText(registration.full_name)
    attendee.params["role"] = vText("REQ-PARTICIPANT")
    event.add("attendee", attendee, encode=0)
    calendar.add_component(event)
    return calendar.to_ical()


def feed(class_sessions, *, join_info_by_class=None, name="CohortStudio classes"):
    """A subscribable feed. Carries no student names or emails."""
    calendar = _calendar()
    calendar.add("x-wr-calname", name)
    join_info_by_class = join_info_by_class or {}
    for class_session in class_sessions:
        # A feed has no METHOD: its DTSTAMP is when the class was last changed.
        calendar.add_component(
            _event(class_session, stamp=class_session.updated_at, join_info=join_info_by_class.get(class_session.pk))
        )
    return calendar.to_ical()


def invite_for_enrolment(enrolment, class_sessions, *, join_info_by_class=None):
    """One invite holding every class of an enrolment; each event keeps its class's UID, so later per-class
    updates (a moved or cancelled class) replace it in the student's calendar."""
    calendar = _calendar(method="REQUEST")
    join_info_by_class = join_info_by_class or {}
    stamp = timezone.now()
    for class_session in class_sessions:
        event = _event(class_session, join_info=join_info_by_class.get(class_session.pk), stamp=stamp)
        organizer = vCalAddress(f"mailto:{settings.DEFAULT_FROM_EMAIL.split('<')[-1].rstrip('>')}")
        organizer.params["cn"] = vText(class_session.organization.name)
        event["organizer"] = organizer
        attendee = vCalAddress(f"mailto:{enrolment.email}")
        attendee.params["cn"] = vText(enrolment.full_name)
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", attendee, encode=0)
        calendar.add_component(event)
    return calendar.to_ical()
