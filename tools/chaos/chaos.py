#!/usr/bin/env python3
"""Chaos run: two `timeline run` instances on the embedded broker, driven by an independent
Kafka client (kafka-python), with crashes, graceful restarts and malformed input.

What it does, in order:

1. Starts instance A with `timeline run --embedded --keep-running` (the embedded tansu broker
   lives in A, on a fixed port) and instance B with `timeline run --brokers` against it; both
   in the consumer group `timeline`.
2. Produces N articles of the newswire corpus (ids made unique per run) with kafka-python at a
   steady rate, and the malformed set (invalid JSON, wrong types, non-UTF-8, empty, 2 MB,
   numeric ids, impossible dates, an oversized `meta`), each with a `chaos-seq` header.
3. While it produces, kills B with SIGKILL and restarts it a second later, then stops it with
   SIGTERM and restarts it, then SIGKILLs it again; after each restart it measures the time
   until the group owns every partition again (the sum of `timeline_assigned_partitions` over
   both instances' /metrics).
4. Waits until the output holds every expected record id (or a stall timeout), then checks:
   every record id `timeline extract` gives offline for the same articles arrived (missing: 0),
   how many arrived more than once (at-least-once duplicates, same ids), every malformed
   message has its dead letter (matched by `source.partition` / `source.offset`), and no stall.

Prints a JSON summary and exits 1 if an id or a dead letter is missing or the run stalled.

    pip install kafka-python==3.0.12
    cargo build --release
    python3 tools/chaos/chaos.py --articles 2000            # the full run (about 3 minutes)
    python3 tools/chaos/chaos.py --quick --binary target/debug/timeline   # what cargo test runs

Only the loopback interface is used; every wait is bounded.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CORPUS = os.path.join(ROOT, "..", "shared", "corpus", "newswire-2452.jsonl")
PARTITIONS = 3
INPUT, OUTPUT, DEAD = "articles", "timeline", "timeline-dead-letters"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def metric(http_port, name):
    """The value of one unlabelled metric of an instance, or None when it does not answer."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{http_port}/metrics", timeout=2) as r:
            for line in r.read().decode().splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
    except OSError:
        return None
    return None


class Instance:
    """One `timeline run` process."""

    def __init__(self, name, binary, args, env, log_dir):
        self.name, self.binary, self.args, self.env = name, binary, args, env
        self.http_port = free_port()
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        env = dict(os.environ, **self.env)
        env["TIMELINE_HTTP__LISTEN"] = f"127.0.0.1:{self.http_port}"
        log = open(self.log_path, "ab")
        log.write(f"\n=== start {self.starts} at {time.time():.3f}\n".encode())
        self.proc = subprocess.Popen(
            [self.binary] + self.args, env=env, stdout=subprocess.DEVNULL, stderr=log
        )

    def kill(self, sig):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                return self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                return "timeout"
        return None

    def assigned(self):
        return metric(self.http_port, "timeline_assigned_partitions")

    def rss_mb(self):
        """Resident memory of the process now, in MB (Linux), or None."""
        try:
            with open(f"/proc/{self.proc.pid}/status", encoding="ascii") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return round(int(line.split()[1]) / 1024)
        except (OSError, AttributeError, ValueError):
            return None
        return None


def malformed_set(run):
    """(kind, value) pairs: every kind of bad input, repeated to about 200 messages."""
    huge = json.dumps({"id": f"{run}-huge", "text": "word " * 400_000}).encode()
    fat_meta = json.dumps(
        {"id": f"{run}-meta", "text": "Protesters rallied in Paris.", "meta": {"b": "m" * 1_500_000}}
    ).encode()
    kinds = [
        ("not_json", b'{"id": "x", "text": '),
        ("not_object", b'["an", "array"]'),
        ("wrong_type", b'{"id": "x", "text": 42}'),
        ("wrong_type", b'{"id": 12345, "text": "numeric id"}'),
        ("not_utf8", b'{"id":"x","text":"caf\xe9"}'),
        ("empty", b""),
        ("missing_field", b'{"title": "no id or body"}'),
        ("bad_timestamp", b'{"id":"x","text":"x","published_at":"+99999-01-01"}'),
        ("bad_timestamp", b'{"id":"x","text":"x","published_at":"yesterday"}'),
        ("empty_field", b'{"id":"x","text":"   "}'),
    ]
    out = []
    while len(out) < 196:
        out.extend(kinds)
    out = out[:196]
    out += [("field_too_long", huge), ("field_too_long", huge), ("field_too_long", fat_meta), ("field_too_long", fat_meta)]
    return out


