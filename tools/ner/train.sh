#!/usr/bin/env bash
# Rebuilds data/ner/weights.bin: silver labels of the newswire corpus (spaCy), then the
# perceptron trained on them plus the gold corpora of ../shared/train/ner (wikigold, the
# Broad Twitter Corpus, Universal NER's English EWT), 20% of each held out and scored.
# Needs a Python with tools/ner/requirements.txt (PYTHON, default .venv/bin/python).
# Writes the silver labels to /tmp/ner/silver.jsonl; prints the held-out F1 per corpus.
set -euo pipefail
cd "$(dirname "$0")/../.."
PYTHON="${PYTHON:-.venv/bin/python}"
T=../shared/train/ner
B=$T/btc
mkdir -p /tmp/ner
"$PYTHON" tools/ner/silver_label.py ../shared/corpus/newswire-2452.jsonl /tmp/ner/silver.jsonl
cargo run --release --example train_ner -- \
  --gold "wikigold=$T/wikigold/wikigold.conll" \
  --gold "btc=$B/a.conll,$B/b.conll,$B/e.conll,$B/f.conll,$B/g.conll,$B/h.conll" \
  --gold "uner=$T/uner-ewt/en_ewt-ud-dev.iob2,$T/uner-ewt/en_ewt-ud-test.iob2" \
  --gold-copies 2 --min-count 3 "$@"
