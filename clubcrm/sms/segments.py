"""How many SMS segments a text costs: GSM-7 when every character is in the GSM 03.38 alphabet, else UCS-2."""
import math
from dataclasses import dataclass

GSM_BASIC = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Characters of the extension table: each takes two septets (an escape and the character).
GSM_EXTENDED = set("^{}\\[~]|€\f")


@dataclass(frozen=True)
class Count:
    encoding: str   # "GSM-7" or "UCS-2"
    units: int      # septets or UTF-16 code units
    segments: int


def count(text: str) -> Count:
    """Count TEXT's encoding and segments (160/153 septets, or 70/67 UTF-16 units, per segment)."""
    if all(c in GSM_BASIC or c in GSM_EXTENDED for c in text):
        units = sum(2 if c in GSM_EXTENDED else 1 for c in text)
        return Count("GSM-7", units, 1 if units <= 160 else math.ceil(units / 153))
    units = len(text.encode("utf-16-le")) // 2
    return Count("UCS-2", units, 1 if units <= 70 else math.ceil(units / 67))
