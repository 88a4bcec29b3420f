from django.apps import AppConfig


class ZoomIntegrationConfig(AppConfig):
    name = "zoom_integration"
    verbose_name = "Zoom"

    def ready(self):
        from orgs import extensions

        from . import course_extensions, handlers  # noqa: F401  (handlers registers the built-in webhook handlers)
        from . import attendance_handlers, attendance_section, manage_page  # noqa: F401  (attendance's webhook handlers)

        course_extensions.register()
        from . import feature_sections  # polls, AI summary and recordings: page sections and portal
        feature_sections.register()

        if not any(item["key"] == "zoom" for item in extensions.settings_menu):
            extensions.settings_menu.append({"key": "zoom", "label": "Zoom", "url_name": "zoom:settings"})
        # Attendance is the last section of the Zoom management page.
        manage_page.register(attendance_section.attendance_section)
