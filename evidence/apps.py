from django.apps import AppConfig


class EvidenceConfig(AppConfig):
    name = "evidence"
    verbose_name = "Certification evidence"

    def ready(self):
        from attendance import extensions

        from . import report

        extensions.report_columns.register(report.polls_answered_column)
        extensions.report_sections.register(report.poll_respondents_section)
