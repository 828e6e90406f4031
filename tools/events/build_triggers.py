#!/usr/bin/env python3
"""Builds data/events/triggers.tsv from PETRARCH2's CAMEO verb dictionary and our curation.

    python3 tools/events/build_triggers.py [--shared ../shared] [--check]

Inputs (all dev-time; the product only embeds the output):
  * <shared>/reference/petrarch2-dictionaries/CAMEO.2.0.txt  (MIT) verb patterns with CAMEO codes
  * <shared>/reference/plover/CAMEO2PLOVER-2021.txt           (CC BY-SA 4.0) CAMEO -> PLOVER
  * tools/events/curated.tsv      hand-curated rows (win over imported ones)
  * tools/events/import.tsv       which CAMEO verbs to import object patterns from
  * tools/events/drop.tsv         imported patterns to leave out (noisy or wrong)

Output rows: pattern, pos, type, mode, cameo, weight, voice, source.
Why import only a chosen few verbs: the CAMEO dictionary's verb synsets come from WordNet and
are very noisy as bare triggers ("TAKE" -> 171 seize, "GO" -> 040 consult), but its
verb + object patterns for support verbs ("hold talks", "lift curfew", "sign protocol") are
precise and map well onto PLOVER.
"""
import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cameo import read_cameo, read_cameo2plover, plover_of  # noqa: E402

TYPES = {"AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
         "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE",
         "ASSAULT", "NONE"}
PARTICLES = {"off", "up", "out", "down", "back", "over", "away", "in", "on"}
# Words PETRARCH patterns use that carry no meaning for us (determiners etc.).
SKIP_WORDS = {"a", "an", "the", "^", "+", "$", "%"}
IRREGULAR_PLURALS = {"talks": "talk", "remains": "remains", "arms": "arm", "news": "news",
                     "forces": "force", "crisis": "crisis", "analyses": "analysis",
                     "bodies": "body", "series": "series", "people": "people",
                     "criteria": "criteria", "supplies": "supplies", "media": "media"}
# The PLOVER manual's modes per type; anything else from the 2021 table (old modes such as
# "ease", or contexts such as "pro_autocracy") is dropped or renamed.
MODES = {
    "CONSULT": {"visit", "third-party", "multilateral", "phone"},
    "RETREAT": {"withdraw", "release", "disarm", "ceasefire", "access", "resign"},
    "REQUEST": {"assist", "change", "yield", "meet"},
    "REJECT": {"assist", "change", "yield", "meet"},
    "ACCUSE": {"disapprove", "investigate", "allege"},
    "THREATEN": {"restrict", "arrest", "relations", "expel", "territory", "violence"},
    "PROTEST": {"demo", "riot", "strike", "hunger", "boycott", "obstruct", "vandalize"},
    "SANCTION": {"convict", "expel", "withdraw", "discontinue"},
    "MOBILIZE": {"troops", "weapons", "police", "militia"},
    "COERCE": {"seize", "restrict", "censor", "curfew", "martial-law", "arrest", "deport",
               "withhold", "misinformation", "cyber"},
    "ASSAULT": {"abduct", "beat", "torture", "sexual", "targeted", "destroy", "primitive",
                "firearms", "explosives", "suicide-attack", "aerial", "drone",
                "heavy-weapons", "crowd-control", "unconventional"},
}
MODE_RENAMES = {("ASSAULT", "assassinate"): "targeted", ("ASSAULT", "massacre"): "targeted",
                ("COERCE", "ban"): "restrict", ("RETREAT", "return"): "release"}
# Where the PLOVER manual overrides the 2021 CAMEO table (see data/events/README.md).
CODE_OVERRIDES = {
    "195": ("ASSAULT", "aerial"),           # manual has an 'aerial' mode for air strikes
    "0813": ("CONCEDE", ""), "0814": ("CONCEDE", ""),  # lifting curfews/emergency: CONCEDE
    "081": ("CONCEDE", ""), "085": ("CONCEDE", ""),
    "163": ("SANCTION", "discontinue"),     # manual: international sanctions are SANCTION
    "151": ("MOBILIZE", "troops"), "152": ("MOBILIZE", "troops"),
}


def plover(code, c2p, pattern):
    """(type, mode) of a CAMEO code after the manual's overrides and mode clean-up."""
    pl = CODE_OVERRIDES.get(code) or plover_of(code, c2p)
    if pl is None:
        return None
    typ, mode = pl
    mode = MODE_RENAMES.get((typ, mode), mode)
    if typ == "PROTEST" and mode == "boycott" and "strike" in pattern:
        mode = "strike"
    if mode not in MODES.get(typ, set()):
        mode = ""
    return typ, mode


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def singular(w):
    """Lemma of a pattern noun as the Rust lemmatizer sees it (kept deliberately simple)."""
    if w in IRREGULAR_PLURALS:
        return IRREGULAR_PLURALS[w]
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    for suf in ("sses", "shes", "ches", "xes"):
        if w.endswith(suf):
            return w[:-2]
    if len(w) > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def read_tsv(path):
    rows = []
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.rstrip("\n").split("\t")
        rows.append((n, cols))
    return rows


def expand(word, synsets, limit=12):
    """A PETRARCH token -> an alternatives string of single-word lemmas, or None to give up."""
    word = word.strip("{}()")
    if not word:
        return ""
    if word.startswith("&"):
        members = synsets.get(word[1:].rstrip("_"), [])
        single = sorted({singular(m) for m in members if " " not in m})
        if not single or len(members) > limit:
            return None
        return "|".join(single)
    w = word.strip("_").lower().replace("_", " ")
    if " " in w or not re.match(r"^[a-z][a-z'\-]*$", w):
        return None
    return singular(w)


