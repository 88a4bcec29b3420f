"""Shared option of the zoom_* commands: pick one organization by slug."""

from django.core.management.base import CommandError

from orgs.models import Organization


def add_organization_argument(parser, *, help_text):
    parser.add_argument("--org", metavar="SLUG", help=help_text)


def organization_from(options):
    slug = options.get("org")
    if not slug:
        return None
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        raise CommandError(f"No organization with slug {slug!r}. `manage.py zoom_status` lists them.")
    return organization
