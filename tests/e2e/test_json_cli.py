"""End-to-end tests of `sluice json check` and `sluice json stats` (no lake needed): exit
codes (0 valid, 1 invalid records, 2 unreadable or corrupt input), one
FILE:LINE:COL: message line per error, --max-errors and its count of hidden errors,
the framings, gzip and zstd input, standard input, the statistics a user reads, and
--scalar giving the same answers as the default parser.

Run: SLUICE=build/sluice python3 -m unittest -v test_json_cli   (from tests/e2e).
The conformance files are read from $SLUICE_CONFORMANCE, else from the copy kept with
the tests (tests/conformance).
"""
import gzip
import os
import re
import shutil
import subprocess
import sys
import unittest

from lakeutil import EXIT_FAIL, EXIT_OK, EXIT_USAGE, REPO, LakeTest, run

EXIT_INVALID = 1  # some record is invalid (the same number as a usage error)
ERROR_LINE = re.compile(r"^(.+):(\d+):(\d+): (.+) \(record (\d+), byte (\d+)\)$")
CONFORMANCE = os.path.join(
    os.environ.get("SLUICE_CONFORMANCE") or os.path.join(REPO, "tests", "conformance"),
    "json-parsing", "test_parsing")


def skip(reason):
    print("\nSKIP: " + reason, file=sys.stderr)
    raise unittest.SkipTest(reason)


def bad_lines(n):
    """n NDJSON lines, each invalid at column 8 (a trailing comma)."""
    return b"".join(b'{"i":%d,}\n' % i for i in range(n))


class JsonTest(LakeTest):
    make_lake = False

    def json(self, *args, **kw):
        return run(("json",) + args, **kw)

    def out(self, p):
        return p.stdout.decode("utf-8").splitlines()

    def errors(self, p):
        """The parsed FILE:LINE:COL lines: (file, line, col, message, record, byte)."""
        found = []
        for line in self.out(p):
            m = ERROR_LINE.match(line)
            if m:
                found.append((m.group(1), int(m.group(2)), int(m.group(3)), m.group(4),
                              int(m.group(5)), int(m.group(6))))
        return found


