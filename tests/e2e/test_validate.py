"""End-to-end tests of the validator stage and the dead letters: `sluice validate`,
`sluice deadletter ls|show|replay|purge`, the counters in `sluice status`, over scratch
lakes with schemas registered through `sluice schema register`.

Run: SLUICE=build/sluice python3 -m unittest -v test_validate   (from tests/e2e), or run.sh.
"""
import gzip
import json
import os
import signal
import subprocess
import time
import unittest

from lakeutil import EXIT_FAIL, EXIT_OK, EXIT_USAGE, SLUICE, LakeTest, base_env

ORDERS_V1 = {"type": "object", "required": ["id", "total"],
             "properties": {"id": {"type": "integer"},
                            "total": {"type": "number", "minimum": 0}}}
# v2 no longer requires "total" (a backward-compatible fix)
ORDERS_V2 = {"type": "object", "required": ["id"],
             "properties": {"id": {"type": "integer"},
                            "total": {"type": "number", "minimum": 0}}}

MIXED = (b'{"id":1,"total":2.5}\n'
         b'{"id":2,"total":"12.50 EUR"}\n'
         b'{"id":3}\n'
         b'{"id":4,"total":1},\n'
         b'{"id":5,"total":7}\n')
MIXED_VALID = b'{"id":1,"total":2.5}\n{"id":5,"total":7}\n'
MIXED_INVALID = b'{"id":2,"total":"12.50 EUR"}\n{"id":3}\n{"id":4,"total":1},\n'


class ValidateTest(LakeTest):
    def register(self, subject, schema):
        path = self.write("schema-%s-%d.json" % (subject, time.monotonic_ns()),
                          json.dumps(schema).encode())
        return self.ok("schema", "register", subject, path)

    def set_config(self, text):
        """Replaces sluice.yaml (every key not given keeps its default)."""
        with open(os.path.join(self.lake, "sluice.yaml"), "w") as f:
            f.write("version: 1\n" + text)
        self.ok("config", "check")

    def validate(self, *extra):
        p = self.ok("validate", "--drain", *extra)
        return p.stdout.decode()

    def lines(self, out):
        """{key: outcome} from validate's one line per object."""
        got = {}
        for line in out.splitlines():
            if line.startswith("validated "):
                continue
            outcome, rest = line.split(None, 1)
            key = rest.split(" ", 1)[0].rstrip(":")
            self.assertTrue(key.startswith("landing/"), line)
            got[key[len("landing/"):]] = outcome
        return got

    def dl_ls(self, *extra):
        return json.loads(self.ok("deadletter", "ls", "--json", *extra).stdout)

    def report(self, key):
        return json.loads(self.ok("deadletter", "show", key, "--json").stdout)


