"""End-to-end tests of `sluice schema`: the registry (register, check, ls, show, diff,
compat) over a scratch lake, and `schema test` on files without a lake. What a user relies
on: immutable versions numbered from 1, identical schemas returning their version, the
compatibility modes refusing a change with the rule it broke, malformed schemas and bad
arguments refused with one clear line, dense numbering when processes race, and one
FILE:LINE: POINTER: KEYWORD: MESSAGE line per reason a record is invalid.

Run: SLUICE=build/sluice python3 -m unittest -v test_schema_cli   (from tests/e2e).
"""
import gzip
import hashlib
import json
import os
import re
import subprocess
import unittest

from lakeutil import (EXIT_FAIL, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, SLUICE, LakeTest,
                      base_env, run)

EXIT_INVALID = 1  # schema test: some record is invalid
REGISTERED = re.compile(r"^(registered|exists) (\S+) version (\d+) (sha256:[0-9a-f]{64})$")
REASON = re.compile(r"^(.+):(\d+): (\S*): (\S+): (.+)$")

CLOSED = {"type": "object", "properties": {"id": {"type": "integer"}},
          "required": ["id"], "additionalProperties": False}


def canonical(obj):
    """The registry's canonical form, for schemas whose numbers are plain integers."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint(obj):
    return "sha256:" + hashlib.sha256(canonical(obj).encode()).hexdigest()


def with_props(base, **props):
    s = json.loads(json.dumps(base))
    s["properties"].update(props)
    return s


class SchemaTest(LakeTest):
    def schema_file(self, obj, name=None):
        data = obj if isinstance(obj, bytes) else json.dumps(obj, indent=2).encode()
        name = name or "s%d.json" % len(os.listdir(self.tmp))
        return self.write(name, data)

    def register(self, subject, obj, *extra):
        p = self.ok("schema", "register", subject, self.schema_file(obj), *extra)
        m = REGISTERED.match(p.stdout.decode().strip())
        self.assertIsNotNone(m, p.stdout)
        self.assertEqual(m.group(2), subject)
        return m.group(1), int(m.group(3)), m.group(4)

    def versions(self, subject):
        return json.loads(self.ok("schema", "ls", subject, "--json").stdout)

    def subjects(self):
        return json.loads(self.ok("schema", "ls", "--json").stdout)

    def show(self, subject, version="latest"):
        return json.loads(self.ok("schema", "show", subject, "--version", str(version),
                                  "--json").stdout)


class TestRegister(SchemaTest):
    def test_versions_from_1_with_canonical_fingerprints(self):
        a = {"type": "object", "title": "A"}
        b = {"type": "object", "title": "B"}
        self.assertEqual(self.register("orders", a), ("registered", 1, fingerprint(a)))
        self.assertEqual(self.register("orders", b), ("registered", 2, fingerprint(b)))
        self.assertEqual(self.register("clicks", a), ("registered", 1, fingerprint(a)))
        got = self.show("orders", 1)
        self.assertEqual((got["subject"], got["version"], got["latest"]), ("orders", 1, 2))
        self.assertEqual(got["schema"], a)
        self.assertEqual(got["fingerprint"], fingerprint(a))
        self.assertEqual(got["compatibility"], "BACKWARD")
        self.assertEqual(self.show("orders")["version"], 2)
        self.assertEqual([v["version"] for v in self.versions("orders")], [1, 2])
        self.assertEqual([v["fingerprint"] for v in self.versions("orders")],
                         [fingerprint(a), fingerprint(b)])

    def test_identical_schema_returns_its_version(self):
        s = {"type": "object", "properties": {"a": {"type": "string"}}}
        self.register("orders", s)
        self.register("orders", {"type": "object", "title": "other"})
        # other member order, whitespace and escapes: the same canonical form
        text = b'{ "properties" : { "\\u0061" : {"type":"string"} },\n "type":"object"}'
        self.assertEqual(self.register("orders", text), ("exists", 1, fingerprint(s)))
        # a UTF-8 byte order mark (as editors write) changes nothing
        self.assertEqual(self.register("orders", b"\xef\xbb\xbf" + text),
                         ("exists", 1, fingerprint(s)))
        self.assertEqual(len(self.versions("orders")), 2)
        p = self.ok("schema", "register", "orders", self.schema_file(s), "--json")
        self.assertEqual(json.loads(p.stdout), {"subject": "orders", "version": 1,
                                                "fingerprint": fingerprint(s), "new": False})

    def test_register_from_standard_input(self):
        p = self.ok("schema", "register", "orders", "-", input=b'{"type":"string"}')
        self.assertRegex(p.stdout.decode(), r"^registered orders version 1 sha256:")
        self.assertEqual(self.show("orders")["schema"], {"type": "string"})

    def test_boolean_schema(self):
        self.register("anything", b"true")
        self.assertIs(self.show("anything")["schema"], True)

    def test_metadata(self):
        self.register("orders", {"type": "object"}, "--meta", "owner=data-team",
                      "--meta", "ticket=ING-7=b")
        got = self.show("orders")
        self.assertEqual(got["metadata"], {"owner": "data-team", "ticket": "ING-7=b"})
        text = self.ok("schema", "show", "orders").stdout.decode()
        self.assertIn("owner=data-team", text)
        # an identical registration adds pairs it lacks; a changed value is refused
        self.register("orders", {"type": "object"}, "--meta", "reviewed=yes")
        self.assertEqual(self.show("orders")["metadata"],
                         {"owner": "data-team", "ticket": "ING-7=b", "reviewed": "yes"})
        p = self.refused(EXIT_FAIL, "schema", "register", "orders",
                         self.schema_file({"type": "object"}), "--meta", "owner=me")
        self.assertIn("owner", p.stderr)
        self.assertEqual(self.show("orders")["metadata"]["owner"], "data-team")

    def test_bad_metadata_is_a_usage_error(self):
        f = self.schema_file({})
        many = []
        for i in range(11):
            many += ["--meta", "k%d=v" % i]
        for extra in (["--meta", "novalue"], ["--meta", "=v"], ["--meta", "k="],
                      ["--meta", "k=a\x01b"], ["--meta", "k" * 129 + "=v"],
                      ["--meta", "k=" + "v" * 257], ["--meta", "k=1", "--meta", "k=2"], many):
            p = self.refused(EXIT_USAGE, "schema", "register", "orders", f, *extra)
            self.assertIn("meta", p.stderr)
        self.assertEqual(self.subjects(), [])

    def test_show_text_prints_the_schema_readably(self):
        s = {"type": "object", "properties": {"b": {"type": "integer"}, "a": {"enum": [1, 2]}}}
        self.register("orders", s)
        text = self.ok("schema", "show", "orders").stdout.decode()
        self.assertIn("subject:       orders\n", text)
        self.assertIn("version:       1 (latest 1)\n", text)
        self.assertIn("compatibility: BACKWARD\n", text)
        self.assertIn(fingerprint(s), text)
        body = text[text.index("\n{"):]
        self.assertEqual(json.loads(body), s)
        self.assertIn('\n  "properties": {\n', body)  # indented, keys sorted

    def test_ls(self):
        self.assertEqual(self.subjects(), [])
        self.register("b", {})
        self.register("a", {"type": "string"}, "--compat", "FULL")
        self.register("a", {"type": "string", "title": "t"})
        got = self.subjects()
        self.assertEqual([(s["subject"], s["compatibility"], s["versions"]) for s in got],
                         [("a", "FULL", 2), ("b", "BACKWARD", 1)])
        text = self.ok("schema", "ls").stdout.decode().splitlines()
        self.assertRegex(text[0], r"^SUBJECT\s+COMPAT\s+VERSIONS\s+UPDATED$")
        self.assertRegex(text[1], r"^a\s+FULL\s+2\s+\d{4}-")
        self.assertEqual(len(text), 3)


class TestCompatibility(SchemaTest):
    def test_backward_by_default_refuses_with_the_rule(self):
        self.register("orders", CLOSED)
        optional = with_props(CLOSED, note={"type": "string"})
        self.assertEqual(self.register("orders", optional)[:2], ("registered", 2))
        required = dict(optional, required=["id", "note"])
        p = self.refused(EXIT_FAIL, "schema", "register", "orders", self.schema_file(required))
        self.assertIn("required-added at /required", p.stderr)
        self.assertIn('"note"', p.stderr)
        self.assertIn("version 2", p.stderr)
        self.assertEqual(p.stdout, b"")
        self.assertEqual(len(self.versions("orders")), 2)

    def test_check_reports_every_reason_and_writes_nothing(self):
        self.register("orders", CLOSED)
        bad = {"type": "object", "properties": {"id": {"type": "string"}},
               "required": ["id", "x"], "additionalProperties": False}
        p = self.sl("schema", "check", "orders", self.schema_file(bad))
        self.assertEqual(p.returncode, EXIT_PROBLEMS, p.stderr)
        out = p.stdout.decode()
        self.assertIn("orders: required-added at /required:", out)
        self.assertIn("orders: type-narrowed at /properties/id/type:", out)
        self.assertIn("(BACKWARD, against version 1)", out)
        self.assertIn("orders: not compatible (BACKWARD): 2 problems", out)
        self.assertEqual(len(self.versions("orders")), 1)
        ok = self.ok("schema", "check", "orders", self.schema_file(dict(CLOSED, title="t")))
        self.assertEqual(ok.stdout, b"orders: ok: would be registered as version 2 (BACKWARD)\n")
        same = self.ok("schema", "check", "orders", self.schema_file(CLOSED))
        self.assertIn(b"identical to version 1", same.stdout)
        new = self.ok("schema", "check", "fresh", self.schema_file(CLOSED))
        self.assertIn(b"version 1", new.stdout)
        self.assertEqual(len(self.versions("orders")), 1)
        self.assertEqual([s["subject"] for s in self.subjects()], ["orders"])

    def test_forward_and_full(self):
        optional = with_props(CLOSED, note={"type": "string"})
        self.register("fw", CLOSED, "--compat", "FORWARD")
        p = self.refused(EXIT_FAIL, "schema", "register", "fw", self.schema_file(optional))
        self.assertIn("property-added-closed at /properties/note", p.stderr)
        self.register("full", CLOSED, "--compat", "full")
        p = self.refused(EXIT_FAIL, "schema", "register", "full", self.schema_file(optional))
        self.assertIn("property-added-closed", p.stderr)
        self.assertEqual(self.register("full", dict(CLOSED, description="d"))[:2],
                         ("registered", 2))

    def test_none_accepts_anything(self):
        self.register("s", {"type": "string"}, "--compat", "NONE")
        self.assertEqual(self.register("s", {"type": "integer"})[1], 2)

    def test_all_modes_check_every_earlier_version(self):
        self.register("s", {"type": "string"}, "--compat", "NONE")
        self.register("s", {"type": "integer"})
        nxt = self.schema_file({"type": ["integer", "null"]})
        self.ok("schema", "compat", "s", "BACKWARD_ALL")
        p = self.sl("schema", "check", "s", nxt)
        self.assertEqual(p.returncode, EXIT_PROBLEMS)
        self.assertIn(b"type-narrowed", p.stdout)
        self.assertIn(b"against version 1", p.stdout)
        self.ok("schema", "compat", "s", "BACKWARD")
        self.assertEqual(self.register("s", {"type": ["integer", "null"]})[1], 3)

    def test_disabled_refuses_new_versions(self):
        self.register("orders", CLOSED)
        p = self.ok("schema", "compat", "orders", "DISABLED")
        self.assertEqual(p.stdout, b"orders BACKWARD -> DISABLED\n")
        f = self.schema_file(dict(CLOSED, title="t"))
        p = self.refused(EXIT_FAIL, "schema", "register", "orders", f)
        self.assertIn("DISABLED", p.stderr)
        p = self.sl("schema", "check", "orders", f)
        self.assertEqual(p.returncode, EXIT_PROBLEMS)
        self.assertIn(b"DISABLED", p.stdout)
        self.assertEqual(self.register("orders", CLOSED)[:2], ("exists", 1))
        self.assertEqual(len(self.versions("orders")), 1)
        # a new subject created DISABLED gets nothing
        self.refused(EXIT_FAIL, "schema", "register", "frozen", f, "--compat", "DISABLED")
        self.assertEqual([s["subject"] for s in self.subjects()], ["orders"])

    def test_compat_command(self):
        self.assertEqual(self.ok("schema", "compat", "--default").stdout, b"default BACKWARD\n")
        self.assertEqual(self.ok("schema", "compat", "--default", "full_all").stdout,
                         b"default BACKWARD -> FULL_ALL\n")
        self.register("a", {})
        self.assertEqual(self.ok("schema", "compat", "a").stdout, b"a FULL_ALL\n")
        self.assertEqual(self.ok("schema", "compat", "b", "NONE").stdout,
                         b"b NONE (new subject)\n")
        self.assertEqual([(s["subject"], s["versions"]) for s in self.subjects()],
                         [("a", 1), ("b", 0)])
        self.refused(EXIT_FAIL, "schema", "compat", "nope")
        for args in (("compat", "a", "SIDEWAYS"), ("compat", "--default", "x"),
                     ("register", "a", self.schema_file({}), "--compat", "BACK"),
                     ("compat",), ("compat", "a", "NONE", "extra"),
                     ("compat", "--default", "NONE", "FULL")):
            self.refused(EXIT_USAGE, "schema", *args)
        self.assertEqual(self.ok("schema", "compat", "a").stdout, b"a FULL_ALL\n")

    def test_compat_given_for_an_existing_subject(self):
        self.register("a", {})
        p = self.refused(EXIT_FAIL, "schema", "register", "a", self.schema_file({"title": "x"}),
                         "--compat", "NONE")
        self.assertIn("BACKWARD", p.stderr)
        self.assertEqual(self.register("a", {"title": "x"}, "--compat", "BACKWARD")[1], 2)


class TestDiff(SchemaTest):
    def test_diff_and_verdict(self):
        self.register("orders", CLOSED)
        self.register("orders", dict(with_props(CLOSED, note={"type": "string"}),
                                     required=["id"]))
        out = self.ok("schema", "diff", "orders", "1", "latest").stdout.decode()
        self.assertIn("--- orders version 1\n+++ orders version 2\n", out)
        self.assertIn('+ /properties/note: {"type":"string"}\n', out)
        self.assertIn("BACKWARD (the new reads data of the old): compatible\n", out)
        self.assertIn("FORWARD (the old reads data of the new): not compatible\n", out)
        self.assertIn("  property-added-closed at /properties/note:", out)
        self.assertIn("FULL: not compatible\n", out)
        back = self.ok("schema", "diff", "orders", "2", "1").stdout.decode()
        self.assertIn('- /properties/note: {"type":"string"}\n', back)
        self.assertIn("property-removed-closed", back)
        same = self.ok("schema", "diff", "orders", "2", "2").stdout.decode()
        self.assertIn("(no differences)", same)
        self.assertIn("FULL: compatible", same)

    def test_diff_changed_values_and_sets(self):
        self.register("s", {"type": "integer", "enum": [1, 2], "maximum": 5}, "--compat", "NONE")
        self.register("s", {"type": "number", "enum": [2, 3], "maximum": 5})
        out = self.ok("schema", "diff", "s", "1", "2").stdout.decode()
        self.assertIn('~ /type: "integer" -> "number"\n', out)
        self.assertIn("- /enum/0: 1\n", out)
        self.assertIn("+ /enum/1: 3\n", out)
        self.assertNotIn("maximum", out.split("compatibility")[0])

    def test_diff_bad_versions(self):
        self.register("s", {})
        self.refused(EXIT_FAIL, "schema", "diff", "s", "1", "2")
        self.refused(EXIT_FAIL, "schema", "diff", "nope", "1", "1")
        for v in ("0", "-1", "x", "1.0", "99999999999999999999999"):
            self.refused(EXIT_USAGE, "schema", "diff", "s", "1", v)
        self.refused(EXIT_USAGE, "schema", "diff", "s", "1")


class TestBadInput(SchemaTest):
    def test_invalid_json_schema(self):
        for data, needle in ((b'{"type": "object",', "line 1, column"),
                             (b'{"a": 1,}', "invalid JSON"), (b"", "invalid JSON"),
                             (b"\xff\xfe{}", "invalid JSON"),
                             (b'{"properties": {"a": {}, "a": {}}}',
                              "duplicate key at /properties/a")):
            f = self.schema_file(data)
            p = self.refused(EXIT_FAIL, "schema", "register", "orders", f)
            self.assertIn(needle, p.stderr)
            self.assertIn(os.path.basename(f), p.stderr)
            c = self.sl("schema", "check", "orders", f)
            self.assertEqual(c.returncode, EXIT_PROBLEMS)
            self.assertIn(needle.encode(), c.stdout)
        self.assertEqual(self.subjects(), [])

    def test_non_object_schema(self):
        for data in (b"[]", b'"string"', b"42", b"null", b"[{}]"):
            p = self.refused(EXIT_FAIL, "schema", "register", "orders", self.schema_file(data))
            self.assertIn("must be a JSON object", p.stderr)
        self.assertEqual(self.subjects(), [])

    def test_bad_subject_names(self):
        f = self.schema_file({})
        for name in ("", "x" * 129, "../x", "a/b", "a b", "a\x01b", ".", "..", "caf\u00e9",
                     "a:b", "-"):
            if name == "-":
                continue  # "-" is a valid name
            p = self.refused(EXIT_USAGE, "schema", "register", name, f)
            self.assertIn("subject", p.stderr)
            self.assertNotIn("\x01", p.stderr)
            self.refused(EXIT_USAGE, "schema", "show", name)
        self.assertEqual(self.register("x" * 128, {})[1], 1)
        self.assertEqual(self.register("-", {})[1], 1)
        self.assertEqual(len(self.subjects()), 2)

    def test_bad_versions(self):
        self.register("orders", {})
        for v in ("0", "-1", "+1", "abc", "1.5", "", "99999999999999999999", "0x10"):
            p = self.refused(EXIT_USAGE, "schema", "show", "orders", "--version", v)
            self.assertIn("version", p.stderr)
        for v in ("2", "9223372036854775807"):
            p = self.refused(EXIT_FAIL, "schema", "show", "orders", "--version", v)
            self.assertIn("no version " + v, p.stderr)
        p = self.refused(EXIT_FAIL, "schema", "show", "unknown")
        self.assertIn("unknown", p.stderr)
        p = self.refused(EXIT_FAIL, "schema", "ls", "unknown")
        self.ok("schema", "compat", "empty", "NONE")
        p = self.refused(EXIT_FAIL, "schema", "show", "empty")
        self.assertIn("no versions", p.stderr)

    def test_huge_schema_file(self):
        big = b'{"description":"' + b"x" * (4 << 20) + b'"}'
        p = self.refused(EXIT_FAIL, "schema", "register", "orders", self.schema_file(big))
        self.assertIn("4 MiB", p.stderr)
        p = self.refused(EXIT_FAIL, "schema", "register", "orders", "-", input=big)
        self.assertIn("4 MiB", p.stderr)
        p = self.refused(EXIT_FAIL, "schema", "test", self.schema_file(big), self.schema_file({}))
        self.assertIn("4 MiB", p.stderr)
        # just under the limit is fine
        ok = b'{"description":"' + b"x" * ((4 << 20) - 20) + b'"}'
        self.assertEqual(self.register("orders", ok)[1], 1)

    def test_deep_schema(self):
        deep = b'{"not":' * 300 + b"{}" + b"}" * 300
        p = self.refused(EXIT_FAIL, "schema", "register", "orders", self.schema_file(deep))
        self.assertIn("invalid JSON", p.stderr)

    def test_missing_or_unreadable_file(self):
        self.refused(EXIT_FAIL, "schema", "register", "orders", os.path.join(self.tmp, "nope"))
        p = self.refused(EXIT_FAIL, "schema", "register", "orders", self.tmp)
        self.assertIn("directory", p.stderr.lower())

    def test_schemas_the_compiler_refuses(self):
        # these need the validator's compiler (src/schema/compile.c)
        cases = [({"type": "string", "pattern": "("}, "/pattern"),
                 ({"minimum": "3"}, "minimum"),
                 ({"type": "nonsense"}, "type"),
                 ({"$ref": "#/$defs/missing"}, "$ref"),
                 ({"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"$ref": "#/$defs/a"}},
                   "$ref": "#/$defs/a"}, "$ref"),
                 ({"$ref": "sluice:nosuch/1"}, "sluice:nosuch/1")]
        for schema, needle in cases:
            p = self.refused(EXIT_FAIL, "schema", "register", "orders", self.schema_file(schema))
            self.assertIn(needle, p.stderr, schema)
            c = self.sl("schema", "check", "orders", self.schema_file(schema))
            self.assertEqual(c.returncode, EXIT_PROBLEMS, schema)
        self.assertEqual(self.subjects(), [])

    def test_registry_references(self):
        self.register("address", {"type": "object", "required": ["city"]})
        self.assertEqual(self.register("orders", {"properties": {
            "ship_to": {"$ref": "sluice:address/1"}}})[1], 1)
        # another reference cannot be compared: refused as unprovable under BACKWARD
        latest = self.schema_file({"properties": {"ship_to": {"$ref": "sluice:address/latest"}}})
        p = self.refused(EXIT_FAIL, "schema", "register", "orders", latest)
        self.assertIn("unprovable-change at /properties/ship_to/$ref", p.stderr)
        self.ok("schema", "compat", "orders", "NONE")
        self.assertEqual(self.ok("schema", "register", "orders", latest).stdout.split()[:4],
                         [b"registered", b"orders", b"version", b"2"])
        self.refused(EXIT_FAIL, "schema", "register", "x",
                     self.schema_file({"$ref": "sluice:address/2"}))

    def test_wrong_usage(self):
        f = self.schema_file({})
        for args in (("schema",), ("schema", "frob"), ("schema", "register", "a"),
                     ("schema", "register", "a", f, f), ("schema", "show"),
                     ("schema", "ls", "a", "b"), ("schema", "ls", "--version", "1"),
                     ("schema", "show", "a", "--compat", "NONE"),
                     ("schema", "check", "a", f, "--meta", "k=v"),
                     ("schema", "test", f), ("schema", "test", f, f, "--json"),
                     ("schema", "register", "a", f, "--bogus")):
            self.refused(EXIT_USAGE, *args)
        self.assertEqual(self.subjects(), [])

    def test_help(self):
        p = run(["schema", "--help"], cwd=self.tmp)
        self.assertEqual(p.returncode, EXIT_OK)
        self.assertTrue(p.stdout.startswith(b"usage: sluice schema register"))
        self.assertRegex(run(["help"], cwd=self.tmp).stdout.decode(), r"(?m)^  schema\s")


class TestConcurrentRegistration(SchemaTest):
    def test_racing_processes_keep_numbering_dense(self):
        self.ok("schema", "compat", "race", "NONE")
        procs, each = 6, 5
        shared = self.schema_file({"title": "shared"}, "shared.json")
        scripts = []
        for p in range(procs):
            files = [self.schema_file({"title": "p%d-%d" % (p, i)}, "p%d-%d.json" % (p, i))
                     for i in range(each)]
            cmds = []
            for f in files:
                cmds.append("%s --lake %s schema register race %s" % (SLUICE, self.lake, f))
                cmds.append("%s --lake %s schema register race %s" % (SLUICE, self.lake, shared))
            scripts.append(" && ".join(cmds))
        running = [subprocess.Popen(["sh", "-c", s], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, env=base_env()) for s in scripts]
        shared_versions, all_versions = set(), []
        for pr in running:
            out, err = pr.communicate(timeout=120)
            self.assertEqual(pr.returncode, 0, err)
            for line in out.decode().splitlines():
                m = REGISTERED.match(line)
                self.assertIsNotNone(m, line)
                all_versions.append(int(m.group(3)))
                if m.group(4) == fingerprint({"title": "shared"}):
                    shared_versions.add(int(m.group(3)))
        self.assertEqual(len(shared_versions), 1, shared_versions)
        versions = self.versions("race")
        self.assertEqual([v["version"] for v in versions], list(range(1, procs * each + 2)))
        self.assertEqual(len({v["fingerprint"] for v in versions}), procs * each + 1)
        self.assertEqual(set(all_versions), set(range(1, procs * each + 2)))


class TestSchemaTest(SchemaTest):
    make_lake = False

    SCHEMA = {"type": "object", "properties": {"id": {"type": "integer"},
                                               "email": {"type": "string", "format": "email"}},
              "required": ["id"], "additionalProperties": False}

    def reasons(self, p):
        return [REASON.match(l).groups() for l in p.stdout.decode().splitlines()
                if REASON.match(l)]

    def test_ndjson_reports_each_reason_with_line_and_pointer(self):
        s = self.schema_file(self.SCHEMA)
        d = self.write("d.ndjson", b'{"id":1}\n{"id":"x"}\n\n{"id":2,"zz":1}\n{"email":"a@b.c"}\n'
                                   b'{"id":3}\n')
        p = run(["schema", "test", s, d], cwd=self.tmp)
        self.assertEqual(p.returncode, EXIT_INVALID, p.stderr)
        got = [(int(line), ptr, kw) for f, line, ptr, kw, msg in self.reasons(p)]
        self.assertEqual(got, [(2, "/id", "type"), (4, "/zz", "additionalProperties"),
                               (5, "(root)", "required")])
        for f, *_ in self.reasons(p):
            self.assertEqual(f, d)
        self.assertTrue(p.stdout.decode().endswith("%s: 3 of 5 records invalid\n" % d))

    def test_all_valid(self):
        s = self.schema_file(self.SCHEMA)
        d = self.write("d.ndjson", b'{"id":1}\n{"id":2,"email":"x@y.org"}\n')
        p = run(["schema", "test", s, d], cwd=self.tmp)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(p.stdout.decode(), "%s: all 2 records valid\n" % d)

    def test_array_and_lines_inside_a_record(self):
        s = self.schema_file(self.SCHEMA)
        d = self.write("d.json", b'[\n  {"id": 1},\n  {\n    "id": 2,\n    "email": 7\n  }\n]\n')
        p = run(["schema", "test", s, d, "--array"], cwd=self.tmp)
        self.assertEqual(p.returncode, EXIT_INVALID)
        self.assertEqual([(int(l), ptr, kw) for f, l, ptr, kw, m in self.reasons(p)],
                         [(5, "/email", "type")])
        # --auto (the default) recognises the array too
        self.assertEqual(run(["schema", "test", s, d], cwd=self.tmp).stdout, p.stdout)

    def test_unparseable_record_and_gzip(self):
        s = self.schema_file(self.SCHEMA)
        d = self.write("d.ndjson.gz", gzip.compress(b'{"id":1}\n{oops}\n{"id":"x"}\n'))
        p = run(["schema", "test", s, d], cwd=self.tmp)
        self.assertEqual(p.returncode, EXIT_INVALID, p.stderr)
        got = [(int(l), ptr, kw) for f, l, ptr, kw, m in self.reasons(p)]
        self.assertEqual(got, [(2, "(root)", "$json"), (3, "/id", "type")])

    def test_max_errors(self):
        s = self.schema_file(self.SCHEMA)
        d = self.write("d.ndjson", b'{"id":"x"}\n' * 50)
        p = run(["schema", "test", s, d, "--max-errors", "3"], cwd=self.tmp)
        self.assertEqual(p.returncode, EXIT_INVALID)
        self.assertEqual(len(self.reasons(p)), 3)
        self.assertIn(b"47 more invalid records not shown", p.stdout)
        self.assertIn(b"50 of 50 records invalid", p.stdout)

    def test_standard_input(self):
        s = self.schema_file(self.SCHEMA)
        p = run(["schema", "test", s, "-"], cwd=self.tmp, input=b'{"id":1.5}\n')
        self.assertEqual(p.returncode, EXIT_INVALID)
        self.assertEqual(self.reasons(p)[0][:4], ("-", "1", "/id", "type"))

    def test_bad_schema_or_data_file(self):
        d = self.write("d.ndjson", b'{"id":1}\n')
        for bad, needle in (({"pattern": "("}, "/pattern"), (b"[1]", "object"),
                            (b"{", "")):
            p = run(["schema", "test", self.schema_file(bad), d], cwd=self.tmp)
            self.assertEqual(p.returncode, EXIT_FAIL, p.stderr)
            self.assertEqual(len(p.stderr.splitlines()), 1, p.stderr)
            self.assertIn(needle, p.stderr)
        p = run(["schema", "test", self.schema_file(self.SCHEMA), os.path.join(self.tmp, "no")],
                cwd=self.tmp)
        self.assertEqual(p.returncode, EXIT_FAIL)
        p = run(["schema", "test", self.schema_file(self.SCHEMA),
                 self.write("t.gz", gzip.compress(b'{"id":1}\n' * 100)[:-10])], cwd=self.tmp)
        self.assertEqual(p.returncode, EXIT_FAIL)

    def test_registry_references_need_a_lake(self):
        lake = os.path.join(self.tmp, "lake")
        self.ok("init", lake, lake=False)
        addr = self.schema_file({"type": "object", "required": ["city"]})
        self.ok("schema", "register", "address", addr, lake=lake)
        s = self.schema_file({"properties": {"to": {"$ref": "sluice:address/1"}}})
        d = self.write("d.ndjson", b'{"to":{"city":"x"}}\n{"to":{}}\n')
        p = self.sl("schema", "test", s, d, lake=lake)
        self.assertEqual(p.returncode, EXIT_INVALID, p.stderr)
        self.assertEqual([(int(l), ptr, kw) for f, l, ptr, kw, m in self.reasons(p)],
                         [(2, "/to", "required")])
        p = run(["schema", "test", s, d], cwd=self.tmp)  # no lake: the reference is unknown
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertIn("sluice:address/1", p.stderr)


if __name__ == "__main__":
    unittest.main()
