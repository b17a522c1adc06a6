"""Colour contrast (WCAG 2.2) for a partnership's brand colour behind the header's text.

Pure arithmetic on #rrggbb strings: no page, no database.
"""

from __future__ import annotations

WHITE = "#ffffff"
NEAR_BLACK = "#0b0c0c"
AA_NORMAL_TEXT = 4.5  # WCAG 2.2 success criterion 1.4.3


def relative_luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_text_on(background: str) -> str:
    """White or near-black, whichever reads better on the colour."""
    on_white = contrast_ratio(background, WHITE)
    return WHITE if on_white >= contrast_ratio(background, NEAR_BLACK) else NEAR_BLACK


def darker_shade_for_white_text(hex_colour: str) -> str:
    """The same hue, darkened in small steps until white text on it meets WCAG AA."""
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    for step in range(100, -1, -1):
        shade = "#{:02x}{:02x}{:02x}".format(
            *(round(channel * step / 100) for channel in (red, green, blue))
        )
        if contrast_ratio(shade, WHITE) >= AA_NORMAL_TEXT:
            return shade
    return NEAR_BLACK
