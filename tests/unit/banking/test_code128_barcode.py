"""The format 507 barcode: Code 128 subset C symbols, bar widths and the SVG drawing."""

import re
import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st

from portal.banking.barcode import (
    _PATTERNS,
    MAX_LENGTH_MM,
    QUIET_ZONE_X_MM,
    QUIET_ZONE_Y_MM,
    barcode_svg,
    code128c_modules,
    code128c_symbols,
)

SPEC_BARCODE = "9050722350466501000000000156830081500000053980"
SVG = "{http://www.w3.org/2000/svg}"


def _checksum(values):
    """Code 128 check symbol, written out independently: start value, then each value times its position."""
    total = values[0]
    for position in range(1, len(values)):
        total += position * values[position]
    return total % 103


def _decode(widths):
    """Read bar and space widths back into digits, checking Start C, FNC1, checksum and Stop."""
    by_pattern = {pattern: value for value, pattern in enumerate(_PATTERNS)}
    text = "".join(map(str, widths))
    assert text.endswith(_PATTERNS[106])
    values = [by_pattern[text[i : i + 6]] for i in range(0, len(text) - 7, 6)]
    assert values[:2] == [105, 102]
    assert values[-1] == _checksum(values[:-1])
    return "".join(f"{value:02d}" for value in values[2:-1])


def test_pattern_table_has_the_shape_of_code_128():
    assert len(_PATTERNS) == 107
    assert len(set(_PATTERNS)) == 107
    for pattern in _PATTERNS[:106]:
        widths = [int(width) for width in pattern]
        assert len(widths) == 6
        assert sum(widths) == 11
        assert sum(widths[0::2]) % 2 == 0  # Code 128's parity: bars take an even number of modules
    assert _PATTERNS[102] == "411131"  # FNC1
    assert _PATTERNS[105] == "211232"  # Start C
    assert _PATTERNS[106] == "2331112"  # Stop


def test_symbols_of_a_short_number():
    # Start C (105) + FNC1 (102) × 1 + 12 × 2 = 231 ≡ 25 (mod 103)
    assert code128c_symbols("12") == [105, 102, 12, 25, 106]


def test_symbols_of_the_spec_barcode():
    pairs = [int(SPEC_BARCODE[i : i + 2]) for i in range(0, 46, 2)]
    symbols = code128c_symbols(SPEC_BARCODE)
    assert symbols[:2] == [105, 102]
    assert symbols[2:-2] == pairs
    assert symbols[-2] == _checksum(symbols[:-2]) == 29
    assert symbols[-1] == 106


def test_modules_of_the_spec_barcode():
    widths = code128c_modules(SPEC_BARCODE)
    assert len(widths) == 26 * 6 + 7  # 26 symbols of 3 bars and 3 spaces, then Stop's 4 bars and 3 spaces
    assert sum(widths) == 26 * 11 + 13
    assert _decode(widths) == SPEC_BARCODE


@pytest.mark.parametrize("digits", ["", "1", "123", "12a4", "１２", "٠١"])
def test_symbols_need_an_even_number_of_ascii_digits(digits):
    with pytest.raises(ValueError, match="even number of ASCII digits"):
        code128c_symbols(digits)


def _bars(svg):
    """(x, y, width, height) of each bar drawn by the SVG's single path."""
    root = ET.fromstring(svg)
    (path,) = root.iter(f"{SVG}path")
    subpaths = re.findall(r"M([\d.]+) ([\d.]+)h([\d.]+)v([\d.]+)h-([\d.]+)z", path.get("d"))
    assert "".join(f"M{x} {y}h{w}v{h}h-{w2}z" for x, y, w, h, w2 in subpaths) == path.get("d")
    return [(float(x), float(y), float(w), float(h)) for x, y, w, h, _ in subpaths]


def test_svg_draws_every_bar_in_one_path():
    svg = barcode_svg(SPEC_BARCODE, label=f"Barcode {SPEC_BARCODE} <&>")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert [child.tag for child in root] == [f"{SVG}title", f"{SVG}path"]
    assert root.get("role") == "img"
    assert root.get("aria-label") == f"Barcode {SPEC_BARCODE} <&>"
    assert root.find(f"{SVG}title").text == f"Barcode {SPEC_BARCODE} <&>"

    widths = code128c_modules(SPEC_BARCODE)
    bars = _bars(svg)
    assert len(bars) == 26 * 3 + 4
    modules = 0
    for index, width in enumerate(widths):
        if index % 2 == 0:
            x, y, bar_width, height = bars[index // 2]
            assert x == pytest.approx(QUIET_ZONE_X_MM + modules * 0.33, abs=0.001)
            assert bar_width == pytest.approx(width * 0.33, abs=0.001)
            assert (y, height) == (QUIET_ZONE_Y_MM, 12)
        modules += width


def test_svg_size_includes_the_quiet_zones():
    root = ET.fromstring(barcode_svg(SPEC_BARCODE, module_mm=0.4, height_mm=15, label="Barcode"))
    width = 2 * QUIET_ZONE_X_MM + 299 * 0.4
    assert root.get("width") == f"{width:g}mm"
    assert root.get("height") == "25mm"
    assert root.get("viewBox") == f"0 0 {width:g} 25"
    assert width <= MAX_LENGTH_MM


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"module_mm": 0.5}, "169.5 mm long"),  # 20 + 299 × 0.5 > 166
        ({"module_mm": 0.2}, "module must be"),
        ({"module_mm": 1.3}, "module must be"),
        ({"height_mm": 9.9}, "at least 10"),
    ],
)
def test_svg_enforces_the_printing_rules(options, message):
    with pytest.raises(ValueError, match=message):
        barcode_svg(SPEC_BARCODE, **options, label="Barcode")


@given(st.text(alphabet="0123456789", min_size=1, max_size=40).map(lambda text: text + text))
def test_modules_decode_back_to_the_digits(digits):
    widths = code128c_modules(digits)
    assert sum(widths) == (len(digits) // 2 + 3) * 11 + 13
    assert _decode(widths) == digits
