from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    name = "certificates"
    verbose_name = "Certificates"

    def ready(self):
        from courses import extensions as course_extensions
        from evidence import extensions as evidence_extensions
        from mailing.services import email_batch_register

        from . import emails, providers

        evidence_extensions.course_completed_hooks.register(providers.certificate_on_course_completed)
        evidence_extensions.certificate_summaries.register(providers.certificate_summaries)
        course_extensions.course_links.register(providers.certificates_course_links)
        course_extensions.enrolment_sections.register(providers.certificate_portal_sections)
        email_batch_register(emails.CERTIFICATE_ISSUED_EMAIL, emails.certificate_issued_email_render)
