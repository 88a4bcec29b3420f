from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data that needs the Zoom simulator; installed only when the simulator is on."""

    name = "demo"

    def ready(self):
        from courses import extensions

        from .bookings_loader import bookings_demo_load
        from .evidence_loader import evidence_demo_load
        from .loaders import hosts_demo_load, zoom_demo_load

        extensions.demo_data_loaders.register(zoom_demo_load)
        extensions.demo_data_loaders.register(hosts_demo_load)
        extensions.demo_data_loaders.register(evidence_demo_load)
        extensions.demo_data_loaders.register(bookings_demo_load)
