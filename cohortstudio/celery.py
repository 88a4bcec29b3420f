import os

from celery import Celery

from cohortstudio import observability  # noqa: F401  (connects the signals carrying request ids into tasks)

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cohortstudio.settings")

app = Celery("cohortstudio")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
