"""The certificate as a one-page PDF (reportlab: pure Python, no system packages), drawn from its signed facts.

Text is set in the fonts of `cohortstudio.pdf_fonts`.
"""

import io
from datetime import date, datetime

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from cohortstudio.pdf_fonts import pdf_fonts_register

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN = 18 * mm
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN - 20 * mm
QR_SIZE = 34 * mm
INK = HexColor("#1d2125")
MUTED = HexColor("#5c636a")
ACCENT = HexColor("#0b5394")
REGULAR, BOLD = pdf_fonts_register()


def certificate_pdf_render(*, facts, verification_url):
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=True)
    canvas.setTitle(f"Certificate {facts.get('number', '')}")
    canvas.setAuthor(facts.get("organization", ""))
    canvas.setSubject(f"{facts.get('student', '')}: {facts.get('course', '')}")
    canvas.setCreator("CohortStudio")

    canvas.setStrokeColor(ACCENT)
    canvas.setLineWidth(2)
    canvas.rect(MARGIN / 2, MARGIN / 2, PAGE_WIDTH - MARGIN, PAGE_HEIGHT - MARGIN)
    canvas.setLineWidth(0.5)
    canvas.rect(MARGIN / 2 + 2 * mm, MARGIN / 2 + 2 * mm, PAGE_WIDTH - MARGIN - 4 * mm, PAGE_HEIGHT - MARGIN - 4 * mm)

    y = PAGE_HEIGHT - MARGIN - 14 * mm
    y = _centred(canvas, facts.get("organization", ""), y, BOLD, 18, ACCENT)
    y = _centred(canvas, "Certificate of Completion", y - 6 * mm, BOLD, 30, INK)
    y = _centred(canvas, "This certifies that", y - 6 * mm, REGULAR, 13, MUTED)
    y = _centred(canvas, facts.get("student", ""), y - 2 * mm, BOLD, 26, INK)
    y = _centred(canvas, "has completed the course", y - 2 * mm, REGULAR, 13, MUTED)
    y = _centred(canvas, facts.get("course", ""), y - 2 * mm, BOLD, 18, INK)
    if facts.get("certification"):
        y = _centred(canvas, f"preparing for {facts['certification']}", y, REGULAR, 13, INK)
    y = _centred(canvas, _dates_line(facts), y - 4 * mm, REGULAR, 12, INK)
    y = _centred(canvas, _credits_line(facts), y, BOLD, 13, INK)
    trainers = facts.get("trainers") or []
    if trainers:
        _centred(canvas, f"Trainer{'s' if len(trainers) > 1 else ''}: {', '.join(trainers)}", y, REGULAR, 12, INK)

    _footer(canvas, facts, verification_url)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _centred(canvas, text, y, font, size, color, *, min_size=9):
    """Draw `text` centred from baseline `y`, shrunk to fit, wrapped below its minimum size; returns the next y."""
    while size > min_size and stringWidth(text, font, size) > TEXT_WIDTH:
        size -= 1
    canvas.setFont(font, size)
    canvas.setFillColor(color)
    leading = size * 1.35
    for line in simpleSplit(text, font, size, TEXT_WIDTH) or [""]:
        y -= leading
        canvas.drawCentredString(PAGE_WIDTH / 2, y, line)
    return y


def _footer(canvas, facts, verification_url):
    left = MARGIN + 4 * mm
    bottom = MARGIN + 2 * mm
    qr_x = PAGE_WIDTH - MARGIN - 4 * mm - QR_SIZE
    canvas.setFillColor(INK)
    lines = [
        (BOLD, f"Certificate number {facts.get('number', '')}"),
        (REGULAR, f"Issued {_day(facts.get('issued_at', ''))}"),
        (REGULAR, f"Verification code {facts.get('verification_code', '')}"),
        (REGULAR, "Verify this certificate at"),
    ]
    y = bottom + QR_SIZE - 9
    for font, text in lines:
        canvas.setFont(font, 10)
        canvas.drawString(left, y, text)
        y -= 14
    canvas.setFont(REGULAR, 9)
    canvas.setFillColor(ACCENT)
    for line in simpleSplit(verification_url, REGULAR, 9, qr_x - left - 6 * mm):
        canvas.drawString(left, y, line)
        y -= 11
    canvas.linkURL(verification_url, (left, y, qr_x - 6 * mm, y + 40), relative=0)

    widget = QrCodeWidget(verification_url, barLevel="M")
    x1, y1, x2, y2 = widget.getBounds()
    drawing = Drawing(QR_SIZE, QR_SIZE, transform=[QR_SIZE / (x2 - x1), 0, 0, QR_SIZE / (y2 - y1), 0, 0])
    drawing.add(widget)
    renderPDF.draw(drawing, canvas, qr_x, bottom)


def _dates_line(facts):
    first, last = _day(facts.get("first_class_on", "")), _day(facts.get("last_class_on", ""))
    if not first:
        return ""
    return f"held on {first}" if first == last else f"held from {first} to {last}"


def _credits_line(facts):
    hours = facts.get("hours", "")
    credits = f" · {facts['credits']} {facts.get('credit_label', '')}".rstrip() if facts.get("credits") else ""
    return f"{hours} hours{credits}" if hours else credits.lstrip(" ·")


def _day(value):
    """An ISO date (or date-time) as "March 3, 2026"; anything else as it is."""
    try:
        parsed = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    except (TypeError, ValueError):
        return value
    return f"{parsed:%B} {parsed.day}, {parsed.year}"