class TestCheck(JsonTest):
    def test_valid_document_exits_0_silently(self):
        f = self.write("ok.json", b'{\n  "a": [1, 2.5, "x", null, true],\n  "b": {}\n}\n')
        p = self.json("check", f)
        self.assertEqual((p.returncode, p.stdout, p.stderr), (EXIT_OK, b"", ""))

    def test_invalid_document_exits_1_with_file_line_col(self):
        f = self.write("bad.json", b'{\n  "name": "x",\n  "list": [1, 2,, 3]\n}\n')
        p = self.json("check", f)
        self.assertEqual(p.returncode, EXIT_INVALID, p.stderr)
        self.assertEqual(self.out(p), [
            "%s:3:17: unexpected ',' (record 1, byte 33)" % f,
            "%s: 1 of 1 records invalid" % f])
        self.assertEqual(p.stderr, "")

    def test_column_counts_characters(self):
        f = self.write("utf8.json", '{"é€😀": tru}'.encode("utf-8"))
        p = self.json("check", f)
        self.assertEqual(self.errors(p), [(f, 1, 9, "invalid literal: expected true, false or "
                                           "null", 1, 14)])

    def test_ndjson_reports_every_bad_record_at_its_line(self):
        data = (b'{"a":1}\n'
                b'\n'                       # blank lines are skipped, still counted
                b'{"a":2,}\r\n'             # line 3
                b'  \t\n'
                b'{"a":3}\n'
                b'{"a": tru}\n'             # line 6
                b'[1,2]')                   # no final newline
        f = self.write("x.ndjson", data)
        p = self.json("check", "--ndjson", f)
        self.assertEqual(p.returncode, EXIT_INVALID)
        self.assertEqual(self.errors(p), [
            (f, 3, 8, "expected a member name (a string) but found '}'", 2, 16),
            (f, 6, 7, "invalid literal: expected true, false or null", 4, 37)])
        self.assertEqual(self.out(p)[-1], "%s: 2 of 5 records invalid" % f)

    def test_ndjson_valid_exits_0(self):
        f = self.write("ok.ndjson", b'{"a":1}\r\n\n{"b":[2]}\n"s"\n')
        p = self.json("check", "--ndjson", f)
        self.assertEqual((p.returncode, p.stdout), (EXIT_OK, b""))

    def test_default_framing_is_one_document(self):
        f = self.write("two.ndjson", b'{"a":1}\n{"a":2}\n')
        p = self.json("check", f)
        self.assertEqual(p.returncode, EXIT_INVALID)
        self.assertEqual(self.errors(p), [(f, 2, 1, "unexpected '{' after the value", 1, 8)])
        self.assertEqual(self.json("check", "--ndjson", f).returncode, EXIT_OK)

    def test_array_framing(self):
        f = self.write("a.json", b'[\n  {"a":1},\n  {"a":},\n  "x,]\\"",\n  [1,[2]],\n  {"b" 2}\n]\n')
        p = self.json("check", "--array", f)
        self.assertEqual(p.returncode, EXIT_INVALID)
        self.assertEqual(self.errors(p), [
            (f, 3, 8, "unexpected '}'", 2, 20),
            (f, 6, 8, "expected ':' but found '2'", 5, 52)])
        self.assertEqual(self.out(p)[-1], "%s: 2 of 5 records invalid" % f)
        # a trailing comma is an error for the missing record
        f2 = self.write("t.json", b"[1,2,]")
        p = self.json("check", "--array", f2)
        self.assertEqual(p.returncode, EXIT_INVALID)
        self.assertEqual(self.errors(p), [(f2, 1, 6, "expected a record before ']'", 3, 5)])

    def test_unclosed_array_exits_2(self):
        f = self.write("open.json", b"[1, 2,\n")
        p = self.json("check", "--array", f)
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertIn("not closed", p.stdout.decode())
        f = self.write("after.json", b"[1] [2]")
        p = self.json("check", "--array", f)
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertIn("after the array", p.stdout.decode())

    def test_auto_framing(self):
        arr = self.write("a.json", b' \n[{"a":1},\n {"a":2,}]')
        nd = self.write("n.ndjson", b'{"a":1}\n{"a":2,}\n')
        p = self.json("check", "--auto", arr)
        self.assertEqual(self.errors(p), [(arr, 3, 9, "expected a member name (a string) but "
                                           "found '}'", 2, 20)])
        p = self.json("check", "--auto", nd)
        self.assertEqual(self.errors(p), [(nd, 2, 8, "expected a member name (a string) but "
                                           "found '}'", 2, 15)])

    def test_auto_reports_ndjson_columns_like_ndjson(self):
        # Regression test: with --auto, errors on a first NDJSON line that starts with
        # blanks had their column counted from the first non-blank byte.
        f = self.write("n.ndjson", b'\n  {"a" 1}\n{"b":2}\n')
        want = self.out(self.json("check", "--ndjson", f))
        self.assertEqual(want[0], "%s:2:8: expected ':' but found '1' (record 1, byte 8)" % f)
        self.assertEqual(self.out(self.json("check", "--auto", f)), want)

    def test_bom_is_skipped(self):
        f = self.write("bom.ndjson", b'\xef\xbb\xbf{"a":1}\n{"a":2}\n')
        self.assertEqual(self.json("check", "--ndjson", f).returncode, EXIT_OK)
        f = self.write("bom.json", b'\xef\xbb\xbf{"a":1}')
        self.assertEqual(self.json("check", f).returncode, EXIT_OK)

    def test_limits_options(self):
        deep = self.write("deep.json", b"[[[[1]]]]")
        p = self.json("check", "--max-depth", "3", deep)
        self.assertEqual(p.returncode, EXIT_INVALID)
        self.assertEqual(self.errors(p), [(deep, 1, 4, "nesting deeper than the limit of 3",
                                           1, 3)])
        self.assertEqual(self.json("check", "--max-depth", "4", deep).returncode, EXIT_OK)
        # the default depth limit (512) holds against 100000 levels: an error, no crash
        f = self.write("very-deep.json", b"[" * 100000 + b"]" * 100000)
        p = self.json("check", f)
        self.assertEqual(p.returncode, EXIT_INVALID)
        self.assertIn("nesting deeper than the limit of 512", p.stdout.decode())
        # a long NDJSON line is an error for itself; the next line is still checked
        f = self.write("long.ndjson", b'{"a":1}\n["' + b"x" * 100 + b'"]\n{"a":2,}\n')
        p = self.json("check", "--ndjson", "--max-record", "50", f)
        self.assertEqual(p.returncode, EXIT_INVALID)
        errs = self.errors(p)
        self.assertEqual([(e[1], e[4]) for e in errs], [(2, 2), (3, 3)])
        self.assertIn("limit of 50", errs[0][3])
        f = self.write("str.json", b'["12345", "123456"]')
        p = self.json("check", "--max-string", "5", f)
        self.assertEqual(self.errors(p), [(f, 1, 11, "string of 6 bytes, over the limit of 5",
                                           1, 10)])

    def test_duplicate_keys_are_valid_json(self):
        f = self.write("dup.json", b'{"a":1,"a":2}')
        self.assertEqual(self.json("check", f).returncode, EXIT_OK)


