"""Extension points that other apps fill in their `AppConfig.ready()`.

`courses` knows nothing of Zoom or attendance. It shows what providers give it:
panels on the class page, sections in the student portal, join details in
emails and the portal, and hooks run after a class or registration changes.
A Teams or Google Meet integration would plug into the same points.

Every provider receives whole lists (never one object at a time) so a page
with 500 students costs a fixed number of queries.
"""

from dataclasses import dataclass, field

# Options a service passes to the class hooks (below) without naming an integration: give the new class an
# online meeting; delete that meeting with the class. They are also the class form's field names.
ONLINE_MEETING_CREATE = "create_zoom_meeting"
ONLINE_MEETING_DELETE = "delete_zoom_meeting"


@dataclass(frozen=True)
class Panel:
    """A block on the class detail page, rendered from `template` with `context`."""

    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


@dataclass(frozen=True)
class JoinInfo:
    """How a student joins a class online."""

    url: str
    meeting_id: str = ""
    passcode: str = ""
    personal: bool = False  # a link unique to this student
    label: str = "Join"


@dataclass(frozen=True)
class ManageLink:
    """Where a student moves or cancels a registration another app manages (a booked session)."""

    label: str  # "Reschedule or cancel"
    url: str


@dataclass(frozen=True)
class PortalSection:
    template: str
    context: dict = field(default_factory=dict)


class _Registry:
    def __init__(self, name):
        self.name = name
        self._providers = []

    def register(self, provider):
        if provider not in self._providers:
            self._providers.append(provider)
        return provider

    def __iter__(self):
        return iter(list(self._providers))


# provider(*, request, class_session) -> Panel | None
class_panels = _Registry("class_panels")

# provider(*, class_sessions) -> {class_session_id: {key: value}}: extra facts for class lists
class_summaries = _Registry("class_summaries")

# provider(*, request, registrations) -> {registration_id: [PortalSection, ...]}
portal_sections = _Registry("portal_sections")

# provider(*, registrations) -> {registration_id: JoinInfo}
join_info_providers = _Registry("join_info_providers")

# provider(*, class_sessions) -> {class_session_id: JoinInfo}: how anyone joins (no one's personal link)
class_join_info_providers = _Registry("class_join_info_providers")

# provider(*, registrations) -> {registration_id: ManageLink}: replaces the cancel link in a student's emails
manage_link_providers = _Registry("manage_link_providers")

# provider(*, registration) -> bool: True when the provider sends the confirmation
# email itself later (for example once a personal join link exists).
confirmation_deferrers = _Registry("confirmation_deferrers")

# form extensions: provider(*, organization, class_session) -> dict of extra form fields
class_form_fields = _Registry("class_form_fields")

# hooks(*, class_session, event, changes, options) run after commit;
# event is "created", "updated", "cancelled" or "deleting".
class_session_hooks = _Registry("class_session_hooks")

# provider(*, organization, teacher) -> str | None: how that teacher's online sessions are hosted, or why not yet
online_hosting_notes = _Registry("online_hosting_notes")

# hooks(*, registration, event) run after commit; event is "confirmed" or "cancelled".
registration_hooks = _Registry("registration_hooks")

# provider(*, organization, class_session, starts_at, ends_at, virtual, trainer, options) -> [message]: reasons a
# class at that time collides with another (for example one Zoom host running two meetings at once); the form warns
# first. `trainer` is the user chosen to teach it (None when the form has no trainer).
schedule_conflict_checkers = _Registry("schedule_conflict_checkers")

# provider(*, class_session) -> list[(label, value)]: questions to ask before cancelling/deleting
class_delete_options = _Registry("class_delete_options")

# provider(*, request, course) -> list[(label, url)]: links on the course page (evidence, certificates)
course_links = _Registry("course_links")

# provider(*, request, registrations, enrolments) -> [PortalSection, ...]: blocks atop the student portal's home
portal_home_sections = _Registry("portal_home_sections")

# provider(*, request, enrolments) -> {enrolment_id: [PortalSection, ...]}: a course's progress in the portal
enrolment_sections = _Registry("enrolment_sections")

# loader(*, organization, stdout) run by `manage.py load_demo_data` after the base demo exists;
# each must be idempotent.
demo_data_loaders = _Registry("demo_data_loaders")


def schedule_conflicts_for(**context):
    return [message for checker in schedule_conflict_checkers for message in checker(**context)]


def class_join_info_for(class_sessions):
    found = {}
    for provider in class_join_info_providers:
        for class_id, info in provider(class_sessions=class_sessions).items():
            found.setdefault(class_id, info)
    return found


def online_hosting_notes_for(*, organization, teacher):
    return [note for provider in online_hosting_notes if (note := provider(organization=organization, teacher=teacher))]


def manage_link_for(registrations):
    found = {}
    for provider in manage_link_providers:
        for registration_id, link in provider(registrations=registrations).items():
            found.setdefault(registration_id, link)
    return found


def join_info_for(registrations):
    """Join details for each registration, from the first provider that knows it."""
    found = {}
    for provider in join_info_providers:
        for registration_id, info in provider(registrations=registrations).items():
            found.setdefault(registration_id, info)
    return found