def expected_ids(binary, articles_path):
    """Record ids `timeline extract` gives offline for the articles file."""
    r = subprocess.run(
        [binary, "extract", articles_path],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        check=False,
        timeout=1800,
    )
    ids = set()
    for line in r.stdout.decode().splitlines():
        if line.strip():
            ids.add(json.loads(line)["id"])
    return ids


def read_topic(bootstrap, topic, timeout_ms=5000):
    """Every message of `topic` (key, headers, partition, offset) via kafka-python."""
    from kafka import KafkaConsumer, TopicPartition

    c = KafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        consumer_timeout_ms=timeout_ms,
        fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=16 * 1024 * 1024,
    )
    tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    out = [m for m in c]
    c.close()
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--binary", default=os.path.join(ROOT, "target", "release", "timeline"))
    ap.add_argument("--corpus", default=DEFAULT_CORPUS)
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--rate", type=float, default=400.0, help="articles per second")
    ap.add_argument("--stall-seconds", type=float, default=300.0)
    ap.add_argument("--quick", action="store_true", help="200 articles, one crash (for cargo test)")
    ap.add_argument("--keep", action="store_true", help="keep the logs directory")
    a = ap.parse_args()
    if a.quick:
        a.articles, a.rate, a.stall_seconds = 200, 100.0, 120.0

    from kafka import KafkaProducer

    run = f"chaos{int(time.time())}"
    work = tempfile.mkdtemp(prefix="timeline-chaos-")
    broker_port = free_port()
    bootstrap = f"127.0.0.1:{broker_port}"
    env = {
        "TIMELINE_LOG__FORMAT": "json",
        "TIMELINE_STREAM__WORKERS": "1",
        "TIMELINE_KAFKA__CONSUMER__SESSION__TIMEOUT__MS": "6000",
        "TIMELINE_KAFKA__CONSUMER__HEARTBEAT__INTERVAL__MS": "1000",
    }
    a_env = dict(env, TIMELINE_EMBEDDED__PORT=str(broker_port), TIMELINE_EMBEDDED__PARTITIONS=str(PARTITIONS))
    inst_a = Instance("a", a.binary, ["run", "--embedded", "--keep-running", "--format", "json"], a_env, work)
    inst_b = Instance("b", a.binary, ["run", "--brokers", bootstrap], env, work)
    summary = {"articles": a.articles, "work_dir": work}
    try:
        inst_a.start()
        if not wait_port(broker_port, 60):
            raise SystemExit("the embedded broker did not start; see " + inst_a.log_path)
        time.sleep(2)
        inst_b.start()

        # The articles, with ids unique to this run, and the ids they must give.
        articles = []
        with open(a.corpus, encoding="utf-8") as f:
            corpus = [json.loads(l) for l in f if l.strip()]
        for i in range(a.articles):
            art = dict(corpus[i % len(corpus)])
            art["id"] = f"{run}-{i}-{art['id']}"
            articles.append(json.dumps(art).encode())
        path = os.path.join(work, "articles.jsonl")
        with open(path, "wb") as f:
            f.write(b"\n".join(articles) + b"\n")
        want = expected_ids(a.binary, path)
        summary["expected_records"] = len(want)

        producer = KafkaProducer(bootstrap_servers=bootstrap, max_request_size=8 * 1024 * 1024, linger_ms=20)
        bad = malformed_set(run)
        bad_sent = []  # (kind, partition, offset)
        ownership = []
        crash_at = {len(articles) // 4: "SIGKILL", len(articles) // 2: "SIGTERM", 3 * len(articles) // 4: "SIGKILL"}
        if a.quick:
            crash_at = {len(articles) // 2: "SIGKILL"}
        every_bad = max(1, len(articles) // len(bad))
        started = time.time()
        for i, value in enumerate(articles):
            producer.send(INPUT, value=value, key=json.loads(value)["id"].encode())
            if i % every_bad == 0 and bad:
                kind, v = bad.pop()
                fut = producer.send(INPUT, value=v, headers=[("chaos-seq", str(i).encode())])
                bad_sent.append((kind, fut))
            if i in crash_at:
                producer.flush()
                sig = crash_at[i]
                t0 = time.time()
                inst_b.kill(signal.SIGKILL if sig == "SIGKILL" else signal.SIGTERM)
                time.sleep(1.0)
                inst_b.start()
                threading.Thread(target=watch_ownership, args=(inst_a, inst_b, sig, t0, ownership), daemon=True).start()
            due = started + (i + 1) / a.rate
            if due > time.time():
                time.sleep(due - time.time())
        for kind, v in bad:
            bad_sent.append((kind, producer.send(INPUT, value=v)))
        producer.flush()
        bad_sent = [(k, f.get(timeout=30)) for k, f in bad_sent]
        summary["malformed"] = len(bad_sent)

        # Wait for every expected id (or a stall).
        deadline = time.time() + a.stall_seconds
        got = {}
        while time.time() < deadline:
            got = {}
            for m in read_topic(bootstrap, OUTPUT, 3000):
                if m.key:
                    k = m.key.decode()
                    got[k] = got.get(k, 0) + 1
            if want <= set(got):
                break
            time.sleep(5)
        missing = want - set(got)
        summary["missing_ids"] = len(missing)
        summary["duplicates"] = sum(n - 1 for k, n in got.items() if k in want and n > 1)
        summary["stalled"] = bool(missing)
        summary["seconds_to_complete"] = round(time.time() - started, 1)

        dead = read_topic(bootstrap, DEAD, 3000)
        seen = {}
        for m in dead:
            h = {k: (v or b"").decode(errors="replace") for k, v in (m.headers or [])}
            seen[(int(h.get("source.partition", -1)), int(h.get("source.offset", -1)))] = h
        lost_dead = []
        for kind, md in bad_sent:
            h = seen.get((md.partition, md.offset))
            if h is None or h.get("error.kind") != kind:
                lost_dead.append({"kind": kind, "partition": md.partition, "offset": md.offset, "got": h and h.get("error.kind")})
        summary["dead_letters_missing_or_wrong"] = lost_dead
        summary["dead_letters_truncated"] = sum(1 for h in seen.values() if h.get("dead_letter.value") == "truncated")
        summary["ownership_after_restart_s"] = ownership
        summary["restarts_of_b"] = inst_b.starts - 1
        summary["group"] = describe_group(bootstrap)
        # A holds the embedded broker, whose in-memory storage keeps every message.
        summary["rss_mb"] = {"a_with_broker": inst_a.rss_mb(), "b": inst_b.rss_mb()}
    finally:
        inst_b.kill(signal.SIGTERM)
        inst_a.kill(signal.SIGTERM)
    print(json.dumps(summary, indent=2))
    ok = summary.get("missing_ids") == 0 and not summary.get("dead_letters_missing_or_wrong") and not summary.get("stalled")
    ok = ok and all(o.get("seconds") is not None for o in summary.get("ownership_after_restart_s", []))
    ok = ok and "error" not in summary.get("group", {})
    if ok and not a.keep:
        subprocess.run(["rm", "-rf", work], check=False)
    sys.exit(0 if ok else 1)


def describe_group(bootstrap):
    """The group as kafka-python's admin client describes it (state and member count), or the
    error it raised (an embedded broker it cannot describe fails the run)."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        res = admin.describe_groups(["timeline"])
        g = res[0] if isinstance(res, list) else next(iter(res.values()))
        get = (lambda k: g.get(k)) if isinstance(g, dict) else (lambda k: getattr(g, k, None))
        return {"state": get("state"), "members": len(get("members") or [])}
    except Exception as e:  # noqa: BLE001 - reported, and it fails the run
        return {"error": f"{type(e).__name__}: {e}"}
    finally:
        admin.close()


def watch_ownership(inst_a, inst_b, sig, t0, out, timeout=120):
    """Seconds from the crash until both instances answer and together own every partition."""
    deadline = t0 + timeout
    while time.time() < deadline:
        x, y = inst_a.assigned(), inst_b.assigned()
        if x is not None and y is not None and x + y == PARTITIONS and y > 0:
            out.append({"signal": sig, "seconds": round(time.time() - t0, 1)})
            return
        time.sleep(0.25)
    out.append({"signal": sig, "seconds": None})


if __name__ == "__main__":
    main()
