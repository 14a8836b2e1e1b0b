"""End-to-end tests of `sluice compact TABLE [--partition P] [--min-size SIZE] [--json]`.

A curated Parquet table with several small files per partition is built without the ETL
command: small Parquet files made with `sluice convert` are put into the curated zone
under a table's folder and crawled. Then `sluice compact` merges them: the result (JSON
and text), the catalog's files and partitions afterwards, every row read back from the
merged file with `sluice parquet cat` (the same rows, value for value), the small files
gone from the zone and the index, the crawler hearing of their removal without changing
the counts, fsck clean, a second compaction finding nothing; --partition, --min-size and
the refusals (a raw table, unknown table or partition, bad sizes). Then the same over
the small files of an ETL job's runs (`sluice etl run`), with rewinds of the job after the
compaction and past it (the merged file split, the rewound runs' rows gone), a reset, and
re-runs: every record exactly once.

Run: SLUICE=build/sluice python3 -m unittest -v test_compact   (from tests/e2e).
"""
import json
import unittest

from lakeutil import EXIT_FAIL, EXIT_USAGE, LakeTest

TYPE = "struct<id:int64 not null,name:string,score:double,tags:list<string>>"


def record(i):
    return {"id": i, "name": "n%d" % i, "score": i / 7, "tags": ["t%d" % (i % 3)] * (i % 3)}


