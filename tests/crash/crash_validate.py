#!/usr/bin/python3
"""SIGKILL crash test for the validator stage (issue 4, part 4).

usage: crash_validate.py BINARY [--rounds N] [--seed S] [--keep] [--workdir DIR]

Each round lands 60 objects in two halves. The first half lands at once; then
`sluice validate --drain` runs again and again with the stage's test hook
SLUICE_TEST_CRASH, which makes it SIGKILL itself at a chosen step of a message (after the
first output of a split, after all outputs, after the commit) with a 20-60% chance, until
the queue is empty: every step is crashed for sure. The second half lands while one or two
`sluice validate` daemons (some with --workers 2, half of them with the hook too) run and
are SIGKILLed at random moments (every 5 to 250 ms, restarting each time); three objects
per round have 5,000 to 20,000 records, so that kills also come in the middle of reading
an object. The summary counts the self-kills and the outputs written again by the
validator that took over a killed one's message. Objects
are NDJSON or JSON arrays, plain or gzip, all valid, mixed, all invalid, truncated gzip,
or of a subject without a schema; subject "orders" splits, subject "audit" quarantines.
Every record carries a unique id. At the end of a round the validators are killed, one
`sluice validate --drain` runs to the end, `sluice fsck --repair` runs, and the test
checks what a user relies on:

  1. landing is empty (index, files, queue, landing-dlq): every landed object was handled;
  2. every landed object's outputs are exactly what its records say: raw/KEY holds the
     original bytes (all valid) or the valid records, deadletter/KEY the invalid records
     or the whole object (all invalid, quarantine, undecodable, no schema), in the
     object's framing and compression; so every record landed is in exactly one of raw
     or deadletter, exactly once, and nothing partial is visible;
  3. no zone holds a file or index row nobody expects, the index and the files agree;
  4. `fsck --repair` finds nothing but temp files of killed writers, then fsck is clean;
  5. the counters per subject are exactly the sums of the objects' outcomes: a message
     handled again after a kill is never counted twice.

The landing queue has a visibility timeout of 1 s (so that a killed validator's message
comes back quickly) and max_receive_count 1000 (so that repeated kills do not redrive
it to landing-dlq). Exit 0 when every round holds, 1 on a violation (the lake is kept).
"""
import argparse
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

DEFAULT_SEED = 20261124
DEFAULT_ROUNDS = 12
OBJECTS_PER_ROUND = 60
ZONES = ("landing", "raw", "deadletter", "curated")
SCHEMA = {"type": "object", "required": ["id", "total"],
          "properties": {"id": {"type": "integer"}, "total": {"type": "number", "minimum": 0},
                         "pad": {"type": "string"}}}
CONFIG = """version: 1
queues:
  landing:
    visibility_timeout: 1s
    max_receive_count: 1000
validate:
  subjects:
    audit: {policy: quarantine}
"""
FSCK_LINE = re.compile(r"^(\w+)\s+(\S+?): (.*)$")
ID = re.compile(rb'"id":(\d+)')


class Violation(Exception):
    pass


class Obj:
    """One landed object and what the validator must make of it."""

    def __init__(self, key, data, kind, valid, invalid, framing, gz, subject):
        self.key, self.data, self.kind = key, data, kind
        self.valid, self.invalid = valid, invalid     # record texts (bytes), in order
        self.framing, self.gz, self.subject = framing, gz, subject

    def encode(self, recs):
        if self.framing == "array":
            body = b"[" + b",\n".join(recs) + b"]\n"
        else:
            body = b"".join(r + b"\n" for r in recs)
        return body

    def expect(self):
        """(outcome, raw bytes or None, deadletter bytes or None), decompressed for split
        outputs (the test compares what they decode to)."""
        if self.kind in ("trunc", "noschema"):
            return "failed", None, self.data
        if not self.invalid:
            return "passed", self.data, None
        if not self.valid or self.subject == "audit":
            return "failed", None, self.data
        return "split", self.encode(self.valid), self.encode(self.invalid)


