from django.apps import AppConfig


class AttendanceConfig(AppConfig):
    name = "attendance"

    def ready(self):
        from courses import extensions

        from . import providers

        extensions.class_panels.register(providers.attendance_class_panel)
        extensions.portal_sections.register(providers.attendance_portal_sections)