class CompactTest(LakeTest):
    def js(self, *args):
        return json.loads(self.ok(*args).stdout)

    def small_file(self, key, ids):
        """A Parquet file of records ids, converted by sluice and put to curated/key."""
        src = self.write("in-%d.ndjson" % ids[0],
                         b"".join(json.dumps(record(i)).encode() + b"\n" for i in ids))
        out = src[:-len(".ndjson")] + ".parquet"
        self.ok("convert", src, out, "--type", TYPE, lake=False)
        with open(out, "rb") as f:
            return self.put_bytes(key, f.read(), "--zone", "curated")

    def crawl(self):
        p = self.ok("crawl", "--drain", "--json")
        totals = json.loads(p.stdout.decode().splitlines()[-1])
        self.assertEqual(totals["failures"], 0)
        return totals["totals"]

    def rows_of(self, key):
        data = self.cat("curated/" + key)
        path = self.write("read.parquet", data)
        out = self.ok("parquet", "cat", path, lake=False).stdout.decode()
        return [json.loads(line) for line in out.splitlines()]

    def table_rows(self, table="events"):
        rows = []
        for f in self.js("catalog", "files", "curated." + table, "--json"):
            if f["state"] == "active":
                rows += self.rows_of(f["key"])
        return sorted(rows, key=lambda r: r["id"])

    def build(self):
        """events: three small files in dt=2026-01-01, one in dt=2026-01-02."""
        self.small_file("events/dt=2026-01-01/a.parquet", range(1, 11))
        self.small_file("events/dt=2026-01-01/b.parquet", range(11, 21))
        self.small_file("events/dt=2026-01-01/c.parquet", range(21, 31))
        self.small_file("events/dt=2026-01-02/d.parquet", range(31, 36))
        totals = self.crawl()
        self.assertEqual(totals["objects"], 4)

    def test_merges_small_files(self):
        self.build()
        before = self.table_rows()
        self.assertEqual([r["id"] for r in before], list(range(1, 36)))
        res = self.js("compact", "events", "--json")
        self.assertEqual(res["table"], "curated.events")
        self.assertEqual(res["job"], "compact:curated.events")
        self.assertEqual(res["runs"], 1)
        self.assertEqual(res["files_in"], 3)
        self.assertEqual(res["files_out"], 1)
        self.assertEqual(res["rows"], 30)
        self.assertEqual(res["min_file_size"], 64 << 20)
        self.assertEqual(res["target_file_size"], 128 << 20)
        self.assertFalse(res["removal_pending"])
        self.assertEqual(len(res["partitions"]), 1)
        p = res["partitions"][0]
        self.assertEqual(p["part"], "dt=2026-01-01")
        self.assertEqual((p["files_before"], p["files_after"]), (3, 1))
        self.assertEqual((p["merged"], p["written"], p["rows"], p["run"]), (3, 1, 30, 1))
        self.assertEqual(p["bytes_after"], res["bytes_out"])

        # the catalog: the merged file active, the small ones retired
        files = {f["key"]: f for f in self.js("catalog", "files", "curated.events", "--json")}
        merged = "events/dt=2026-01-01/part-c1-000.parquet"
        self.assertEqual(files[merged]["state"], "active")
        self.assertEqual(files[merged]["records"], 30)
        for k in "abc":
            self.assertEqual(files["events/dt=2026-01-01/%s.parquet" % k]["state"], "retired")
        self.assertEqual(files["events/dt=2026-01-02/d.parquet"]["state"], "active")
        # every row back, value for value, in the order the files were committed
        self.assertEqual(self.rows_of(merged), before[:30])
        self.assertEqual(self.table_rows(), before)
        # the zone and the index hold only the table's active files
        keys = sorted(o["key"] for o in self.ls_json("curated"))
        self.assertEqual(keys, [merged, "events/dt=2026-01-02/d.parquet"])
        files_on_disk, _ = self.zone_files()
        self.assertEqual(sorted(k for z, k in files_on_disk if z == "curated"), keys)

        # the crawler hears of the removals; the counts stay
        totals = self.crawl()
        self.assertEqual(totals["removed"], 3)
        parts = {p["part"]: p for p in self.js("catalog", "partitions", "curated.events",
                                               "--json")}
        self.assertEqual((parts["dt=2026-01-01"]["objects"], parts["dt=2026-01-01"]["records"]),
                         (1, 30))
        self.assertEqual(parts["dt=2026-01-02"]["objects"], 1)
        show = self.js("catalog", "show", "curated.events", "--json")
        self.assertEqual((show["files"], show["records"]), (2, 35))
        self.assertFsckClean()
        self.assertEqual(self.table_rows(), before)

        # nothing left to merge
        p = self.ok("compact", "curated.events")
        self.assertIn(b"curated.events: nothing to merge", p.stdout)
        self.assertEqual(self.js("compact", "events", "--json")["runs"], 0)

    def test_text_and_partition(self):
        self.build()
        # one partition: dt=2026-01-02 has a single small file, left alone
        p = self.ok("compact", "events", "--partition", "dt=2026-01-02")
        self.assertIn(b"nothing to merge", p.stdout)
        # files of 100 bytes or more are not small under --min-size 100
        self.assertEqual(self.js("compact", "events", "--min-size", "100", "--json")["runs"], 0)
        p = self.ok("compact", "events", "--partition", "dt=2026-01-01", "--min-size", "1MiB")
        lines = p.stdout.decode().splitlines()
        self.assertTrue(lines[0].startswith(
            "curated.events: merged 3 files under 1.0 MiB into 1 (30 rows, "), lines)
        self.assertEqual(lines[1].split("\t"), ["PARTITION", "FILES", "ROWS", "BYTES"])
        self.assertEqual(lines[2].split("\t")[:3], ["dt=2026-01-01", "3 -> 1", "30"])
        self.assertEqual(len(lines), 3)

    def test_refusals(self):
        self.build()
        self.put_bytes("orders/a.ndjson", b'{"id":1}\n', "--zone", "raw")
        self.crawl()
        p = self.refused(EXIT_FAIL, "compact", "raw.orders")
        self.assertOneLine(p.stderr, "not a curated table")
        p = self.refused(EXIT_FAIL, "compact", "orders")
        self.assertOneLine(p.stderr, "no curated table orders")
        p = self.refused(EXIT_FAIL, "compact", "events", "--partition", "dt=1999-01-01")
        self.assertOneLine(p.stderr, "no partition")
        self.refused(EXIT_FAIL, "compact", "events", "--min-size", "1GiB")  # > the target
        self.refused(EXIT_USAGE, "compact", "events", "--min-size", "lots")
        self.refused(EXIT_USAGE, "compact", "events", "--min-size", "0")
        self.refused(EXIT_USAGE, "compact")
        self.refused(EXIT_USAGE, "compact", "events", "other")
        self.refused(EXIT_USAGE, "compact", "events", "--bogus")
        # nothing was touched
        self.assertEqual(len(self.ls_json("curated")), 4)
        self.assertFsckClean()


