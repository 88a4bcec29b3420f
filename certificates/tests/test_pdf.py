import io

import pytest
from pypdf import PdfReader

from certificates import selectors, services


@pytest.mark.django_db
def test_the_pdf_carries_the_facts_the_number_and_a_link_and_qr_code_to_the_verification_page(enrolment, progress):
    certificate = services.certificate_issue(enrolment=enrolment, progress=progress)
    content = selectors.certificate_pdf(certificate=certificate)

    assert content.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(content))
    assert len(reader.pages) == 1
    text = " ".join(reader.pages[0].extract_text().split())
    url = selectors.certificate_verification_url(certificate=certificate)
    assert url.startswith("http") and f"/certificates/verify/{certificate.verification_code}/" in url
    for expected in (
        "Acme Training",
        "Ada Lovelace",
        enrolment.course.title,
        "preparing for PMP",
        "March 3, 2026 to April 21, 2026",
        "12.50 hours · 14.5 CPE credits",
        "Trainer: Grace Hopper",
        certificate.number,
        certificate.verification_code,
    ):
        assert expected in text, expected
    assert url in text.replace(" ", "")
    links = [annotation.get_object()["/A"]["/URI"] for annotation in reader.pages[0]["/Annots"]]
    assert links == [url]
    assert reader.metadata.title == f"Certificate {certificate.number}"


@pytest.mark.django_db
def test_a_very_long_course_title_still_fits_on_the_page(enrolment, progress):
    enrolment.course.title = ("Advanced Agile Portfolio Management " * 6)[:200]
    enrolment.course.save()
    certificate = services.certificate_issue(enrolment=enrolment, progress=progress)
    text = PdfReader(io.BytesIO(selectors.certificate_pdf(certificate=certificate))).pages[0].extract_text()
    assert certificate.number in text


@pytest.mark.django_db
def test_names_in_other_scripts_print_as_written(enrolment, progress):
    enrolment.first_name, enrolment.last_name = "Łucja", "Żółkiewska-Ψαρά"
    enrolment.save()
    enrolment.course.title = "Управление проектами"
    enrolment.course.save()
    certificate = services.certificate_issue(enrolment=enrolment, progress=progress)
    text = PdfReader(io.BytesIO(selectors.certificate_pdf(certificate=certificate))).pages[0].extract_text()
    assert "Łucja Żółkiewska-Ψαρά" in text and "Управление проектами" in text
