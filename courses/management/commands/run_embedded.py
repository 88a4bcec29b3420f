"""`make run`: the dev server plus the reminders Celery beat would send in production."""

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from courses.embedded import embedded_reminders_start


class Command(BaseCommand):
    help = "Serve the embedded default with runserver and send class reminders as they fall due (no Celery beat)."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        if not settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("run_embedded is for the embedded default; with a Celery broker, run Celery beat.")
        # runserver's autoreloader runs this command again in a child process (RUN_MAIN set) that serves:
        # the reminders run there, once, and restart with it on a code change.
        if os.environ.get("RUN_MAIN") == "true":
            embedded_reminders_start()
            self.stdout.write("Class reminders are sent every minute while the server runs.")
        call_command("runserver", addrport)