class CrashTest:
    def __init__(self, binary, seed, work):
        self.binary = binary
        self.rng = random.Random(seed)
        self.work = work
        self.lake = os.path.join(work, "lake")
        self.files = os.path.join(work, "files")
        self.next_id = 1
        self.objects = {}   # key -> Obj, every object ever landed
        self.env = {k: v for k, v in os.environ.items() if k != "SLUICE_LAKE"}
        self.env["LC_ALL"] = "C"
        self.stats = {"objects": 0, "records": 0, "kills": 0, "starts": 0}
        self.repairs = {}

    def sl(self, *args, check=True, timeout=600):
        p = subprocess.run([self.binary, "--lake", self.lake] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise Violation("sluice %s exited %d: %s%s" % (
                " ".join(args), p.returncode, p.stdout.decode(errors="replace")[-2000:],
                p.stderr.decode(errors="replace")[-2000:]))
        return p

    # ---- objects --------------------------------------------------------------------

    def record(self, valid, framing):
        rid = self.next_id
        self.next_id += 1
        pad = "p" * self.rng.randint(0, 120)
        if valid:
            return b'{"id":%d,"total":%d.%02d,"pad":"%s"}' % (
                rid, self.rng.randint(0, 999), self.rng.randint(0, 99), pad.encode())
        bad = [
            b'{"id":%d,"pad":"%s"}' % (rid, pad.encode()),                  # no total
            b'{"id":%d,"total":"12.50 EUR"}' % rid,                          # wrong type
            b'{"id":%d,"total":-1}' % rid,                                   # below minimum
            b'{"id":%d,"total":1,"id":%d}' % (rid, rid),                     # duplicate key
            b'{"id":%d,"total":1,"pad":"x\xff"}' % rid,                      # bad UTF-8
        ]
        if framing == "ndjson":
            # an unclosed object breaks only its line; inside an array it would break
            # the array's framing (an undecodable object: the "trunc" kind covers that)
            bad.append(b'{"id":%d,"total":1,"pad":"x"' % rid)
        return self.rng.choice(bad)

    def make_object(self, rnd, i, big):
        r = self.rng.random()
        kind = ("valid" if r < 0.40 else "mixed" if r < 0.70 else "invalid" if r < 0.80
                else "trunc" if r < 0.85 else "noschema" if r < 0.90 else "mixed")
        subject = "nos" if kind == "noschema" else self.rng.choice(["orders"] * 4 + ["audit"])
        n = self.rng.randint(5000, 20000) if big else self.rng.randint(1, 40)
        framing = "array" if self.rng.random() < 0.15 else "ndjson"
        gz = kind == "trunc" or self.rng.random() < 0.25
        valid, invalid, recs = [], [], []
        for _ in range(n):
            ok = kind == "valid" or (kind == "mixed" and self.rng.random() < 0.7) or \
                kind in ("trunc", "noschema")
            rec = self.record(ok, framing)
            (valid if ok else invalid).append(rec)
            recs.append(rec)
        if kind == "mixed" and not invalid:
            rec = self.record(False, framing)
            invalid.append(rec)
            recs.append(rec)
        o = Obj(None, None, kind, valid, invalid, framing, gz, subject)
        data = o.encode(recs)
        if gz:
            data = gzip.compress(data, mtime=0)
        if kind == "trunc":
            data = data[:max(10, len(data) - self.rng.randint(5, 30))]
        ext = (".json" if framing == "array" else ".ndjson") + (".gz" if gz else "")
        o.key = "%s/r%d/o%03d%s" % (subject, rnd, i, ext)
        o.data = data
        return o

    # ---- a round -----------------------------------------------------------------------

    def start_validator(self):
        args = [self.binary, "--lake", self.lake, "validate", "--quiet"]
        if self.rng.random() < 0.3:
            args += ["--workers", "2"]
        env = dict(self.env)
        if self.rng.random() < 0.5:
            # the stage's test hook: SIGKILL itself at a chosen step of a message
            env["SLUICE_TEST_CRASH"] = "%s:%d" % (
                self.rng.choice(["output", "outputs", "commit"]), self.rng.randint(5, 30))
        self.stats["starts"] += 1
        return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                env=env)

    def run_round(self, rnd):
        objs = [self.make_object(rnd, i, big=i < 3) for i in range(OBJECTS_PER_ROUND)]
        self.rng.shuffle(objs)
        by_prefix = {}
        for o in objs:
            path = os.path.join(self.files, o.key)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(o.data)
            by_prefix.setdefault(o.key.rsplit("/", 1)[0] + "/", []).append(path)
            self.objects[o.key] = o
            self.stats["objects"] += 1
            self.stats["records"] += len(o.valid) + len(o.invalid)

        # Phase 1: half the objects land first; validators with the test hook work
        # through them, killing themselves at chosen steps, until the queue is empty.
        half = {}
        rest = {}
        for prefix, paths in by_prefix.items():
            cut = len(paths) // 2
            half[prefix], rest[prefix] = paths[:cut], paths[cut:]
        for prefix, paths in half.items():
            if paths:
                self.sl("put", "--prefix", prefix, *paths)
        for _ in range(200):
            env = dict(self.env)
            env["SLUICE_TEST_CRASH"] = "%s:%d" % (
                self.rng.choice(["output", "outputs", "commit"]), self.rng.randint(20, 60))
            p = subprocess.run([self.binary, "--lake", self.lake, "validate", "--drain",
                                "--quiet"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, env=env, timeout=600)
            if p.returncode == 0:
                break
            if p.returncode != -signal.SIGKILL:
                raise Violation("validate --drain with the test hook exited %d: %s" % (
                    p.returncode, p.stderr.decode(errors="replace")))
            self.stats["self_kills"] = self.stats.get("self_kills", 0) + 1
        # Phase 2: the other half lands while daemons run and are killed at random
        vals = [self.start_validator() for _ in range(self.rng.choice([1, 1, 2]))]
        errors = []
        done = threading.Event()

        def putter():
            try:
                for prefix, paths in rest.items():
                    if paths:
                        self.sl("put", "--prefix", prefix, *paths)
            except Exception as e:  # reported by the main thread
                errors.append(e)
            finally:
                done.set()

        t = threading.Thread(target=putter)
        t.start()
        kills = 0
        t_end = None
        while True:
            time.sleep(self.rng.uniform(0.005, 0.25))
            k = self.rng.randrange(len(vals))
            vals[k].send_signal(signal.SIGKILL)
            vals[k].wait()
            kills += 1
            vals[k] = self.start_validator()
            for j, v in enumerate(vals):  # those that killed themselves (the test hook)
                if v.poll() is not None:
                    if v.returncode != -signal.SIGKILL:
                        raise Violation("a validator exited %d" % v.returncode)
                    self.stats["self_kills"] = self.stats.get("self_kills", 0) + 1
                    vals[j] = self.start_validator()
            if done.is_set():
                t_end = t_end or time.monotonic()
                if time.monotonic() - t_end > 1.5 and kills >= 8:
                    break
        t.join()
        for v in vals:
            v.send_signal(signal.SIGKILL)
            v.wait()
        self.stats["kills"] += kills + len(vals)
        if errors:
            raise errors[0]
        p = self.sl("validate", "--drain", "--quiet")
        if p.stderr:
            raise Violation("validate --drain wrote to stderr: %s" % p.stderr.decode())
        m = re.search(rb"validated (\d+) message", p.stdout)
        self.stats["left"] = self.stats.get("left", 0) + (int(m.group(1)) if m else 0)
        self.repair()
        return kills + len(vals)

    def repair(self):
        p = self.sl("fsck", "--repair", check=False)
        out = p.stdout.decode(errors="replace")
        for line in out.splitlines():
            if line.startswith("checked "):
                continue
            m = FSCK_LINE.match(line)
            if not m or m.group(1) != "temp":
                raise Violation("fsck --repair after the drain found more than temp files: "
                                "%r" % line)
            self.repairs["temp"] = self.repairs.get("temp", 0) + 1
        if p.returncode != 0:
            raise Violation("fsck --repair exited %d: %s" % (p.returncode, out[-2000:]))
        p = self.sl("fsck", check=False)
        if p.returncode != 0 or b" 0 problems" not in p.stdout:
            raise Violation("second fsck: %s" % p.stdout.decode()[-1000:])

    # ---- checks -------------------------------------------------------------------------

    def index(self, zone):
        objs = json.loads(self.sl("ls", zone, "--json").stdout)
        for o in objs:
            if o["state"] != "present":
                raise Violation("%s/%s is %s" % (zone, o["key"], o["state"]))
        return {o["key"]: o for o in objs}

    def files_of(self, zone):
        out = {}
        top = os.path.join(self.lake, zone)
        for dirpath, dirnames, filenames in os.walk(top):
            for n in dirnames + filenames:
                if os.path.islink(os.path.join(dirpath, n)):
                    raise Violation("symbolic link in %s" % zone)
            for n in filenames:
                out[os.path.relpath(os.path.join(dirpath, n), top)] = os.path.join(dirpath, n)
        return out

    def read(self, zone, key):
        with open(os.path.join(self.lake, zone, key), "rb") as f:
            return f.read()

    def check(self):
        v = []
        idx = {z: self.index(z) for z in ZONES}
        files = {z: self.files_of(z) for z in ZONES}
        for z in ZONES:
            if set(idx[z]) != set(files[z]):
                v.append("%s: index and files differ: %s" % (
                    z, sorted(set(idx[z]) ^ set(files[z]))[:5]))
        if idx["landing"] or idx["curated"]:
            v.append("landing still holds %d objects (e.g. %s)" % (
                len(idx["landing"]), sorted(idx["landing"])[:3]))
        for q in ("landing", "landing-dlq"):
            if json.loads(self.sl("queue", "peek", q, "--json").stdout):
                v.append("queue %s is not empty" % q)

        want = {"orders": {}, "audit": {}, "nos": {}}
        seen_ids = {}
        for key, o in self.objects.items():
            outcome, raw, dead = o.expect()
            c = want[o.subject]
            c["objects_" + outcome] = c.get("objects_" + outcome, 0) + 1
            if o.kind not in ("trunc", "noschema"):
                passed = len(o.valid) if outcome != "failed" else 0
                c["records_passed"] = c.get("records_passed", 0) + passed
                c["records_failed"] = c.get("records_failed", 0) + \
                    len(o.valid) + len(o.invalid) - passed
            for zone, exp in (("raw", raw), ("deadletter", dead)):
                if exp is None:
                    if key in idx[zone]:
                        v.append("%s/%s exists, expected none (%s object)" % (zone, key,
                                                                              o.kind))
                    continue
                if key not in idx[zone]:
                    v.append("%s/%s is missing (%s object)" % (zone, key, o.kind))
                    continue
                got = self.read(zone, key)
                if hashlib.sha256(got).hexdigest() != idx[zone][key]["checksum"][7:]:
                    v.append("%s/%s does not match its checksum" % (zone, key))
                if outcome == "split" and o.gz:
                    try:
                        got = gzip.decompress(got)
                    except Exception as e:
                        v.append("%s/%s is not gzip: %s" % (zone, key, e))
                        continue
                if got != exp:
                    v.append("%s/%s holds %d bytes, expected %d (%s object)" % (
                        zone, key, len(got), len(exp), o.kind))
                    continue
                if outcome == "split" or o.kind not in ("trunc",):
                    text = gzip.decompress(got) if (o.gz and outcome != "split") else got
                    for rid in ID.findall(text):
                        seen_ids[rid] = seen_ids.get(rid, 0) + 1
        for zone in ("raw", "deadletter"):
            for key in idx[zone]:
                if key not in self.objects:
                    v.append("%s/%s: nobody landed this key" % (zone, key))
        # every record of every decodable object exactly once in raw + deadletter (the
        # duplicate-key records name their id twice in one record)
        for key, o in self.objects.items():
            if o.kind == "trunc":
                continue
            for rec in o.valid + o.invalid:
                rid = ID.search(rec).group(1)
                n = seen_ids.get(rid, 0) // len(ID.findall(rec))
                if n != 1:
                    v.append("record %s of %s is in raw/deadletter %d times" % (
                        rid.decode(), key, n))
                    break
        # outputs written again by a validator that took over a killed one's message (the
        # removal of a stale raw output also sends an ObjectRemoved event: not counted)
        events = sum(1 for q in ("raw", "deadletter")
                     for m in json.loads(self.sl("queue", "peek", q, "--limit", "1000000",
                                                 "--json").stdout)
                     if '"ObjectCreated:Put"' in m["body"])
        self.stats["rewritten"] = events - len(idx["raw"]) - len(idx["deadletter"])
        got = {c["subject"]: c for c in
               json.loads(self.sl("validate", "--stats", "--json").stdout)}
        for subject, c in want.items():
            g = got.get(subject, {})
            for k, n in c.items():
                if g.get(k, 0) != n:
                    v.append("counter %s.%s is %s, expected %d" % (subject, k, g.get(k, 0), n))
        if v:
            more = "" if len(v) <= 25 else "\n  ... and %d more" % (len(v) - 25)
            raise Violation("%d violations:\n  %s%s" % (len(v), "\n  ".join(v[:25]), more))
        return len(idx["raw"]), len(idx["deadletter"])

    def run(self, rounds):
        p = subprocess.run([self.binary, "init", self.lake], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=self.env)
        if p.returncode != 0:
            raise Violation("init failed: %s" % p.stderr.decode())
        with open(os.path.join(self.lake, "sluice.yaml"), "w") as f:
            f.write(CONFIG)
        schema = os.path.join(self.work, "schema.json")
        with open(schema, "w") as f:
            json.dump(SCHEMA, f)
        for subject in ("orders", "audit"):
            self.sl("schema", "register", subject, schema)
        for rnd in range(rounds):
            t0 = time.monotonic()
            kills = self.run_round(rnd)
            n_raw, n_dead = self.check()
            print("round %3d: %3d objects landed, %2d validators killed; raw %5d, deadletter "
                  "%5d objects  %.1fs" % (rnd, OBJECTS_PER_ROUND, kills, n_raw, n_dead,
                                          time.monotonic() - t0), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("binary")
    ap.add_argument("--rounds", type=int, default=DEFAULT_ROUNDS)
    ap.add_argument("--seed", type=int, default=DEFAULT_SEED)
    ap.add_argument("--keep", action="store_true", help="keep the work directory")
    ap.add_argument("--workdir", help="parent of the scratch directory (default: $TMPDIR)")
    a = ap.parse_args()
    binary = os.path.abspath(a.binary)
    if not os.access(binary, os.X_OK):
        sys.exit("crash_validate: %s is not an executable" % binary)
    work = tempfile.mkdtemp(prefix="sluice-crash-validate-", dir=a.workdir)
    os.makedirs(os.path.join(work, "files"))
    print("crash_validate: seed %d, %d rounds of %d objects, work dir %s" % (
        a.seed, a.rounds, OBJECTS_PER_ROUND, work), flush=True)
    t = CrashTest(binary, a.seed, work)
    t0 = time.monotonic()
    try:
        t.run(a.rounds)
    except Violation as e:
        print("\ncrash_validate: FAIL (seed %d): %s\nlake kept at %s\nrerun: %s %s --seed %d "
              "--rounds %d" % (a.seed, e, t.lake, sys.argv[0], a.binary, a.seed, a.rounds),
              file=sys.stderr)
        sys.exit(1)
    s = t.stats
    print("crash_validate: OK seed=%d rounds=%d objects=%d records=%d validators started=%d "
          "killed=%d (and %d by the test hook), messages left to the final drains=%d, outputs "
          "written again=%d, repairs: %s in %.0fs" % (
              a.seed, a.rounds, s["objects"], s["records"], s["starts"], s["kills"],
              s.get("self_kills", 0), s.get("left", 0), s.get("rewritten", 0),
              " ".join("%s=%d" % kv for kv in t.repairs.items()) or "none",
              time.monotonic() - t0), flush=True)
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
