from django.apps import AppConfig


class ZoomSimulatorConfig(AppConfig):
    name = "zoom_simulator"
    verbose_name = "Zoom simulator"
