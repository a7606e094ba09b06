"""Asset labels as PDF: a QR code that opens the asset's page, the tag large enough to read across a machine
room, and what the equipment is and where it stands. One label on a page of its own size (a label printer),
or a sheet of them on A4 (label_layout.A4_3x8). The Chinese font is embedded (subset) so a label prints the
same from any machine."""

import io
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from urllib.parse import quote

import qrcode
from PIL import Image
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from assets.ledger.label_layout import A4_3x8, Sheet, clip, wrap
from opsdesk_shared.errors import ServiceUnavailable

FONT = "OpsDeskCJK"
TAG_FONT = "Helvetica-Bold"  # tags are Latin letters and digits: a bold face reads from further away
PAD = 2.5  # mm inside the label's edge
GAP = 2.0  # mm between the QR code and the text
# One document at a time per process: reportlab keeps an embedded font's subset state in the shared font
# object, and the API draws labels in worker threads.
_DRAWING = threading.Lock()


@dataclass(frozen=True)
class LabelText:
    tag: str
    url: str  # what the QR code opens
    name: str
    kind: str  # the equipment class, in words
    place: str  # site · room · rack
    unit: str
    footer: str


def page_url(public_url: str, tag: str) -> str:
    return f"{public_url.rstrip('/')}/ui/assets/{quote(tag, safe='')}"


@cache
def register_font(path: Path) -> str:
    if not path.is_file():
        raise ServiceUnavailable(
            f"labels need a Chinese TrueType font at {path} (Debian: apt-get install fonts-wqy-microhei, "
            "or set OPSDESK_LABEL_FONT_PATH)",
            code="labels.font_missing",
        )
    pdfmetrics.registerFont(TTFont(FONT, str(path), subfontIndex=0))
    return FONT


def qr_modules(url: str) -> list[list[bool]]:
    """The QR code's dark modules, no quiet zone (the label's padding is the quiet zone)."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    code.add_data(url)
    code.make(fit=True)
    return [list(row) for row in code.get_matrix()]


def qr_image(url: str) -> ImageReader:
    """The QR code as a 1-bit image, one pixel per module: one small image per label draws far faster than
    a rectangle per run of modules, and PDF viewers and printers scale it without smoothing its edges."""
    modules = qr_modules(url)
    side = len(modules)
    image = Image.new("1", (side, side), 1)
    image.putdata([0 if dark else 1 for row in modules for dark in row])
    return ImageReader(image)


def _draw_qr(canvas: Canvas, url: str, x: float, y: float, size: float) -> None:
    canvas.drawImage(qr_image(url), x, y, width=size, height=size)


def measure(face: str, size: float) -> Callable[[str], float]:
    return lambda text: float(pdfmetrics.stringWidth(text, face, size))


def _fitted_size(text: str, font: str, largest: float, smallest: float, width: float) -> float:
    size = largest
    while size > smallest and pdfmetrics.stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def draw_label(canvas: Canvas, label: LabelText, font: str, x: float, y: float, width: float, height: float) -> None:
    """One label with its lower-left corner at (x, y), all in mm."""
    qr = height - 2 * PAD
    _draw_qr(canvas, label.url, (x + PAD) * mm, (y + PAD) * mm, qr * mm)
    left = (x + PAD + qr + GAP) * mm
    room = (width - PAD - qr - GAP - PAD) * mm
    top = (y + height - PAD) * mm

    def line(text: str, face: str, size: float, baseline: float, grey: bool = False) -> None:
        canvas.setFillColor(colors.HexColor("#555555") if grey else colors.black)
        canvas.setFont(face, size)
        canvas.drawString(left, baseline, clip(text, room, measure(face, size)))

    tag_size = _fitted_size(label.tag, TAG_FONT, 10, 6.5, room)
    baseline = top - tag_size * 0.8
    line(label.tag, TAG_FONT, tag_size, baseline)
    # The place may take two lines: a room's name is often long, and it is what finds the machine.
    for text, size, lines in ((label.name, 7, 1), (label.kind, 6.5, 1), (label.place, 6.5, 2), (label.unit, 6.5, 1)):
        for part in wrap(text, room, measure(font, size), lines):
            baseline -= size * 1.35
            line(part, font, size, baseline)
    line(label.footer, font, 5.5, (y + PAD) * mm + 0.5 * mm, grey=True)


def single(label: LabelText, font_path: Path, sheet: Sheet = A4_3x8) -> bytes:
    """One label on a page of the label's size, for a label printer."""
    font = register_font(font_path)
    buffer = io.BytesIO()
    with _DRAWING:
        canvas = Canvas(buffer, pagesize=(sheet.label_width * mm, sheet.label_height * mm), pageCompression=1)
        canvas.setTitle(f"设备标签 {label.tag}")
        draw_label(canvas, label, font, 0, 0, sheet.label_width, sheet.label_height)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def sheet_of(labels: Sequence[LabelText], font_path: Path, title: str, sheet: Sheet = A4_3x8) -> bytes:
    """Labels in the sheet's grid, page after page; an empty list gives one empty page."""
    font = register_font(font_path)
    buffer = io.BytesIO()
    with _DRAWING:
        canvas = Canvas(buffer, pagesize=(sheet.page_width * mm, sheet.page_height * mm), pageCompression=1)
        canvas.setTitle(title)
        page = 0
        for index, label in enumerate(labels):
            slot = sheet.slot(index)
            if slot.page != page:
                canvas.showPage()
                page = slot.page
            draw_label(canvas, label, font, slot.x, slot.y, sheet.label_width, sheet.label_height)
        canvas.showPage()
        canvas.save()
    return buffer.getvalue()