class TestValidate(ValidateTest):
    def test_every_outcome_in_one_drain(self):
        self.register("orders", ORDERS_V1)
        self.put_bytes("orders/2026/11/24/ok.ndjson", b'{"id":1,"total":1}\r\n\n{"id":2,"total":0}')
        self.put_bytes("orders/2026/11/24/mixed.ndjson", MIXED)
        self.put_bytes("orders/2026/11/24/mixed.ndjson.gz", gzip.compress(MIXED))
        self.put_bytes("orders/trunc.ndjson.gz", gzip.compress(MIXED)[:-9])
        self.put_bytes("orders/bad.ndjson", b'{"id":"x"}\n{"total":-1}\n')
        self.put_bytes("clicks/a.ndjson", b'{"x":1}\n')
        self.put_bytes("nofolder.json", b'{"x":1}')
        out = self.validate()
        self.assertEqual(self.lines(out), {
            "orders/2026/11/24/ok.ndjson": "passed",
            "orders/2026/11/24/mixed.ndjson": "split",
            "orders/2026/11/24/mixed.ndjson.gz": "split",
            "orders/trunc.ndjson.gz": "undecodable",
            "orders/bad.ndjson": "invalid",
            "clicks/a.ndjson": "no_schema",
            "nofolder.json": "no_schema",
        })
        self.assertIn("validated 7 messages", out)
        self.assertIn("[orders v1]", out)
        # raw: the original bytes when all are valid, the valid records of a split
        self.assertEqual(self.cat("raw/orders/2026/11/24/ok.ndjson"),
                         b'{"id":1,"total":1}\r\n\n{"id":2,"total":0}')
        self.assertEqual(self.cat("raw/orders/2026/11/24/mixed.ndjson"), MIXED_VALID)
        self.assertEqual(gzip.decompress(self.cat("raw/orders/2026/11/24/mixed.ndjson.gz")),
                         MIXED_VALID)
        self.assertEqual(self.cat("deadletter/orders/2026/11/24/mixed.ndjson"), MIXED_INVALID)
        self.assertEqual(gzip.decompress(
            self.cat("deadletter/orders/2026/11/24/mixed.ndjson.gz")), MIXED_INVALID)
        self.assertEqual(self.cat("deadletter/orders/bad.ndjson"), b'{"id":"x"}\n{"total":-1}\n')
        self.assertEqual(self.cat("deadletter/nofolder.json"), b'{"x":1}')
        # landing is empty, and nothing needs repair
        self.assertEqual(self.ls_json("landing"), [])
        self.assertEqual(self.peek("landing"), [])
        self.assertFsckClean()

        dls = {d["key"]: d for d in self.dl_ls()}
        self.assertEqual(set(dls), {"orders/2026/11/24/mixed.ndjson",
                                    "orders/2026/11/24/mixed.ndjson.gz",
                                    "orders/trunc.ndjson.gz", "orders/bad.ndjson",
                                    "clicks/a.ndjson", "nofolder.json"})
        self.assertEqual(dls["clicks/a.ndjson"]["reason"], "no schema for subject clicks")
        self.assertIsNone(dls["nofolder.json"]["subject"])
        self.assertEqual((dls["orders/2026/11/24/mixed.ndjson"]["bad_records"],
                          dls["orders/2026/11/24/mixed.ndjson"]["records"]), (3, 5))
        self.assertIn("gzip", dls["orders/trunc.ndjson.gz"]["reason"])
        only = self.dl_ls("--subject", "clicks")
        self.assertEqual([d["key"] for d in only], ["clicks/a.ndjson"])

        rep = self.report("orders/2026/11/24/mixed.ndjson")
        self.assertEqual(rep["source"]["key"], "orders/2026/11/24/mixed.ndjson")
        self.assertEqual((rep["subject"], rep["schema_version"]), ("orders", 1))
        self.assertEqual([e["index"] for e in rep["errors"]], [1, 2, 3])
        self.assertEqual([e["line"] for e in rep["errors"]], [2, 3, 4])
        self.assertEqual(rep["errors"][0]["errors"][0]["pointer"], "/total")
        self.assertEqual(rep["errors"][0]["errors"][0]["keyword"], "type")
        self.assertEqual(rep["errors"][1]["errors"][0]["keyword"], "required")
        self.assertEqual(rep["errors"][2]["errors"][0]["keyword"], "$json")
        self.assertFalse(rep["errors_truncated"])

        text = self.ok("deadletter", "show", "orders/2026/11/24/mixed.ndjson").stdout.decode()
        self.assertIn("split: 3 of 5 records invalid", text)
        self.assertIn("record 1 (line 2, byte 21)", text)
        self.assertIn("/total:", text)
        self.assertIn('> "{\\"id\\":2,\\"total\\":\\"12.50 EUR\\"}"', text)
        self.assertIn('> "{\\"id\\":4,\\"total\\":1},"', text)
        self.assertIn("raw/orders/2026/11/24/mixed.ndjson (2 records)", text)
        # a whole object's show finds the bad records inside it
        text = self.ok("deadletter", "show", "orders/bad.ndjson").stdout.decode()
        self.assertIn("record 0 (line 1", text)
        self.assertIn("record 1 (line 2", text)
        self.assertIn("minimum", text)

        stats = {c["subject"]: c for c in
                 json.loads(self.ok("validate", "--stats", "--json").stdout)}
        self.assertEqual(stats["orders"]["objects_passed"], 1)
        self.assertEqual(stats["orders"]["objects_split"], 2)
        self.assertEqual(stats["orders"]["objects_failed"], 2)
        self.assertEqual(stats["orders"]["records_passed"], 2 + 2 + 2)
        self.assertEqual(stats["orders"]["records_failed"], 3 + 3 + 2)
        self.assertEqual(stats["clicks"]["objects_failed"], 1)
        self.assertEqual(stats[None]["objects_failed"], 1)
        st = json.loads(self.ok("status", "--json").stdout)
        self.assertEqual({c["subject"] for c in st["validate"]}, {"orders", "clicks", None})
        self.assertIn(b"validator", self.ok("status").stdout)

    def test_replay_after_a_schema_fix(self):
        self.register("orders", ORDERS_V1)
        self.put_bytes("orders/a.ndjson", MIXED)
        self.put_bytes("orders/b.ndjson", b'{"id":9}\n')
        self.validate()
        self.register("orders", ORDERS_V2)
        p = self.ok("deadletter", "replay", "--subject", "orders")
        replayed = dict(line.split(" -> ") for line in p.stdout.decode().splitlines())
        self.assertEqual(len(replayed), 2)
        a_key = replayed["replayed deadletter/orders/a.ndjson"][len("landing/"):]
        b_key = replayed["replayed deadletter/orders/b.ndjson"][len("landing/"):]
        self.assertRegex(a_key, r"^orders/a\.replay-\d+\.ndjson$")
        self.assertEqual(self.dl_ls(), [])
        out = self.lines(self.validate())
        self.assertEqual(out, {a_key: "split", b_key: "passed"})
        self.assertEqual(self.cat("raw/" + b_key), b'{"id":9}\n')
        self.assertEqual(self.cat("raw/" + a_key), b'{"id":3}\n')
        self.assertEqual(self.cat("raw/orders/a.ndjson"), MIXED_VALID)  # untouched
        rep = self.report(a_key)
        self.assertEqual(rep["schema_version"], 2)
        self.assertEqual(rep["lineage"]["replayed_from"], "orders/a.ndjson")
        self.assertEqual(rep["lineage"]["failed_schema_version"], 1)
        self.assertEqual(rep["lineage"]["failed_reason"], "3 of 5 records invalid")
        text = self.ok("deadletter", "show", a_key).stdout.decode()
        self.assertIn("replayed     from deadletter/orders/a.ndjson", text)
        # every record landed is in raw or deadletter exactly once
        raw = b"".join(self.cat("raw/" + k) for k in ("orders/a.ndjson", a_key, b_key))
        dead = self.cat("deadletter/" + a_key)
        self.assertEqual(sorted((raw + dead).splitlines()),
                         sorted((MIXED + b'{"id":9}\n').splitlines()))
        self.assertFsckClean()

    def test_replay_all_and_one_key(self):
        self.put_bytes("x/a.ndjson", b'{"a":1}\n')
        self.put_bytes("y/b.ndjson", b'{"b":1}\n')
        self.validate()
        p = self.ok("deadletter", "replay", "x/a.ndjson")
        self.assertRegex(p.stdout.decode(), r"^replayed deadletter/x/a.ndjson -> "
                                            r"landing/x/a\.replay-\d+\.ndjson\n$")
        self.ok("deadletter", "replay", "--all")
        self.assertEqual(self.dl_ls(), [])
        self.assertEqual(len(self.ls_json("landing")), 2)
        self.refused(EXIT_FAIL, "deadletter", "replay", "x/none")

    def test_purge(self):
        for k in ("p/a.ndjson", "p/b.ndjson", "q/c.ndjson"):
            self.put_bytes(k, b"{}\n")
        self.validate()
        self.ok("deadletter", "purge", "p/a.ndjson")
        self.assertEqual([d["key"] for d in self.dl_ls()], ["p/b.ndjson", "q/c.ndjson"])
        self.ok("deadletter", "purge", "--older-than", "1d")  # none that old
        self.assertEqual(len(self.dl_ls()), 2)
        time.sleep(0.01)
        self.ok("deadletter", "purge", "--older-than", "1ms", "--subject", "q")
        self.assertEqual([d["key"] for d in self.dl_ls()], ["p/b.ndjson"])
        self.ok("deadletter", "purge", "--older-than", "0s")
        self.assertEqual(self.dl_ls(), [])
        self.assertEqual(self.ls_json("deadletter"), [])
        self.refused(EXIT_FAIL, "deadletter", "purge", "p/a.ndjson")
        self.assertFsckClean()

    def test_hostile_records_are_quarantined_with_reasons(self):
        self.register("orders", ORDERS_V1)
        good = b'{"id":1,"total":1}\n'
        bad = [b'{"id":2,"total":1,"deep":' + b"[" * 600 + b"]" * 600 + b"}",
               b'{"id":3,"total":1,"s":"' + b"x" * 2000 + b'"}',
               b'{"id":4,"total":1,"s":"\xc0\xaf"}',
               b'{"id":5,"total":1,"id":6}',
               b'{"id":7,"total":1e999}']
        self.set_config("validate:\n  limits:\n    max_string: 1000\n")
        self.put_bytes("orders/h.ndjson", good + b"\n".join(bad) + b"\n" + good)
        self.assertEqual(self.lines(self.validate()), {"orders/h.ndjson": "split"})
        self.assertEqual(self.cat("raw/orders/h.ndjson"), good + good)
        self.assertEqual(self.cat("deadletter/orders/h.ndjson"), b"\n".join(bad) + b"\n")
        msgs = [e["errors"][0]["message"].lower() for e in self.report("orders/h.ndjson")["errors"]]
        for msg, word in zip(msgs, ("nesting", "string", "utf-8", "duplicate", "range")):
            self.assertIn(word, msg)

    def test_routes_policies_and_pass_through(self):
        self.register("orders", ORDERS_V1)
        self.set_config("validate:\n"
                        "  routes:\n"
                        "    - match: 'legacy/**/order-*.json'\n"
                        "      subject: orders\n"
                        "      format: document\n"
                        "  subjects:\n"
                        "    orders: {policy: quarantine}\n"
                        "    telemetry: {pass_through: true}\n")
        self.put_bytes("legacy/2019/x/order-1.json", b'{\n  "id": 1,\n  "total": 3\n}\n')
        self.put_bytes("orders/q.ndjson", MIXED)
        self.put_bytes("telemetry/t.bin", b"\x00\x01 anything")
        self.assertEqual(self.lines(self.validate()), {
            "legacy/2019/x/order-1.json": "passed",
            "orders/q.ndjson": "quarantined",
            "telemetry/t.bin": "pass_through",
        })
        self.assertEqual(self.cat("deadletter/orders/q.ndjson"), MIXED)
        self.assertEqual(self.cat("raw/telemetry/t.bin"), b"\x00\x01 anything")

    def test_same_event_twice_makes_no_second_copy(self):
        self.register("orders", ORDERS_V1)
        self.put_bytes("orders/a.ndjson", MIXED)
        body = self.peek("landing")[0]["body"]
        self.validate()
        raw_events = len(self.peek("raw"))
        self.ok("queue", "send", "landing", body)
        self.assertEqual(self.lines(self.validate()), {"orders/a.ndjson": "skipped"})
        self.assertEqual(len(self.peek("raw")), raw_events)
        stats = json.loads(self.ok("validate", "--stats", "--json").stdout)
        self.assertEqual(stats[0]["objects_split"], 1)

    def test_workers(self):
        self.register("orders", ORDERS_V1)
        files = []
        for i in range(40):
            files.append(self.write("w/f%02d.ndjson" % i,
                                    MIXED if i % 4 == 0 else b'{"id":1,"total":1}\n'))
        self.ok("put", "--prefix", "orders/", *files)
        out = self.validate("--workers", "3")
        got = self.lines(out)
        self.assertEqual(len(got), 40)
        self.assertEqual(sum(1 for v in got.values() if v == "split"), 10)
        stats = json.loads(self.ok("validate", "--stats", "--json").stdout)[0]
        self.assertEqual((stats["objects_passed"], stats["objects_split"]), (30, 10))
        self.assertEqual(len(self.ls_json("raw")), 40)
        self.assertFsckClean()

    def test_daemon_runs_until_sigterm(self):
        self.register("orders", ORDERS_V1)
        proc = subprocess.Popen([SLUICE, "--lake", self.lake, "validate"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                env=base_env())
        try:
            for i in range(5):
                self.put_bytes("orders/d%d.ndjson" % i, b'{"id":1,"total":1}\n')
            deadline = time.monotonic() + 20
            while len(self.ls_json("raw")) < 5 and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertEqual(len(self.ls_json("raw")), 5)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.assertEqual(proc.returncode, 0, err)
        self.assertIn(b"validated 5 messages: passed 5", out)
        self.assertFsckClean()

    def test_usage_and_failures(self):
        self.refused(EXIT_USAGE, "validate", "--workers", "0")
        self.refused(EXIT_USAGE, "validate", "extra")
        self.refused(EXIT_USAGE, "deadletter")
        self.refused(EXIT_USAGE, "deadletter", "frobnicate")
        self.refused(EXIT_USAGE, "deadletter", "replay")
        self.refused(EXIT_USAGE, "deadletter", "replay", "a", "--all")
        self.refused(EXIT_USAGE, "deadletter", "purge")
        self.refused(EXIT_USAGE, "deadletter", "purge", "--older-than", "soon")
        self.refused(EXIT_USAGE, "deadletter", "show")
        self.refused(EXIT_FAIL, "deadletter", "show", "no/such.json")
        self.assertEqual(self.ok("deadletter", "ls").stdout, b"")
        self.assertEqual(self.dl_ls(), [])
        for cmd in ("validate", "deadletter"):
            self.assertIn(b"usage: sluice " + cmd.encode(), self.ok(cmd, "--help").stdout)


if __name__ == "__main__":
    unittest.main()
