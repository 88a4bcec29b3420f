from celery import shared_task

from . import services


@shared_task(acks_late=True)
def reminders_send_due_task():
    return services.reminders_send_due()
