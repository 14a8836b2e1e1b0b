"""End-to-end tests of `sluice etl` over a scratch lake.

Records are put into raw (`put --zone raw`) over several days and crawled, then jobs run
through the binary and every answer is checked in its JSON form (and the text forms where
users read them): the curated table's files and record counts from `catalog files`, and
each record's id read back from the Parquet files with `sluice parquet cat`, exactly
once; a late file for an earlier day written into that day's partition; a run with
nothing new; rewind and reset, then re-runs (no duplicates, no loss); on_error fail (exit
2, nothing committed, the other jobs still run) and deadletter; --due with schedules;
--max-objects; a run waiting for the crawler; a busy job (another machine's run holds
the lease, set in the metadata store) while the other jobs run; a killed run's files
removed by the next run; a SQL job (a GROUP BY per run, partitioned by an output column,
a bad statement failing alone, a kill inside the transform leaving no temporary file);
`etl ls`, `show`, `history`, `bookmark`;
every usage error; the ETL part of `sluice status`.

The scheduler (`etl schedule`) runs on the SLUICE_TEST_NOW clock, whose sleeps pass at
once: due jobs in order, each firing after, a failing or busy job tried again at its next
firing only, `--once`, the text log, signals that stop it after the run in hand. ETL dead
letters in `sluice deadletter` (ls, --job, show, replay refused, purge; a killed run's
until the next run removes it). A `layout: nested` job end to end: struct and list
columns catalogued by the crawler from the footers (a new struct member on day 2), every
value read back, a rewind and a re-run.
"""
import calendar
import datetime
import json
import os
import signal
import sqlite3
import subprocess
import time
import unittest

from lakeutil import EXIT_FAIL, EXIT_USAGE, SLUICE, LakeTest, base_env


def ndjson(*records):
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


def day_records(first, last, day, hour=10):
    """Records with ids first..last on 2026-01-DAY."""
    return [{"id": i, "ts": "2026-01-%02dT%02d:%02d:00Z" % (day, hour, i % 60), "v": "r%d" % i}
            for i in range(first, last + 1)]


