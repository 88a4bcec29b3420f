from celery import shared_task

from . import services


@shared_task(acks_late=True)
def course_outcomes_refresh_due_task():
    return services.course_outcomes_refresh_due()
