from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Certification evidence"

    def ready(self):
        from attendance import extensions as attendance_extensions

        from . import extension_providers, report

        extension_providers.register()
        attendance_extensions.report_columns.register(report.polls_answered_column)
        attendance_extensions.report_sections.register(report.poll_respondents_section)
