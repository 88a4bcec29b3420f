from django.core.management.base import BaseCommand, CommandError

from zoom_integration.connection.services import encryption_keys_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored Zoom secret under the first key of FIELD_ENCRYPTION_KEYS. "
        "Put the new key first, keep the old ones after it, run this, then remove the old keys."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be re-encrypted; change nothing.")

    def handle(self, *args, dry_run=False, **options):
        report = encryption_keys_rotate(dry_run=dry_run)
        verb = "Would re-encrypt" if dry_run else "Re-encrypted"
        self.stdout.write(
            f"{verb} {report.rotated} of {report.checked} stored secrets under the first key of FIELD_ENCRYPTION_KEYS."
        )
        if report.undecryptable:
            raise CommandError(
                f"{report.undecryptable} stored secret(s) cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS. "
                "Put back the key they were encrypted with, or have the organization reconnect Zoom."
            )
