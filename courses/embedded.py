"""The embedded default (`make run`) has no Celery beat: a thread of the dev server sends the due reminders.

In production Celery beat queues `reminders_send_due_task` (CELERY_BEAT_SCHEDULE); here the same service
runs in-process every minute, so a newcomer sees the 24-hour and 1-hour reminders go out.
"""

import logging
import threading
from datetime import timedelta

from django.db import connections

from .services import reminders_send_due

logger = logging.getLogger(__name__)

EMBEDDED_REMINDERS_EVERY = timedelta(minutes=1)


def embedded_reminders_run():
    """One pass: send the reminders due now. A failure is logged and the next pass tries again."""
    try:
        return reminders_send_due()
    except Exception:
        logger.exception("embedded reminders pass failed")
        return 0


def embedded_reminders_loop(*, stop, every=EMBEDDED_REMINDERS_EVERY):
    """Send due reminders now and then every `every`, until `stop` (a threading.Event) is set."""
    while True:
        sent = embedded_reminders_run()
        if sent:
            logger.info("embedded reminders sent=%s", sent)
        if stop.wait(every.total_seconds()):
            return


def _thread_main(stop, every):
    try:
        embedded_reminders_loop(stop=stop, every=every)
    finally:
        connections.close_all()  # the thread's own database connection


def embedded_reminders_start(*, every=EMBEDDED_REMINDERS_EVERY):
    """Start the loop in a daemon thread (it ends with the server); returns the stop event and the thread."""
    stop = threading.Event()
    thread = threading.Thread(target=_thread_main, args=(stop, every), name="embedded-reminders", daemon=True)
    thread.start()
    return stop, thread
