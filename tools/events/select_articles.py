#!/usr/bin/env python3
"""List candidate articles for the gold event development set.

Reads the newswire corpus (../shared/corpus/newswire-2452.jsonl by default; the
article text is never written anywhere by this script) and prints, per topic,
candidate articles ranked by a simple keyword score.  The human annotator then
reads the candidates and picks the final articles by hand (the final choice is
recorded in eval/events/newswire.jsonl and summarised in eval/events/README.md).

Selection criteria
  * length: 150-600 words of body text (``--min-words`` / ``--max-words``);
  * not a market report: titles matching MARKET_TITLE (shares, stocks, index,
    currency, commodity prices, ...) are dropped, as are texts with many
    market words (points, index, percent, ...);
  * not a sports result: titles matching SPORTS_TITLE are dropped;
  * topic: each article gets one score per topic = number of distinct topic
    keywords (whole-word, case-insensitive) found in title + text, title hits
    counted double; an article is listed under its best-scoring topic when
    that score is >= ``--min-score`` (with ``--all-topics``: under every
    topic reaching it, which is how the sparse topics protest, economy and
    disaster were filled).

Topics: conflict, diplomacy, politics, courts, protest, economy, disaster.

Usage:
  python3 tools/events/select_articles.py [--corpus PATH] [--per-topic N]
"""
import argparse
import json
import re
import sys
from pathlib import Path

DEFAULT_CORPUS = Path(__file__).resolve().parents[3] / "shared" / "corpus" / "newswire-2452.jsonl"

TOPICS = {
    "conflict": ["attack", "attacks", "killed", "bomb", "bombing", "suicide", "troops", "rebels",
                 "militants", "clashes", "fighting", "gunmen", "insurgents", "shelling", "ambush",
                 "wounded", "soldiers", "army", "offensive", "raid", "airstrike", "explosion"],
    "diplomacy": ["talks", "met", "visit", "summit", "foreign minister", "bilateral", "envoy",
                  "ambassador", "agreement", "negotiations", "delegation", "cooperation", "treaty",
                  "relations", "diplomatic", "hosted", "counterpart"],
    "politics": ["election", "elections", "vote", "parliament", "appointed", "resigned",
                 "resignation", "cabinet", "opposition", "party", "candidate", "coalition",
                 "prime minister", "president", "nominated", "sworn", "referendum", "ballot"],
    "courts": ["court", "arrested", "arrest", "sentenced", "convicted", "trial", "charged",
               "prison", "detained", "police", "judge", "verdict", "jailed", "prosecutor",
               "acquitted", "custody", "indicted", "extradition"],
    "protest": ["protest", "protesters", "protests", "demonstration", "demonstrators", "rally",
                "strike", "marched", "riot", "tear gas", "boycott", "hunger strike", "sit-in",
                "demonstrated"],
    "economy": ["sanctions", "embargo", "tariff", "tariffs", "trade", "ban", "import", "export",
                "wto", "imf", "quota", "subsidies", "anti-dumping", "loan", "investment",
                "trade deficit", "free trade"],
    "disaster": ["earthquake", "flood", "floods", "typhoon", "hurricane", "tsunami", "landslide",
                 "cyclone", "quake", "relief", "aid", "victims", "rescue", "disaster",
                 "homeless", "drought", "evacuated"],
}

MARKET_TITLE = re.compile(
    r"\b(shares?|stocks?|stock market|bourse|index|indices|dollar|yen|euro|ringgit|rupiah|peso|"
    r"gold|oil prices?|crude|forex|bonds?|prices? (?:close|open|rise|fall)|market (?:falls|rises|"
    r"closes|opens|ends|up|down)|trading|futures|nikkei|dow|hang seng)\b", re.I)
MARKET_WORDS = re.compile(r"\b(points?|index|composite|percent|closed at|trading volume)\b", re.I)
SPORTS_TITLE = re.compile(
    r"\b(cup|championship|olympic|tennis|golf|soccer|football|cricket|match|tournament|"
    r"wins title|beat|defeat|league|grand prix|open\b.*round|f1|nba|nhl)\b", re.I)


def count_words(text):
    return len(text.split())


def score(article):
    title = article.get("title", "").lower()
    body = article.get("text", "").lower()
    out = {}
    for topic, kws in TOPICS.items():
        s = 0
        for kw in kws:
            pat = re.compile(r"\b" + re.escape(kw) + r"\b")
            if pat.search(title):
                s += 2
            elif pat.search(body):
                s += 1
        out[topic] = s
    return out


def candidates(path, min_words, max_words, min_score, all_topics=False):
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            art = json.loads(line)
            n = count_words(art["text"])
            if not (min_words <= n <= max_words):
                continue
            if MARKET_TITLE.search(art.get("title", "")) or SPORTS_TITLE.search(art.get("title", "")):
                continue
            if len(MARKET_WORDS.findall(art["text"])) > 8:
                continue
            sc = score(art)
            best = max(sc, key=lambda t: (sc[t], -list(TOPICS).index(t)))
            for topic in TOPICS:
                if sc[topic] >= min_score and (all_topics or topic == best):
                    yield topic, sc[topic], n, art


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=str(DEFAULT_CORPUS))
    ap.add_argument("--min-words", type=int, default=150)
    ap.add_argument("--max-words", type=int, default=600)
    ap.add_argument("--min-score", type=int, default=4)
    ap.add_argument("--per-topic", type=int, default=40)
    ap.add_argument("--topic", help="only list this topic")
    ap.add_argument("--all-topics", action="store_true",
                    help="list an article under every topic reaching --min-score, not only its best one")
    args = ap.parse_args(argv)

    by_topic = {t: [] for t in TOPICS}
    for topic, s, n, art in candidates(args.corpus, args.min_words, args.max_words, args.min_score,
                                          args.all_topics):
        by_topic[topic].append((s, n, art["id"], art.get("title", "")))
    for topic, rows in by_topic.items():
        if args.topic and topic != args.topic:
            continue
        rows.sort(key=lambda r: (-r[0], r[2]))
        print(f"== {topic}: {len(rows)} candidates")
        for s, n, aid, title in rows[: args.per_topic]:
            print(f"{aid}\t{s}\t{n}w\t{title[:90]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