class TestMaxErrors(JsonTest):
    def test_cap_and_count_of_hidden_errors(self):
        f = self.write("bad.ndjson", bad_lines(30))
        p = self.json("check", "--ndjson", "--max-errors", "3", f)
        self.assertEqual(p.returncode, EXIT_INVALID)
        self.assertEqual(self.out(p), [
            "%s:1:8: expected a member name (a string) but found '}' (record 1, byte 7)" % f,
            "%s:2:8: expected a member name (a string) but found '}' (record 2, byte 16)" % f,
            "%s:3:8: expected a member name (a string) but found '}' (record 3, byte 25)" % f,
            "%s: 30 of 30 records invalid" % f,
            "(27 more errors not shown; raise --max-errors)"])
        # the default shows 20
        p = self.json("check", "--ndjson", f)
        self.assertEqual(len(self.errors(p)), 20)
        self.assertEqual(self.out(p)[-1], "(10 more errors not shown; raise --max-errors)")
        # enough room: no count line
        p = self.json("check", "--ndjson", "--max-errors", "30", f)
        self.assertEqual(len(self.errors(p)), 30)
        self.assertNotIn("not shown", p.stdout.decode())
        p = self.json("check", "--ndjson", "--max-errors", "0", f)
        self.assertEqual(self.errors(p), [])
        self.assertEqual(self.out(p)[-1], "(30 more errors not shown; raise --max-errors)")

    def test_cap_is_for_all_files_together(self):
        a = self.write("a.ndjson", bad_lines(5))
        b = self.write("b.ndjson", bad_lines(5))
        ok = self.write("ok.ndjson", b'{"a":1}\n')
        p = self.json("check", "--ndjson", "--max-errors", "7", a, ok, b)
        self.assertEqual(p.returncode, EXIT_INVALID)
        errs = self.errors(p)
        self.assertEqual([e[0] for e in errs], [a] * 5 + [b] * 2)
        out = self.out(p)
        self.assertIn("%s: 5 of 5 records invalid" % a, out)
        self.assertIn("%s: 5 of 5 records invalid" % b, out)
        self.assertEqual(out[-1], "(3 more errors not shown; raise --max-errors)")

    def test_hidden_count_does_not_count_the_fatal_line(self):
        # Regression test: a shown fatal error (which is always shown) was subtracted from
        # the invalid records, so the count of hidden errors came out one short.
        bad = self.write("bad.ndjson", bad_lines(30))
        gz = gzip.compress(b'{"a":1}\n' * 100)
        cut = self.write("cut.ndjson.gz", gz[:-6])
        p = self.json("check", "--ndjson", "--max-errors", "3", bad, cut)
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertEqual(len(self.errors(p)), 4)  # three records, then the fatal error
        self.assertEqual(self.out(p)[-1], "(27 more errors not shown; raise --max-errors)")

    def test_records_before_a_fatal_error_are_counted(self):
        # Regression test: invalid records of a file that then turned out truncated were
        # dropped from the counts: no "N of M records invalid", no count of hidden ones.
        body = bad_lines(30) + b'{"ok":true,"pad":"%s"}\n' % (b"p" * 100) * 40000
        gz = gzip.compress(body)
        f = self.write("late-cut.ndjson.gz", gz[:-6])
        p = self.json("check", "--ndjson", "--max-errors", "3", f)
        self.assertEqual(p.returncode, EXIT_FAIL)
        errs = self.errors(p)
        self.assertEqual(len(errs), 4, p.stdout)
        self.assertIn("gzip", errs[-1][3])
        self.assertEqual(self.out(p)[-1], "(27 more errors not shown; raise --max-errors)")


