"""The fonts CohortStudio's PDFs are set in: DejaVu Sans (kept in fonts/, embedded), so names in Latin, Greek or
Cyrillic scripts print as written (PDF's built-in Helvetica knows only Western European letters)."""

from pathlib import Path

from reportlab.pdfbase.pdfmetrics import getRegisteredFontNames, registerFont
from reportlab.pdfbase.ttfonts import TTFont

FONTS = Path(__file__).resolve().parent / "fonts"
REGULAR, BOLD = "DejaVuSans", "DejaVuSans-Bold"


def pdf_fonts_register():
    for name in (REGULAR, BOLD):
        if name not in getRegisteredFontNames():
            registerFont(TTFont(name, str(FONTS / f"{name}.ttf")))
    return REGULAR, BOLD
