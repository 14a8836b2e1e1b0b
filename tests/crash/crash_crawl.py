#!/usr/bin/python3
"""SIGKILL crash test for the crawler stage (issue 6, "idempotent and crash-safe").

usage: crash_crawl.py BINARY [--rounds N] [--seed S] [--keep] [--workdir DIR]

Each round puts 100 objects into raw (three tables partitioned by day; a column that
is an integer in some objects and a double in others; new columns now and then; objects
whose partition folder says date= where the table says dt=; objects that are not JSON),
then runs `sluice crawl --drain` again and again until it ends by itself, each run either
with the stage's test hook SLUICE_TEST_CRASH (a SIGKILL after a batch is read and planned,
before its commit -- "scanned" -- or right after its commit -- "commit" -- with a 20-50%
chance) or SIGKILLed from outside after a random 1-15 ms. Then it removes a few objects
(object-removed events) and crawls the same way again; a last clean drain ends the round.
Batches are small (crawl.batch_messages 7), so that every run commits several of them.
The test then checks what a user relies on:

  1. the raw queue is empty: every event was handled and acknowledged;
  2. every present object is catalogued exactly once at its current version: active
     with its record count, or rejected with a reason (partition layout, unreadable);
     removed objects are gone from the catalog;
  3. each partition's counts are the sums over its active files;
  4. the crawler's counters count each object and each message once, whatever was
     killed: objects = accepted objects, records = their records, messages = events;
  5. drift is never written twice: one table_created per table, one partition_layout and
     one unreadable entry per rejected object; versions are numbered without gaps;
  6. each table's schema is the merge of its accepted objects' types (int64 and double
     give double; the extra columns are there);
  7. then every present object's created event is sent again and crawled under the same
     kills: the tables, files, partitions and history do not change (idempotence);
  8. a few objects are overwritten: each is catalogued at its new version and record
     count only, and 2, 3 and 6 still hold.

The raw queue has a visibility timeout of 1 s (a killed crawler's batch comes back
quickly) and max_receive_count 1000 (repeated kills do not redrive it to raw-dlq). Exit 0
when every round holds, 1 on a violation (the lake is kept).
"""
import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DEFAULT_SEED = 20261125
DEFAULT_ROUNDS = 4
TABLES = ("clicks", "orders", "users")
OBJECTS = 100
CONFIG = """version: 1
queues:
  raw:
    visibility_timeout: 1s
    max_receive_count: 1000
crawl:
  batch_messages: 7
  batch_wait: 0s
"""


class Violation(Exception):
    pass


def run(binary, lake, *args, env=None, check=True):
    p = subprocess.run([binary, "--lake", lake, *args], capture_output=True, env=env)
    if check and p.returncode != 0:
        raise Violation("sluice %s failed (%d): %s" % (" ".join(args), p.returncode,
                                                      p.stderr.decode(errors="replace")))
    return p


def js(binary, lake, *args):
    return json.loads(run(binary, lake, *args).stdout)


def make_objects(rnd, stage, late):
    """Writes the round's objects under stage/ (those with date= folders under late/, put
    after the others, so that dt= is each table's layout); returns {key: expectation}."""
    objs = {}
    for i in range(OBJECTS):
        table = TABLES[i % 3]
        day = 1 + rnd.randrange(4)
        kind = rnd.choices(["ok", "layout", "bad"], [12, 1, 1])[0]
        folder = ("date=2026-11-%02d" if kind == "layout" else "dt=2026-11-%02d") % day
        key = "%s/%s/part-%03d.ndjson" % (table, folder, i)
        n = rnd.randrange(1, 21)
        double = rnd.random() < 0.3
        extra = rnd.random() < 0.2
        lines = []
        for r in range(n):
            rec = {"id": i * 100 + r, "v": (r + 0.5) if double else r, "s": "x%d" % r}
            if extra:
                rec["extra_%d" % (i % 2)] = True
            lines.append(json.dumps(rec))
        data = ("\n".join(lines) + "\n").encode()
        if kind == "bad":
            data += b"{not json\n"
        path = os.path.join(late if kind == "layout" else stage, key)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(data)
        objs[key] = {"table": table, "kind": kind, "records": n, "double": double,
                     "extra": "extra_%d" % (i % 2) if extra else None,
                     "part": folder, "removed": False}
    return objs


