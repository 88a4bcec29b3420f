from django.core.management.base import BaseCommand

from zoom_integration.operations import zoom_status_list

from ._organization import add_organization_argument, organization_from


def _when(value):
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "never"


class Command(BaseCommand):
    help = (
        "Per organization: Zoom connection state, Zoom email, token expiry, last webhook, pending and failed work; "
        "then the same per connection (the organization's and each trainer's own Zoom)."
    )

    def add_arguments(self, parser):
        add_organization_argument(parser, help_text="Only this organization (its slug).")

    def handle(self, *args, **options):
        statuses = zoom_status_list(organization=organization_from(options))
        if not statuses:
            self.stdout.write("No organizations yet.")
            return
        for status in statuses:
            self.stdout.write(self.style.MIGRATE_HEADING(f"{status.organization.name} ({status.organization.slug})"))
            self.stdout.write(f"  connection:    {status.state.replace('_', ' ')}")
            if status.zoom_email:
                self.stdout.write(f"  zoom user:     {status.zoom_email}")
            self.stdout.write(f"  token expires: {_when(status.token_expires_at)}")
            self.stdout.write(f"  last webhook:  {_when(status.last_webhook_at)}")
            self.stdout.write(
                "  pending:       " + ", ".join(f"{count} {name}" for name, count in status.pending.items())
            )
            failed = ", ".join(f"{count} {name}" for name, count in status.failed.items())
            self.stdout.write(
                "  failed:        " + (self.style.ERROR(failed) if any(status.failed.values()) else failed)
            )
            for host in status.hosts:
                connection = host.connection
                self.stdout.write(
                    f"  host: {host.whose} Zoom {connection.zoom_email or connection.zoom_user_id}: "
                    f"{host.state.replace('_', ' ')}, token expires {_when(host.token_expires_at)}, "
                    f"last webhook {_when(connection.last_webhook_at)}, "
                    f"{host.meetings_creating} meetings being created, "
                    + (
                        self.style.ERROR(f"{host.meetings_failed} meetings failed")
                        if host.meetings_failed
                        else "0 meetings failed"
                    )
                )