class CompactEtlTest(LakeTest):
    """The small files of a job's runs (`sluice etl run`), merged; rewinds after the
    compaction and past it, and a reset, each exact after a re-run."""

    def js(self, *args):
        return json.loads(self.ok(*args).stdout)

    def ids(self):
        out = []
        for f in self.js("catalog", "files", "curated.clicks_c", "--json"):
            if f["state"] == "active":
                data = self.cat("curated/" + f["key"])
                path = self.write("f.parquet", data)
                out += [json.loads(x)["id"] for x in self.ok(
                    "parquet", "cat", path, lake=False).stdout.decode().splitlines()]
        return sorted(out)

    def run_day(self, n, first, count):
        recs = [{"id": i, "ts": "2026-01-01T10:%02d:00Z" % (i % 60), "v": "r%d" % i}
                for i in range(first, first + count)]
        self.put_bytes("clicks/r%d.ndjson" % n,
                       b"".join(json.dumps(r).encode() + b"\n" for r in recs), "--zone", "raw")
        self.ok("crawl", "--drain")
        self.ok("etl", "run", "clicks_daily")

    def test_job_files_then_rewind(self):
        with open(self.lake + "/sluice.yaml", "w") as f:
            f.write("version: 1\netl:\n  jobs:\n    clicks_daily:\n      source: clicks\n"
                    "      target: clicks_c\n      partition_by: dt\n      schedule: ''\n")
        for n in range(3):
            self.run_day(n + 1, 1 + 10 * n, 10)
        res = self.js("compact", "clicks_c", "--json")
        self.assertEqual((res["files_in"], res["files_out"], res["rows"]), (3, 1, 30))
        self.assertEqual(self.ids(), list(range(1, 31)))
        self.run_day(4, 31, 10)   # run 4, after the compaction
        history = self.js("etl", "history", "compact:curated.clicks_c", "--json")
        self.assertEqual([r["state"] for r in history], ["committed"])
        # after the compaction: run 4's own file goes
        self.ok("etl", "bookmark", "rewind", "clicks_daily", "--to-run", "3")
        self.assertEqual(self.ids(), list(range(1, 31)))
        self.ok("etl", "run", "clicks_daily")   # run 5
        self.assertEqual(self.ids(), list(range(1, 41)))
        # past it: runs 1..3 are in one merged file, which is split (a run of the pseudo
        # job) so that the rows of runs 2 and 3 go and run 1's stay
        res = self.js("etl", "bookmark", "rewind", "clicks_daily", "--to-run", "1", "--json")
        self.assertEqual(res["to_run"], 1)
        self.assertEqual(res["removed"], 2)   # run 5's file, the split-off rows of 2..3
        self.assertEqual(self.ids(), list(range(1, 11)))
        history = self.js("etl", "history", "compact:curated.clicks_c", "--json")
        self.assertEqual([(r["run"], r["state"], r["objects"]) for r in history],
                         [(2, "committed", 1), (1, "committed", 3)])
        self.assertEqual([r["state"] for r in self.js("etl", "history", "clicks_daily",
                                                        "--json")],
                         ["rewound"] * 4 + ["committed"])
        self.ok("etl", "run", "clicks_daily")
        self.assertEqual(self.ids(), list(range(1, 41)))
        self.assertFsckClean()
        # merged again, then a reset: the merged files go whole, and come back once
        self.js("compact", "clicks_c", "--json")
        self.ok("etl", "bookmark", "reset", "clicks_daily")
        self.assertEqual(self.ids(), [])
        self.assertEqual(self.ls_json("curated"), [])
        self.ok("etl", "run", "clicks_daily")
        self.assertEqual(self.ids(), list(range(1, 41)))
        self.assertFsckClean()


if __name__ == "__main__":
    unittest.main()
