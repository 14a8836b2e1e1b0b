"""End-to-end tests of `sluice crawl` and `sluice catalog` over a scratch lake.

Objects are put into raw (and curated) directly, crawled with `sluice crawl --drain`, and
every catalog command is checked in its JSON form (parsed) and its text form: tables and
their counts, the schema and its versions (a schema change across objects makes version
2, with its change and drift), partitions with their values, files (a rejected one with
its reason), `dt=` beside `date=` reported, DDL per dialect, drop, `crawl --full`,
`crawl --explain`, the catalog in `sluice status`, a daemon stopped by SIGTERM, and the
usage errors. Whether DuckDB really reads what `catalog ddl` writes is
tests/interop/test_catalog_interop.py.
"""
import gzip
import json
import os
import signal
import subprocess
import time
import unittest

from lakeutil import EXIT_FAIL, EXIT_PROBLEMS, EXIT_USAGE, SLUICE, LakeTest, base_env


def ndjson(*records):
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


class CatalogTest(LakeTest):
    def put_raw(self, key, data, zone="raw"):
        return self.put_bytes(key, data, "--zone", zone)

    def crawl(self):
        """Runs crawl --drain --json; returns (batch lines, totals)."""
        p = self.ok("crawl", "--drain", "--json")
        lines = [json.loads(x) for x in p.stdout.decode().splitlines()]
        self.assertIn("totals", lines[-1], lines)
        self.assertEqual(lines[-1]["failures"], 0)
        return lines[:-1], lines[-1]["totals"]

    def js(self, *args):
        return json.loads(self.ok(*args).stdout)

    def tables(self, *extra):
        return {"%s.%s" % (t["db"], t["name"]): t for t in self.js("catalog", "ls", "--json",
                                                                   *extra)}

    def orders_and_logs(self):
        self.put_raw("orders/dt=2026-01-05/a.ndjson",
                     ndjson({"id": 1, "name": "ann", "ts": "2026-01-05T10:00:00Z"},
                            {"id": 2, "name": "bob", "ts": "2026-01-05T11:00:00Z"}))
        self.put_raw("orders/dt=2026-01-06/b.ndjson.gz",
                     gzip.compress(ndjson({"id": 3, "name": "cy", "ts": "2026-01-06T09:30:00Z"})))
        self.put_raw("logs/2026/01/x.json", json.dumps([{"m": "a"}, {"m": "b"}]).encode())

    # ---- crawling and listing ----------------------------------------------------------

    def test_crawl_then_every_listing(self):
        self.orders_and_logs()
        batches, totals = self.crawl()
        self.assertEqual(totals["messages"], 3)
        self.assertEqual(totals["objects"], 3)
        self.assertEqual(totals["records"], 5)
        self.assertEqual(totals["rejected"], 0)
        self.assertEqual(totals["tables"], 2)
        self.assertGreaterEqual(totals["commits"], 1)
        self.assertEqual(sum(b["messages"] for b in batches), 3)

        # a second drain has nothing to do
        _, again = self.crawl()
        self.assertEqual(again["messages"], 0)

        t = self.tables()
        self.assertEqual(sorted(t), ["raw.logs", "raw.orders"])
        o = t["raw.orders"]
        self.assertEqual((o["version"], o["format"], o["zone"], o["prefix"]),
                         (1, "json", "raw", "orders/"))
        self.assertEqual(o["partition_keys"], ["dt"])
        self.assertEqual((o["partitions"], o["files"], o["records"]), (2, 2, 3))
        self.assertGreater(o["bytes"], 0)
        self.assertTrue(o["updated"].endswith("Z"))
        lg = t["raw.logs"]
        self.assertEqual(lg["partition_keys"], ["partition_0", "partition_1"])
        self.assertEqual((lg["partitions"], lg["files"], lg["records"]), (1, 1, 2))
        self.assertEqual(self.tables("--db", "curated"), {})
        self.assertEqual(sorted(self.tables("--db", "raw")), ["raw.logs", "raw.orders"])
        text = self.ok("catalog", "ls").stdout.decode()
        self.assertRegex(text, r"raw\.orders\s+1\s+json\s+2\s+2\s+3\s")

        # show: the JSON form and the column tree
        s = self.js("catalog", "show", "orders", "--json")
        self.assertEqual((s["db"], s["name"], s["version"], s["latest_version"]),
                         ("raw", "orders", 1, 1))
        self.assertEqual((s["zone"], s["prefix"], s["format"]), ("raw", "orders/", "json"))
        self.assertIsNone(s["subject"])
        self.assertEqual(s["partition_keys"], ["dt"])
        self.assertEqual(s["schema_policy"], "update")
        self.assertEqual(s["deletion_policy"], "delete")
        self.assertEqual(s["records"], 3)
        fields = {f["name"]: f["type"]["type"] for f in s["schema"]["fields"]}
        self.assertEqual(fields, {"id": "int64", "name": "string", "ts": "timestamp"})
        self.assertTrue(s["schema_text"].startswith("struct<id:int64"), s["schema_text"])
        self.assertEqual(self.js("catalog", "show", "raw.orders", "--json"), s)
        text = self.ok("catalog", "show", "orders").stdout.decode()
        self.assertIn("table        raw.orders\n", text)
        self.assertIn("location     raw/orders/\n", text)
        self.assertIn("partitioned  dt\n", text)
        self.assertIn("schema       3 columns\n", text)
        self.assertRegex(text, r"\n  id +int64")
        self.assertRegex(text, r"\n  ts +timestamp\(us\)")

        # partitions with their values
        parts = self.js("catalog", "partitions", "orders", "--json")
        self.assertEqual([p["part"] for p in parts], ["dt=2026-01-05", "dt=2026-01-06"])
        self.assertEqual([p["values"] for p in parts],
                         [{"dt": "2026-01-05"}, {"dt": "2026-01-06"}])
        self.assertEqual([(p["objects"], p["records"], p["state"], p["schema_version"])
                          for p in parts], [(1, 2, "active", 1), (1, 1, "active", 1)])
        lparts = self.js("catalog", "partitions", "logs", "--json")
        self.assertEqual(lparts[0]["values"], {"partition_0": "2026", "partition_1": "01"})
        self.assertIn("dt=2026-01-06", self.ok("catalog", "partitions", "orders").stdout.decode())

        # files, all or of one partition
        files = self.js("catalog", "files", "orders", "--json")
        self.assertEqual([(f["key"], f["part"], f["records"], f["state"]) for f in files],
                         [("orders/dt=2026-01-05/a.ndjson", "dt=2026-01-05", 2, "active"),
                          ("orders/dt=2026-01-06/b.ndjson.gz", "dt=2026-01-06", 1, "active")])
        one = self.js("catalog", "files", "orders", "--partition", "dt=2026-01-06", "--json")
        self.assertEqual([f["key"] for f in one], ["orders/dt=2026-01-06/b.ndjson.gz"])
        self.assertNotIn("stats", one[0])
        self.assertIn("stats", self.js("catalog", "files", "orders", "--stats", "--json")[0])
        self.assertIn("raw/orders/dt=2026-01-05/a.ndjson",
                      self.ok("catalog", "files", "orders").stdout.decode())

        # history: one version, created
        h = self.js("catalog", "history", "orders", "--json")
        self.assertEqual([v["version"] for v in h["versions"]], [1])
        self.assertIsInstance(h["versions"][0]["change"], dict)
        self.assertIn("table_created", [d["kind"] for d in h["drift"]])
        self.assertTrue(all(d["table"] == "orders" for d in h["drift"]))

    def test_schema_change_makes_version_2(self):
        self.put_raw("orders/dt=2026-01-05/a.ndjson", ndjson({"id": 1, "name": "ann"}))
        self.crawl()
        v1 = self.js("catalog", "show", "orders", "--json")
        self.assertEqual(v1["version"], 1)
        # a new column, and id becomes a double
        self.put_raw("orders/dt=2026-01-06/b.ndjson", ndjson({"id": 2.5, "name": "b", "qty": 3}))
        _, totals = self.crawl()
        self.assertEqual(totals["versions"], 1)
        v2 = self.js("catalog", "show", "orders", "--json")
        self.assertEqual(v2["version"], 2)
        fields = {f["name"]: f["type"]["type"] for f in v2["schema"]["fields"]}
        self.assertEqual(fields, {"id": "double", "name": "string", "qty": "int64"})

        old = self.js("catalog", "show", "orders", "--version", "1", "--json")
        self.assertEqual((old["version"], old["latest_version"]), (1, 2))
        self.assertEqual(old["schema_text"], v1["schema_text"])
        self.assertIsInstance(old["change"], dict)
        self.assertIn("version_created", old)
        self.assertIn("version      1 of 2",
                      self.ok("catalog", "show", "orders", "--version", "1").stdout.decode())

        h = self.js("catalog", "history", "orders", "--json")
        self.assertEqual([v["version"] for v in h["versions"]], [1, 2])
        self.assertEqual(h["versions"][1]["schema"], v2["schema_text"])
        kinds = {(d["kind"], d["path"]) for d in h["drift"] if d["version"] == 2}
        self.assertIn(("column_added", "/qty"), kinds)
        self.assertIn(("type_widened", "/id"), kinds)
        # each partition keeps the version it was written under
        parts = self.js("catalog", "partitions", "orders", "--json")
        self.assertEqual([p["schema_version"] for p in parts], [1, 2])

        p = self.refused(EXIT_FAIL, "catalog", "show", "orders", "--version", "3")
        self.assertOneLine(p.stderr, "raw.orders", "no version 3")
        self.refused(EXIT_USAGE, "catalog", "show", "orders", "--version", "0")
        self.refused(EXIT_USAGE, "catalog", "show", "orders", "--version", "x1")

    def test_partition_layouts_disagree(self):
        self.put_raw("orders/dt=2026-01-05/a.ndjson", ndjson({"id": 1}))
        self.crawl()
        self.put_raw("orders/date=2026-01-06/b.ndjson", ndjson({"id": 2}))
        _, totals = self.crawl()
        self.assertEqual(totals["rejected"], 1)
        t = self.tables()["raw.orders"]
        self.assertEqual((t["partitions"], t["records"]), (1, 1))
        files = {f["key"]: f for f in self.js("catalog", "files", "orders", "--json")}
        bad = files["orders/date=2026-01-06/b.ndjson"]
        self.assertEqual(bad["state"], "rejected")
        self.assertIn("date", bad["reason"])
        drift = self.js("catalog", "history", "orders", "--json")["drift"]
        layout = [d for d in drift if d["kind"] == "partition_layout"]
        self.assertEqual(len(layout), 1, drift)
        self.assertEqual(layout[0]["example"], "orders/date=2026-01-06/b.ndjson")
        self.assertIn("date", layout[0]["detail"])
        # and in status, among the latest drift entries
        st = self.js("status", "--json")["catalog"]
        self.assertIn("partition_layout", [d["kind"] for d in st["drift"]])
        self.assertIn("partition_layout",
                      self.ok("status").stdout.decode().split("\ncatalog\n")[1])

    # ---- ddl ----------------------------------------------------------------------------

    def test_ddl(self):
        self.orders_and_logs()
        self.crawl()
        lake = os.path.realpath(self.lake)
        duck = self.ok("catalog", "ddl", "orders", "--dialect", "duckdb").stdout.decode()
        self.assertIn('CREATE OR REPLACE VIEW "raw"."orders" AS', duck)
        self.assertIn("read_json('%s/raw/orders/[dD][tT]=*/*json*'" % lake, duck)
        self.assertIn("'id': 'BIGINT'", duck)
        self.assertIn("'ts': 'TIMESTAMPTZ'", duck)

        p = self.refused(EXIT_USAGE, "catalog", "ddl", "orders", "--dialect", "athena")
        self.assertOneLine(p.stderr, "--location")
        ath = self.ok("catalog", "ddl", "orders", "--dialect", "athena", "--location",
                      "s3://bucket/lake/raw").stdout.decode()
        self.assertIn("CREATE EXTERNAL TABLE IF NOT EXISTS `raw`.`orders`", ath)
        self.assertIn("PARTITIONED BY (`dt` string)", ath)
        self.assertEqual(ath.count("ADD IF NOT EXISTS PARTITION"), 2)
        self.assertIn("LOCATION 's3://bucket/lake/raw/orders/dt=2026-01-06/';", ath)
        trino = self.ok("catalog", "ddl", "raw.logs", "--dialect", "trino").stdout.decode()
        self.assertIn("external_location = 'file://%s/raw/logs/'" % lake, trino)
        self.assertIn("CALL system.register_partition('raw', 'logs', ARRAY['partition_0', "
                      "'partition_1'], ARRAY['2026', '01']", trino)
        spark = self.ok("catalog", "ddl", "orders", "--dialect", "spark").stdout.decode()
        self.assertIn("USING json\nPARTITIONED BY (`dt`)\nLOCATION '%s/raw/orders/';" % lake,
                      spark)

        p = self.refused(EXIT_USAGE, "catalog", "ddl", "orders", "--dialect", "hive")
        self.assertOneLine(p.stderr, "hive", "athena")
        self.refused(EXIT_USAGE, "catalog", "ddl", "orders")
        p = self.refused(EXIT_FAIL, "catalog", "ddl", "nope", "--dialect", "duckdb")
        self.assertOneLine(p.stderr, "no table", "nope")

    def test_ddl_refuses_names_equal_ignoring_case(self):
        self.put_raw("people/a.ndjson", ndjson({"Name": "a", "name": "b", "id": 1}))
        self.crawl()
        for dialect in ("duckdb", "spark", "trino"):
            p = self.refused(EXIT_FAIL, "catalog", "ddl", "people", "--dialect", dialect)
            self.assertOneLine(p.stderr, "raw.people", dialect, '"/Name"', '"/name"', "case")

    # ---- several databases, drop ----------------------------------------------------------

    def test_same_name_in_raw_and_curated(self):
        self.put_raw("orders/a.ndjson", ndjson({"id": 1}))
        self.put_raw("orders/b.ndjson", ndjson({"id": 2}, {"id": 3}), zone="curated")
        self.crawl()
        self.assertEqual(sorted(self.tables()), ["curated.orders", "raw.orders"])
        p = self.refused(EXIT_USAGE, "catalog", "show", "orders")
        self.assertOneLine(p.stderr, "ambiguous", "raw.orders", "curated.orders")
        self.assertEqual(self.js("catalog", "show", "curated.orders", "--json")["records"], 2)
        self.assertEqual(self.js("catalog", "show", "raw.orders", "--json")["records"], 1)
        p = self.refused(EXIT_FAIL, "catalog", "show", "other.orders")
        self.assertOneLine(p.stderr, "no table", "raw and curated")
        st = self.js("status", "--json")["catalog"]
        self.assertEqual(st["tables"], {"raw": 1, "curated": 1})

    def test_drop(self):
        self.orders_and_logs()
        self.crawl()
        out = self.ok("catalog", "drop", "raw.logs").stdout.decode()
        self.assertIn("dropped raw.logs", out)
        self.assertEqual(sorted(self.tables()), ["raw.orders"])
        p = self.refused(EXIT_FAIL, "catalog", "history", "logs")
        self.assertOneLine(p.stderr, "no table", "logs")
        # the objects stay
        self.assertIn("logs/2026/01/x.json", [o["key"] for o in self.ls_json("raw")])
        drift = self.js("status", "--json")["catalog"]["drift"]
        self.assertEqual(drift[-1]["kind"], "table_dropped")
        self.assertEqual(drift[-1]["table"], "logs")
        self.refused(EXIT_FAIL, "catalog", "drop", "logs")

    # ---- crawl --full, --explain, the daemon ------------------------------------------------

    def test_crawl_full(self):
        self.orders_and_logs()
        self.crawl()
        r = self.js("crawl", "--full", "orders", "--json")
        self.assertEqual((r["db"], r["table"]), ("raw", "orders"))
        self.assertEqual((r["result"]["objects"], r["result"]["records"]), (2, 3))
        s = self.js("catalog", "show", "orders", "--json")
        self.assertEqual((s["version"], s["records"], s["files"]), (2, 3, 2))
        self.assertIn("rebuilt raw.orders", self.ok("crawl", "--full", "raw.orders").stdout.decode())
        p = self.refused(EXIT_FAIL, "crawl", "--full", "nope")
        self.assertOneLine(p.stderr, "nope")

    def test_crawl_explain(self):
        out = self.ok("crawl", "--explain", "raw/orders/dt=2026-01-05/a.ndjson").stdout.decode()
        self.assertRegex(out, r"table: +raw\.orders\n")
        self.assertRegex(out, r"\n  dt +=")
        p = self.sl("crawl", "--explain", "raw/loose.json")
        self.assertEqual(p.returncode, EXIT_PROBLEMS, p.stderr)
        self.assertIn("not a table's object", p.stdout.decode())
        self.refused(EXIT_USAGE, "crawl", "--explain", "nozone")

    def test_daemon_stops_on_sigterm(self):
        proc = subprocess.Popen([SLUICE, "--lake", self.lake, "crawl", "--wait", "100ms"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=base_env())
        try:
            for i in range(3):
                self.put_raw("clicks/d%d.ndjson" % i, ndjson({"n": i}))
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                t = self.tables().get("raw.clicks")
                if t and t["files"] == 3:
                    break
                time.sleep(0.1)
            self.assertEqual(self.tables()["raw.clicks"]["records"], 3)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn(b"crawled 3 messages: 3 objects catalogued (3 records)", out)

    # ---- status and usage ----------------------------------------------------------------------

    def test_status(self):
        st = self.js("status", "--json")["catalog"]
        self.assertEqual(st["tables"], {"raw": 0, "curated": 0})
        self.assertEqual(st["crawler"]["objects"], 0)
        self.assertEqual(st["drift"], [])
        self.orders_and_logs()
        st = self.js("status", "--json")["catalog"]
        self.assertEqual(st["backlog"]["raw"]["visible"], 3)
        self.crawl()
        st = self.js("status", "--json")["catalog"]
        self.assertEqual(st["tables"], {"raw": 2, "curated": 0})
        c = st["crawler"]
        self.assertEqual((c["messages"], c["objects"], c["records"]), (3, 3, 5))
        self.assertGreaterEqual(c["commits"], 1)
        self.assertEqual(st["backlog"]["raw"], {"visible": 0, "in_flight": 0, "delayed": 0})
        self.assertEqual(sorted(d["table"] for d in st["drift"]
                                if d["kind"] == "table_created"), ["logs", "orders"])
        text = self.ok("status").stdout.decode()
        self.assertIn("\ncatalog\n  tables        raw 2, curated 0\n", text)
        self.assertIn("crawler       1 commits, 3 messages, 3 objects, 5 records", text)
        # only the latest 10 drift entries
        for i in range(12):
            self.put_raw("t%02d/a.ndjson" % i, ndjson({"x": i}))
        self.crawl()
        drift = self.js("status", "--json")["catalog"]["drift"]
        self.assertEqual(len(drift), 10)
        ids = [d["id"] for d in drift]
        self.assertEqual(ids, sorted(ids))
        self.assertEqual(drift[-1]["table"], "t11")

    def test_usage_errors(self):
        self.refused(EXIT_USAGE, "catalog")
        self.refused(EXIT_USAGE, "catalog", "list")
        self.refused(EXIT_USAGE, "catalog", "show")
        self.refused(EXIT_USAGE, "catalog", "show", "a", "b")
        self.refused(EXIT_USAGE, "catalog", "ls", "extra")
        self.refused(EXIT_USAGE, "catalog", "ls", "--db", "landing")
        self.refused(EXIT_USAGE, "catalog", "ls", "--version", "1")
        self.refused(EXIT_USAGE, "catalog", "partitions", "t", "--stats")
        self.refused(EXIT_USAGE, "catalog", "drop", "t", "--json")
        self.refused(EXIT_USAGE, "catalog", "show", ".x")
        p = self.refused(EXIT_FAIL, "catalog", "show", "nope")
        self.assertOneLine(p.stderr, "no table 'nope'")
        self.refused(EXIT_USAGE, "crawl", "--batch", "0")
        self.refused(EXIT_USAGE, "crawl", "--batch", "1001")
        self.refused(EXIT_USAGE, "crawl", "--wait", "16m")
        self.refused(EXIT_USAGE, "crawl", "--wait", "soon")
        self.refused(EXIT_USAGE, "crawl", "--full", "t", "--drain")
        self.refused(EXIT_USAGE, "crawl", "--full", "t", "--explain", "raw/t/a.json")
        self.refused(EXIT_USAGE, "crawl", "extra")
        self.assertIn(b"usage: sluice catalog", self.ok("catalog", "--help").stdout)
        self.assertIn(b"usage: sluice crawl", self.ok("help", "crawl").stdout)
        p = self.refused(EXIT_FAIL, "catalog", "ls", lake=os.path.join(self.tmp, "nolake"))


if __name__ == "__main__":
    unittest.main()