def convert(verb, post, synsets):
    """verb + PETRARCH post-verb tokens -> our notation, or None when not expressible."""
    out = [verb]
    gap_pending = False
    depth = 0
    first = True
    for tok in post:
        opens = tok.count("(") + tok.count("{")
        closes = tok.count(")") + tok.count("}")
        core = tok.strip("(){}")
        inner = depth > 0 and not tok.startswith(("(", "{"))
        depth += opens - closes
        if core in SKIP_WORDS or core == "":
            gap_pending = True
            continue
        alt = expand(core, synsets)
        if alt is None:
            return None
        if first and core.lower() in PARTICLES:
            out.append(alt)
        else:
            # Object heads and prepositions may be preceded by modifiers or determiners;
            # words inside one {noun phrase} or (prep phrase) follow each other closely.
            out.append("~1" if inner and not gap_pending else "~3")
            out.append(alt)
        gap_pending = False
        first = False
    if len(out) == 1:
        return None
    if out[-1].startswith("~"):
        out.pop()
    return " ".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", default=os.path.join(ROOT, "..", "shared"))
    ap.add_argument("--out", default=os.path.join(ROOT, "data", "events", "triggers.tsv"))
    ap.add_argument("--check", action="store_true", help="fail if the output would change")
    args = ap.parse_args()
    ref = os.path.join(args.shared, "reference")
    d = read_cameo(os.path.join(ref, "petrarch2-dictionaries", "CAMEO.2.0.txt"))
    c2p = read_cameo2plover(os.path.join(ref, "plover", "CAMEO2PLOVER-2021.txt"))
    here = os.path.dirname(os.path.abspath(__file__))

    rows = {}  # (pattern, pos) -> row dict
    problems = []

    # 1. CAMEO patterns of the chosen support verbs.
    imports = {}
    for n, cols in read_tsv(os.path.join(here, "import.tsv")):
        verb = cols[0].strip()
        weight = float(cols[1]) if len(cols) > 1 and cols[1].strip() else 0.9
        imports[verb] = weight
    drops = {cols[0].strip() for _, cols in read_tsv(os.path.join(here, "drop.tsv"))}
    for p in d.patterns:
        if p.verb not in imports or p.pre:
            continue
        pat = convert(p.verb, p.post, d.synsets)
        if pat is None or pat in drops:
            continue
        pl = plover(p.code, c2p, pat)
        if pl is None:
            continue
        typ, mode = pl
        key = (pat, "verb")
        if key in rows:
            continue  # the first (most specific code) wins, like PETRARCH's file order
        rows[key] = dict(pattern=pat, pos="verb", type=typ, mode=mode, cameo=p.code,
                         weight=imports[p.verb], voice="", source="cameo")

    # 2. Curated rows. CAMEO codes are attached where the dictionary agrees on the type.
    verb_codes = {}
    for v in d.verbs:
        verb_codes.setdefault(v.lemma, v.code)
    pattern_codes = {}
    for p in d.patterns:
        if not p.pre:
            pat = convert(p.verb, p.post, d.synsets)
            if pat:
                pattern_codes.setdefault(pat, p.code)
    for n, cols in read_tsv(os.path.join(here, "curated.tsv")):
        cols += [""] * (7 - len(cols))
        pat, pos, typ, mode, weight, voice, _note = [c.strip() for c in cols[:7]]
        if pos not in ("verb", "noun") or typ not in TYPES:
            problems.append(f"curated.tsv:{n}: bad pos/type {pos!r}/{typ!r}")
            continue
        try:
            w = float(weight)
        except ValueError:
            problems.append(f"curated.tsv:{n}: bad weight {weight!r}")
            continue
        code = ""
        if typ != "NONE":
            first = pat.split()[0].lstrip("*=").split("|")
            for cand in [pattern_codes.get(pat)] + [verb_codes.get(f) for f in first]:
                pl = plover(cand or "", c2p, pat)
                if pl and pl[0] == typ:
                    code = cand
                    break
        if mode and mode not in MODES.get(typ, set()):
            problems.append(f"curated.tsv:{n}: {mode!r} is not a PLOVER mode of {typ}")
        if (pat, pos) in rows and rows[(pat, pos)]["source"] == "curated":
            problems.append(f"curated.tsv:{n}: duplicate {pat!r} {pos}")
        rows[(pat, pos)] = dict(pattern=pat, pos=pos, type=typ, mode=mode, cameo=code,
                                weight=w, voice=voice, source="curated")

    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)

    header = open(os.path.join(here, "header.txt"), encoding="utf-8").read()
    lines = [header.rstrip("\n"),
             "pattern\tpos\ttype\tmode\tcameo\tweight\tvoice\tsource"]
    for r in sorted(rows.values(), key=lambda r: (r["type"], r["pattern"], r["pos"])):
        lines.append("\t".join([r["pattern"], r["pos"], r["type"], r["mode"], r["cameo"],
                                f"{r['weight']:.2f}", r["voice"], r["source"]]))
    text = "\n".join(lines) + "\n"
    if args.check:
        old = open(args.out, encoding="utf-8").read() if os.path.exists(args.out) else ""
        if old != text:
            print(f"{args.out} is out of date: run tools/events/build_triggers.py", file=sys.stderr)
            sys.exit(1)
        return
    with open(args.out, "w", encoding="utf-8") as f:
        f.write(text)
    by = {}
    for r in rows.values():
        by[r["source"]] = by.get(r["source"], 0) + 1
    print(f"wrote {len(rows)} rows to {args.out}: {by}", file=sys.stderr)


if __name__ == "__main__":
    main()
