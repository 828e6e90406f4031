#!/usr/bin/env python3
"""Find candidate clusters of newswire articles that may report the same real-world events.

Candidate generation only: the gold clusters in eval/identity/clusters.jsonl were judged by
reading the candidate articles in full.  Stdlib only.

Heuristic: for every 2005/2006 article (AFP_ENG_2005*/2006*, XIN_ENG_2005*/2006*) take the
capitalised names and content keywords of the title and the first paragraphs, weight them by
IDF over the sub-corpus, and score pairs of articles whose dates (from the id) are at most
--max-days apart by the IDF-weighted overlap.  Pairs are AFP-vs-Xinhua or the same outlet on
different days (same-day same-outlet pairs are listed only with --same-day).  Pairs are then
merged greedily into small groups (single link, at most --max-size articles).

Usage:
  python3 tools/identity/find_clusters.py [--corpus ../shared/corpus/newswire-2452.jsonl]
        [--max-days 3] [--min-score 0.25] [--top 150] [--same-day]
"""
import argparse
import collections
import datetime as dt
import json
import math
import re
import sys

STOP = set("""
A An The In On At Of For And But Or To By With From As After Before Since During Over Under
It Its He She They We I You This That These Those There Here His Her Their Our My Your
Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June
July August September October November December Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec
Mr Mrs Ms Dr President Minister Prime Foreign Secretary General Chairman Vice Deputy Senior
AFP Xinhua Reuters AP News Agency Saturday's Sunday's Monday's Tuesday's Wednesday's Thursday's
Friday's Also However Meanwhile According When While If Some Many All Other New Chinese China
""".split())

WORD = re.compile(r"[A-Z][A-Za-z'\-\.]+(?:\s+[A-Z][A-Za-z'\-\.]+)*")
LOWER = re.compile(r"[a-z]{5,}")
LSTOP = set("""about after again against would could should their there which where while
these those other being under since still first second third people years percent
million billion official officials government state states country countries saying
minister president said says added told statement monday tuesday wednesday thursday friday
saturday sunday meeting during before around world national international today
""".split())


def load(path):
    arts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            i = d["id"]
            if not (i.startswith("AFP_ENG_200") or i.startswith("XIN_ENG_200")):
                continue
            d["date"] = dt.date(int(i[8:12]), int(i[12:14]), int(i[14:16]))
            d["outlet"] = i[:3]
            arts.append(d)
    return arts


def lead(d, n_par=3):
    pars = [p.strip() for p in d["text"].split("\n\n") if p.strip()]
    return d["title"] + "\n" + "\n".join(pars[:n_par])


def features(d):
    t = lead(d)
    feats = set()
    for m in WORD.finditer(t):
        phrase = m.group(0).rstrip(".'")
        toks = [w.rstrip(".'") for w in phrase.split() if w.rstrip(".'") not in STOP]
        for w in toks:
            if len(w) > 2:
                feats.add("N:" + w.lower())
        if len(toks) > 1:
            feats.add("P:" + " ".join(toks).lower())
    for w in LOWER.findall(t):
        if w not in LSTOP:
            feats.add("K:" + w)
    return feats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="../shared/corpus/newswire-2452.jsonl")
    ap.add_argument("--max-days", type=int, default=3)
    ap.add_argument("--min-score", type=float, default=0.25)
    ap.add_argument("--top", type=int, default=150)
    ap.add_argument("--max-size", type=int, default=5)
    ap.add_argument("--same-day", action="store_true")
    a = ap.parse_args()

    arts = load(a.corpus)
    feats = {d["id"]: features(d) for d in arts}
    df = collections.Counter(f for fs in feats.values() for f in fs)
    n = len(arts)
    idf = {f: math.log(n / c) for f, c in df.items()}
    # names count double: they are what identifies an event
    w = {f: idf[f] * (2.0 if f[0] in "NP" else 1.0) for f in idf}

    def score(x, y):
        fx, fy = feats[x], feats[y]
        inter = sum(w[f] for f in fx & fy if df[f] > 1)
        den = min(sum(w[f] for f in fx), sum(w[f] for f in fy)) or 1.0
        return inter / den

    by_date = collections.defaultdict(list)
    for d in arts:
        by_date[d["date"]].append(d)
    pairs = []
    for d in arts:
        for k in range(0, a.max_days + 1):
            for e in by_date.get(d["date"] + dt.timedelta(days=k), []):
                if e["id"] <= d["id"] and k == 0:
                    continue
                cross = d["outlet"] != e["outlet"]
                if not cross and k == 0 and not a.same_day:
                    continue
                s = score(d["id"], e["id"])
                if s >= a.min_score:
                    shared = sorted((f for f in feats[d["id"]] & feats[e["id"]] if f[0] in "NP"),
                                    key=lambda f: -w[f])[:8]
                    pairs.append((s + (0.1 if cross else 0.0), s, d, e, shared))
    pairs.sort(key=lambda p: -p[0])

    # greedy single-link grouping
    group = {}
    members = {}
    for _, s, d, e, _ in pairs:
        gx, gy = group.get(d["id"]), group.get(e["id"])
        if gx is None and gy is None:
            g = len(members)
            members[g] = [d["id"], e["id"]]
            group[d["id"]] = group[e["id"]] = g
        elif gx is not None and gy is None and len(members[gx]) < a.max_size:
            members[gx].append(e["id"]); group[e["id"]] = gx
        elif gy is not None and gx is None and len(members[gy]) < a.max_size:
            members[gy].append(d["id"]); group[d["id"]] = gy

    byid = {d["id"]: d for d in arts}
    print(f"# {len(pairs)} candidate pairs; top {a.top}:")
    for tot, s, d, e, shared in pairs[:a.top]:
        print(f"{s:.2f} {'X' if d['outlet'] != e['outlet'] else 'S'} {d['id']} {e['id']} "
              f"| {d['title'][:60]} | {e['title'][:60]} | {', '.join(x[2:] for x in shared)}")
    print(f"\n# {len(members)} candidate groups:")
    for g, ids in members.items():
        print(f"G{g}: " + "  ".join(f"{i} [{byid[i]['title'][:50]}]" for i in sorted(ids)))


if __name__ == "__main__":
    sys.exit(main())
