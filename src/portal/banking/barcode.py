"""The format 507 barcode drawn as SVG: EAN-128, that is Code 128 subset C led by FNC1.

Every pair of digits is one symbol, so the 46-digit number needs 23 symbols. The SVG draws all bars as
one ``<path>``: WeasyPrint renders a single path far faster than ~80 rectangles, which matters when a job
prints thousands of bills. Sizes follow the banks' printing rules (``specs/payment-codes.md``).
"""

from __future__ import annotations

import re
from html import escape

__all__ = [
    "MAX_LENGTH_MM",
    "QUIET_ZONE_X_MM",
    "QUIET_ZONE_Y_MM",
    "barcode_svg",
    "code128c_modules",
    "code128c_symbols",
]

# Bar and space widths (in modules, starting with a bar) of Code 128 symbol values 0–106, per
# ISO/IEC 15417. Every symbol is 11 modules wide except Stop (106), which ends with a 2-module bar.
_PATTERNS = (
    "212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312", "132212", "221213",
    "221312", "231212", "112232", "122132", "122231", "113222", "123122", "123221", "223211", "221132",
    "221231", "213212", "223112", "312131", "311222", "321122", "321221", "312212", "322112", "322211",
    "212123", "212321", "232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
    "231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121", "313121", "211331",
    "231131", "213113", "213311", "213131", "311123", "311321", "331121", "312113", "312311", "332111",
    "314111", "221411", "431111", "111224", "111422", "121124", "121421", "141122", "141221", "112214",
    "112412", "122114", "122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
    "111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112", "421211", "212141",
    "214121", "412121", "111143", "111341", "131141", "114113", "114311", "411113", "411311", "113141",
    "114131", "311141", "411131", "211412", "211214", "211232", "2331112",
)  # fmt: skip
_FNC1 = 102
_START_C = 105
_STOP = 106

_DIGIT_PAIRS = re.compile(r"(?:[0-9]{2})+")

QUIET_ZONE_X_MM = 10.0
"""Blank margin left and right of the bars."""
QUIET_ZONE_Y_MM = 5.0
"""Blank margin above and below the bars."""
MAX_LENGTH_MM = 166.0
"""Longest barcode banks accept; checked including the quiet zones, to be safe."""
_MODULE_RANGE_MM = (0.25, 1.2)
_MIN_HEIGHT_MM = 10.0


def code128c_symbols(digits: str) -> list[int]:
    """Symbol values of an EAN-128 barcode: Start C, FNC1, one per digit pair, checksum, Stop.

    The checksum is the start value plus each following value times its position, modulo 103.
    """
    if not _DIGIT_PAIRS.fullmatch(digits):
        raise ValueError("Code 128 subset C encodes a non-empty, even number of ASCII digits")
    data = [_FNC1, *(int(digits[i : i + 2]) for i in range(0, len(digits), 2))]
    checksum = (_START_C + sum(position * value for position, value in enumerate(data, start=1))) % 103
    return [_START_C, *data, checksum, _STOP]


def code128c_modules(digits: str) -> list[int]:
    """Widths in modules of the bars and spaces, alternating and starting with a bar."""
    return [int(width) for symbol in code128c_symbols(digits) for width in _PATTERNS[symbol]]


def _mm(value: float) -> str:
    return f"{value:.3f}".rstrip("0").rstrip(".")


def barcode_svg(digits: str, module_mm: float = 0.33, height_mm: float = 12, *, label: str) -> str:
    """An SVG of the barcode, sized in millimetres, with its quiet zones and ``label`` as its accessible
    name (in the language of the page or PDF it goes in: the caller's to translate).

    The digits must also be printed in clear under the barcode; that is left to the template, where
    the text stays selectable.
    """
    low, high = _MODULE_RANGE_MM
    if not low <= module_mm <= high:
        raise ValueError(f"A module must be {low} to {high} mm wide, not {module_mm}")
    if height_mm < _MIN_HEIGHT_MM:
        raise ValueError(f"A barcode must be at least {_MIN_HEIGHT_MM} mm high, not {height_mm}")
    widths = code128c_modules(digits)
    width_mm = 2 * QUIET_ZONE_X_MM + sum(widths) * module_mm
    if width_mm > MAX_LENGTH_MM:
        raise ValueError(
            f"The barcode would be {width_mm:.1f} mm long; at most {MAX_LENGTH_MM} mm is allowed"
        )
    total_height_mm = height_mm + 2 * QUIET_ZONE_Y_MM

    bars = []
    modules_before = 0  # counting modules, not adding up millimetres, keeps rounding errors out
    for index, width in enumerate(widths):
        if index % 2 == 0:
            x = QUIET_ZONE_X_MM + modules_before * module_mm
            bar = _mm(width * module_mm)
            bars.append(f"M{_mm(x)} {_mm(QUIET_ZONE_Y_MM)}h{bar}v{_mm(height_mm)}h-{bar}z")
        modules_before += width

    label = escape(label)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_mm(width_mm)}mm" height="{_mm(total_height_mm)}mm"'
        f' viewBox="0 0 {_mm(width_mm)} {_mm(total_height_mm)}" role="img" aria-label="{label}">'
        f"<title>{label}</title>"
        f'<path fill="#000" shape-rendering="crispEdges" d="{"".join(bars)}"/>'
        "</svg>"
    )
