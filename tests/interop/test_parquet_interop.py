"""Parquet interop with DuckDB, the peer (issue 5).

Writer: random row types with every kind of the type system (nesting, nulls at every
level, empty lists and maps, unicode, each kind's extremes) are written by
`sluice convert --type`, with every codec and both data page versions, small row groups
and pages; DuckDB must read back exactly the values written, and so must our own reader
(`sluice parquet cat`).

Reader: DuckDB writes files (flat and nested, every codec it has, Parquet format v1 and
v2 which switches on DuckDB's v2 pages and delta encodings); `sluice parquet cat` must
return the values DuckDB itself reads from them.

Needs tests/interop/setup.sh to have installed DuckDB's Node API (tests/run.sh does);
NODE_PATH points at it. The binary is $SLUICE, else build/sluice.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pqvalues as q  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SLUICE = os.path.abspath(os.environ.get("SLUICE") or os.path.join(REPO, "build", "sluice"))
DUCK = os.path.join(HERE, "duck.js")
ROWS = 120
SEEDS = int(os.environ.get("INTEROP_SEEDS", "24"))

# Every writer option combination is covered across the seeds.
CODECS = ["zstd", "snappy", "gzip", "none"]
PAGE_VERSIONS = ["1", "2"]

# Types the DuckDB-written side can load from sluice's JSON forms with read_json (binary
# would need base64 decoding inside nested values, so it is left to the writer side).
DUCK_WRITABLE = [k for k in q.SCALARS if k != "binary"]


def duck(*sql):
    p = subprocess.run(["node", DUCK, "--threads", "1", "--each"] + list(sql),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        raise AssertionError("duckdb failed: %s\n%s" % (p.stderr.decode(), "\n".join(sql)))
    return [json.loads(line) for line in p.stdout.decode().splitlines()]


def sluice(*args):
    p = subprocess.run([SLUICE] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=300)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")


def ours_rows(path):
    rc, out, err = sluice("parquet", "cat", path)
    if rc != 0:
        raise AssertionError("sluice parquet cat %s: exit %d: %s" % (path, rc, err))
    return [json.loads(line, parse_float=q.decimal.Decimal) for line in out.splitlines()]


def first_difference(t, want, got):
    for i, (a, b) in enumerate(zip(want, got)):
        if a != b:
            for (name, ft), x, y in zip(t[2], a, b):
                if x != y:
                    return "row %d column %s (%s): want %r, got %r" % (
                        i, name, q.text(ft), x, y)
    return "row counts %d vs %d" % (len(want), len(got))


def strip_kinds(t, banned):
    """The type with every scalar of a banned kind replaced by string."""
    k = t[0]
    if k == "struct":
        return ("struct", t[1], [(n, strip_kinds(ft, banned)) for n, ft in t[2]])
    if k in ("list", "map"):
        return (k, t[1], strip_kinds(t[2], banned))
    return ("string", t[1]) if k in banned else t


class InteropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(SLUICE, os.X_OK):
            raise unittest.SkipTest("no sluice binary at %s (set SLUICE)" % SLUICE)
        if subprocess.run(["node", DUCK, "SELECT 1"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode != 0:
            raise AssertionError("DuckDB's Node API is not installed: run "
                                 "tests/interop/setup.sh BUILD and set NODE_PATH")

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-interop-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def write_ndjson(self, name, t, rng):
        rows = [q.value(rng, t, top=True) for _ in range(ROWS)]
        path = os.path.join(self.tmp, name)
        with open(path, "w", encoding="utf-8") as f:
            for r in rows:
                f.write(q.dumps(r) + "\n")
        return path, rows

    def test_duckdb_reads_what_we_write(self):
        for seed in range(SEEDS):
            rng = random.Random(seed)
            t = q.rand_row_type(rng)
            codec = CODECS[seed % len(CODECS)]
            pv = PAGE_VERSIONS[(seed // len(CODECS)) % 2]
            with self.subTest(seed=seed, type=q.text(t), codec=codec, page_version=pv):
                src, rows = self.write_ndjson("in-%d.ndjson" % seed, t, rng)
                out = os.path.join(self.tmp, "ours-%d.parquet" % seed)
                rc, _, err = sluice("convert", src, out, "--type", q.text(t), "--codec", codec,
                                    "--page-version", pv, "--row-group-rows", "50")
                self.assertEqual(rc, 0, err)
                want = [q.canon(t, r, "ours") for r in rows]
                got = [q.canon(t, r, "duck")
                       for r in duck("SELECT * FROM read_parquet('%s')" % out)[0]]
                self.assertEqual(want, got, first_difference(t, want, got))
                back = [q.canon(t, r, "ours") for r in ours_rows(out)]
                self.assertEqual(want, back, first_difference(t, want, back))

    def test_we_read_what_duckdb_writes(self):
        duck_codecs = ["zstd", "snappy", "gzip", "uncompressed", "lz4_raw", "brotli"]
        for seed in range(SEEDS):
            rng = random.Random(1000 + seed)
            t = strip_kinds(q.rand_row_type(rng), {"binary"})
            codec = duck_codecs[seed % len(duck_codecs)]
            version = ["V1", "V2"][seed % 2]
            with self.subTest(seed=seed, type=q.text(t), codec=codec, version=version):
                src, _ = self.write_ndjson("in-%d.ndjson" % seed, t, rng)
                out = os.path.join(self.tmp, "duck-%d.parquet" % seed)
                cols = ", ".join("'%s': '%s'" % (n, q.duck_type(ft).replace("'", "''"))
                                 for n, ft in t[2])
                res = duck("COPY (SELECT * FROM read_json('%s', columns={%s}, format="
                           "'newline_delimited')) TO '%s' (FORMAT parquet, COMPRESSION %s, "
                           "ROW_GROUP_SIZE 64, PARQUET_VERSION %s)" % (src, cols, out, codec,
                                                                        version),
                           "SELECT * FROM read_parquet('%s')" % out)
                want = [q.canon(t, r, "duck") for r in res[1]]
                got = [q.canon(t, r, "ours") for r in ours_rows(out)]
                self.assertEqual(want, got, first_difference(t, want, got))

    def test_nested_telemetry_shape_both_ways(self):
        # The shape the pipeline carries: structs in structs, a nullable struct, a list of
        # enums, a list of structs, a map.
        t = ("struct", False, [
            ("event_id", ("uuid", False)),
            ("ts", ("timestamp", False, "us")),
            ("player", ("struct", False, [("id", ("int64", False)), ("name", ("string", True)),
                                          ("guild", ("struct", True, [("id", ("int64", False)),
                                                                      ("name", ("string", False))]))])),
            ("pos", ("struct", True, [("x", ("double", False)), ("y", ("double", False))])),
            ("tags", ("list", False, ("enum", False))),
            ("items", ("list", True, ("struct", False, [("sku", ("string", False)),
                                                        ("qty", ("int32", True))]))),
            ("attrs", ("map", True, ("string", True))),
        ])
        rng = random.Random(7)
        src, rows = self.write_ndjson("telemetry.ndjson", t, rng)
        want = [q.canon(t, r, "ours") for r in rows]
        for codec in CODECS:
            out = os.path.join(self.tmp, "t-%s.parquet" % codec)
            rc, _, err = sluice("convert", src, out, "--type", q.text(t), "--codec", codec)
            self.assertEqual(rc, 0, err)
            got = [q.canon(t, r, "duck")
                   for r in duck("SELECT * FROM read_parquet('%s')" % out)[0]]
            self.assertEqual(want, got, first_difference(t, want, got))


if __name__ == "__main__":
    unittest.main()
