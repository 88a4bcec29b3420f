from django.core.management.base import BaseCommand

from zoom_integration.operations import connection_label, tokens_refresh_now

from ._organization import add_organization_argument, organization_from


class Command(BaseCommand):
    help = "Refresh the Zoom access tokens of every connection (the organizations' and the trainers' own), now."

    def add_arguments(self, parser):
        add_organization_argument(parser, help_text="Only this organization (its slug).")
        parser.add_argument("--dry-run", action="store_true", help="List what would be refreshed; call nothing.")

    def handle(self, *args, **options):
        results = tokens_refresh_now(organization=organization_from(options), dry_run=options["dry_run"])
        if not results:
            self.stdout.write("No connected Zoom account to refresh.")
        for connection, outcome in results:
            style = self.style.ERROR if outcome.startswith("failed") else self.style.SUCCESS
            self.stdout.write(f"{connection_label(connection)}: " + style(outcome))
