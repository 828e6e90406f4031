#!/usr/bin/env python3
"""Convert the PLOVER "gold standard record" examples into the project's eval format.

Input : ../shared/reference/plover/PLOVER_GSR_CAMEO.json (322 example sentences with
        source, target and event marked, plus one DOCUMENT record), by the Open Event
        Data Alliance (PLOVER GSR 0.5b1, coded by Parus Analytics from the CAMEO 1.1b3
        manual examples).
Output: eval/events/plover_gsr.jsonl, one JSON object per line, in input order:

    {"id": ..., "text": <the example sentence>, "event": <current PLOVER type>,
     "event_orig": <label used in the file>, "mode": <mode as given, or null>,
     "event_text": <the file's eventText>, "source": [actor texts], "target": [actor texts]}

DOCUMENT records (file-level documentation, no sentence) are skipped.

Licence: the input file and therefore the generated plover_gsr.jsonl are licensed under
the Creative Commons Attribution-ShareAlike 4.0 International License (CC BY-SA 4.0),
Copyright 2016 by the Open Event Data Alliance (https://github.com/openeventdata/PLOVER).
The output must keep that licence and attribution. This script itself is project code.

Label mapping. The file predates the 2021 PLOVER manual and uses some older event labels;
they are mapped to the manual's 16 types (AGREE, CONSULT, SUPPORT, CONCEDE, COOPERATE, AID,
RETREAT, REQUEST, ACCUSE, REJECT, THREATEN, PROTEST, SANCTION, MOBILIZE, COERCE, ASSAULT):

    DEMAND       -> REQUEST   (manual: REQUEST covers "all requests, demands, and orders")
    DISAPPROVE   -> ACCUSE    (manual: ACCUSE mode "disapprove"; CAMEO 11x -> ACCUSE)
    INVESTIGATE  -> ACCUSE    (manual: ACCUSE mode "investigate"; CAMEO 09x -> ACCUSE)
    FIGHT        -> ASSAULT   (manual: conventional military force is ASSAULT; CAMEO 19x -> ASSAULT)

All other labels are already current and kept as they are; an unknown label is an error.
Modes are copied unchanged (some are older spellings such as "strike-hun", "riot-spon").

Actors. "source"/"target" are lists of {"actorText": ...}; the output keeps the actorText
strings in order. A missing field, null or a bare string counts as no actor: the only
non-empty bare string in the file, target "diplomatic" of PLOVER-GSR01-AGREE-0007, is a
context value put in the wrong field, not an actor.

Usage:
    python3 tools/events/convert_gsr.py            # (re)write eval/events/plover_gsr.jsonl
    python3 tools/events/convert_gsr.py --check    # exit 1 if the committed file differs
    options: --input PATH --output PATH
"""
import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_INPUT = ROOT.parent / "shared" / "reference" / "plover" / "PLOVER_GSR_CAMEO.json"
DEFAULT_OUTPUT = ROOT / "eval" / "events" / "plover_gsr.jsonl"

PLOVER_TYPES = (
    "AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
)
OLD_LABELS = {
    "DEMAND": "REQUEST",
    "DISAPPROVE": "ACCUSE",
    "INVESTIGATE": "ACCUSE",
    "FIGHT": "ASSAULT",
}


def map_event(label):
    label = label.strip().upper()
    if label in PLOVER_TYPES:
        return label
    if label in OLD_LABELS:
        return OLD_LABELS[label]
    raise ValueError(f"unknown PLOVER event label {label!r}")


def actor_texts(value):
    if not isinstance(value, list):
        return []
    out = []
    for item in value:
        if isinstance(item, dict) and str(item.get("actorText", "")).strip():
            out.append(str(item["actorText"]).strip())
    return out


def convert(records):
    rows = []
    for rec in records:
        if rec.get("event") == "DOCUMENT":
            continue
        mode = rec.get("mode")
        rows.append({
            "id": rec["id"],
            "text": rec["text"],
            "event": map_event(rec["event"]),
            "event_orig": rec["event"],
            "mode": mode if mode else None,
            "event_text": rec.get("eventText"),
            "source": actor_texts(rec.get("source")),
            "target": actor_texts(rec.get("target")),
        })
    return rows


def render(rows):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Convert PLOVER_GSR_CAMEO.json to eval/events/plover_gsr.jsonl")
    ap.add_argument("--input", default=str(DEFAULT_INPUT))
    ap.add_argument("--output", default=str(DEFAULT_OUTPUT))
    ap.add_argument("--check", action="store_true",
                    help="regenerate in memory and exit 1 if the output file differs")
    args = ap.parse_args(argv)

    with open(args.input, encoding="utf-8") as fh:
        records = json.load(fh)
    text = render(convert(records))
    out = Path(args.output)
    if args.check:
        current = out.read_text(encoding="utf-8") if out.exists() else None
        if current != text:
            print(f"{out} is out of date: run python3 tools/events/convert_gsr.py", file=sys.stderr)
            return 1
        print(f"{out} is up to date ({text.count(chr(10))} records)")
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(f"wrote {out} ({text.count(chr(10))} records)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
