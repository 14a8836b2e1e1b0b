#!/usr/bin/python3
"""SIGKILL crash test for ETL runs (issue 7, "Tests").

usage: crash_etl.py BINARY [--rounds N] [--seed S] [--keep] [--workdir DIR]

Each round lands objects into raw for one table family (Hive dt= partitions, some gzip,
every record with a unique id and a timestamp) in several waves, crawls them, and runs
the family's default job (partitioned by the record's day) again and again while killing
it: with the run engine's test hook SLUICE_TEST_CRASH, which SIGKILLs it after its files
are written (`written`), after they are published and before the commit (`published`)
or right after the commit (`committed`), and from outside after a random 0.5-12 ms. After
some waves `sluice compact` merges the table's small files while it is killed the same way
(`compact_published`, `compact_committed`, from outside). Between waves a rewind to an
earlier run (or a reset) undoes committed runs, usually through a compaction that merged
them with runs that stay (the rewind splits such files first); it is killed too: in its
split (`compact_published`, `compact_committed`), after it (`rewind_split`), after its
commit (`rewind_committed`) and from outside, then either done again until it finishes
or, now and then, given up (the job just runs on: a killed rewind leaves the old state or
the new one, and the next compaction clears what it left). Then the job runs again. A
round has 8 waves. At the end one clean run drains what is left, and the test checks
what a user relies on:

  1. every landed record is in the curated table exactly once (by its id), in the
     partition of its day, and nothing else is;
  2. the curated zone holds exactly the table's active data files: no file of a killed
     run and no retired file is left, and none is indexed without its catalog row;
  3. the catalog's record counts equal the rows in the files;
  4. `sluice fsck` finds nothing to repair once the last run is done, but the temp files
     of publishes killed between naming and renaming them (the store's, fsck --repair
     removes them; counted as temps).
Exit 0 when every round holds, 1 on a violation (the lake is kept).
"""
import argparse
import gzip
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

DEFAULT_SEED = 20261126
DEFAULT_ROUNDS = 4
CONFIG = """version: 1
queues:
  raw: {visibility_timeout: 1s, max_receive_count: 1000}
etl:
  lease: 5s
  defaults:
    partition_by: dt
    target_file_size: 1MiB
  default_jobs: [events]
"""
POINTS = ("written", "published", "committed")
COMPACT_POINTS = ("compact_published", "compact_committed")
REWIND_POINTS = COMPACT_POINTS + ("rewind_split", "rewind_committed")


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


