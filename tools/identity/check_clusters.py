#!/usr/bin/env python3
"""Validate eval/identity/clusters.jsonl against the corpus (stdlib only).

Checks: every line parses; cluster ids unique; 2-5 articles per cluster, all in the corpus;
event types are PLOVER types; dates look like TIMEX3 values; every mention's article is in its
cluster; every excerpt is an exact substring of its article's text or title, is <= 200 chars and
contains its trigger; near_miss_with points at events of the same cluster and type.
Prints counts.  Exit status 1 on any error.

Usage: python3 tools/identity/check_clusters.py [--clusters eval/identity/clusters.jsonl]
                                              [--corpus ../shared/corpus/newswire-2452.jsonl]
"""
import argparse
import json
import re
import sys

TYPES = {"AGREE", "CONSULT", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
         "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT"}
DATE = re.compile(r"^\d{4}(-(\d{2}|SP|SU|FA|WI)(-\d{2})?)?$")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--clusters", default="eval/identity/clusters.jsonl")
    ap.add_argument("--corpus", default="../shared/corpus/newswire-2452.jsonl")
    a = ap.parse_args()
    arts = {}
    with open(a.corpus, encoding="utf-8") as f:
        for line in f:
            d = json.loads(line)
            arts[d["id"]] = d
    errs = []
    seen = set()
    n_ev = n_multi = n_ment = 0
    near_pairs = set()
    all_articles = set()
    cross = 0
    with open(a.clusters, encoding="utf-8") as f:
        for ln, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                c = json.loads(line)
            except json.JSONDecodeError as e:
                errs.append(f"line {ln}: bad JSON: {e}")
                continue
            cid = c.get("cluster", f"<line {ln}>")
            if not re.match(r"^c\d{2}-[a-z0-9-]+$", cid):
                errs.append(f"{cid}: bad cluster id")
            if cid in seen:
                errs.append(f"{cid}: duplicate cluster id")
            seen.add(cid)
            members = c.get("articles", [])
            if not 2 <= len(members) <= 5:
                errs.append(f"{cid}: {len(members)} articles (want 2-5)")
            for aid in members:
                if aid not in arts:
                    errs.append(f"{cid}: unknown article {aid}")
            all_articles.update(members)
            if len({m[:3] for m in members}) > 1:
                cross += 1
            evs = c.get("events", [])
            byid = {e.get("event"): e for e in evs}
            if len(byid) != len(evs):
                errs.append(f"{cid}: duplicate event ids")
            for e in evs:
                eid = f"{cid}/{e.get('event')}"
                n_ev += 1
                if e.get("type") not in TYPES:
                    errs.append(f"{eid}: bad type {e.get('type')!r}")
                if not DATE.match(str(e.get("date", ""))):
                    errs.append(f"{eid}: bad date {e.get('date')!r}")
                if not e.get("parties") or not isinstance(e["parties"], list):
                    errs.append(f"{eid}: no parties")
                if not e.get("description"):
                    errs.append(f"{eid}: no description")
                ms = e.get("mentions", [])
                if not ms:
                    errs.append(f"{eid}: no mentions")
                for m in ms:
                    n_ment += 1
                    aid, ex, tr = m.get("article"), m.get("excerpt", ""), m.get("trigger", "")
                    if aid not in members:
                        errs.append(f"{eid}: mention article {aid} not in cluster")
                        continue
                    d = arts.get(aid)
                    if d is None:
                        continue
                    if ex not in d["text"] and ex not in d["title"]:
                        errs.append(f"{eid}: excerpt not in {aid}: {ex[:60]!r}")
                    if len(ex) > 200:
                        errs.append(f"{eid}: excerpt longer than 200 chars")
                    if not tr or tr not in ex:
                        errs.append(f"{eid}: trigger {tr!r} not in excerpt")
                if len({m.get("article") for m in ms}) >= 2:
                    n_multi += 1
                for other in e.get("near_miss_with", []):
                    o = byid.get(other)
                    if o is None:
                        errs.append(f"{eid}: near_miss_with unknown {other}")
                    elif o.get("type") != e.get("type"):
                        errs.append(f"{eid}: near miss {other} has another type")
                    else:
                        near_pairs.add((cid,) + tuple(sorted((e.get("event"), other))))
    for x in errs:
        print("ERROR", x)
    print(f"clusters {len(seen)} (with both AFP and XIN: {cross}), articles {len(all_articles)}, "
          f"events {n_ev}, events mentioned in 2+ articles {n_multi}, mentions {n_ment}, "
          f"near-miss pairs {len(near_pairs)}")
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main())
