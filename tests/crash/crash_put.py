#!/usr/bin/python3
"""SIGKILL crash test for `sluice put` (issue 2, deliverable 7).

usage: crash_put.py BINARY [--rounds N] [--seed S] [--keep] [--workdir DIR]

Each round runs a burst of 4 x 260 = 1,040 puts as 4 concurrent processes
`sluice put --prefix rN/pK/ f1 f2 ...` over files of random size (0..64 KiB) whose bytes
are known (generated once from the seed, in several versions per file name). From the
second round on, one of the 4 processes overwrites keys of an earlier round with other
versions, so the "replace an existing object" path is crashed too. Each process is
SIGKILLed at a random moment (some early, most somewhere in the burst, some never); its
stdout says which puts reported success. Then `sluice fsck --repair` runs, and the test
checks what a user relies on:

  1. every put that reported success is in `ls --json` with the size and checksum of its
     content, has the seq it reported, and `sluice cat` returns its exact bytes;
  2. every object in every zone, from the index and from walking the zone directories,
     is one of the versions written for its key (nothing partial, nothing foreign), the
     index and the directories agree, and a key nobody touched this round is unchanged;
     a key whose put did not report success holds its old or its new content;
  3. no file is left in .sluice/tmp and a second `fsck` (no --repair) finds nothing;
  4. for every indexed key the landing queue holds exactly one event whose seq is the
     object's current seq (with its size and checksum); every event is for a version of
     that key (an older seq only for an overwritten version); every reported put has
     exactly one event; no two events share a seq.

The default seed is fixed and printed; rerun with --seed to repeat a run's choices (the
kill instants depend on timing, so a rerun is close to, not exactly, the same run).
Exit 0 when every round holds, 1 on a violation (the lake is kept for inspection).
"""
import argparse
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
from concurrent.futures import ThreadPoolExecutor

PROCS = 4
FILES_PER_PROC = 260          # 4 x 260 = 1,040 puts per round
NAMES = 320                   # file names in the pool; each process takes 260 of them
VERSIONS = 3                  # contents per file name
MAX_SIZE = 64 * 1024
DEFAULT_SEED = 20240517
DEFAULT_ROUNDS = 40            # about 80 s on the 2-core reference machine
ZONES = ("landing", "raw", "deadletter", "curated")
PUT_LINE = re.compile(r"^put landing/(.+) seq=(\d+) size=(\d+) (sha256:[0-9a-f]{64})$")
FSCK_LINE = re.compile(r"^(\w+)\s+(\S+?): (.*)$")
FSCK_KINDS = ("temp", "unindexed", "changed", "missing", "deleting", "corrupt", "odd", "empty")
# what a killed put may leave behind (empty: the folders made for a key whose file was
# never published)
REPAIRABLE = ("temp", "unindexed", "changed", "empty")


