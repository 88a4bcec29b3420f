from django.apps import AppConfig


class ZoomIntegrationConfig(AppConfig):
    name = "zoom_integration"
    verbose_name = "Zoom"

    def ready(self):
        from orgs import extensions

        from . import course_extensions, handlers  # noqa: F401  (handlers registers the built-in webhook handlers)

        course_extensions.register()

        if not any(item["key"] == "zoom" for item in extensions.settings_menu):
            extensions.settings_menu.append({"key": "zoom", "label": "Zoom", "url_name": "zoom:settings"})
