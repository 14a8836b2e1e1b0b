"""The crawler's bad input, end to end: one test per row of the table in docs/catalog.md
("Bad input"), each checking the documented result through the CLI a user would use.

Run: SLUICE=build/sluice python3 -m unittest -v test_crawl_bad_input (from tests/e2e).
"""
import gzip
import json
import unittest

from lakeutil import LakeTest


def ndjson(*records):
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


class CrawlBadInput(LakeTest):
    def put_raw(self, key, data):
        return self.put_bytes(key, data, "--zone", "raw")

    def crawl(self):
        p = self.ok("crawl", "--drain", "--json")
        return json.loads(p.stdout.decode().splitlines()[-1])["totals"]

    def js(self, *args):
        return json.loads(self.ok(*args, "--json").stdout)

    def schema(self, table):
        return self.js("catalog", "show", table)["schema_text"]

    def drift(self, table, kind=None):
        d = self.js("catalog", "history", table)["drift"]
        return [x for x in d if kind is None or x["kind"] == kind]

    def files(self, table):
        return {f["key"]: f for f in self.js("catalog", "files", table)}

    def test_types_conflicting_across_objects_become_string_with_drift(self):
        self.put_raw("t/a.ndjson", ndjson({"id": 1, "v": 7}))
        self.crawl()
        self.put_raw("t/b.ndjson", ndjson({"id": 2, "v": {"nested": True}}))
        self.crawl()
        self.assertIn("v:string", self.schema("t"))
        c = self.drift("t", "type_conflict")
        self.assertEqual(len(c), 1, c)
        self.assertEqual(c[0]["path"], "/v")
        self.assertEqual(c[0]["example"], "t/b.ndjson")
        self.assertIn("int64", c[0]["detail"])
        self.assertEqual(self.js("catalog", "show", "t")["version"], 2)
        # the same conflict again changes nothing more: no new version, no new entry
        self.put_raw("t/c.ndjson", ndjson({"id": 3, "v": [1]}))
        self.crawl()
        self.assertEqual(self.js("catalog", "show", "t")["version"], 2)
        self.assertEqual(len(self.drift("t", "type_conflict")), 1)

    def test_types_conflicting_within_one_object(self):
        self.put_raw("t/a.ndjson", ndjson({"v": 1}, {"v": "one"}))
        self.crawl()
        self.assertIn("v:string", self.schema("t"))
        self.assertEqual(self.files("t")["t/a.ndjson"]["records"], 2)

    def test_empty_objects_and_objects_without_records(self):
        self.put_raw("t/dt=1/a.ndjson", ndjson({"id": 1}))
        self.put_raw("t/dt=1/empty.ndjson", b"")
        self.put_raw("t/dt=1/blank.ndjson", b"\n  \n\n")
        self.put_raw("t/dt=1/none.json", b"[]")
        self.put_raw("t/dt=1/empty.ndjson.gz", gzip.compress(b""))
        totals = self.crawl()
        self.assertEqual(totals["rejected"], 0)
        files = self.files("t")
        for k in ("t/dt=1/empty.ndjson", "t/dt=1/blank.ndjson", "t/dt=1/none.json",
                  "t/dt=1/empty.ndjson.gz"):
            self.assertEqual((files[k]["state"], files[k]["records"]), ("active", 0), k)
        self.assertEqual(self.schema("t"), "struct<id:int64 not null> not null")
        parts = self.js("catalog", "partitions", "t")
        self.assertEqual([(p["objects"], p["records"]) for p in parts], [(5, 1)])

    def test_deep_nesting_is_typed_json_past_64_levels(self):
        deep = 1
        for _ in range(80):
            deep = {"d": deep}
        self.put_raw("t/a.ndjson", ndjson({"id": 1, "deep": deep}))
        self.crawl()
        s = self.schema("t")
        self.assertIn("json", s)
        self.assertLessEqual(s.count("struct<"), 65)
        self.assertEqual(self.files("t")["t/a.ndjson"]["state"], "active")

    def test_nesting_past_the_json_limits_is_unreadable(self):
        self.put_raw("t/a.ndjson", b'{"a":' * 100000 + b"1" + b"}" * 100000 + b"\n")
        self.put_raw("t/b.ndjson", ndjson({"a": 1}))
        totals = self.crawl()
        self.assertEqual(totals["rejected"], 1)
        f = self.files("t")["t/a.ndjson"]
        self.assertEqual(f["state"], "rejected")
        self.assertIn("t/a.ndjson:1:", f["reason"])
        self.assertEqual(len(self.drift("t", "unreadable")), 1)

    def test_thousands_of_distinct_keys_are_a_map(self):
        recs = [{"id": i, "counts": {"k%d" % (i * 3 + j): j for j in range(3)}}
                for i in range(1000)]
        self.put_raw("t/a.ndjson", ndjson(*recs))
        self.crawl()
        s = self.schema("t")
        self.assertIn("counts:map<string,int64", s)
        self.assertLess(len(s), 200)
        self.assertEqual(len(self.drift("t", "map_detected")), 1)

    def test_inconsistent_partition_keys_are_rejected_not_merged(self):
        self.put_raw("t/dt=2026-01-01/a.ndjson", ndjson({"id": 1}))
        self.crawl()
        self.put_raw("t/date=2026-01-02/b.ndjson", ndjson({"id": 2}))
        self.put_raw("t/dt=2026-01-02/hour=03/c.ndjson", ndjson({"id": 3}))
        totals = self.crawl()
        self.assertEqual(totals["rejected"], 2)
        show = self.js("catalog", "show", "t")
        self.assertEqual(show["partition_keys"], ["dt"])
        self.assertEqual(show["records"], 1)
        self.assertEqual(len(self.drift("t", "partition_layout")), 2)

    def test_partition_names_that_are_not_column_names(self):
        self.put_raw("t/a-b=1/a.ndjson", ndjson({"id": 1}))
        self.put_raw("u/1x=1/a.ndjson", ndjson({"id": 1}))
        totals = self.crawl()
        self.assertEqual(totals["rejected"], 2)
        # no table is made of rejected objects; the drift says why, in status
        self.assertEqual(self.js("catalog", "ls"), [])
        drift = [d for d in self.js("status")["catalog"]["drift"]
                 if d["kind"] == "bad_partition"]
        self.assertEqual(sorted(d["example"] for d in drift),
                         ["t/a-b=1/a.ndjson", "u/1x=1/a.ndjson"])

    def test_member_names_that_are_not_column_names(self):
        self.put_raw("t/a.ndjson", ndjson({"a b": 1, "\u00fc": "x", "ok": True, "OK": False}))
        self.crawl()
        s = self.schema("t")
        self.assertIn('"a b":int64', s)
        self.assertIn("\u00fc", s)
        # the catalog keeps them; DDL says which names a dialect cannot hold
        p = self.sl("catalog", "ddl", "t", "--dialect", "athena", "--location", "s3://b/raw")
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("ok", p.stderr.lower())
        p = self.sl("catalog", "ddl", "t", "--dialect", "duckdb")
        self.assertNotEqual(p.returncode, 0)  # "ok" and "OK" collide in DuckDB too

    def test_empty_member_name(self):
        self.put_raw("t/a.ndjson", ndjson({"": 1}))
        self.put_raw("t/b.ndjson", ndjson({"id": 1}))
        self.put_raw("u/a.ndjson", ndjson({"id": 1, "s": {"": 2}}))
        totals = self.crawl()
        self.assertEqual(totals["rejected"], 1)
        self.assertEqual(self.files("t")["t/a.ndjson"]["state"], "rejected")
        self.assertIn("s:json", self.schema("u"))

    def test_bodies_that_are_not_events_are_acknowledged(self):
        for body in ("not json", "{}", '{"event":"ObjectCreated:Put","zone":"raw"}',
                     '{"event":"ObjectCreated:Put","zone":"raw","key":"../x","seq":1}'):
            self.ok("queue", "send", "raw", body)
        totals = self.crawl()
        self.assertEqual(totals["skipped"], 4)
        q = {x["queue"]: x for x in self.js("queue", "ls")}
        self.assertEqual((q["raw"]["visible"], q["raw"]["in_flight"]), (0, 0))
        self.assertEqual(self.js("catalog", "ls"), [])


if __name__ == "__main__":
    unittest.main()