def sha(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Violation(Exception):
    pass


class CrashTest:
    def __init__(self, binary, seed, workdir):
        self.binary = binary
        self.rng = random.Random(seed)
        self.work = workdir
        self.lake = os.path.join(workdir, "lake")
        self.pool = os.path.join(workdir, "pool")
        self.content = {}       # checksum -> bytes
        self.versions = {}      # name -> [checksum per version]
        self.state = {}         # key -> index entry after the last round (dict)
        self.ever_known = {}    # key -> set of checksums ever attempted for it
        self.reported_seqs = {}  # seq -> key, every put that ever reported success
        self.fresh_groups = []  # (prefix, [names]) of earlier rounds, for overwrites
        self.est_duration = 0.6  # seconds a 260-put process takes; learnt as we go
        self.stats = {"puts_attempted": 0, "puts_reported": 0, "kills": 0,
                      "procs": 0, "overwrite_puts": 0}
        self.repairs = {k: 0 for k in FSCK_KINDS}
        self.env = {k: v for k, v in os.environ.items() if k != "SLUICE_LAKE"}
        self.env["LC_ALL"] = "C"

    # ---- running sluice ---------------------------------------------------------------

    def sl(self, *args, check=True):
        p = subprocess.run([self.binary, "--lake", self.lake] + list(args),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env)
        if check and p.returncode != 0:
            raise Violation("sluice %s exited %d: %s%s" % (
                " ".join(args), p.returncode, p.stdout.decode(errors="replace")[-2000:],
                p.stderr.decode(errors="replace")))
        return p

    # ---- set-up -----------------------------------------------------------------------

    def generate(self):
        for v in range(VERSIONS):
            os.makedirs(os.path.join(self.pool, "v%d" % v))
        for i in range(NAMES):
            name = "f%04d" % i
            sums = []
            for v in range(VERSIONS):
                size = 0 if i == 0 else self.rng.randint(0, MAX_SIZE)
                data = self.rng.randbytes(size)
                with open(os.path.join(self.pool, "v%d" % v, name), "wb") as f:
                    f.write(data)
                s = sha(data)
                self.content[s] = data
                sums.append(s)
            self.versions[name] = sums

    # ---- one round --------------------------------------------------------------------

    def plan_round(self, rnd):
        plans = []
        overwriter = rnd % PROCS if rnd > 0 and self.fresh_groups else None
        new_groups = []
        for k in range(PROCS):
            if k == overwriter:
                prefix, names = self.rng.choice(self.fresh_groups)
                names = self.rng.sample(names, len(names))
                vers = []
                for n in names:
                    cur = self.state.get(prefix + n)
                    cur_v = (self.versions[n].index(cur["checksum"])
                             if cur and cur["checksum"] in self.versions[n] else None)
                    choices = [v for v in range(VERSIONS) if v != cur_v] or [0]
                    vers.append(self.rng.choice(choices))
                self.stats["overwrite_puts"] += len(names)
            else:
                prefix = "r%d/p%d/" % (rnd, k)
                names = self.rng.sample(sorted(self.versions), FILES_PER_PROC)
                vers = [self.rng.randrange(VERSIONS) for _ in names]
                new_groups.append((prefix, names))
            r = self.rng.random()
            if r < 0.2:
                kill_at = None                                   # never
            elif r < 0.45:
                kill_at = self.rng.uniform(0, 0.15) * self.est_duration      # early
            else:
                kill_at = self.rng.uniform(0.15, 1.1) * self.est_duration    # anywhere
            plans.append({"prefix": prefix, "names": names, "vers": vers, "kill_at": kill_at})
        return plans, new_groups

    def run_burst(self, plans):
        def reader(stream, sink):
            sink.append(stream.read())
            stream.close()

        procs = []
        t0 = time.monotonic()
        for pl in plans:
            files = [os.path.join(self.pool, "v%d" % v, n) for n, v in zip(pl["names"], pl["vers"])]
            p = subprocess.Popen([self.binary, "--lake", self.lake, "put", "--prefix",
                                  pl["prefix"]] + files, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=self.env)
            pl["out"], pl["err"] = [], []
            pl["threads"] = [threading.Thread(target=reader, args=(p.stdout, pl["out"])),
                             threading.Thread(target=reader, args=(p.stderr, pl["err"]))]
            for t in pl["threads"]:
                t.start()
            pl["proc"], pl["killed"], pl["end"] = p, False, None
            procs.append(pl)
            self.stats["puts_attempted"] += len(files)
            self.stats["procs"] += 1
        while any(pl["end"] is None for pl in procs):
            now = time.monotonic() - t0
            for pl in procs:
                if pl["end"] is not None:
                    continue
                if pl["proc"].poll() is not None:  # reaped: never signal it again
                    pl["end"] = now
                elif pl["kill_at"] is not None and now >= pl["kill_at"]:
                    pl["proc"].send_signal(signal.SIGKILL)
                    pl["proc"].wait()
                    pl["killed"], pl["end"] = True, now
            time.sleep(0.0005)
        for pl in procs:
            for t in pl["threads"]:
                t.join()
            rc = pl["proc"].returncode
            err = b"".join(pl["err"]).decode(errors="replace")
            if pl["killed"]:
                if rc != -signal.SIGKILL:  # finished just before the signal
                    pl["killed"] = False
            if not pl["killed"]:
                if rc != 0:
                    raise Violation("put %s exited %d without being killed: %s" % (
                        pl["prefix"], rc, err))
                self.est_duration = 0.7 * self.est_duration + 0.3 * pl["end"]
            else:
                self.stats["kills"] += 1
            if err and not pl["killed"]:
                raise Violation("put %s wrote to stderr: %s" % (pl["prefix"], err))
        return procs

    def parse_reported(self, procs):
        """{key: (seq, size, checksum)} of the puts that reported success."""
        reported = {}
        for pl in procs:
            out = b"".join(pl["out"]).decode()
            lines = out.split("\n")[:-1]  # a last line without its newline is not a report
            keys = [pl["prefix"] + n for n in pl["names"]]
            expect = [self.versions[n][v] for n, v in zip(pl["names"], pl["vers"])]
            if len(lines) > len(keys):
                raise Violation("put %s printed %d lines for %d files" % (
                    pl["prefix"], len(lines), len(keys)))
            for i, line in enumerate(lines):
                m = PUT_LINE.match(line)
                if not m:
                    raise Violation("put %s: unexpected output line %r" % (pl["prefix"], line))
                key, seq, size, csum = m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)
                if key != keys[i]:
                    raise Violation("put %s: line %d reports %s, expected %s (order of files)"
                                    % (pl["prefix"], i, key, keys[i]))
                if csum != expect[i] or size != len(self.content[csum]):
                    raise Violation("put reported %s size=%d %s but the file had %s" % (
                        key, size, csum, expect[i]))
                reported[key] = (seq, size, csum)
            if not pl["killed"] and len(lines) != len(keys):
                raise Violation("put %s exited 0 but reported %d of %d puts" % (
                    pl["prefix"], len(lines), len(keys)))
        return reported

    def repair(self):
        p = self.sl("fsck", "--repair", check=False)
        out = p.stdout.decode(errors="replace")
        found = {}
        for line in out.splitlines():
            if line.startswith("checked "):
                continue
            m = FSCK_LINE.match(line)
            kind = m.group(1) if m else None
            if kind not in FSCK_KINDS:
                raise Violation("fsck --repair: unexpected line %r" % line)
            found[kind] = found.get(kind, 0) + 1
            if kind not in REPAIRABLE:
                raise Violation("fsck --repair found %r after killed puts: %s" % (kind, line))
            if not line.endswith("[repaired]"):
                raise Violation("fsck --repair did not repair: %s" % line)
        if p.returncode != 0:
            raise Violation("fsck --repair exited %d: %s%s" % (
                p.returncode, out[-2000:], p.stderr.decode(errors="replace")))
        for k, n in found.items():
            self.repairs[k] += n
        return found

    def load_index(self):
        idx = {}
        for z in ZONES:
            objs = json.loads(self.sl("ls", z, "--json").stdout)
            if z != "landing" and objs:
                raise Violation("zone %s has objects nobody put: %s" % (z, objs[:3]))
            for o in objs:
                if o["state"] != "present":
                    raise Violation("%s/%s is %s" % (z, o["key"], o["state"]))
                idx[o["key"]] = o
        return idx

    def walk_zones(self):
        """{key: size} of the landing zone's files; raises on anything odd anywhere."""
        files = {}
        for z in ZONES:
            top = os.path.join(self.lake, z)
            for dirpath, dirnames, filenames in os.walk(top):
                for n in dirnames + filenames:
                    p = os.path.join(dirpath, n)
                    st = os.lstat(p)
                    if os.path.islink(p):
                        raise Violation("symbolic link in a zone: %s" % p)
                    if n in filenames:
                        if z != "landing":
                            raise Violation("file in zone %s: %s" % (z, p))
                        files[os.path.relpath(p, top)] = st.st_size
        return files

    def read_object(self, key):
        with open(os.path.join(self.lake, "landing", key), "rb") as f:
            return f.read()

    def check(self, rnd, plans, reported, final):
        v = []
        # 3. temp files and a clean second fsck
        left = os.listdir(os.path.join(self.lake, ".sluice", "tmp"))
        if left:
            v.append("files left in .sluice/tmp after fsck --repair: %s" % left[:5])
        p = self.sl("fsck", check=False)
        if p.returncode != 0 or b" 0 problems" not in p.stdout:
            v.append("second fsck exited %d: %s" % (p.returncode, p.stdout.decode()[-1000:]))

        idx = self.load_index()
        attempted = {}
        for pl in plans:
            for n, ver in zip(pl["names"], pl["vers"]):
                attempted[pl["prefix"] + n] = self.versions[n][ver]
        for key, csum in attempted.items():
            self.ever_known.setdefault(key, set()).add(csum)

        # 1. reported puts: indexed with their seq, size and checksum
        for key, (seq, size, csum) in reported.items():
            o = idx.get(key)
            if o is None:
                v.append("reported put %s (seq %d) is not in ls --json" % (key, seq))
            elif (o["seq"], o["size"], o["checksum"]) != (seq, size, csum):
                v.append("reported put %s seq=%d size=%d %s, index has seq=%d size=%d %s" % (
                    key, seq, size, csum, o["seq"], o["size"], o["checksum"]))
            self.reported_seqs[seq] = key

        # 2. every indexed object is a version of its key; untouched keys are unchanged
        for key, o in idx.items():
            name = key.rsplit("/", 1)[-1]
            if key not in self.ever_known:
                v.append("index has a key nobody put: %s" % key)
                continue
            if o["checksum"] not in self.versions.get(name, ()) or \
                    o["size"] != len(self.content[o["checksum"]]):
                v.append("%s: index has size=%d %s, not a version of %s" % (
                    key, o["size"], o["checksum"], name))
            if key in attempted:
                prev = self.state.get(key)
                allowed = {attempted[key]} | ({prev["checksum"]} if prev else set())
                if o["checksum"] not in allowed:
                    v.append("%s holds %s, neither its old content nor the one put" % (
                        key, o["checksum"]))
            elif self.state.get(key) != o:
                v.append("%s changed although nobody put it: %s -> %s" % (
                    key, self.state.get(key), o))
        for key, o in self.state.items():
            if key not in idx:
                v.append("%s disappeared from the index (was seq %d)" % (key, o["seq"]))

        # 2. the directories and the index agree; contents are complete versions
        files = self.walk_zones()
        for key in sorted(set(files) - set(idx)):
            v.append("file without an index row after repair: landing/%s" % key)
        for key in sorted(set(idx) - set(files)):
            v.append("index row without a file: landing/%s" % key)
        for key in set(files) & set(idx):
            if files[key] != idx[key]["size"]:
                v.append("landing/%s: file has %d bytes, index %d" % (
                    key, files[key], idx[key]["size"]))
            elif final or key in attempted:
                got = sha(self.read_object(key))
                if got != idx[key]["checksum"]:
                    v.append("landing/%s: file content %s, index %s" % (
                        key, got, idx[key]["checksum"]))

        # 1. cat returns the exact bytes of every reported put
        def cat(item):
            key, (seq, size, csum) = item
            p = subprocess.run([self.binary, "--lake", self.lake, "cat", "landing/" + key],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env)
            if p.returncode != 0 or p.stdout != self.content[csum]:
                return "cat landing/%s: exit %d, %d bytes %s, expected %d bytes %s: %s" % (
                    key, p.returncode, len(p.stdout), sha(p.stdout), size, csum,
                    p.stderr.decode(errors="replace").strip())
            return None
        with ThreadPoolExecutor(max_workers=4) as ex:
            v.extend(m for m in ex.map(cat, sorted(reported.items())) if m)

        # 4. events
        msgs = json.loads(self.sl("queue", "peek", "landing", "--limit", "1000000",
                                  "--json").stdout)
        by_seq = {}
        current = {}
        for m in msgs:
            e = json.loads(m["body"])
            if e.get("event") != "ObjectCreated:Put" or e.get("zone") != "landing":
                v.append("unexpected event %s" % m["body"])
                continue
            key, seq = e["key"], e["seq"]
            if seq in by_seq:
                v.append("two events for seq %d: %s and %s" % (seq, by_seq[seq], key))
            by_seq[seq] = key
            o = idx.get(key)
            if o is None:
                v.append("event for a key that is not indexed: %s seq %d" % (key, seq))
            elif seq == o["seq"]:
                current[key] = current.get(key, 0) + 1
                if (e["size"], e["checksum"]) != (o["size"], o["checksum"]):
                    v.append("event for %s seq %d says %d %s, the object is %d %s" % (
                        key, seq, e["size"], e["checksum"], o["size"], o["checksum"]))
            elif seq > o["seq"]:
                v.append("event for %s has seq %d, newer than the object's %d" % (
                    key, seq, o["seq"]))
            elif e["checksum"] not in self.ever_known.get(key, ()):
                v.append("event for an old version of %s (seq %d) names content %s that "
                         "was never put there" % (key, seq, e["checksum"]))
        for key, o in idx.items():
            if current.get(key, 0) != 1:
                v.append("%s (seq %d) has %d events with its seq, expected 1" % (
                    key, o["seq"], current.get(key, 0)))
        for seq, key in self.reported_seqs.items():
            if by_seq.get(seq) != key:
                v.append("reported put %s seq %d has no event (found %r)" % (
                    key, seq, by_seq.get(seq)))
        for q in ("raw", "deadletter", "curated", "landing-dlq"):
            if json.loads(self.sl("queue", "peek", q, "--json").stdout):
                v.append("queue %s has messages" % q)

        if v:
            more = "" if len(v) <= 25 else "\n  ... and %d more" % (len(v) - 25)
            raise Violation("round %d: %d violations:\n  %s%s" % (
                rnd, len(v), "\n  ".join(v[:25]), more))
        self.state = idx
        return len(idx), len(msgs)

    def run(self, rounds):
        self.generate()
        p = subprocess.run([self.binary, "init", self.lake], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, env=self.env)
        if p.returncode != 0:
            raise Violation("init failed: %s" % p.stderr.decode())
        for rnd in range(rounds):
            t0 = time.monotonic()
            plans, new_groups = self.plan_round(rnd)
            procs = self.run_burst(plans)
            reported = self.parse_reported(procs)
            self.stats["puts_reported"] += len(reported)
            found = self.repair()
            n_obj, n_ev = self.check(rnd, plans, reported, final=(rnd == rounds - 1))
            self.fresh_groups.extend(new_groups)
            kills = sum(1 for pl in procs if pl["killed"])
            print("round %3d: %4d puts, %4d reported, %d killed, repaired %-28s "
                  "objects %6d events %6d  %.1fs" % (
                      rnd, sum(len(pl["names"]) for pl in procs), len(reported), kills,
                      ",".join("%s=%d" % kv for kv in sorted(found.items())) or "-",
                      n_obj, n_ev, time.monotonic() - t0), flush=True)


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
        sys.exit("crash_put: %s is not an executable" % binary)
    work = tempfile.mkdtemp(prefix="sluice-crash-", dir=a.workdir)
    print("crash_put: seed %d, %d rounds of %d puts in %d processes, work dir %s" % (
        a.seed, a.rounds, PROCS * FILES_PER_PROC, PROCS, work), flush=True)
    t = CrashTest(binary, a.seed, work)
    t0 = time.monotonic()
    try:
        t.run(a.rounds)
    except Violation as e:
        print("\ncrash_put: FAIL (seed %d): %s\nlake kept at %s\nrerun: %s %s --seed %d "
              "--rounds %d" % (a.seed, e, t.lake, sys.argv[0], a.binary, a.seed, a.rounds),
              file=sys.stderr)
        sys.exit(1)
    s = t.stats
    print("crash_put: OK seed=%d rounds=%d puts_attempted=%d (overwrites %d) "
          "puts_reported=%d kills=%d/%d repairs: %s in %.0fs" % (
              a.seed, a.rounds, s["puts_attempted"], s["overwrite_puts"], s["puts_reported"],
              s["kills"], s["procs"],
              " ".join("%s=%d" % (k, n) for k, n in t.repairs.items() if n) or "none",
              time.monotonic() - t0), flush=True)
    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
