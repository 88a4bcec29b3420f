from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "courses"

    def ready(self):
        from mailing.services import email_batch_register

        from .services import CLASS_STUDENTS_EMAIL, class_students_messages

        email_batch_register(CLASS_STUDENTS_EMAIL, class_students_messages)
