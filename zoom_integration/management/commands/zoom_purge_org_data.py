from django.core.management.base import BaseCommand, CommandError

from zoom_integration.operations import zoom_data_purge

from ._organization import organization_from


class Command(BaseCommand):
    help = (
        "Support deletion request: remove every Zoom-derived record of one organization (meeting metadata, "
        "registrant links, attendance from Zoom, AI summaries, recording references, stored webhook events)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--org", metavar="SLUG", required=True, help="The organization (its slug).")
        parser.add_argument("--dry-run", action="store_true", help="Count what would be removed; remove nothing.")
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args, **options):
        organization = organization_from(options)
        counts = zoom_data_purge(organization=organization, dry_run=True)
        self.stdout.write(f"Zoom-derived data of {organization.name}:")
        for name, count in counts.items():
            self.stdout.write(f"  {count:6d} {name}")
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing was removed.")
            return
        if not options["yes"]:
            if not options.get("interactive", True):
                raise CommandError("Refusing to purge without confirmation: add --yes.")
            answer = input(f"Type the organization's slug ({organization.slug}) to remove all of this: ")
            if answer.strip() != organization.slug:
                raise CommandError("Not confirmed; nothing was removed.")
        removed = zoom_data_purge(organization=organization)
        self.stdout.write(self.style.SUCCESS(f"Removed {sum(removed.values())} records of {organization.name}."))
