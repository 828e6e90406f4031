#!/usr/bin/env python3
"""Build data/ner/gazetteer.tsv from PETRARCH2's actor dictionaries (MIT, Open Event Data Alliance).

Why: list membership is a strong cue for entity type where context is weak (all-caps headlines,
sports tables, unseen names). The tagger only uses membership as a *feature*; the perceptron
learns how much to trust each list.

Lists written (one `phrase<TAB>list` per line, phrase lower-cased, tokens space-separated):
  country  country names (heads of the country blocks)
  loc      country names, synonyms, provinces and cities (country blocks of Phoenix.Countries)
  per      office holders (entries marked `# CountryInfo.txt` in Phoenix.Countries)
  surname  last token of multi-word `per` entries
  given    first tokens shared by at least two `per` entries
  org      international, multinational and non-state actors (Phoenix.International / MilNonState)

Usage: python tools/ner/build_gazetteer.py PETRARCH2_DIR data/ner/gazetteer.tsv
"""
import os
import re
import sys

HEAD = re.compile(r"^([A-Z0-9][^\s\[#]*)\s*(\[[^\]]*\])?\s*(#.*)?$")
TITLES = {"PRESIDENT", "PRIME", "MINISTER", "KING", "QUEEN", "GENERAL", "GEN", "MR", "MRS",
          "DR", "SHEIKH", "PRINCE", "CHANCELLOR", "SECRETARY", "SENATOR", "GOVERNOR", "MAYOR",
          "AYATOLLAH", "EMIR", "SULTAN", "COLONEL", "POPE", "PREMIER", "LEADER", "CHIEF"}


def phrase(raw):
    raw = raw.strip().lstrip("+").strip()
    raw = raw.split("#")[0].strip()
    raw = re.sub(r"\[.*?\]", "", raw).strip()
    raw = raw.strip("_ ")
    if not raw or any(c.isdigit() for c in raw) or "(" in raw or "{" in raw or "<" in raw:
        return None
    toks = [t for t in re.split(r"[_\s]+", raw) if t]
    if not toks or len(toks) > 5:
        return None
    return toks


def main():
    src, dst = sys.argv[1], sys.argv[2]
    out = set()
    # Countries: country blocks (head with a 3-letter code) -> loc; CountryInfo people -> per.
    mode = None
    with open(os.path.join(src, "Phoenix.Countries.actors.txt"), encoding="utf-8", errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                if not line.strip():
                    mode = None
                continue
            if line.startswith("\t") or line.startswith(" "):
                continue
            if line.startswith("+"):
                toks = phrase(line)
                if toks and mode == "loc":
                    out.add((" ".join(toks).lower(), "loc"))
                elif toks and mode == "per" and toks[0] not in TITLES:
                    out.add((" ".join(toks).lower(), "per" if len(toks) > 1 else "surname"))
                continue
            m = HEAD.match(line)
            if not m:
                mode = None
                continue
            toks = phrase(m.group(1))
            code = m.group(2) or ""
            comment = m.group(3) or ""
            if "CountryInfo" in comment:
                mode = "per"
            elif re.fullmatch(r"\[[A-Z]{3}\]", code):
                mode = "loc"
            else:
                mode = None
            if toks and mode:
                out.add((" ".join(toks).lower(), mode))
                if mode == "loc":
                    out.add((" ".join(toks).lower(), "country"))
                if mode == "per" and len(toks) > 1:
                    out.add((toks[-1].lower(), "surname"))
    for name in ("Phoenix.International.actors.txt", "Phoenix.MilNonState.actors.txt"):
        with open(os.path.join(src, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                if not line.strip() or line.startswith("#") or line[0] in "\t [":
                    continue
                toks = phrase(line)
                if toks and toks[0] != "THE":
                    out.add((" ".join(toks).lower(), "org"))
                elif toks and len(toks) > 1:
                    out.add((" ".join(toks[1:]).lower(), "org"))
    # Given names: first tokens that start at least two office-holder names.
    firsts = {}
    for p, l in out:
        if l == "per" and " " in p:
            first = p.split(" ")[0]
            firsts[first] = firsts.get(first, 0) + 1
    for first, n in firsts.items():
        if n >= 2 and len(first) > 1:
            out.add((first, "given"))
    with open(dst, "w", encoding="utf-8") as f:
        f.write("# Derived from PETRARCH2 dictionaries (Phoenix.*.actors.txt), MIT License,\n")
        f.write("# Copyright (c) 2014 Open Event Data Alliance. Built by tools/ner/build_gazetteer.py.\n")
        for p, l in sorted(out):
            f.write(f"{p}\t{l}\n")
    print(f"{len(out)} entries -> {dst}", file=sys.stderr)


if __name__ == "__main__":
    main()
