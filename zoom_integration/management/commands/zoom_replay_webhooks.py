from datetime import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from orgs.models import Organization
from zoom_integration.inbox.replay import webhook_events_replay


def _moment(value):
    """An ISO date or date-time; without a zone it is read in the server's time zone."""
    parsed = parse_datetime(value)
    if parsed is None:
        day = parse_date(value)
        parsed = datetime.combine(day, datetime.min.time()) if day else None
    if parsed is None:
        raise ValueError(value)
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


class Command(BaseCommand):
    help = (
        "Reprocess stored Zoom webhook events (by id, arrival time or organization), then derive the attendance "
        "of the classes they concern again. Safe to run more than once: events already applied change nothing. "
        "app_deauthorized events are never replayed."
    )

    def add_arguments(self, parser):
        parser.add_argument("event_ids", nargs="*", type=int, help="Ids of stored webhook events.")
        parser.add_argument("--since", help="Events received at or after this ISO date or date-time.")
        parser.add_argument("--until", help="Events received before this ISO date or date-time.")
        parser.add_argument(
            "--org", help="Organization slug or id (events are attributed to an organization once processed)."
        )
        parser.add_argument(
            "--all", action="store_true", dest="replay_all", help="Every stored event (needed when no filter is given)."
        )
        parser.add_argument("--dry-run", action="store_true", help="Show what would be replayed; change nothing.")

    def handle(self, *args, event_ids, since, until, org, replay_all, dry_run, **options):
        if not (event_ids or since or until or org or replay_all):
            raise CommandError("Name events (ids, --since, --until or --org), or pass --all to replay every event.")
        try:
            since_at = _moment(since) if since else None
            until_at = _moment(until) if until else None
        except ValueError as error:
            raise CommandError(
                f"Not a date or date-time: {error}. Use for example 2026-03-10 or 2026-03-10T14:30."
            ) from None
        organization = self._organization(org) if org else None

        result = webhook_events_replay(
            event_ids=event_ids or None, since=since_at, until=until_at, organization=organization, dry_run=dry_run
        )

        verb = "Would replay" if dry_run else "Replayed"
        self.stdout.write(f"{verb} {result.replayed} webhook event(s).")
        for event_type, count in sorted(result.replayed_by_type.items()):
            self.stdout.write(f"  {event_type or '(untyped)'}: {count}")
        if result.outcomes:
            outcomes = ", ".join(f"{count} {state}" for state, count in sorted(result.outcomes.items()))
            self.stdout.write(f"Outcome: {outcomes}.")
        for event_id, event_type in result.skipped:
            self.stdout.write(f"Skipped event {event_id} ({event_type}): deauthorizations are never replayed.")
        verb = "Would rebuild" if dry_run else "Rebuilt"
        self.stdout.write(f"{verb} the attendance of {len(result.classes)} class(es).")
        for class_session in result.classes:
            self.stdout.write(f"  class {class_session.pk}: {class_session.course.title} · {class_session.title}")
        for event_id, event_type, error in result.failures:
            self.stderr.write(f"Event {event_id} ({event_type}) failed: {error}")
        if result.failures:
            raise CommandError(f"{len(result.failures)} event(s) failed; see above. Fix the cause and replay them.")

    def _organization(self, value):
        organization = Organization.objects.filter(slug=value).first()
        if organization is None and value.isdigit():
            organization = Organization.objects.filter(pk=int(value)).first()
        if organization is None:
            raise CommandError(f"No organization with slug or id {value!r}.")
        return organization