class Round:
    def __init__(self, binary, work, rnd):
        self.binary, self.work, self.rnd = binary, work, rnd
        self.lake = os.path.join(work, "lake")
        self.ids = {}        # id -> day
        self.next_id = 0
        self.n_objects = 0
        self.kills = {}
        self.compactions = 0
        self.crossed = 0       # rewinds that undid runs a compaction had merged
        self.given_up = 0      # rewinds killed and not done again
        self.temps = 0         # temp files of killed publishes, left to fsck --repair

    def sl(self, *args, **kw):
        return run(self.binary, self.lake, *args, **kw)

    def land(self, n):
        stage = os.path.join(self.work, "wave")
        shutil.rmtree(stage, ignore_errors=True)
        for _ in range(n):
            day = 1 + self.rnd.randrange(5)  # late days come in every wave
            recs = []
            for _ in range(self.rnd.randrange(1, 400)):
                rid = self.next_id
                self.next_id += 1
                self.ids[rid] = day
                recs.append(json.dumps({"id": rid, "v": self.rnd.randrange(1000),
                                        "ts": "2026-11-%02dT%02d:%02d:00Z" % (
                                            day, self.rnd.randrange(24), self.rnd.randrange(60)),
                                        "pad": "x" * self.rnd.randrange(200)}))
            data = ("\n".join(recs) + "\n").encode()
            name = "events/dt=2026-11-%02d/part-%05d.ndjson" % (day, self.n_objects)
            self.n_objects += 1
            if self.rnd.random() < 0.3:
                name += ".gz"
                data = gzip.compress(data)
            path = os.path.join(stage, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        self.sl("put", "-r", stage, "--zone", "raw")
        self.sl("crawl", "--drain")

    def until_done(self, args, points, what, give_up=0.0):
        """Runs sluice ARGS, killed at random points, until it exits 0 (or, with chance
        give_up after a kill, no more). Returns whether it finished."""
        for _ in range(300):
            mode = self.rnd.choice(points + ("outside",))
            env = dict(os.environ)
            env.pop("SLUICE_TEST_CRASH", None)
            if mode != "outside":
                env["SLUICE_TEST_CRASH"] = "%s:%d" % (mode, self.rnd.choice((30, 60, 90)))
            p = subprocess.Popen([self.binary, "--lake", self.lake, *args],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
            if mode == "outside":
                time.sleep(self.rnd.uniform(0.0005, 0.012))
                if p.poll() is None:
                    p.send_signal(signal.SIGKILL)
            _, err = p.communicate()
            if p.returncode == 0:
                return True
            if p.returncode != -signal.SIGKILL:
                text = err.decode(errors="replace")
                if "is running" in text:   # the killed run's lease has not run out yet
                    time.sleep(1.0)
                    continue
                raise Violation("%s failed (%d): %s" % (what, p.returncode, text))
            key = mode if what == "etl run" else what + " " + mode
            self.kills[key] = self.kills.get(key, 0) + 1
            if self.rnd.random() < give_up:
                return False
        raise Violation("%s never finished" % what)

    def run_until_done(self):
        self.until_done(("etl", "run", "events"), POINTS, "etl run")

    def compact_until_done(self):
        self.until_done(("compact", "events"), COMPACT_POINTS, "compact")
        self.compactions += 1

    def rewind(self):
        runs = js(self.binary, self.lake, "etl", "history", "events", "--json")
        committed = [r["run"] for r in runs if r["state"] == "committed"]
        if self.rnd.random() < 0.3 or len(committed) < 2:
            to = 0
            args = ("etl", "bookmark", "reset", "events")
        else:
            to = self.rnd.choice(committed[1:])
            args = ("etl", "bookmark", "rewind", "events", "--to-run", str(to))
        # does it undo a run whose rows a compaction may have merged?
        compactions = js(self.binary, self.lake, "etl", "history", "compact:curated.events",
                         "--json") if self.compactions else []
        newest = max((r["started"] for r in compactions if r["state"] == "committed"),
                     default=None)
        if newest is not None and any(r["state"] == "committed" and r["run"] > to and
                                      r["ended"] and r["ended"] <= newest for r in runs):
            self.crossed += 1
        if not self.until_done(args, REWIND_POINTS, "rewind", give_up=0.2):
            self.given_up += 1

    def check(self):
        files = js(self.binary, self.lake, "catalog", "files", "curated.events", "--json")
        active = [f for f in files if f["state"] == "active"]
        seen = {}
        for f in active:
            path = os.path.join(self.lake, "curated", f["key"])
            p = subprocess.run([self.binary, "parquet", "cat", path],
                               capture_output=True, check=True)
            rows = [json.loads(x) for x in p.stdout.decode().splitlines() if x.strip()]
            if len(rows) != f["records"]:
                raise Violation("%s: %d rows, the catalog says %d" % (f["key"], len(rows),
                                                                     f["records"]))
            for r in rows:
                if r["id"] in seen:
                    raise Violation("id %d twice: %s and %s" % (r["id"], seen[r["id"]], f["key"]))
                seen[r["id"]] = f["key"]
                want = "dt=2026-11-%02d" % self.ids.get(r["id"], 0)
                if f["part"] != want:
                    raise Violation("id %d in %s, not %s" % (r["id"], f["part"], want))
        missing = set(self.ids) - set(seen)
        extra = set(seen) - set(self.ids)
        if missing or extra:
            raise Violation("%d landed records missing (e.g. %s), %d unknown" % (
                len(missing), sorted(missing)[:5], len(extra)))
        zone = {o["key"] for o in js(self.binary, self.lake, "ls", "curated", "--json")}
        on_disk = set()
        root = os.path.join(self.lake, "curated")
        for d, _, names in os.walk(root):
            for n in names:
                on_disk.add(os.path.relpath(os.path.join(d, n), root))
        want = {f["key"] for f in active}
        if zone != want or on_disk != want:
            raise Violation("curated holds %d indexed and %d files, the table %d active "
                            "(indexed extra %s, files extra %s)" % (
                                len(zone), len(on_disk), len(want),
                                sorted(zone - want)[:3], sorted(on_disk - want)[:3]))
        p = self.sl("fsck", check=False)
        if p.returncode != 0:
            # A process killed while it renamed a published file leaves its named temp
            # file in .sluice/tmp (the store's window between naming and renaming, as for
            # any put): that, and only that, is fsck --repair's to remove.
            out = p.stdout.decode(errors="replace")
            odd = [x for x in out.splitlines()
                   if not x.startswith("checked ") and not x.startswith("temp ")]
            if odd:
                raise Violation("fsck after the last run: %s" % out)
            self.temps += len(out.splitlines()) - 1
            self.sl("fsck", "--repair")
            p = self.sl("fsck", check=False)
            if p.returncode != 0:
                raise Violation("fsck after fsck --repair: %s" % p.stdout.decode(
                    errors="replace"))
        return len(seen), len(active)


def one_round(binary, work, rnd):
    r = Round(binary, work, rnd)
    subprocess.run([binary, "init", r.lake], check=True, capture_output=True)
    with open(os.path.join(r.lake, "sluice.yaml"), "w") as f:
        f.write(CONFIG)
    for wave in range(8):
        r.land(rnd.randrange(3, 12))
        r.run_until_done()
        if wave in (1, 3, 4, 6):
            r.compact_until_done()
        if wave in (2, 5):
            r.rewind()
            r.run_until_done()
    r.sl("etl", "run", "events")
    records, files = r.check()
    return records, files, r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--workdir")
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    for n in range(a.rounds):
        rnd = random.Random(a.seed + n)
        work = tempfile.mkdtemp(prefix="sluice-crash-etl-", dir=a.workdir)
        try:
            records, files, r = one_round(binary, work, rnd)
        except Violation as e:
            print("round %d (seed %d): VIOLATION: %s\n  lake kept at %s" % (
                n, a.seed + n, e, work), file=sys.stderr)
            return 1
        print("round %d: %d records exactly once in %d files; %d compactions, %d rewinds "
              "through one, %d rewinds given up after a kill, %d temps; kills %s" % (
                  n, records, files, r.compactions, r.crossed, r.given_up, r.temps, r.kills))
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)
    print("crash_etl: %d rounds held" % a.rounds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