class EtlTest(LakeTest):
    # ---- helpers ------------------------------------------------------------------------

    def set_config(self, text):
        """Replaces sluice.yaml (every key not given keeps its default)."""
        with open(os.path.join(self.lake, "sluice.yaml"), "w") as f:
            f.write("version: 1\n" + text)
        self.ok("config", "check")

    def put_raw(self, key, records):
        return self.put_bytes(key, ndjson(*records), "--zone", "raw")

    def crawl(self):
        self.ok("crawl", "--drain", "--json")

    def js(self, *args):
        return json.loads(self.ok(*args).stdout)

    def run_json(self, *args, code=0):
        """`etl run ARGS --json` with the exit code expected; returns {job: result}."""
        p = self.sl("etl", "run", "--json", *args)
        self.assertEqual(p.returncode, code, p.stderr)
        doc = json.loads(p.stdout)
        jobs = {j["job"]: j for j in doc["jobs"]}
        self.assertEqual(len(jobs), len(doc["jobs"]))
        states = [j["state"] for j in doc["jobs"]]
        self.assertEqual(doc["committed"], states.count("committed"))
        self.assertEqual(doc["failed"], states.count("failed") + states.count("busy"))
        self.assertEqual(doc["not_due"], states.count("not_due"))
        return jobs

    def run_one(self, job):
        r = self.run_json(job)[job]
        self.assertEqual(r["state"], "committed", r)
        self.assertIsNone(r["error"])
        return r

    def files(self, table, *extra):
        return self.js("catalog", "files", "curated." + table, "--json", *extra)

    def ids(self, table):
        """Every record id in the active files of curated.TABLE, read from the Parquet
        files, sorted (a duplicate shows twice)."""
        out = []
        for f in self.files(table):
            if f["state"] != "active":
                continue
            path = os.path.join(self.lake, "curated", f["key"])
            rows = [json.loads(x) for x in self.ok("parquet", "cat", path, lake=False)
                    .stdout.decode().splitlines()]
            self.assertEqual(len(rows), f["records"], f["key"])
            out += [r["id"] for r in rows]
        return sorted(out)

    def records(self, table):
        return sum(f["records"] for f in self.files(table) if f["state"] == "active")

    def bookmark(self, job):
        return self.js("etl", "bookmark", "show", job, "--json")

    def curated_keys(self, prefix):
        top = os.path.join(self.lake, "curated", prefix)
        out = []
        for dirpath, _, names in os.walk(top):
            out += [os.path.relpath(os.path.join(dirpath, n), os.path.join(self.lake,
                                                                            "curated"))
                    for n in names]
        return sorted(out)

    CLICKS = ("etl:\n"
              "  jobs:\n"
              "    clicks_daily:\n"
              "      source: clicks\n"
              "      target: clicks_c\n"
              "      partition_by: dt\n"
              "      schedule: ''\n")

    # ---- days, a late file, nothing new, rewind, reset ----------------------------------

    def test_incremental_late_rewind_reset(self):
        self.set_config(self.CLICKS)
        self.put_raw("clicks/day1-a.ndjson", day_records(1, 10, 1))
        self.put_raw("clicks/day1-b.ndjson", day_records(11, 20, 1, hour=23))
        self.put_raw("clicks/day2-a.ndjson", day_records(21, 35, 2))
        self.crawl()

        # before any run: the whole table is pending
        bm = self.bookmark("clicks_daily")
        self.assertEqual(bm["bookmark"]["seq"], 0)
        self.assertEqual(bm["bookmark"]["last_run"], 0)
        self.assertEqual((bm["pending"], bm["uncrawled"]), (3, 0))

        r1 = self.run_one("clicks_daily")
        self.assertEqual(r1["run"], 1)
        self.assertEqual((r1["objects"], r1["rows_in"], r1["rows_out"], r1["rows_rejected"]),
                         (3, 35, 35, 0))
        self.assertEqual(r1["files"], 2)  # one per day
        self.assertGreater(r1["bytes"], 0)
        self.assertEqual(r1["from_seq"], 0)
        self.assertGreater(r1["to_seq"], 0)
        self.assertFalse(r1["waiting"])
        self.assertIsNone(r1["deadletter"])
        files = self.files("clicks_c")
        self.assertEqual(sorted(f["part"] for f in files), ["dt=2026-01-01", "dt=2026-01-02"])
        self.assertEqual(sum(f["records"] for f in files), 35)
        self.assertEqual(sum(f["bytes"] for f in files), r1["bytes"])
        self.assertEqual(self.ids("clicks_c"), list(range(1, 36)))
        self.assertEqual(self.bookmark("clicks_daily")["bookmark"]["seq"], r1["to_seq"])

        # day 3: only the new object is read
        self.put_raw("clicks/day3.ndjson", day_records(36, 40, 3))
        self.crawl()
        r2 = self.run_one("clicks_daily")
        self.assertEqual((r2["run"], r2["objects"], r2["rows_out"], r2["files"]), (2, 1, 5, 1))
        self.assertEqual(r2["from_seq"], r1["to_seq"])

        # a late file for day 1: read by the next run, written into day 1's partition
        late = self.put_raw("clicks/day1-late.ndjson", day_records(41, 44, 1, hour=5))
        self.crawl()
        self.assertEqual(self.bookmark("clicks_daily")["pending"], 1)
        r3 = self.run_one("clicks_daily")
        self.assertEqual((r3["objects"], r3["rows_out"], r3["files"]), (1, 4, 1))
        self.assertEqual(r3["to_seq"], late["seq"])
        day1 = self.files("clicks_c", "--partition", "dt=2026-01-01")
        self.assertEqual(sorted(f["key"].split("/")[-1] for f in day1),
                         ["part-r1-000.parquet", "part-r3-000.parquet"])
        self.assertEqual(sum(f["records"] for f in day1), 24)
        self.assertEqual(self.ids("clicks_c"), list(range(1, 45)))

        # nothing new: an empty run that keeps the bookmark; twice the same
        for run_id in (4, 5):
            r = self.run_one("clicks_daily")
            self.assertEqual((r["run"], r["objects"], r["rows_in"], r["files"], r["bytes"]),
                             (run_id, 0, 0, 0, 0))
            self.assertEqual(r["from_seq"], r["to_seq"])
            self.assertEqual(r["to_seq"], late["seq"])
        text = self.ok("etl", "run", "clicks_daily").stdout.decode()
        self.assertRegex(text, r"^clicks_daily: run 6 committed in [0-9.]+s: nothing new; "
                               r"bookmark %d\n$" % late["seq"])
        self.assertEqual(self.ids("clicks_c"), list(range(1, 45)))

        # history: newest first, every count
        hist = self.js("etl", "history", "clicks_daily", "--json")
        self.assertEqual([h["run"] for h in hist], [6, 5, 4, 3, 2, 1])
        self.assertEqual({h["state"] for h in hist}, {"committed"})
        self.assertEqual([h["objects"] for h in hist], [0, 0, 0, 1, 1, 3])
        self.assertEqual([h["rows_out"] for h in hist], [0, 0, 0, 4, 5, 35])
        self.assertEqual(hist[5]["files"], 2)
        self.assertEqual((hist[5]["from_seq"], hist[5]["to_seq"]), (0, r1["to_seq"]))
        self.assertIsNone(hist[0]["error"])
        self.assertTrue(hist[0]["started"].endswith("Z"))
        self.assertGreaterEqual(hist[0]["duration_ms"], 0)
        self.assertEqual(self.js("etl", "history", "clicks_daily", "--json", "--limit", "2"),
                         hist[:2])
        text = self.ok("etl", "history", "clicks_daily").stdout.decode()
        self.assertIn("RUN  STATE", text)
        self.assertRegex(text, r"\n +1  committed .* +3 +35 +35 +0 +2 .* 0 -> %d\n"
                         % r1["to_seq"])

        # rewind to run 1: the files of runs 2 and 3 are retired and removed
        before = self.curated_keys("clicks_c")
        self.assertEqual(len(before), 4)
        p = self.js("etl", "bookmark", "rewind", "clicks_daily", "--to-run", "1", "--json")
        self.assertEqual(p, {"job": "clicks_daily", "to_run": 1, "seq": r1["to_seq"],
                             "removed": 2})
        self.assertEqual(self.records("clicks_c"), 35)
        self.assertEqual(self.ids("clicks_c"), list(range(1, 36)))
        self.assertEqual(len(self.curated_keys("clicks_c")), 2)
        bm = self.bookmark("clicks_daily")
        self.assertEqual(bm["bookmark"]["seq"], r1["to_seq"])
        self.assertEqual(bm["bookmark"]["last_committed"], 1)
        self.assertEqual(bm["pending"], 2)
        hist = self.js("etl", "history", "clicks_daily", "--json")
        self.assertEqual([h["state"] for h in hist],
                         ["rewound"] * 5 + ["committed"])
        # the re-run reads both objects again: same records, once
        r7 = self.run_one("clicks_daily")
        self.assertEqual((r7["run"], r7["objects"], r7["rows_out"]), (7, 2, 9))
        self.assertEqual(self.ids("clicks_c"), list(range(1, 45)))

        # reset (text form): everything goes, then all of it comes back once
        text = self.ok("etl", "bookmark", "reset", "clicks_daily").stdout.decode()
        self.assertEqual(text, "clicks_daily: reset: the bookmark is at the beginning; "
                               "4 files of its runs retired and removed\n")
        self.assertEqual(self.ids("clicks_c"), [])
        self.assertEqual(self.curated_keys("clicks_c"), [])
        bm = self.bookmark("clicks_daily")
        self.assertEqual((bm["bookmark"]["seq"], bm["pending"]), (0, 5))
        r8 = self.run_one("clicks_daily")
        self.assertEqual((r8["run"], r8["objects"], r8["rows_out"]), (8, 5, 44))
        self.assertEqual(self.ids("clicks_c"), list(range(1, 45)))
        # a second reset of a reset job changes nothing but its files
        self.ok("etl", "bookmark", "reset", "clicks_daily")
        self.ok("etl", "bookmark", "reset", "clicks_daily")
        self.assertEqual(self.bookmark("clicks_daily")["bookmark"]["seq"], 0)
        self.run_one("clicks_daily")
        self.assertEqual(self.ids("clicks_c"), list(range(1, 45)))
        self.assertFsckClean()

    def test_text_output_of_run_show_ls(self):
        self.set_config(self.CLICKS + "  default_jobs: [orders]\n")
        self.put_raw("clicks/a.ndjson", day_records(1, 3, 1) + day_records(4, 5, 2))
        self.put_raw("orders/dt=2026-01-01/o.ndjson", [{"id": 1, "ts": "2026-01-01T00:00:00Z"}])
        self.crawl()
        p = self.ok("etl", "run")
        lines = p.stdout.decode().splitlines()
        self.assertRegex(lines[0], r"^clicks_daily: run 1 committed in [0-9.]+s: 1 object, 5 "
                                   r"rows in, 5 out, 0 rejected; 2 files, [0-9.]+ (B|KiB); "
                                   r"bookmark 0 -> 1$")
        self.assertRegex(lines[1], r"^orders: run 1 committed .*: 1 object, 1 rows in, 1 out")
        self.assertEqual(lines[2], "jobs: 2 committed, 0 failed, 0 not due, 0 not run")
        self.assertEqual(p.stderr, "")

        ls = self.js("etl", "ls", "--json")
        self.assertEqual([j["job"] for j in ls], ["clicks_daily", "orders"])
        c, o = ls
        self.assertEqual((c["default"], c["source"], c["target"], c["layout"], c["schedule"]),
                         (False, "clicks", "clicks_c", "flat", ""))
        self.assertIsNone(c["next"])
        self.assertFalse(c["due"])
        self.assertEqual(c["bookmark"]["seq"], 1)
        self.assertEqual((c["last_run"]["run"], c["last_run"]["state"]), (1, "committed"))
        self.assertEqual((o["default"], o["source"], o["target"], o["schedule"]),
                         (True, "orders", "orders", "0 2 * * *"))
        self.assertTrue(o["next"].endswith("T02:00:00.000Z"), o["next"])
        text = self.ok("etl", "ls").stdout.decode().splitlines()
        self.assertRegex(text[0], r"^JOB +KIND +SOURCE +TARGET +LAYOUT +SCHEDULE +NEXT "
                                  r"+BOOKMARK +LAST RUN$")
        self.assertRegex(text[1], r"^clicks_daily +job +clicks +clicks_c +flat +'' +on demand "
                                  r"+1 +1 committed at ")
        self.assertRegex(text[2], r"^orders +default +orders +orders +flat +0 2 \* \* \* ")

        s = self.js("etl", "show", "orders", "--json")
        self.assertEqual(s["job"], "orders")
        self.assertTrue(s["default"])
        self.assertEqual(s["settings"], {
            "source": "orders", "target": "orders", "layout": "flat", "codec": "zstd",
            "level": 0, "target_file_size": 128 << 20, "schedule": "0 2 * * *",
            "on_error": "deadletter", "partition_by": "", "sql": "", "mapping": None})
        # what a run would write, as the catalog says now
        self.assertEqual(s["plan"]["transform"], "default")
        self.assertTrue(s["plan"]["row"].startswith("struct<"), s["plan"])
        self.assertEqual((s["pending"], s["uncrawled"]), (0, 0))
        self.assertEqual([r["run"] for r in s["runs"]], [1])
        self.assertEqual(s["bookmark"]["last_committed"], 1)
        for _ in range(6):
            self.ok("etl", "run", "orders")
        s = self.js("etl", "show", "orders", "--json")
        self.assertEqual([r["run"] for r in s["runs"]], [7, 6, 5, 4, 3])  # the last 5
        text = self.ok("etl", "show", "clicks_daily").stdout.decode()
        self.assertIn("job               clicks_daily\n", text)
        self.assertIn("source            raw.clicks (the family clicks)\n", text)
        self.assertIn("target            curated.clicks_c\n", text)
        self.assertIn("schedule          '' (on demand only)\n", text)
        self.assertIn("partition_by      dt\n", text)
        self.assertIn("transform         default\n", text)
        self.assertIn("partition keys    dt\n", text)
        self.assertIn("bookmark          landing sequence 1, where run 1 ended;", text)
        self.assertIn("pending           0 objects\n", text)
        self.assertIn("the last 1 run\n", text)
        text = self.ok("etl", "bookmark", "show", "clicks_daily").stdout.decode()
        self.assertRegex(text, r"^clicks_daily: bookmark at landing sequence 1, where run 1 "
                               r"ended; updated .*Z\nclicks_daily: 0 objects pending\n$")
        self.assertEqual(self.ok("etl", "history", "orders", "--limit", "1").stdout.decode()
                         .count("committed"), 1)

    def test_no_jobs(self):
        self.assertEqual(self.js("etl", "ls", "--json"), [])
        self.assertIn("no ETL jobs", self.ok("etl", "ls").stdout.decode())
        doc = json.loads(self.ok("etl", "run", "--json").stdout)
        self.assertEqual(doc["jobs"], [])
        self.assertIn("no ETL jobs", self.ok("etl", "run").stdout.decode())
        self.assertIn("(no jobs", self.ok("status").stdout.decode())
        self.assertEqual(self.js("status", "--json")["etl"], [])

    # ---- failures ------------------------------------------------------------------------

    def test_on_error_fail_and_deadletter(self):
        self.set_config("etl:\n"
                        "  jobs:\n"
                        "    strict:\n"
                        "      source: orders\n"
                        "      partition_by: dt\n"
                        "      on_error: fail\n"
                        "    loose:\n"
                        "      source: events\n"
                        "      partition_by: dt\n"
                        "    clicks:\n"
                        "      source: clicks\n")
        self.put_raw("orders/a.ndjson", day_records(1, 3, 1))
        self.put_raw("orders/b.ndjson", day_records(4, 5, 1) + [{"id": 6, "v": "no ts"}])
        self.put_raw("events/a.ndjson", [{"id": 1, "ts": "2026-01-01T00:00:00Z"},
                                         {"id": 2, "v": "no ts"},
                                         {"id": 3, "ts": "2026-01-02T00:00:00Z"}])
        self.put_raw("clicks/a.ndjson", day_records(1, 4, 1))
        self.crawl()

        p = self.sl("etl", "run", "--json")
        self.assertEqual(p.returncode, EXIT_FAIL, p.stderr)
        self.assertOneLine(p.stderr, "job strict", "orders/b.ndjson:3", "on_error: fail")
        jobs = {j["job"]: j for j in json.loads(p.stdout)["jobs"]}
        s = jobs["strict"]
        self.assertEqual(s["state"], "failed")
        self.assertEqual(s["run"], 1)
        self.assertIn("on_error: fail", s["error"])
        self.assertEqual((s["from_seq"], s["to_seq"], s["files"]), (0, 0, 0))
        # the others still ran
        self.assertEqual(jobs["clicks"]["state"], "committed")
        self.assertEqual(jobs["clicks"]["rows_out"], 4)
        lo = jobs["loose"]
        self.assertEqual(lo["state"], "committed")
        self.assertEqual((lo["rows_in"], lo["rows_out"], lo["rows_rejected"]), (3, 2, 1))
        self.assertEqual(lo["deadletter"], "etl/loose/run-1.ndjson")
        dead = [json.loads(x) for x in self.cat("deadletter/etl/loose/run-1.ndjson")
                .decode().splitlines()]
        self.assertEqual(len(dead), 1)
        self.assertEqual((dead[0]["object"], dead[0]["line"]), ("events/a.ndjson", 2))
        self.assertEqual(dead[0]["record"], {"id": 2, "v": "no ts"})
        self.assertIn("ts", dead[0]["error"])

        # nothing of strict was committed: no table, no files, the bookmark stays
        p = self.sl("catalog", "show", "curated.orders")
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertEqual(self.curated_keys("orders"), [])
        bm = self.bookmark("strict")
        self.assertEqual((bm["bookmark"]["seq"], bm["bookmark"]["last_committed"]), (0, 0))
        self.assertEqual(bm["pending"], 2)
        hist = self.js("etl", "history", "strict", "--json")
        self.assertEqual([(h["run"], h["state"]) for h in hist], [(1, "failed")])
        self.assertIn("orders/b.ndjson:3", hist[0]["error"])
        text = self.ok("etl", "history", "strict").stdout.decode()
        self.assertIn("       error: ", text)

        # text: the failure on stdout, the reason on stderr; again every time
        p = self.sl("etl", "run", "strict")
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertRegex(p.stdout.decode(), r"^strict: run 2 failed after [0-9.]+s; nothing of "
                                            r"it was committed \(the bookmark stays at 0\)\n$")
        self.assertOneLine(p.stderr, "sluice: job strict: ", "on_error: fail")

        # status shows the failed last run with its error
        st = self.ok("status").stdout.decode()
        self.assertRegex(st, r"\n  strict +bookmark 0, 2 pending, last run 2 failed at ")
        self.assertRegex(st, r"\n +error: .*orders/b\.ndjson:3")
        sj = {j["job"]: j for j in self.js("status", "--json")["etl"]}
        self.assertEqual(sj["strict"]["last_run"]["state"], "failed")
        self.assertIn("on_error: fail", sj["strict"]["last_run"]["error"])
        self.assertEqual(sj["loose"]["pending"], 0)
        self.assertEqual(sj["clicks"]["bookmark"]["seq"], jobs["clicks"]["to_seq"])

        # the data fixed (the bad object replaced): the job runs
        self.put_raw("orders/b.ndjson", day_records(4, 6, 1))
        self.crawl()
        r = self.run_one("strict")
        self.assertEqual((r["run"], r["objects"], r["rows_out"]), (3, 2, 6))
        self.assertEqual(self.ids("orders"), [1, 2, 3, 4, 5, 6])

    # ---- a SQL transform ----------------------------------------------------------------

    def rows(self, table):
        """Every row of the active files of curated.TABLE, read with `parquet cat`, with
        the partition folder of its file under "_part"."""
        out = []
        for f in self.files(table):
            if f["state"] != "active":
                continue
            path = os.path.join(self.lake, "curated", f["key"])
            for x in self.ok("parquet", "cat", path, lake=False).stdout.decode().splitlines():
                r = json.loads(x)
                r["_part"] = os.path.dirname(f["key"])[len(table) + 1:]
                out.append(r)
        return out

    def test_sql_job(self):
        self.set_config("etl:\n"
                        "  jobs:\n"
                        "    by_country:\n"
                        "      source: orders\n"
                        "      target: orders_by_country\n"
                        "      partition_by: country\n"
                        "      schedule: ''\n"
                        "      sql: |\n"
                        "        -- one row per country and run\n"
                        "        SELECT attrs ->> '$.country' AS country, count(*) AS n,\n"
                        "               sum(amount) AS total, min(ts) AS first_ts,\n"
                        "               json_group_array(id) AS ids\n"
                        "        FROM source WHERE amount > 0\n"
                        "        GROUP BY 1\n"
                        "    typo:\n"
                        "      source: orders\n"
                        "      schedule: ''\n"
                        "      sql: SELECT id, amout FROM source\n")
        orders = [{"id": i, "ts": "2026-01-0%dT10:00:00Z" % (1 + i % 2),
                   "amount": i * 1.5 - 2, "attrs": {"country": "DE" if i % 3 else "FR"}}
                  for i in range(1, 7)]
        self.put_raw("orders/a.ndjson", orders)
        self.crawl()

        # the typo fails alone, before reading anything, with SQLite's message
        p = self.sl("etl", "run", "--json")
        self.assertEqual(p.returncode, EXIT_FAIL, p.stderr)
        self.assertOneLine(p.stderr, "job typo: sql: no such column: amout")
        jobs = {j["job"]: j for j in json.loads(p.stdout)["jobs"]}
        self.assertEqual(jobs["typo"]["state"], "failed")
        self.assertEqual(jobs["typo"]["rows_in"], 0)
        r = jobs["by_country"]
        self.assertEqual(r["state"], "committed")
        self.assertEqual((r["rows_in"], r["rows_out"], r["files"]), (6, 2, 2))

        rows = {x["_part"]: x for x in self.rows("orders_by_country")}
        self.assertEqual(sorted(rows), ["country=DE", "country=FR"])
        de = rows["country=DE"]  # ids 2, 4, 5 (1 has amount -0.5)
        self.assertEqual((de["n"], de["total"], de["ids"]), (3, 1.0 + 4.0 + 5.5, [2, 4, 5]))
        self.assertEqual(de["first_ts"], "2026-01-01T10:00:00.000000Z")
        self.assertNotIn("country", de)
        t = self.js("catalog", "show", "curated.orders_by_country", "--json")
        self.assertEqual(t["partition_keys"], ["country"])
        self.assertEqual(t["schema_text"], "struct<n:int64,total:double,first_ts:timestamp(us),"
                                           "ids:list<int64 not null>> not null")

        # the next run aggregates what is new only
        self.put_raw("orders/b.ndjson", [{"id": 7, "ts": "2026-01-03T10:00:00Z", "amount": 2.5,
                                          "attrs": {"country": "FR"}}])
        self.crawl()
        r = self.run_one("by_country")
        self.assertEqual((r["rows_in"], r["rows_out"]), (1, 1))
        fr = [x for x in self.rows("orders_by_country") if x["_part"] == "country=FR"]
        self.assertEqual(sorted((x["n"], x["ids"]) for x in fr), [(1, [7]), (2, [3, 6])])
        # nothing new: nothing run, nothing written
        r = self.run_one("by_country")
        self.assertEqual((r["rows_in"], r["rows_out"], r["files"]), (0, 0, 0))

        # a run killed inside the transform leaves no temporary file; the next one does
        # it all
        self.put_raw("orders/c.ndjson", [{"id": 8, "ts": "2026-01-04T10:00:00Z", "amount": 3,
                                          "attrs": {"country": "DE"}}])
        self.crawl()
        p = self.sl("etl", "run", "by_country", env=base_env(SLUICE_TEST_CRASH="sql_emit:100"))
        self.assertEqual(p.returncode, -9, p.stderr)
        self.assertEqual(os.listdir(os.path.join(self.lake, ".sluice", "tmp")), [])
        r = self.run_one("by_country")
        self.assertEqual((r["rows_in"], r["rows_out"]), (1, 1))
        self.assertEqual(self.records("orders_by_country"), 4)
        self.assertFsckClean()

        # the job as `config show` gives it back
        shown = self.ok("config", "show").stdout.decode()
        self.assertIn("SELECT attrs ->> '$.country' AS country", shown)

    def test_mapping_job(self):
        self.set_config("etl:\n"
                        "  jobs:\n"
                        "    clean:\n"
                        "      source: orders\n"
                        "      target: orders_clean\n"
                        "      partition_by: day,country\n"
                        "      schedule: ''\n"
                        "      mapping:\n"
                        "        select: [id, amount, attrs.country, note]\n"
                        "        drop: [note]\n"
                        "        rename: {attrs.country: country}\n"
                        "        cast: {amount: 'decimal(10,2)'}\n"
                        "        derive:\n"
                        "          day: date(ts)\n"
                        "          cents: cast(amount * 100 as int64)\n"
                        "          country: lower(attrs.country)\n"
                        "        filter: amount > 0\n"
                        "    typo:\n"
                        "      source: orders\n"
                        "      schedule: ''\n"
                        "      mapping: {derive: {x: amout * 2}}\n")
        orders = [{"id": i, "ts": "2026-01-0%dT23:30:00-02:00" % (1 + i % 2),
                   "amount": i * 1.5 - 2, "note": "n%d" % i,
                   "attrs": {"country": "DE" if i % 3 else "FR"}} for i in range(1, 7)]
        self.put_raw("orders/a.ndjson", orders)
        self.crawl()

        # the typo fails alone, before reading anything, saying what and where
        p = self.sl("etl", "run", "--json")
        self.assertEqual(p.returncode, EXIT_FAIL, p.stderr)
        self.assertOneLine(p.stderr, "job typo: mapping.derive.x: ", "no column 'amout'")
        jobs = {j["job"]: j for j in json.loads(p.stdout)["jobs"]}
        self.assertEqual((jobs["typo"]["state"], jobs["typo"]["rows_in"]), ("failed", 0))
        r = jobs["clean"]
        self.assertEqual(r["state"], "committed")
        self.assertEqual((r["rows_in"], r["rows_out"], r["rows_rejected"]), (6, 5, 0))

        rows = sorted(self.rows("orders_clean"), key=lambda x: x["id"])
        self.assertEqual([x["id"] for x in rows], [2, 3, 4, 5, 6])  # 1 has amount -0.5
        for x in rows:
            o = orders[x["id"] - 1]
            # ts is 23:30 at -02:00: the next day in UTC
            day = "2026-01-0%d" % (2 + x["id"] % 2)
            country = o["attrs"]["country"].lower()
            self.assertEqual(x, {"id": o["id"], "amount": o["amount"],
                                 "cents": int(o["amount"] * 100),
                                 "_part": "day=%s/country=%s" % (day, country)})
        t = self.js("catalog", "show", "curated.orders_clean", "--json")
        self.assertEqual(t["partition_keys"], ["day", "country"])
        self.assertEqual(t["schema_text"], "struct<id:int64,amount:decimal(10,2),cents:int64> "
                                           "not null")
        # etl show: the mapping, and what a run writes; the typo's error
        text = self.ok("etl", "show", "clean").stdout.decode()
        self.assertIn("transform         mapping\n", text)
        self.assertIn("output            struct<id:int64,amount:decimal(10,2),cents:int64> "
                      "not null\n", text)
        self.assertIn("partition keys    day,country\n", text)
        s = self.js("etl", "show", "typo", "--json")
        self.assertIn("mapping.derive.x: ", s["plan"]["error"])
        self.assertEqual(s["settings"]["mapping"], {"derive": {"x": "amout * 2"}})
        # the job as `config show` gives it back reads back the same
        shown = self.ok("config", "show").stdout.decode()
        self.assertIn("mapping: {select: ['id', 'amount', 'attrs.country', 'note'], ", shown)
        self.set_config(shown.split("\n", 1)[1])
        self.assertEqual(self.ok("config", "show").stdout.decode(), shown)

    def test_unknown_source_fails_alone(self):
        self.set_config("etl:\n  default_jobs: [clicks, nothing_here]\n")
        self.put_raw("clicks/a.ndjson", day_records(1, 2, 1))
        self.crawl()
        p = self.sl("etl", "run", "--json")
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertOneLine(p.stderr, "nothing_here", "no raw table")
        jobs = {j["job"]: j for j in json.loads(p.stdout)["jobs"]}
        self.assertEqual(jobs["clicks"]["state"], "committed")
        self.assertEqual(jobs["nothing_here"]["state"], "failed")

    def lease(self, job, holder, expires_in_s, now=None):
        """Sets job's lease row in the metadata store (a run of another machine), expiring
        expires_in_s after now (s since the epoch; default: the time)."""
        now = time.time() if now is None else now
        db = sqlite3.connect(os.path.join(self.lake, ".sluice", "meta.db"), timeout=10)
        with db:
            db.execute("INSERT OR REPLACE INTO etl_leases(job, holder, expires_ms) "
                       "VALUES (?, ?, ?)", (job, holder, int((now + expires_in_s) * 1000)))
        db.close()

    def test_killed_run_recovered(self):
        self.set_config("etl:\n  default_jobs: [clicks]\n")
        self.put_raw("clicks/a.ndjson", day_records(1, 5, 1))
        self.crawl()
        # a run killed after publishing its files, before its commit
        p = self.sl("etl", "run", "clicks", env=base_env(SLUICE_TEST_CRASH="published:100"))
        self.assertEqual(p.returncode, -9, p.stderr)
        self.assertEqual(len(self.curated_keys("clicks")), 1)  # published, not committed
        self.assertEqual(self.sl("catalog", "show", "curated.clicks").returncode, EXIT_FAIL)
        self.assertEqual(self.bookmark("clicks")["bookmark"]["seq"], 0)
        # the next run (its holder gone, the lease is broken at once) removes what the
        # killed one left, then writes every record once
        r = self.run_one("clicks")
        self.assertEqual((r["run"], r["recovered"], r["rows_out"]), (2, 1, 5))
        self.assertEqual(self.ids("clicks"), [1, 2, 3, 4, 5])
        self.assertEqual(len(self.curated_keys("clicks")), 1)
        hist = self.js("etl", "history", "clicks", "--json")
        self.assertEqual([h["state"] for h in hist], ["committed", "failed"])
        self.assertFsckClean()

    def test_busy_job(self):
        self.set_config("etl:\n  default_jobs: [clicks, orders]\n")
        self.put_raw("clicks/a.ndjson", day_records(1, 5, 1))
        self.put_raw("orders/a.ndjson", day_records(1, 2, 1))
        self.crawl()
        # a run of another machine holds clicks' lease
        self.lease("clicks", "elsewhere:4242:0000beef", 600)
        p = self.sl("etl", "run", "--json")
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertOneLine(p.stderr, "job clicks is running", "elsewhere:4242:0000beef")
        jobs = {j["job"]: j for j in json.loads(p.stdout)["jobs"]}
        self.assertEqual(jobs["clicks"]["state"], "busy")
        self.assertIsNone(jobs["clicks"]["run"])
        self.assertIn("is running", jobs["clicks"]["error"])
        self.assertEqual(jobs["orders"]["state"], "committed")  # the other job still ran
        p = self.sl("etl", "run", "clicks")
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertEqual(p.stdout.decode(),
                         "clicks: busy: another run of the job holds its lease\n")
        self.assertOneLine(p.stderr, "sluice: job clicks is running")
        # no run was begun, nothing moved; a rewind waits for the lease too
        self.assertEqual(self.js("etl", "history", "clicks", "--json"), [])
        self.refused(EXIT_FAIL, "etl", "bookmark", "reset", "clicks")
        self.assertEqual(self.sl("catalog", "show", "curated.clicks").returncode, EXIT_FAIL)
        # once the lease ran out, the job runs
        self.lease("clicks", "elsewhere:4242:0000beef", -1)
        r = self.run_one("clicks")
        self.assertEqual((r["run"], r["rows_out"]), (1, 5))
        self.assertEqual(self.ids("clicks"), [1, 2, 3, 4, 5])

    # ---- options --------------------------------------------------------------------------

    def test_due_with_schedules(self):
        self.set_config("etl:\n"
                        "  jobs:\n"
                        "    hourly: {source: clicks, schedule: '@hourly'}\n"
                        "    yearly: {source: orders, schedule: '0 0 1 1 *'}\n"
                        "    manual: {source: events, schedule: ''}\n")
        for fam in ("clicks", "orders", "events"):
            self.put_raw(fam + "/a.ndjson", day_records(1, 2, 1))
        self.crawl()
        # the lake was made three hours ago: the hourly schedule fired since
        created = time.time() - 3 * 3600
        os.utime(os.path.join(self.lake, ".sluice", "format"), (created, created))
        now = time.time()
        jan1 = calendar.timegm((time.gmtime(now).tm_year, 1, 1, 0, 0, 0))
        yearly_due = created < jan1 <= now

        jobs = self.run_json("--due")
        self.assertEqual(jobs["hourly"]["state"], "committed")
        self.assertEqual(jobs["hourly"]["rows_out"], 2)
        self.assertEqual(jobs["yearly"]["state"], "committed" if yearly_due else "not_due")
        self.assertEqual(jobs["manual"]["state"], "not_due")
        self.assertIsNone(jobs["manual"]["next"])
        if not yearly_due:
            self.assertEqual(jobs["yearly"]["next"], time.strftime(
                "%Y-01-01T00:00:00.000Z", time.gmtime(jan1 + 366 * 86400)))

        # ran this hour: not due again until the next full hour
        started = self.js("etl", "history", "hourly", "--json")[0]["started"]
        run_hour = started[:13]
        ls = {j["job"]: j for j in self.js("etl", "ls", "--json")}
        if time.strftime("%Y-%m-%dT%H", time.gmtime()) == run_hour:
            self.assertFalse(ls["hourly"]["due"])
            again = self.run_json("--due", "hourly")
            self.assertEqual(again["hourly"]["state"], "not_due")
            self.assertTrue(again["hourly"]["next"].endswith(":00:00.000Z"))
            text = self.ok("etl", "run", "--due", "hourly").stdout.decode()
            self.assertRegex(text, r"^hourly: not due \(next .*:00:00\.000Z\)\n$")
        self.assertEqual(self.ok("etl", "run", "--due", "manual").stdout.decode(),
                         "manual: not due (no schedule: on demand only)\n")
        # named jobs run whatever their schedule without --due
        self.assertEqual(self.run_one("manual")["rows_out"], 2)

    def test_max_objects_and_waiting(self):
        self.set_config(self.CLICKS)
        for d in (1, 2, 3):
            self.put_raw("clicks/d%d.ndjson" % d, day_records(d * 10, d * 10 + 1, d))
        self.crawl()
        r = self.run_json("--max-objects", "2")["clicks_daily"]
        self.assertEqual((r["objects"], r["rows_out"]), (2, 4))
        self.assertEqual(self.bookmark("clicks_daily")["pending"], 1)
        # an object the crawler has not seen: the run stops before it
        late = self.put_raw("clicks/d4.ndjson", day_records(40, 41, 4))
        bm = self.bookmark("clicks_daily")
        self.assertEqual((bm["pending"], bm["uncrawled"]), (2, 1))
        r = self.run_one("clicks_daily")
        self.assertEqual(r["objects"], 1)
        self.assertTrue(r["waiting"])
        self.assertEqual(r["waiting_key"], "clicks/d4.ndjson")
        self.crawl()
        p = self.ok("etl", "run", "clicks_daily")
        self.assertIn("1 object, 2 rows in", p.stdout.decode())
        self.assertEqual(self.bookmark("clicks_daily")["bookmark"]["seq"], late["seq"])
        self.assertEqual(self.ids("clicks_c"), [10, 11, 20, 21, 30, 31, 40, 41])
        # the text form says it waited
        self.put_raw("clicks/d5.ndjson", day_records(50, 50, 5))
        text = self.ok("etl", "run", "clicks_daily").stdout.decode()
        self.assertIn("  waiting: raw/clicks/d5.ndjson is not catalogued yet", text)

    def test_rewind_errors_and_removed_jobs(self):
        self.set_config(self.CLICKS)
        self.put_raw("clicks/a.ndjson", day_records(1, 3, 1))
        self.crawl()
        self.run_one("clicks_daily")
        # not a committed run
        p = self.refused(EXIT_FAIL, "etl", "bookmark", "rewind", "clicks_daily", "--to-run", "9")
        self.assertIn("clicks_daily", p.stderr)
        # --to-run 0 is a reset
        self.assertEqual(self.js("etl", "bookmark", "rewind", "clicks_daily", "--to-run", "0",
                                 "--json")["removed"], 1)
        self.run_one("clicks_daily")
        # a job taken out of sluice.yaml: its history and bookmark are still there, and
        # a reset still undoes its outputs; it cannot run or be shown
        self.set_config("")
        self.assertEqual(len(self.js("etl", "history", "clicks_daily", "--json")), 2)
        self.assertEqual(self.bookmark("clicks_daily")["pending"], None)
        self.refused(EXIT_FAIL, "etl", "show", "clicks_daily")
        self.refused(EXIT_FAIL, "etl", "run", "clicks_daily")
        self.assertEqual(self.js("etl", "bookmark", "reset", "clicks_daily", "--json")["removed"],
                         1)
        self.assertEqual(self.curated_keys("clicks_c"), [])

    # ---- the scheduler ------------------------------------------------------------------------

    SCHEDULED = ("etl:\n"
                 "  default_jobs: [orders, nothing_here]\n"
                 "  jobs:\n"
                 "    hourly: {source: clicks, schedule: '@hourly'}\n"
                 "    manual: {source: events, schedule: ''}\n")

    def fake_day(self):
        """The UTC midnight two days from now, in s: the daily 02:00 of the default jobs
        fired between the lake's creation and 01:59:30 of that day."""
        return int(time.time()) // 86400 * 86400 + 2 * 86400

    def schedule(self, *args, start=None, code=0, timeout=120):
        """`etl schedule ARGS` with the scheduler's clock started at start (s since the
        epoch); returns the process."""
        env = base_env(SLUICE_TEST_NOW=str(int(start * 1000))) if start else base_env()
        p = self.sl("etl", "schedule", *args, env=env, timeout=timeout)
        self.assertEqual(p.returncode, code, p.stderr)
        return p

    def schedule_json(self, *args, **kw):
        p = self.schedule("--json", *args, **kw)
        return [json.loads(line) for line in p.stdout.decode().splitlines()]

    def test_schedule_runs_due_jobs_then_sleeps_to_each_firing(self):
        self.set_config(self.SCHEDULED)
        self.put_raw("clicks/a.ndjson", day_records(1, 3, 1))
        self.put_raw("orders/a.ndjson", day_records(1, 2, 1))
        self.put_raw("events/a.ndjson", day_records(1, 2, 1))
        self.crawl()
        day = self.fake_day()
        date = time.strftime("%Y-%m-%dT", time.gmtime(day))
        # 01:59:30: hourly (fired at 01:00), orders and nothing_here (02:00 the day before)
        # are due, in the list's order; then each firing: 02:00 all three, 03:00 hourly
        lines = self.schedule_json("--max-runs", "7", start=day + 3600 + 59 * 60 + 30)
        self.assertEqual([(x["job"], x["time"][:16]) for x in lines],
                         [("hourly", date + "01:59"), ("orders", date + "01:59"),
                          ("nothing_here", date + "01:59"),
                          ("hourly", date + "02:00"), ("orders", date + "02:00"),
                          ("nothing_here", date + "02:00"), ("hourly", date + "03:00")])
        self.assertEqual([x["state"] for x in lines],
                         ["committed", "committed", "failed"] * 2 + ["committed"])
        # each line is what `etl run --json` says of a job, with the time first
        run_keys = list(self.run_json("manual")["manual"].keys())
        self.assertEqual(list(lines[0].keys()), ["time"] + run_keys)
        self.assertEqual((lines[0]["run"], lines[0]["objects"], lines[0]["rows_out"]), (1, 1, 3))
        self.assertEqual((lines[1]["run"], lines[1]["rows_out"]), (1, 2))
        self.assertEqual((lines[3]["run"], lines[3]["objects"]), (2, 0))  # nothing new
        self.assertEqual((lines[6]["run"], lines[6]["objects"]), (3, 0))
        for x in (lines[2], lines[5]):
            self.assertIn("no raw table", x["error"])
            self.assertIsNone(x["deadletter"])
        self.assertIsNone(lines[0]["error"])
        # a failing job is tried again at its next firing, not before: two runs
        hist = self.js("etl", "history", "nothing_here", "--json")
        self.assertEqual([(h["run"], h["state"]) for h in hist], [(2, "failed"), (1, "failed")])
        self.assertEqual([h["run"] for h in self.js("etl", "history", "hourly", "--json")],
                         [3, 2, 1])
        # the job without a schedule never ran by itself (the one run was ours, above)
        self.assertEqual(len(self.js("etl", "history", "manual", "--json")), 1)
        self.assertEqual(self.ids("clicks"), [1, 2, 3])
        self.assertEqual(self.ids("orders"), [1, 2])

        # text: one line per run, a first and a last line
        self.put_raw("clicks/b.ndjson", day_records(4, 4, 1) + [{"id": 5}])
        self.crawl()
        text = self.schedule("--max-runs", "2", start=day + 4 * 3600 + 30).stdout.decode()
        lines = text.splitlines()
        self.assertEqual(len(lines), 4, text)
        # (the runs above started at the scheduler's clock: the daily jobs are not due)
        self.assertEqual(lines[0], date + "04:00:30.000Z etl schedule: 4 jobs, 3 with a "
                                   "schedule; 1 due now")
        self.assertRegex(lines[1], r"^%s04:00:30\.\d{3}Z hourly: run 4 committed in [0-9.]+s: "
                                   r"1 object, 2 rows in, 2 out, 0 rejected; 1 file, .*; "
                                   r"bookmark \d+ -> \d+$" % date)
        self.assertRegex(lines[2], r"^%s05:00:00\.\d{3}Z hourly: run 5 committed in [0-9.]+s: "
                                   r"nothing new; bookmark \d+$" % date)
        self.assertRegex(lines[3], r"^%s05:00:00\.\d{3}Z etl schedule: stopped \(--max-runs\); "
                                   r"2 runs: 2 committed, 0 failed, 0 busy$" % date)
        hist = self.js("etl", "history", "orders", "--json")
        self.assertEqual([h["started"][:16] for h in hist], [date + "02:00", date + "01:59"])
        self.assertEqual(self.ids("clicks"), [1, 2, 3, 4, 5])

    def test_schedule_failures_in_text_and_refused_records(self):
        self.set_config("etl:\n"
                        "  jobs:\n"
                        "    daily: {source: events, partition_by: dt}\n"
                        "    strict: {source: orders, partition_by: dt, on_error: fail}\n")
        self.put_raw("events/a.ndjson", day_records(1, 2, 1) + [{"id": 3}])
        self.put_raw("orders/a.ndjson", [{"id": 1}])
        self.crawl()
        day = self.fake_day()
        p = self.schedule("--max-runs", "2", start=day + 7200)
        lines = p.stdout.decode().splitlines()
        self.assertEqual(len(lines), 4, lines)
        # remarks on the run's own line
        self.assertRegex(lines[1], r"Z daily: run 1 committed .*: 1 object, 3 rows in, 2 out, "
                                   r"1 rejected; .*; refused records: "
                                   r"deadletter/etl/daily/run-1\.ndjson$")
        self.assertRegex(lines[2], r"Z strict: run 1 failed after [0-9.]+s; nothing of it was "
                                   r"committed \(the bookmark stays at 0; tried again at its "
                                   r"next firing\): raw/orders/a\.ndjson:1: .*\(on_error: fail\)$")
        self.assertEqual(p.stderr, "")

    def test_schedule_busy_job_waits_for_its_next_firing(self):
        self.set_config("etl:\n  jobs:\n    hourly: {source: clicks, schedule: '@hourly'}\n")
        self.put_raw("clicks/a.ndjson", day_records(1, 3, 1))
        self.crawl()
        day = self.fake_day()
        self.lease("hourly", "elsewhere:4242:0000beef", 10 * 3600, now=day)
        # busy leaves no run behind; the scheduler still waits for the next firing
        lines = self.schedule_json("--max-runs", "3", start=day + 30)
        self.assertEqual([(x["state"], x["time"][11:16]) for x in lines],
                         [("busy", "00:00"), ("busy", "01:00"), ("busy", "02:00")])
        self.assertIn("elsewhere:4242:0000beef", lines[0]["error"])
        self.assertIsNone(lines[0]["run"])
        self.assertEqual(self.js("etl", "history", "hourly", "--json"), [])
        # the lease ran out (at 10:00): the next firing runs it
        lines = self.schedule_json("--max-runs", "1", start=day + 10 * 3600 + 5)
        self.assertEqual((lines[0]["state"], lines[0]["run"], lines[0]["rows_out"]),
                         ("committed", 1, 3))

    def test_schedule_once(self):
        self.set_config(self.SCHEDULED)
        self.put_raw("clicks/a.ndjson", day_records(1, 3, 1))
        self.put_raw("orders/a.ndjson", day_records(1, 2, 1))
        self.crawl()
        day = self.fake_day()
        # what is due now, then exit: 2 as `etl run`, since nothing_here failed
        p = self.schedule("--once", "--json", start=day + 3600 + 59 * 60, code=EXIT_FAIL)
        lines = [json.loads(x) for x in p.stdout.decode().splitlines()]
        self.assertEqual([(x["job"], x["state"]) for x in lines],
                         [("hourly", "committed"), ("orders", "committed"),
                          ("nothing_here", "failed")])
        # 02:00 came: text, the summary last
        self.set_config(self.SCHEDULED.replace(", nothing_here", ""))
        p = self.schedule("--once", start=day + 7200 + 1)
        lines = p.stdout.decode().splitlines()
        self.assertEqual([x.split(" ")[1] for x in lines], ["hourly:", "orders:", "etl"])
        self.assertRegex(lines[-1], r"Z etl schedule: 2 runs: 2 committed, 0 failed, 0 busy$")
        # nothing due until 03:00: nothing runs, exit 0
        p = self.schedule("--once", start=day + 7200 + 600)
        self.assertEqual(p.stdout.decode(),
                         "%s02:10:00.000Z etl schedule: nothing due (3 jobs, 2 with a schedule; "
                         "next: hourly at %s03:00:00.000Z)\n"
                         % ((time.strftime("%Y-%m-%dT", time.gmtime(day)),) * 2))
        self.assertEqual(self.schedule("--once", "--json", start=day + 7200 + 600).stdout, b"")
        self.assertEqual(len(self.js("etl", "history", "hourly", "--json")), 2)

    def test_schedule_stops_on_signals_after_the_run_in_hand(self):
        self.set_config("etl:\n  jobs:\n    hourly: {source: clicks, schedule: '@hourly'}\n")
        self.put_raw("clicks/a.ndjson", day_records(1, 300, 1))
        self.crawl()
        # the fake clock runs a firing after another: a signal lands in a run or between
        # runs; either way the scheduler exits 0 and every run it began committed
        for sig in (signal.SIGTERM, signal.SIGINT):
            env = base_env(SLUICE_TEST_NOW=str(self.fake_day() * 1000))
            proc = subprocess.Popen([SLUICE, "--lake", self.lake, "etl", "schedule", "--json"],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            first = json.loads(proc.stdout.readline())
            self.assertEqual(first["state"], "committed")
            proc.send_signal(sig)
            out, err = proc.communicate(timeout=60)
            self.assertEqual(proc.returncode, 0, err)
            lines = [first] + [json.loads(x) for x in out.decode().splitlines()]
            self.assertEqual({x["state"] for x in lines}, {"committed"})
            hist = self.js("etl", "history", "hourly", "--json")
            self.assertEqual({h["state"] for h in hist}, {"committed"})
            self.assertEqual(hist[0]["run"], lines[-1]["run"])
            db = sqlite3.connect(os.path.join(self.lake, ".sluice", "meta.db"))
            self.assertEqual(db.execute("SELECT count(*) FROM etl_leases").fetchone()[0], 0)
            db.close()
        self.assertEqual(self.ids("clicks"), list(range(1, 301)))

        # the wall clock, nothing due: the signal ends the sleep (which would last up to
        # 60 s) at once
        proc = subprocess.Popen([SLUICE, "--lake", self.lake, "etl", "schedule"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=base_env())
        self.assertRegex(proc.stdout.readline().decode(),
                         r"Z etl schedule: 1 job, 1 with a schedule; next: hourly at ")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
        self.assertEqual(proc.returncode, 0, err)
        self.assertRegex(out.decode(), r"Z etl schedule: stopped \(a signal\); 0 runs: "
                                       r"0 committed, 0 failed, 0 busy\n$")

    # ---- ETL dead letters in `sluice deadletter` -------------------------------------------

    def dead_ls(self, *args):
        return {d["key"]: d for d in self.js("deadletter", "ls", "--json", *args)}

    def test_deadletter_command_shows_etl_refused_records(self):
        self.set_config("etl:\n"
                        "  jobs:\n"
                        "    loose: {source: events, partition_by: dt, schedule: ''}\n"
                        "    other: {source: clicks, partition_by: dt, schedule: ''}\n")
        events_a = [{"id": 1, "ts": "2026-01-01T00:00:00Z", "v": "ok"},
                    {"id": 2, "v": "no ts"},
                    {"id": 3, "ts": "yesterday", "v": "bad ts"},
                    {"id": 4, "ts": "2026-01-02T00:00:00Z", "v": "ok"}]
        events_b = [{"id": 5, "v": "no ts either", "tags": ["a", "é"]}]
        self.put_raw("events/a.ndjson", events_a)
        self.put_raw("events/b.ndjson", events_b)
        self.put_raw("clicks/a.ndjson", [{"id": 1}])
        # a dead letter of the validator beside them (no schema for orders: the whole
        # object), and an object under etl/ that no run wrote
        self.put_bytes("orders/x.ndjson", ndjson({"id": 1}))
        self.ok("validate", "--drain")
        self.put_bytes("etl/nojob/run-1.ndjson", b"{}\n", "--zone", "deadletter")
        self.crawl()
        jobs = self.run_json()
        self.assertEqual(jobs["loose"]["deadletter"], "etl/loose/run-1.ndjson")
        self.assertEqual(jobs["other"]["deadletter"], "etl/other/run-1.ndjson")

        dead = self.dead_ls()
        self.assertEqual(sorted(dead), ["etl/loose/run-1.ndjson", "etl/nojob/run-1.ndjson",
                                        "etl/other/run-1.ndjson", "orders/x.ndjson"])
        lo = dead["etl/loose/run-1.ndjson"]
        self.assertEqual((lo["job"], lo["run"], lo["run_state"], lo["outcome"]),
                         ("loose", 1, "committed", "etl"))
        self.assertEqual((lo["records"], lo["bad_records"]), (5, 3))
        self.assertIsNone(lo["subject"])
        # the first distinct reasons, each where it was first met
        self.assertEqual(lo["reasons"], [
            {"object": "events/a.ndjson", "line": 2,
             "error": "partition_by dt: the record has no ts"},
            {"object": "events/a.ndjson", "line": 3,
             "error": "partition_by dt: ts is not an RFC 3339 date-time with an offset"}])
        self.assertEqual(lo["reason"], lo["reasons"][0]["error"])
        self.assertEqual(dead["etl/other/run-1.ndjson"]["bad_records"], 1)
        self.assertEqual(dead["orders/x.ndjson"]["subject"], "orders")
        self.assertNotIn("job", dead["orders/x.ndjson"])
        self.assertNotIn("job", dead["etl/nojob/run-1.ndjson"])  # no run: no report
        # filters: --job for an ETL job's, --subject for the validator's
        self.assertEqual(list(self.dead_ls("--job", "loose")), ["etl/loose/run-1.ndjson"])
        self.assertEqual(list(self.dead_ls("--subject", "orders")), ["orders/x.ndjson"])
        self.assertEqual(self.dead_ls("--job", "nope"), {})
        text = self.ok("deadletter", "ls").stdout.decode()
        self.assertRegex(text, r"\n?\S+Z job loose +etl run 1 +3/5 etl/loose/run-1\.ndjson  "
                               r"events/a\.ndjson:2: partition_by dt: the record has no ts; "
                               r"events/a\.ndjson:3: partition_by dt: ts is not an RFC 3339 "
                               r"date-time with an offset\n")
        self.assertIn("(no report)", text)

        # show: each refused record with its object, line, reason and record
        doc = self.js("deadletter", "show", "etl/loose/run-1.ndjson", "--json")
        self.assertEqual((doc["job"], doc["run"], doc["run_state"], doc["rows_in"],
                          doc["rows_rejected"]), ("loose", 1, "committed", 5, 3))
        self.assertEqual([(r["object"], r["line"], r["record"]) for r in doc["refused"]],
                         [("events/a.ndjson", 2, events_a[1]), ("events/a.ndjson", 3, events_a[2]),
                          ("events/b.ndjson", 1, events_b[0])])
        self.assertEqual([r["error"] for r in doc["refused"]],
                         [lo["reasons"][0]["error"], lo["reasons"][1]["error"],
                          lo["reasons"][0]["error"]])
        text = self.ok("deadletter", "show", "etl/loose/run-1.ndjson").stdout.decode()
        self.assertIn("dead letter  deadletter/etl/loose/run-1.ndjson\n"
                      "from         ETL job loose, run 1 (committed at ", text)
        self.assertIn("job          reads the family events, writes curated.events\n"
                      "refused      3 of the 5 records the run read\n", text)
        self.assertIn("\nrecord 1 (events/a.ndjson, line 2):\n"
                      "  partition_by dt: the record has no ts\n"
                      '  > {"id": 2, "v": "no ts"}\n', text)
        self.assertIn("\nrecord 3 (events/b.ndjson, line 1):\n", text)
        self.assertIn('"tags": ["a", "\\u00e9"]', text)
        # the validator's dead letter shows as before
        self.assertIn("outcome      ", self.ok("deadletter", "show", "orders/x.ndjson")
                      .stdout.decode())

        # replay: an ETL dead letter is not put into landing
        p = self.refused(EXIT_FAIL, "deadletter", "replay", "etl/loose/run-1.ndjson")
        self.assertIn("not replayed", p.stderr)
        out = self.ok("deadletter", "replay", "--all").stdout.decode()
        self.assertIn("skipped deadletter/etl/loose/run-1.ndjson: refused records of ETL run "
                      "loose/1 are not replayed\n", out)
        self.assertIn("replayed deadletter/orders/x.ndjson -> landing/", out)
        # (the object no run wrote goes, as any dead letter without a report)
        self.assertEqual([o["key"] for o in self.ls_json("landing/etl/")],
                         ["etl/nojob/run-1.replay-6.ndjson"])
        self.assertIn("etl/loose/run-1.ndjson", self.dead_ls())

        # a killed run's dead letter shows its run's state until the next run removes it
        self.put_raw("events/c.ndjson", [{"id": 6, "v": "no ts"},
                                         {"id": 7, "ts": "2026-01-03T00:00:00Z"}])
        self.crawl()
        p = self.sl("etl", "run", "loose", env=base_env(SLUICE_TEST_CRASH="published:100"))
        self.assertEqual(p.returncode, -9, p.stderr)
        d2 = self.dead_ls("--job", "loose")["etl/loose/run-2.ndjson"]
        self.assertEqual((d2["run_state"], d2["bad_records"]), ("running", 0))
        self.assertIn("(run running: removed by the job's next run) events/c.ndjson:1: ",
                      self.ok("deadletter", "ls", "--job", "loose").stdout.decode())
        r = self.run_one("loose")
        self.assertEqual((r["run"], r["rows_rejected"]), (3, 1))
        self.assertEqual(sorted(self.dead_ls("--job", "loose")),
                         ["etl/loose/run-1.ndjson", "etl/loose/run-3.ndjson"])
        doc = self.js("deadletter", "show", "etl/loose/run-3.ndjson", "--json")
        self.assertEqual([(r["object"], r["line"], r["record"]) for r in doc["refused"]],
                         [("events/c.ndjson", 1, {"id": 6, "v": "no ts"})])
        # a reset removes the dead letters of the runs it undoes; a re-run writes them once
        self.ok("etl", "bookmark", "reset", "loose")
        self.assertEqual(self.dead_ls("--job", "loose"), {})
        r = self.run_one("loose")
        self.assertEqual(r["rows_rejected"], 4)
        self.assertEqual([d["bad_records"] for d in self.dead_ls("--job", "loose").values()],
                         [4])

        # purge: by key, and by age for one job
        self.ok("deadletter", "purge", "etl/other/run-1.ndjson")
        self.assertNotIn("etl/other/run-1.ndjson", self.dead_ls())
        self.ok("deadletter", "purge", "--older-than", "0s", "--job", "loose")
        self.assertEqual(self.dead_ls("--job", "loose"), {})
        # a later rewind does not miss a purged dead letter
        self.ok("etl", "bookmark", "reset", "loose")
        self.assertFsckClean()

        for args in (("deadletter", "ls", "--job", "loose", "--subject", "orders"),
                     ("deadletter", "show", "etl/loose/run-1.ndjson", "--job", "loose"),
                     ("deadletter", "replay", "--job", "loose"),
                     ("deadletter", "purge", "etl/loose/run-1.ndjson", "--job", "loose")):
            self.refused(EXIT_USAGE, *args)

    # ---- the nested layout, end to end -------------------------------------------------------

    # The records' shape: a dict is a struct (its members), a one-item list a list (its
    # elements), "ts" a timestamp, None any other value.
    NESTED_SHAPE = {"id": None, "ts": "ts", "amount": None, "ok": None,
                    "user": {"name": None, "age": None, "email": None,
                             "address": {"city": None, "zip": None}},
                    "tags": [None], "items": [{"sku": None, "qty": None, "price": None}],
                    "matrix": [[None]]}

    NESTED_DAY1 = [
        {"id": 1, "ts": "2026-01-01T10:00:00Z", "amount": 1.5, "ok": True,
         "user": {"name": "ann", "age": 30, "address": {"city": "Oslo", "zip": "0150"}},
         "tags": ["a", "b"], "items": [{"sku": "x", "qty": 1, "price": 2.25},
                                       {"sku": "y", "qty": 2, "price": 0.5}],
         "matrix": [[1, 2], [3]]},
        {"id": 2, "ts": "2026-01-01T11:00:00.250+02:00", "amount": -3.0, "ok": False,
         "user": {"name": "bé \u2603", "age": None, "address": None}, "tags": [], "items": [],
         "matrix": []},
        {"id": 3, "ts": "2026-01-01T23:59:59Z", "amount": 0.0, "ok": None, "user": None,
         "tags": None, "items": [{"sku": "z", "qty": 3, "price": None}], "matrix": [[], [4]]},
    ]
    # day 2: a member the struct did not have (user.email), members left out, a long list
    NESTED_DAY2 = [
        {"id": 4, "ts": "2026-01-02T08:00:00Z", "amount": 1e-3, "ok": True,
         "user": {"name": "cy", "age": 41, "email": "cy@example.org",
                  "address": {"city": "Zürich", "zip": "8001"}},
         "tags": ["t%d" % i for i in range(300)],
         "items": [{"sku": "s%d" % i, "qty": i, "price": i / 4} for i in range(50)],
         "matrix": [[i, -i] for i in range(20)]},
        {"id": 5, "ts": "2026-01-02T09:30:00-05:00", "amount": 12345.678, "ok": False,
         "user": {"name": "dee", "address": {"city": "", "zip": "x"}},
         "items": [], "matrix": [[7]]},
    ]

    def shaped(self, value, shape):
        """value as the Parquet files give it back: every member of the shape (missing
        ones null), timestamps as UTC microseconds."""
        if value is None:
            return None
        if isinstance(shape, dict):
            self.assertIsInstance(value, dict)
            self.assertLessEqual(set(value), set(shape))
            return {k: self.shaped(value.get(k), s) for k, s in shape.items()}
        if isinstance(shape, list):
            self.assertIsInstance(value, list)
            return [self.shaped(x, shape[0]) for x in value]
        if shape == "ts":
            t = datetime.datetime.fromisoformat(value)
            return round(t.timestamp() * 1e6)
        return value

    def rows_of(self, table):
        """{id: row} of every active file of curated.TABLE, read back with parquet cat,
        each file's row count checked against its catalog row."""
        out = {}
        for f in self.files(table):
            self.assertEqual(f["state"], "active")
            rows = [json.loads(x) for x in self.ok(
                "parquet", "cat", os.path.join(self.lake, "curated", f["key"]), lake=False)
                .stdout.decode().splitlines()]
            self.assertEqual(len(rows), f["records"], f["key"])
            for r in rows:
                self.assertNotIn(r["id"], out)
                out[r["id"]] = self.shaped(r, self.NESTED_SHAPE)
        return out

    def test_nested_layout_end_to_end(self):
        self.set_config("etl:\n"
                        "  jobs:\n"
                        "    nest: {source: events, target: events_n, layout: nested, "
                        "schedule: ''}\n")
        self.put_raw("events/dt=2026-01-01/a.ndjson", self.NESTED_DAY1)
        self.crawl()
        raw = self.js("catalog", "show", "raw.events", "--json")
        r = self.run_one("nest")
        self.assertEqual((r["objects"], r["rows_out"], r["rows_rejected"], r["files"]),
                         (1, 3, 0, 1))
        # committed and announced, not catalogued: the crawler reads the footer
        self.assertEqual(self.sl("catalog", "show", "curated.events_n").returncode, EXIT_FAIL)
        key = "events_n/dt=2026-01-01/part-r1-000.parquet"
        self.assertEqual([e["key"] for e in self.events("curated")], [key])
        self.crawl()

        t = self.js("catalog", "show", "curated.events_n", "--json")
        self.assertEqual((t["format"], t["zone"], t["prefix"], t["version"]),
                         ("parquet", "curated", "events_n/", 1))
        self.assertEqual(t["partition_keys"], ["dt"])
        self.assertEqual((t["partitions"], t["files"], t["records"]), (1, 1, 3))
        # the footer's schema is the source table's, struct and list columns included
        self.assertEqual(t["schema_text"], raw["schema_text"])
        cols = {f["name"]: f["type"] for f in t["schema"]["fields"]}
        self.assertEqual(list(cols), ["id", "ts", "amount", "ok", "user", "tags", "items",
                                      "matrix"])
        self.assertEqual(cols["user"]["type"], "struct")
        self.assertEqual([f["name"] for f in cols["user"]["fields"]], ["name", "age", "address"])
        self.assertEqual(cols["user"]["fields"][2]["type"]["type"], "struct")
        self.assertEqual((cols["tags"]["type"], cols["tags"]["element"]["type"]),
                         ("list", "string"))
        self.assertEqual((cols["items"]["type"], cols["items"]["element"]["type"]),
                         ("list", "struct"))
        self.assertEqual([f["name"] for f in cols["items"]["element"]["fields"]],
                         ["sku", "qty", "price"])
        self.assertEqual((cols["matrix"]["element"]["type"],
                          cols["matrix"]["element"]["element"]["type"]), ("list", "int64"))
        self.assertEqual(cols["ts"]["type"], "timestamp")
        text = self.ok("catalog", "show", "curated.events_n").stdout.decode()
        self.assertRegex(text, r"\n  user +struct\n    name +string not null\n    age +int64\n"
                               r"    address +struct\n      city +string not null\n")
        self.assertRegex(text, r"\n  tags +list<string not null>\n  items +list<struct> not null"
                               r"\n    sku +string not null\n")
        self.assertRegex(text, r"\n  matrix +list<list<int64 not null> not null> not null\n")
        files = self.files("events_n")
        self.assertEqual([(f["key"], f["part"], f["records"]) for f in files],
                         [(key, "dt=2026-01-01", 3)])
        # every value back, as it went in
        self.assertEqual(self.rows_of("events_n"),
                         {x["id"]: self.shaped(x, self.NESTED_SHAPE) for x in self.NESTED_DAY1})

        # day 2: the source's schema grows (user.email); the next run's file carries it,
        # and the crawler makes version 2 of the curated table from its footer
        self.put_raw("events/dt=2026-01-02/b.ndjson", self.NESTED_DAY2)
        self.crawl()
        r = self.run_one("nest")
        self.assertEqual((r["run"], r["objects"], r["rows_out"], r["files"]), (2, 1, 2, 1))
        self.crawl()
        t = self.js("catalog", "show", "curated.events_n", "--json")
        self.assertEqual((t["version"], t["partitions"], t["files"], t["records"]), (2, 2, 2, 5))
        self.assertEqual(t["schema_text"],
                         self.js("catalog", "show", "raw.events", "--json")["schema_text"])
        user = {f["name"]: f["type"] for f in t["schema"]["fields"]}["user"]
        self.assertEqual([f["name"] for f in user["fields"]],
                         ["name", "age", "address", "email"])
        self.assertEqual(sorted((f["part"], f["records"]) for f in self.files("events_n")),
                         [("dt=2026-01-01", 3), ("dt=2026-01-02", 2)])
        self.assertEqual(self.rows_of("events_n"),
                         {x["id"]: self.shaped(x, self.NESTED_SHAPE)
                          for x in self.NESTED_DAY1 + self.NESTED_DAY2})
        hist = self.js("catalog", "history", "curated.events_n", "--json")["versions"]
        self.assertEqual(sorted(v["version"] for v in hist), [1, 2])
        self.assertEqual({v["change"]["by"] for v in hist}, {"crawl"})

        # a rewind retires the nested files too; the crawler hears their removal, and the
        # re-run brings every row back once
        self.ok("etl", "bookmark", "rewind", "nest", "--to-run", "1")
        self.crawl()
        self.assertEqual(sorted(self.rows_of("events_n")), [1, 2, 3])
        self.run_one("nest")
        self.crawl()
        self.assertEqual(sorted(self.rows_of("events_n")), [1, 2, 3, 4, 5])
        self.assertEqual(self.records("events_n"), 5)
        self.assertFsckClean()

    # ---- usage --------------------------------------------------------------------------

    def test_usage_errors(self):
        self.set_config(self.CLICKS)
        for args in (("etl",),
                     ("etl", "bogus"),
                     ("etl", "--frob", "ls"),
                     ("etl", "ls", "extra"),
                     ("etl", "ls", "--due"),
                     ("etl", "show"),
                     ("etl", "show", "a", "b"),
                     ("etl", "show", "clicks_daily", "--limit", "3"),
                     ("etl", "history"),
                     ("etl", "history", "clicks_daily", "--limit", "0"),
                     ("etl", "history", "clicks_daily", "--limit", "x"),
                     ("etl", "history", "clicks_daily", "--limit", "-1"),
                     ("etl", "history", "clicks_daily", "--limit"),
                     ("etl", "run", "--max-objects", "0"),
                     ("etl", "run", "--max-objects", "ten"),
                     ("etl", "run", "--max-objects", "99999999999999999999"),
                     ("etl", "run", "--limit", "3"),
                     ("etl", "run", "--to-run", "1"),
                     ("etl", "bookmark"),
                     ("etl", "bookmark", "frob", "clicks_daily"),
                     ("etl", "bookmark", "show"),
                     ("etl", "bookmark", "show", "clicks_daily", "--to-run", "1"),
                     ("etl", "bookmark", "reset", "clicks_daily", "--to-run", "1"),
                     ("etl", "bookmark", "rewind", "clicks_daily"),
                     ("etl", "bookmark", "rewind", "clicks_daily", "--to-run", "-1"),
                     ("etl", "bookmark", "rewind", "clicks_daily", "--to-run", "x"),
                     ("etl", "bookmark", "rewind", "--to-run", "1"),
                     ("etl", "bookmark", "rewind", "a", "b", "--to-run", "1"),
                     ("etl", "schedule", "clicks_daily"),
                     ("etl", "schedule", "--due"),
                     ("etl", "schedule", "--limit", "2"),
                     ("etl", "schedule", "--max-runs", "0"),
                     ("etl", "schedule", "--max-runs", "x"),
                     ("etl", "run", "--once"),
                     ("etl", "run", "--max-runs", "1")):
            p = self.refused(EXIT_USAGE, *args)
            self.assertTrue(p.stderr.startswith("sluice etl: "), (args, p.stderr))
            self.assertEqual(p.stdout, b"", args)
        self.assertIn(b"usage: sluice etl run", self.ok("etl", "--help").stdout)
        self.assertIn(b"usage: sluice etl run", self.ok("help", "etl").stdout)
        self.assertIn(b"etl ", self.ok("--help", lake=False).stdout)

        # unknown jobs: exit 2, one line, nothing runs
        self.put_raw("clicks/a.ndjson", day_records(1, 2, 1))
        self.crawl()
        for args in (("etl", "show", "nope"), ("etl", "history", "nope"),
                     ("etl", "bookmark", "show", "nope"), ("etl", "bookmark", "reset", "nope"),
                     ("etl", "bookmark", "rewind", "nope", "--to-run", "1"),
                     ("etl", "run", "clicks_daily", "nope"),
                     ("etl", "run", "../x"), ("etl", "run", "x" * 5000),
                     ("etl", "show", "clicks_daily\n")):
            self.refused(EXIT_FAIL, *args)
        self.assertEqual(self.bookmark("clicks_daily")["bookmark"]["last_run"], 0)
        p = self.refused(EXIT_FAIL, "etl", "show", "nope")
        self.assertOneLine(p.stderr, "no ETL job 'nope'", "sluice etl ls")

        # no lake
        nolake = os.path.join(self.tmp, "nolake")
        os.mkdir(nolake)
        for args in (("etl", "ls"), ("etl", "run"), ("etl", "show", "x")):
            p = self.refused(EXIT_FAIL, *args, lake=nolake)
            self.assertIn("not a sluice lake", p.stderr)


if __name__ == "__main__":
    unittest.main()
