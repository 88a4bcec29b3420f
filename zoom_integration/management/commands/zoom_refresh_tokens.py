from django.core.management.base import BaseCommand

from zoom_integration.operations import tokens_refresh_now

from ._organization import add_organization_argument, organization_from


class Command(BaseCommand):
    help = "Refresh the Zoom access tokens of all connected organizations (or one) now."

    def add_arguments(self, parser):
        add_organization_argument(parser, help_text="Only this organization (its slug).")
        parser.add_argument("--dry-run", action="store_true", help="List what would be refreshed; call nothing.")

    def handle(self, *args, **options):
        results = tokens_refresh_now(organization=organization_from(options), dry_run=options["dry_run"])
        if not results:
            self.stdout.write("No connected organization to refresh.")
        for organization, outcome in results:
            style = self.style.ERROR if outcome.startswith("failed") else self.style.SUCCESS
            self.stdout.write(f"{organization.name}: " + style(outcome))
