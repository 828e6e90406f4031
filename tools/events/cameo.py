"""Readers for the PETRARCH2 CAMEO verb dictionary and the CAMEO-to-PLOVER table.

Used by build_triggers.py; kept apart so the parsing rules are in one place.
"""
import re
from dataclasses import dataclass, field

SYNSET_RE = re.compile(r"^&([A-Z0-9_]+)")
BLOCK_RE = re.compile(r"^---\s+(\S+)\s+\[([^\]]*)\]")
CODE_RE = re.compile(r"\[([^\]]*)\]")


@dataclass
class Verb:
    lemma: str              # lower case, words joined by spaces ("meet with")
    forms: list             # irregular forms given in {} (lower case)
    code: str               # CAMEO code of the verb itself, or the block's
    block: str


@dataclass
class Pattern:
    verb: str               # verb lemma named in the comment (lower case)
    pre: list               # words before the verb (raw PETRARCH tokens)
    post: list              # words after the verb (raw PETRARCH tokens)
    code: str               # CAMEO code ("" when none, "---" for no event)
    target_code: str        # code after ':' (event with roles reversed)
    block: str


@dataclass
class Dictionary:
    synsets: dict = field(default_factory=dict)
    verbs: list = field(default_factory=list)
    patterns: list = field(default_factory=list)


def _split_code(raw):
    raw = raw.strip()
    if raw.endswith("---") and len(raw) > 3:
        raw = raw[:-3]
    if ":" in raw:
        a, b = raw.split(":", 1)
        return a.strip(), b.strip()
    return raw, ""


def _word(w):
    """PETRARCH word -> lower-case words; '_' joins words, trailing '_' = no inflection."""
    return w.strip("_").replace("_", " ").lower()


def read_cameo(path):
    d = Dictionary()
    in_verbs = False
    synset = None
    block, block_code = None, ""
    for raw in open(path, encoding="utf-8", errors="replace"):
        line = raw.rstrip("\n")
        if "VERB PATTERNS" in line:
            in_verbs = True
            synset = None
            continue
        body = line.split("#", 1)[0].rstrip()
        comment = line.split("#", 1)[1].strip() if "#" in line else ""
        if not body.strip():
            continue
        if not in_verbs:
            m = SYNSET_RE.match(body)
            if m:
                synset = m.group(1)
                d.synsets[synset] = []
            elif body.startswith("+") and synset:
                d.synsets[synset].append(_word(body[1:].strip()))
            continue
        m = BLOCK_RE.match(body)
        if m:
            block = m.group(1)
            block_code, _ = _split_code(m.group(2))
            continue
        if body.startswith("-"):
            cm = CODE_RE.search(body)
            if not cm:
                continue
            code, tcode = _split_code(cm.group(1))
            text = body[1:cm.start()].strip()
            if "*" not in text:
                continue
            pre, post = text.split("*", 1)
            verb = _word(comment.split()[0]) if comment else ""
            d.patterns.append(Pattern(verb, pre.split(), post.split(), code, tcode, block))
            continue
        # A verb line: [+]WORD {forms} [code]
        cm = CODE_RE.search(body)
        code = ""
        if cm:
            code, _t = _split_code(cm.group(1))
            body = body[:cm.start()] + body[cm.end():]
        forms = []
        fm = re.search(r"\{([^}]*)\}", body)
        if fm:
            forms = [_word(f.lstrip("+")) for f in fm.group(1).replace(",", " ").split()]
            body = body[:fm.start()] + body[fm.end():]
        word = body.strip().lstrip("+")
        if not word or " " in word:
            continue
        d.verbs.append(Verb(_word(word), forms, code or block_code, block))
    return d


def read_cameo2plover(path):
    """CAMEO code -> (PLOVER type, mode). Codes not listed fall back to their parent."""
    table = {}
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].strip()
        m = re.match(r"^(\d+):\s*(.*)$", line)
        if not m:
            continue
        code, rest = m.group(1), m.group(2)
        parts = [p.strip() for p in rest.split(",")]
        if not parts or not parts[0]:
            continue
        typ = parts[0].upper()
        mode = parts[1].strip().lower() if len(parts) > 1 else ""
        if len(code) == 2:
            table.setdefault(code, (typ, ""))
        else:
            table[code] = (typ, mode)
    return table


def plover_of(code, table):
    """PLOVER (type, mode) of a CAMEO code, or None (statements, appeals, no event)."""
    code = code.strip()
    if not code or not code[0].isdigit():
        return None
    c = code
    while c:
        if c in table:
            return table[c]
        c = c[:-1]
    return None
