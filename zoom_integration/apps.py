from django.apps import AppConfig


class ZoomIntegrationConfig(AppConfig):
    name = "zoom_integration"
    verbose_name = "Zoom"

    def ready(self):
        from cohortstudio.health import health_checks
        from orgs import extensions

        from . import attendance_section, course_extensions, feature_sections, manage_page
        from .handlers import attendance, connection, content, meetings  # noqa: F401 - importing registers the handlers
        from .health import webhook_backlog_check

        course_extensions.register()
        # Sections of the Zoom management page, in page order: polls, AI summary, recordings, then attendance.
        feature_sections.register()
        manage_page.register(attendance_section.attendance_section)

        if webhook_backlog_check not in health_checks:
            health_checks.append(webhook_backlog_check)
        if not any(item["key"] == "zoom" for item in extensions.settings_menu):
            extensions.settings_menu.append({"key": "zoom", "label": "Zoom", "url_name": "zoom:settings"})
        if not any(item["key"] == "my_zoom" for item in extensions.main_menu):
            extensions.main_menu.append({"key": "my_zoom", "label": "My Zoom", "url_name": "zoom:mine"})
