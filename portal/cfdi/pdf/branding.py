"""How an organization looks on its documents: colour, logo, and the custom HTML section."""

from __future__ import annotations

import base64
import io
import re
from dataclasses import dataclass
from functools import lru_cache

import nh3
from PIL import Image

from portal.cfdi import colors

DEFAULT_COLOR = "#1F4E79"
CUSTOM_SECTION_MAX = 20_000
# The largest logo box of our templates (50 x 18 mm, base.css and receipt.css) at 400 dpi.
LOGO_PIXELS = (787, 283)

CUSTOM_TAGS = frozenset(
    "b i strong em u br p ul ol li span small div h3 h4 table thead tbody tr th td".split()
)
CUSTOM_ATTRIBUTES = {"td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}}


@dataclass(frozen=True)
class Branding:
    """How the organization looks on its documents."""

    organization_name: str = ""
    logo: bytes | None = None
    color: str = DEFAULT_COLOR

    @property
    def css_color(self) -> str:
        """The brand colour as ``#RRGGBB`` (the default when invalid: it lands in CSS)."""
        value = (self.color or "").strip().lstrip("#")
        return f"#{value.upper()}" if re.fullmatch(r"[0-9A-Fa-f]{6}", value) else DEFAULT_COLOR

    @property
    def css_text_on_color(self) -> str:
        """White or black, whichever contrasts more with the brand colour (WCAG 2)."""
        return colors.text_on(self.css_color)

    @property
    def css_ink(self) -> str:
        """The brand colour for text on a light page, darkened until it reads (4.5:1)."""
        return colors.ink_on(self.css_color)

    @property
    def logo_uri(self) -> str | None:
        """The logo as a data URI, when it is a PNG or a JPEG."""
        return _logo_uri(self.logo) if self.logo else None


@lru_cache(maxsize=64)
def _logo_uri(logo: bytes) -> str | None:
    """A logo's data URI, made once per logo: a PNG larger than it prints is scaled down."""
    mime = image_mime(logo)
    if mime == "image/png":
        logo = _print_size_png(logo)
    return None if mime is None else data_uri(logo, mime)


def _print_size_png(data: bytes) -> bytes:
    """A PNG no larger than LOGO_PIXELS, same look; the original if small enough or unreadable."""
    # WeasyPrint decodes and re-encodes a PNG in every PDF (a 4000 px logo: hundreds of ms);
    # JPEGs are embedded as they are.
    try:
        image = Image.open(io.BytesIO(data))
        if image.width <= LOGO_PIXELS[0] and image.height <= LOGO_PIXELS[1]:
            return data
        if image.mode not in ("RGB", "RGBA", "L", "LA"):
            image = image.convert("RGBA")
        image.thumbnail(LOGO_PIXELS, Image.Resampling.LANCZOS)
    except (OSError, ValueError, Image.DecompressionBombError):
        return data
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def image_mime(data: bytes | None) -> str | None:
    """``image/png`` or ``image/jpeg`` by magic bytes, else None."""
    if not data:
        return None
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def data_uri(data: bytes, mime: str) -> str:
    """A base64 ``data:`` URI."""
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def sanitize_custom_section(html: str | None) -> str:
    """``pdf_custom_section`` reduced to a short allow-list of formatting tags."""
    if not html:
        return ""
    return nh3.clean(
        html[:CUSTOM_SECTION_MAX],
        tags=set(CUSTOM_TAGS),
        attributes={k: set(v) for k, v in CUSTOM_ATTRIBUTES.items()},
        url_schemes=set(),
        link_rel=None,
    )