def crawl_until_done(binary, lake, rnd, stats):
    """Runs crawl --drain, killed in one of three ways, until a run ends by itself."""
    for attempt in range(400):
        mode = rnd.choice(["scanned", "commit", "outside", "scanned", "commit"])
        env = dict(os.environ)
        env.pop("SLUICE_TEST_CRASH", None)
        if mode in ("scanned", "commit"):
            env["SLUICE_TEST_CRASH"] = "%s:%d" % (mode, rnd.randrange(20, 51))
        p = subprocess.Popen([binary, "--lake", lake, "crawl", "--drain"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        if mode == "outside":
            time.sleep(rnd.uniform(0.001, 0.015))
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
        _, err = p.communicate()
        if p.returncode == 0:
            return
        if p.returncode != -signal.SIGKILL:
            raise Violation("crawl failed (%d): %s" % (p.returncode, err.decode(errors="replace")))
        stats[mode] = stats.get(mode, 0) + 1
        if mode != "outside":
            time.sleep(1.05)  # the killed batch comes back after the visibility timeout
    raise Violation("crawl never finished")


def check(binary, lake, objs, events, counters=True):
    st = js(binary, lake, "status", "--json")["catalog"]
    backlog = st["backlog"]["raw"]
    if backlog["visible"] + backlog["in_flight"] + backlog["delayed"]:
        raise Violation("the raw queue is not empty: %s" % backlog)
    accepted = {k: o for k, o in objs.items() if o["kind"] == "ok" and not o["removed"]}
    # 2. files
    for t in TABLES:
        files = {f["key"]: f for f in js(binary, lake, "catalog", "files", t, "--json")}
        mine = {k: o for k, o in objs.items() if o["table"] == t}
        for k, o in mine.items():
            f = files.get(k)
            if o["removed"]:
                if f is not None:
                    raise Violation("%s was removed but is still catalogued: %s" % (k, f))
                continue
            if f is None:
                raise Violation("%s is not catalogued" % k)
            want = "active" if o["kind"] == "ok" else "rejected"
            if f["state"] != want:
                raise Violation("%s is %s, not %s (%s)" % (k, f["state"], want, f["reason"]))
            if want == "active" and f["records"] != o["records"]:
                raise Violation("%s has %d records, not %d" % (k, f["records"], o["records"]))
            if want == "rejected" and not f["reason"]:
                raise Violation("%s is rejected without a reason" % k)
        extra = set(files) - set(mine)
        if extra:
            raise Violation("table %s has files nobody put: %s" % (t, sorted(extra)))
        # 3. partitions
        for p in js(binary, lake, "catalog", "partitions", t, "--json"):
            act = [f for f in files.values() if f["part"] == p["part"] and f["state"] == "active"]
            if p["state"] == "active" and (p["objects"], p["records"]) != (
                    len(act), sum(f["records"] for f in act)):
                raise Violation("partition %s/%s counts %s, files say %d/%d" % (
                    t, p["part"], (p["objects"], p["records"]), len(act),
                    sum(f["records"] for f in act)))
        # 6. schema
        show = js(binary, lake, "catalog", "show", t, "--json")
        cols = {f["name"]: f["type"]["type"] for f in show["schema"]["fields"]}
        ok = [o for k, o in objs.items() if o["table"] == t and o["kind"] == "ok"]
        want_cols = {"id": "int64", "v": "double" if any(o["double"] for o in ok) else "int64",
                     "s": "string"}
        for o in ok:
            if o["extra"]:
                want_cols[o["extra"]] = "boolean"
        if cols != want_cols:
            raise Violation("table %s has columns %s, not %s" % (t, cols, want_cols))
        # 5. drift and versions
        h = js(binary, lake, "catalog", "history", t, "--json")
        versions = [v["version"] for v in h["versions"]]
        if versions != list(range(1, len(versions) + 1)):
            raise Violation("table %s has versions %s" % (t, versions))
        kinds = [d["kind"] for d in h["drift"]]
        if kinds.count("table_created") != 1:
            raise Violation("table %s: %d table_created entries" % (t, kinds.count("table_created")))
        for kind, what in (("partition_layout", "layout"), ("unreadable", "bad")):
            n = sum(1 for o in mine.values() if o["kind"] == what)
            if kinds.count(kind) != n:
                raise Violation("table %s: %d %s entries for %d objects" % (
                    t, kinds.count(kind), kind, n))
    if not counters:
        return len(accepted)
    # 4. counters: each object and message once
    c = st["crawler"]
    ever = {k: o for k, o in objs.items() if o["kind"] == "ok"}
    want = (len(ever), sum(o["records"] for o in ever.values()), events)
    if (c["objects"], c["records"], c["messages"]) != want:
        raise Violation("counters objects/records/messages %s, not %s" % (
            (c["objects"], c["records"], c["messages"]), want))
    return len(accepted)


def snapshot(binary, lake):
    """What a user sees of the tables, without the times that a no-op may refresh."""
    snap = {}
    for t in TABLES:
        show = js(binary, lake, "catalog", "show", t, "--json")
        show.pop("updated", None)
        files = js(binary, lake, "catalog", "files", t, "--json")
        for f in files:
            f.pop("crawled", None)
        parts = js(binary, lake, "catalog", "partitions", t, "--json")
        for p in parts:
            p.pop("updated", None)
        snap[t] = (show, files, parts, js(binary, lake, "catalog", "history", t, "--json"))
    return snap


def replay_and_overwrite(binary, work, lake, rnd, objs, stats):
    """7. Every present object's created event sent again changes nothing (idempotence);
    8. an overwritten object is catalogued at its new version only."""
    before = snapshot(binary, lake)
    for o in js(binary, lake, "ls", "raw", "--json"):
        body = json.dumps({"event": "ObjectCreated:Put", "zone": "raw", "key": o["key"],
                           "seq": o["seq"], "size": o["size"]})
        run(binary, lake, "queue", "send", "raw", body)
    crawl_until_done(binary, lake, rnd, stats)
    after = snapshot(binary, lake)
    for t in TABLES:
        if before[t] != after[t]:
            raise Violation("events sent again changed table %s" % t)
    good = sorted(k for k, o in objs.items() if o["kind"] == "ok" and not o["removed"])
    path = os.path.join(work, "again.ndjson")
    for k in rnd.sample(good, 4):
        n = rnd.randrange(1, 30)
        with open(path, "w") as f:
            for r in range(n):
                f.write(json.dumps({"id": 10 ** 6 + r, "v": r, "s": "again"}) + "\n")
        run(binary, lake, "put", path, "--zone", "raw", "--key", k)
        objs[k]["records"] = n
    crawl_until_done(binary, lake, rnd, stats)
    present = {o["key"]: o["seq"] for o in js(binary, lake, "ls", "raw", "--json")}
    for t in TABLES:
        for f in js(binary, lake, "catalog", "files", t, "--json"):
            if f["key"] in present and f["seq"] != present[f["key"]]:
                raise Violation("%s catalogued at seq %d, present at %d" % (
                    f["key"], f["seq"], present[f["key"]]))


def one_round(binary, work, rnd, stats):
    lake = os.path.join(work, "lake")
    stage = os.path.join(work, "stage")
    late = os.path.join(work, "late")
    subprocess.run([binary, "init", lake], check=True, capture_output=True)
    with open(os.path.join(lake, "sluice.yaml"), "w") as f:
        f.write(CONFIG)
    objs = make_objects(rnd, stage, late)
    run(binary, lake, "put", "-r", stage, "--zone", "raw")
    if os.path.isdir(late):
        run(binary, lake, "put", "-r", late, "--zone", "raw")
    events = len(objs)
    crawl_until_done(binary, lake, rnd, stats)
    # removals, crawled under fire too
    good = sorted(k for k, o in objs.items() if o["kind"] == "ok")
    for k in rnd.sample(good, 6):
        run(binary, lake, "rm", "raw/" + k)
        objs[k]["removed"] = True
        events += 1
    crawl_until_done(binary, lake, rnd, stats)
    run(binary, lake, "crawl", "--drain")
    n = check(binary, lake, objs, events)
    replay_and_overwrite(binary, work, lake, rnd, objs, stats)
    check(binary, lake, objs, events, counters=False)
    return n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--workdir")
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    stats = {}
    for r in range(a.rounds):
        rnd = random.Random(a.seed + r)
        work = tempfile.mkdtemp(prefix="sluice-crash-crawl-", dir=a.workdir)
        try:
            n = one_round(binary, work, rnd, stats)
        except Violation as e:
            print("round %d (seed %d): VIOLATION: %s\n  lake kept at %s" % (
                r, a.seed + r, e, work), file=sys.stderr)
            return 1
        print("round %d: %d objects catalogued, kills so far %s" % (r, n, stats))
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("crash_crawl: %d rounds held (self-kills after scanning %d, after commit %d; "
          "outside kills %d)" % (a.rounds, stats.get("scanned", 0), stats.get("commit", 0),
                                 stats.get("outside", 0)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
