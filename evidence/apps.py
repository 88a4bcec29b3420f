from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Certification evidence"

    def ready(self):
        from . import extension_providers

        extension_providers.register()
