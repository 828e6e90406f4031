#!/usr/bin/env python3
"""Validate eval/events/newswire.jsonl against the corpus it annotates.

Checks that every line parses; every article id exists in the corpus; every event has the
required fields; every type and alt_type is one of the 16 PLOVER types; every modality is
asserted|reported|negated|hypothetical; every date is a TIMEX3 date value of the forms
YYYY, YYYY-MM, YYYY-MM-DD or YYYY-Www; every excerpt (<= 200 characters) is an exact
substring of the article's text (or title when field == "title") and contains its trigger
(case-insensitive). Prints counts per type and per topic. Exit status 1 on any error.

The article text is read from ../shared/corpus/newswire-2452.jsonl at check time; it is not
stored in this repository.

Usage: python3 eval/events/check_gold.py [--gold PATH] [--corpus PATH]
"""
import argparse
import collections
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TYPES = {"AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
         "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT"}
MODALITIES = {"asserted", "reported", "negated", "hypothetical"}
DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?|-W(0[1-9]|[1-4]\d|5[0-3]))?$")
FIELDS = {"type": str, "alt_types": list, "core": bool, "date": str, "source": list,
          "target": list, "location": (str, type(None)), "modality": str, "trigger": str,
          "excerpt": str, "field": str}


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--gold", default=str(HERE / "newswire.jsonl"))
    ap.add_argument("--corpus", default=str(ROOT.parent / "shared" / "corpus" / "newswire-2452.jsonl"))
    args = ap.parse_args(argv)

    corpus = {}
    with open(args.corpus, encoding="utf-8") as fh:
        for line in fh:
            a = json.loads(line)
            corpus[a["id"]] = a

    errors = []
    types, topics, seen = collections.Counter(), collections.Counter(), set()
    n_events = 0
    with open(args.gold, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            where = f"line {lineno}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{where}: does not parse: {exc}")
                continue
            aid = row.get("article_id")
            where = f"line {lineno} ({aid})"
            if aid not in corpus:
                errors.append(f"{where}: article not in corpus")
                continue
            if aid in seen:
                errors.append(f"{where}: article listed twice")
            seen.add(aid)
            topics[row.get("topic")] += 1
            for i, ev in enumerate(row.get("events", [])):
                w = f"{where} event {i}"
                n_events += 1
                for key, kind in FIELDS.items():
                    if not isinstance(ev.get(key), kind):
                        errors.append(f"{w}: field {key!r} missing or of wrong type")
                if errors and errors[-1].startswith(w):
                    continue
                if ev["type"] not in TYPES:
                    errors.append(f"{w}: type {ev['type']!r} is not a PLOVER type")
                for t in ev["alt_types"]:
                    if t not in TYPES or t == ev["type"]:
                        errors.append(f"{w}: bad alt_type {t!r}")
                if ev["modality"] not in MODALITIES:
                    errors.append(f"{w}: modality {ev['modality']!r}")
                if not DATE.match(ev["date"]):
                    errors.append(f"{w}: date {ev['date']!r} is not a TIMEX3 date")
                if ev["field"] not in ("text", "title"):
                    errors.append(f"{w}: field must be text or title")
                    continue
                if len(ev["excerpt"]) > 200:
                    errors.append(f"{w}: excerpt longer than 200 characters")
                if ev["excerpt"] not in corpus[aid][ev["field"]]:
                    errors.append(f"{w}: excerpt not found in the article {ev['field']}")
                if ev["trigger"].lower() not in ev["excerpt"].lower():
                    errors.append(f"{w}: trigger {ev['trigger']!r} not in excerpt")
                types[ev["type"]] += 1

    for e in errors:
        print(e, file=sys.stderr)
    print(f"{len(seen)} articles, {n_events} events, {len(errors)} errors")
    print("per type: " + ", ".join(f"{t} {n}" for t, n in types.most_common()))
    print("per topic: " + ", ".join(f"{t} {n}" for t, n in sorted(topics.items())))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
