from django.core.management.base import BaseCommand, CommandError

from zoom_integration.models import ZoomMeeting
from zoom_integration.operations import registrants_sync_now, upcoming_meetings

from ._organization import add_organization_argument, organization_from


class Command(BaseCommand):
    help = "Pre-register confirmed students on Zoom (Sync now) for one class, or for every upcoming class."

    def add_arguments(self, parser):
        target = parser.add_mutually_exclusive_group(required=True)
        target.add_argument("--class", dest="class_id", type=int, metavar="ID", help="The class session's id.")
        target.add_argument("--upcoming", action="store_true", help="Every upcoming class with a Zoom meeting.")
        add_organization_argument(parser, help_text="With --upcoming: only this organization's classes.")
        parser.add_argument("--dry-run", action="store_true", help="List the classes; change nothing.")

    def handle(self, *args, **options):
        if options["class_id"]:
            meeting = (
                ZoomMeeting.objects.filter(class_session_id=options["class_id"]).select_related("class_session").first()
            )
            if meeting is None or not meeting.is_ready:
                raise CommandError(f"Class {options['class_id']} has no Zoom meeting to sync.")
            meetings = [meeting]
        else:
            meetings = upcoming_meetings(organization=organization_from(options))
        if not meetings:
            self.stdout.write("No class with a Zoom meeting to sync.")
            return
        for meeting in meetings:
            title = meeting.class_session.title
            label = f"class {meeting.class_session_id} “{title}” (meeting {meeting.formatted_meeting_id})"
            if options["dry_run"]:
                self.stdout.write(f"would sync {label}")
                continue
            outcome, counts = registrants_sync_now(meeting=meeting)
            style = self.style.SUCCESS if outcome == "done" else self.style.ERROR
            self.stdout.write(
                f"{label}: " + style(outcome) + f" ({counts['synced']} synced, {counts['failed']} failed)"
            )
