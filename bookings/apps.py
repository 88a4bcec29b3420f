from django.apps import AppConfig


class BookingsConfig(AppConfig):
    name = "bookings"
    verbose_name = "One-to-one sessions"

    def ready(self):
        from . import extension_providers

        extension_providers.register()