class TestCompressedAndStdin(JsonTest):
    def sample(self):
        lines = []
        for i in range(20000):
            if i % 4000 == 7:
                lines.append(b'{"i":%d,"bad":[1,,2]}' % i)
            elif i % 500 == 3:
                lines.append(b"")
            else:
                lines.append(b'{"i":%d,"user":{"name":"u%d","tags":["a","\xc3\xa9"]},"v":%d.5}'
                             % (i, i % 97, i))
        return b"\n".join(lines) + b"\n"

    def same_output(self, plain_path, other_path, p_plain, p_other):
        self.assertEqual(p_other.returncode, p_plain.returncode, p_other.stdout)
        want = p_plain.stdout.decode().replace(plain_path, "FILE")
        got = p_other.stdout.decode().replace(other_path, "FILE")
        self.assertEqual(got, want)

    def test_gzip_and_zstd_give_the_same_output_as_plain(self):
        data = self.sample()
        plain = self.write("s.ndjson", data)
        want = self.json("check", "--ndjson", "--max-errors", "100", plain)
        self.assertEqual(want.returncode, EXIT_INVALID)
        self.assertEqual(len(self.errors(want)), 5)
        gz = self.write("s.ndjson.gz", gzip.compress(data))
        self.same_output(plain, gz, want, self.json("check", "--ndjson", "--max-errors", "100", gz))
        # concatenated members, as `cat a.gz b.gz > c.gz` makes
        half = len(data) // 2 + 5
        cat = self.write("cat.ndjson.gz", gzip.compress(data[:half]) + gzip.compress(data[half:]))
        self.same_output(plain, cat, want, self.json("check", "--ndjson", "--max-errors", "100",
                                                     cat))
        # what the gzip command writes (a file name and a time in the header)
        gzip_cmd = shutil.which("gzip")
        if gzip_cmd:
            cmd_gz = os.path.join(self.tmp, "cmd.ndjson")
            shutil.copy(plain, cmd_gz)
            subprocess.run([gzip_cmd, "-f", cmd_gz], check=True)
            self.same_output(plain, cmd_gz + ".gz", want,
                             self.json("check", "--ndjson", "--max-errors", "100", cmd_gz + ".gz"))
        zstd = shutil.which("zstd")
        if not zstd:
            skip("no zstd command: zstd input not tested end to end (the unit tests cover it)")
        zst = os.path.join(self.tmp, "s.ndjson.zst")
        subprocess.run([zstd, "-q", "-f", plain, "-o", zst], check=True)
        self.same_output(plain, zst, want, self.json("check", "--ndjson", "--max-errors", "100",
                                                     zst))

    def test_truncated_gzip_exits_2(self):
        data = self.sample()
        gz = gzip.compress(data)
        f = self.write("cut.ndjson.gz", gz[: len(gz) // 2])
        p = self.json("check", "--ndjson", f)
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertIn("gzip", self.errors(p)[-1][3])
        for e in self.errors(p)[:-1]:
            self.assertIn("bad", data.splitlines()[e[1] - 1].decode())  # real errors only

    def test_corrupt_zstd_exits_2(self):
        zstd = shutil.which("zstd")
        if not zstd:
            skip("no zstd command")
        plain = self.write("s.ndjson", self.sample()[:100000])
        zst = os.path.join(self.tmp, "s.ndjson.zst")
        subprocess.run([zstd, "-q", "-f", plain, "-o", zst], check=True)
        with open(zst, "rb") as fh:
            z = bytearray(fh.read())
        z[len(z) // 2] ^= 0x5A
        bad = self.write("bad.ndjson.zst", bytes(z))
        p = self.json("check", "--ndjson", bad)
        self.assertEqual(p.returncode, EXIT_FAIL)
        errs = self.errors(p)
        self.assertEqual(len(errs), 1, p.stdout)
        self.assertIn("zstd", errs[0][3])
        trunc = self.write("trunc.ndjson.zst", bytes(z[:20]))
        self.assertEqual(self.json("check", "--ndjson", trunc).returncode, EXIT_FAIL)

    def test_unreadable_file_exits_2(self):
        missing = os.path.join(self.tmp, "missing.json")
        p = self.json("check", missing)
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertOneLine(p.stderr, "missing.json", "no such file")
        p = self.json("check", self.tmp)  # a directory
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertIn(self.tmp, p.stderr + p.stdout.decode())
        # the other files are still checked
        ok = self.write("ok.json", b"{}")
        bad = self.write("bad.json", b"{,}")
        p = self.json("check", missing, ok, bad)
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertEqual(len(self.errors(p)), 1)

    def test_stdin(self):
        data = b'{"a":1}\n{"a":,}\n'
        p = self.json("check", "--ndjson", "-", input=data)
        self.assertEqual(p.returncode, EXIT_INVALID)
        self.assertEqual(self.errors(p), [("-", 2, 6, "unexpected ','", 2, 13)])
        p = self.json("check", "--ndjson", "-", input=gzip.compress(data))
        self.assertEqual(self.errors(p), [("-", 2, 6, "unexpected ','", 2, 13)])
        p = self.json("check", "-", input=b'{"ok":true}')
        self.assertEqual((p.returncode, p.stdout), (EXIT_OK, b""))


class TestScalar(JsonTest):
    def test_scalar_gives_the_same_output_on_the_conformance_files(self):
        if not os.path.isdir(CONFORMANCE):
            self.fail("no conformance files at %s (set SLUICE_CONFORMANCE)" % CONFORMANCE)
        files = sorted(os.path.join(CONFORMANCE, n) for n in os.listdir(CONFORMANCE)
                       if n.endswith(".json"))
        self.assertGreater(len(files), 300)
        want = self.json("check", "--max-errors", "100000", *files)
        got = self.json("check", "--scalar", "--max-errors", "100000", *files)
        self.assertEqual(want.returncode, EXIT_INVALID)
        self.assertEqual(got.returncode, want.returncode)
        self.assertEqual(got.stdout, want.stdout)
        # every n_ file is reported, no y_ file is
        reported = {os.path.basename(e[0]) for e in self.errors(want)}
        for f in files:
            name = os.path.basename(f)
            if name.startswith("n_"):
                self.assertIn(name, reported)
            if name.startswith("y_"):
                self.assertNotIn(name, reported)

    def test_scalar_gives_the_same_output_on_ndjson_with_errors(self):
        lines = []
        for i in range(3000):
            s = '{"i":%d,"s":"%s\\"%s","v":[%d.25e-3,null]}' % (i, "x" * (i % 70), "é" * (i % 5), i)
            if i % 97 == 3:
                s = s[: i % len(s)] + "\x01" + s[i % len(s):]
            if i % 89 == 5:
                s = s.replace(":", "::", 1)
            lines.append(s)
        f = self.write("mix.ndjson", "\n".join(lines).encode())
        want = self.json("check", "--ndjson", "--max-errors", "10000", f)
        got = self.json("check", "--ndjson", "--scalar", "--max-errors", "10000", f)
        self.assertEqual(want.returncode, EXIT_INVALID)
        self.assertGreater(len(self.errors(want)), 50)
        self.assertEqual((got.returncode, got.stdout), (want.returncode, want.stdout))


class TestStats(JsonTest):
    DATA = (b'{"a":{"b":1},"tags":["x","y"],"items":[{"sku":1},{"sku":2},{"sku":3}]}\n'
            b'{"a":{"b":2,"c":[[{"d":true}]]},"tags":[]}\n'
            b'{"broken":\n'
            b'\n'
            b'{"a":{"b":3},"z":null}\n')

    def stats(self, *args, **kw):
        p = self.json("stats", *args, **kw)
        fields, keys = {}, {}
        for line in self.out(p):
            m = re.match(r"^(records|bytes|max depth|duplicate keys|parser|file) +(.+)$", line)
            if m:
                fields[m.group(1)] = m.group(2)
            m = re.match(r"^ +(\d+)  (\S+)$", line)
            if m:
                keys[m.group(2)] = int(m.group(1))
        return p, fields, keys

    def test_stats(self):
        f = self.write("s.ndjson", self.DATA)
        p, fields, keys = self.stats(f)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(fields["file"], f)
        self.assertEqual(fields["records"], "3 valid, 1 invalid")
        self.assertEqual(fields["bytes"], "%d (%d read)" % (len(self.DATA), len(self.DATA)))
        self.assertEqual(fields["max depth"], "5")
        self.assertEqual(fields["duplicate keys"], "0 records")
        for path in ("a", "a.b", "tags", "items", "items[].sku", "a.c", "a.c[][].d", "z"):
            self.assertIn(path, keys)
        self.assertEqual(keys["a"], 3)
        self.assertEqual(keys["a.b"], 3)
        self.assertEqual(keys["tags"], 2)
        self.assertEqual(keys["a.c[][].d"], 1)
        self.assertNotIn("broken", keys)
        self.assertIn("key frequencies", p.stdout.decode())

    def test_stats_counts_records_with_the_key(self):
        # Regression test: the heading says "records with the key at that path", but a
        # key repeated within one record (array elements, duplicate keys) was counted
        # once per occurrence.
        f = self.write("s.ndjson", b'{"items":[{"sku":1},{"sku":2},{"sku":3}]}\n'
                                   b'{"a":1,"a":2}\n')
        p, fields, keys = self.stats(f)
        self.assertIn("records with the key at that path", p.stdout.decode())
        self.assertEqual(fields["duplicate keys"], "1 records")
        self.assertEqual(keys["items[].sku"], 1)
        self.assertEqual(keys["a"], 1)

    def test_stats_array_gzip_stdin(self):
        arr = b'[{"k":{"x":1}}, {"k":{"x":2}}, {"j":3}]'
        f = self.write("a.json", arr)
        _, fields, keys = self.stats(f)  # AUTO framing by default
        self.assertEqual(fields["records"], "3 valid, 0 invalid")
        self.assertEqual(keys["k.x"], 2)
        g = self.write("s.ndjson.gz", gzip.compress(self.DATA))
        _, gfields, gkeys = self.stats(g)
        _, pfields, pkeys = self.stats(self.write("s.ndjson", self.DATA))
        self.assertEqual(gkeys, pkeys)
        self.assertEqual(gfields["records"], pfields["records"])
        self.assertEqual(gfields["bytes"].split()[0], str(len(self.DATA)))
        _, sfields, skeys = self.stats("-", input=self.DATA)
        self.assertEqual((sfields["records"], skeys), (pfields["records"], pkeys))

    def test_stats_on_corrupt_input_exits_2(self):
        gz = gzip.compress(self.DATA)
        f = self.write("cut.gz", gz[:-5])
        p = self.json("stats", f)
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertIn("gzip", p.stderr)
        p = self.json("stats", os.path.join(self.tmp, "missing"))
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertOneLine(p.stderr, "missing")

    def test_stats_without_any_key(self):
        # Regression test (seen under UBSan, as `make test` runs the e2e suite): with no
        # key counted, stats passed a null table to qsort, undefined behaviour.
        for data in (b"1\n2\n", b"[]\n", b"{}\n"):
            p, fields, keys = self.stats("--ndjson", "-", input=data)
            self.assertEqual(p.returncode, EXIT_OK, p.stderr)
            self.assertEqual(p.stderr, "")
            self.assertEqual(fields["records"], "%d valid, 0 invalid" % data.count(b"\n"))
            self.assertEqual(keys, {})

    def test_stats_scalar_uses_the_scalar_parser(self):
        # Regression test: --scalar was accepted by stats but ignored.
        f = self.write("s.ndjson", self.DATA)
        p, fields, keys = self.stats("--scalar", f)
        self.assertEqual(fields["parser"], "scalar")
        _, dfields, dkeys = self.stats(f)
        self.assertEqual(keys, dkeys)
        self.assertEqual(fields["records"], dfields["records"])


class TestUsage(JsonTest):
    def test_usage_errors(self):
        for args, needle in ((("json",), "expected check or stats"),
                             (("json", "check"), "needs a FILE"),
                             (("json", "frob", "x"), "unknown subcommand"),
                             (("json", "check", "--frob", "x"), "--frob"),
                             (("json", "check", "--max-depth", "x", "f"), "--max-depth"),
                             (("json", "stats", "a", "b"), "one FILE")):
            p = run(args)
            self.assertEqual(p.returncode, EXIT_USAGE, args)
            self.assertOneLine(p.stderr, needle)
            self.assertEqual(p.stdout, b"")

    def test_help(self):
        p = run(("json", "--help"))
        self.assertEqual(p.returncode, EXIT_OK)
        text = (p.stdout + p.stderr.encode()).decode()
        for word in ("check", "stats", "--ndjson", "--array", "--auto", "--max-errors",
                     "--scalar"):
            self.assertIn(word, text)


if __name__ == "__main__":
    unittest.main()
