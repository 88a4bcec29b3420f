"""Extension points of the attendance report, filled by apps above attendance in their `AppConfig.ready()`.

Attendance knows nothing of polls, credits or any meeting tool. A provider adds columns to the report (on the
class's attendance page, the sections that include it, and the CSV) and sections below it. Each provider
receives the whole roster at once and must cost a fixed number of queries, whatever its size.
"""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ReportColumn:
    """One column of the report: a cell of text per registration id; `empty` where a registration has none."""

    header: str
    cells: dict
    empty: str = ""

    def cell(self, registration_id):
        return self.cells.get(registration_id, self.empty)


@dataclass(frozen=True)
class ReportSection:
    """A block below the report on pages, rendered from `template` with `section` (the context) and the report's
    own context (`attendance`, `attendance_next`)."""

    template: str
    context: dict = field(default_factory=dict)


class _Registry:
    def __init__(self):
        self._providers = []

    def register(self, provider):
        if provider not in self._providers:
            self._providers.append(provider)
        return provider

    def __iter__(self):
        return iter(list(self._providers))


# provider(*, class_session, registrations) -> [ReportColumn, ...]
report_columns = _Registry()

# provider(*, class_session, registrations) -> [ReportSection, ...]
report_sections = _Registry()
