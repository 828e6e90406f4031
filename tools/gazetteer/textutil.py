"""Name helpers for the gazetteer conversion: folding for comparison and title-casing of the
all-caps PETRARCH spellings."""

import re
import unicodedata

_SPECIAL = str.maketrans(
    {
        "ı": "i",
        "İ": "I",
        "ł": "l",
        "Ł": "L",
        "ø": "o",
        "Ø": "O",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "þ": "th",
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "’": "'",
        "‘": "'",
        "ʼ": "'",
        "ʻ": "'",
        "ʿ": "'",
        "ʾ": "'",
        "`": "'",
        "–": "-",
        "—": "-",
    }
)


def fold(s: str) -> str:
    """Lower-case, strip diacritics, straighten apostrophes: the key two spellings share."""
    s = s.translate(_SPECIAL)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = re.sub(r"\s+", " ", s)
    return s.lower().strip()


# Words kept lower-case inside a name (not at its start).
_LOWER = {
    "of", "the", "and", "for", "in", "on", "at", "to", "de", "del", "della", "di", "da", "das",
    "dos", "do", "du", "des", "la", "le", "les", "van", "von", "der", "den", "y", "e", "et",
    "bin", "ibn", "bint", "al", "el", "ul", "ud", "ad", "ar", "as", "ash", "an", "az", "ben",
    "a", "or", "with", "by", "against", "from", "dem",
}
# Prefixes joined by a hyphen that stay lower-case inside a name: `Ayman al-Zawahiri`.
_LOWER_PREFIX = {"al", "el", "ad", "ar", "as", "ash", "an", "az", "ul", "ud", "bin", "ibn"}

_KNOWN_ACRONYMS = {"US", "U.S.", "UK", "U.K.", "UN", "U.N.", "EU", "E.U.", "USA", "UAE", "NATO", "OPEC"}
_ROMAN = re.compile(r"^(i|ii|iii|iv|v|vi|vii|viii|ix|x|xi|xii)$", re.I)
_VOWEL = re.compile(r"[AEIOUY]", re.I)


def _cap_word(w: str, acronyms: set[str]) -> str:
    if not w:
        return w
    up = w.upper()
    if up in _KNOWN_ACRONYMS or up in acronyms or "." in w.strip(".") and len(w) <= 8:
        return up
    if _ROMAN.match(w) and len(w) > 1:
        return up
    if not _VOWEL.search(fold(w)) and len(w) >= 2 and w.isalpha():
        return up  # PKK, DHKP
    lw = w.lower()
    out = lw[:1].upper() + lw[1:]
    # O'Brien, D'Escoto; but Children's stays.
    out = re.sub(r"^([A-Za-z])'([a-z])", lambda m: m.group(1).upper() + "'" + m.group(2).upper(), out)
    out = re.sub(r"^Mc([a-z])", lambda m: "Mc" + m.group(1).upper(), out)
    return out


def titlecase(name: str, acronyms: set[str] = frozenset()) -> str:
    """`ISLAMIC STATE OF IRAQ AND AL-SHAM` -> `Islamic State of Iraq and al-Sham`."""
    words = name.split(" ")
    out = []
    for i, w in enumerate(words):
        parts = w.split("-")
        cased = []
        for j, p in enumerate(parts):
            lp = p.lower()
            first = i == 0 and j == 0
            if not first and j == 0 and lp in _LOWER and len(parts) == 1:
                cased.append(lp)
            elif not first and lp in _LOWER_PREFIX and j < len(parts) - 1:
                cased.append(lp)
            elif first and lp in _LOWER_PREFIX and len(parts) > 1:
                cased.append(lp[:1].upper() + lp[1:])
            else:
                cased.append(_cap_word(p, acronyms))
        out.append("-".join(cased))
    return " ".join(out)


def is_acronym(s: str) -> bool:
    """No lower-case letters and at least two letters: `UN`, `U.S.`, `NATO`."""
    letters = [c for c in s if c.isalpha()]
    return len(letters) >= 2 and not any(c.islower() for c in letters)
