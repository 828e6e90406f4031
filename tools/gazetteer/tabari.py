"""Reader for TABARI/PETRARCH `.actors` and `agents` dictionaries.

The format (PETRARCH 2 dictionaries, MIT): one actor per block. A block starts with a name line
(`NAME_ [CODE]` or `NAME_` followed by indented `[CODE dates]` lines), then `+SYNONYM` lines.
Words are joined by `_`; a trailing `_` means "whole word". Dates are `yymmdd` or `yyyymmdd`,
either a range `from-to`, `>from` (from then on) or `<to` (until then). `#` starts a comment.
"""

import re
from dataclasses import dataclass, field
from datetime import date

CODE_RE = re.compile(r"\[([^\]\[]*)\]")


@dataclass
class Code:
    code: str
    start: date | None = None
    end: date | None = None


@dataclass
class Block:
    name: str
    aliases: list = field(default_factory=list)
    codes: list = field(default_factory=list)
    comment: str = ""
    line: int = 0


def parse_date(s: str) -> date | None:
    s = s.strip()
    if not s.isdigit():
        return None
    try:
        if len(s) == 8:
            return date(int(s[:4]), int(s[4:6]), int(s[6:8]))
        if len(s) == 6:
            yy = int(s[:2])
            # TABARI pivot: two-digit years below 30 are 20xx (the data ends around 2015).
            year = 2000 + yy if yy < 30 else 1900 + yy
            return date(year, int(s[2:4]), int(s[4:6]))
    except ValueError:
        return None
    return None


def parse_code(text: str) -> Code | None:
    parts = text.split()
    if not parts:
        return None
    code = parts[0].strip()
    c = Code(code)
    if len(parts) > 1:
        d = "".join(parts[1:])
        if d.startswith(">"):
            c.start = parse_date(d[1:])
        elif d.startswith("<"):
            c.end = parse_date(d[1:])
        elif "-" in d:
            a, b = d.split("-", 1)
            c.start, c.end = parse_date(a), parse_date(b)
    return c


def clean_name(raw: str) -> str:
    """`UNITED_STATES_OF_AMERICA_` -> `UNITED STATES OF AMERICA`."""
    s = raw.replace("_", " ")
    s = re.sub(r"\s+", " ", s).strip()
    return s


def read_actors(path: str) -> list[Block]:
    blocks: list[Block] = []
    cur: Block | None = None

    def flush():
        nonlocal cur
        if cur is not None and cur.codes:
            blocks.append(cur)
        cur = None

    with open(path, encoding="utf-8", errors="replace") as f:
        for no, line in enumerate(f, 1):
            comment = ""
            if "#" in line:
                line, comment = line.split("#", 1)
            raw = line.rstrip("\n")
            if not raw.strip():
                if not comment:
                    flush()
                continue
            codes = [parse_code(m) for m in CODE_RE.findall(raw)]
            codes = [c for c in codes if c is not None]
            text = CODE_RE.sub(" ", raw).strip()
            if raw[0] in " \t" and not text:
                if cur is not None:
                    cur.codes += codes
                continue
            if text.startswith("+"):
                if cur is not None:
                    cur.aliases.append(clean_name(text[1:]))
                    cur.codes += codes
                continue
            flush()
            cur = Block(clean_name(text), codes=list(codes), comment=comment.strip(), line=no)
    flush()
    return blocks
