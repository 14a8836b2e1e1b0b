"""End-to-end tests of `sluice convert IN OUT.parquet`: a good file, gzip and zstd input,
bad records left out (exit 3) and described on stderr and in --rejects, the schema from
a file, from the lake's registry or as a row type, and atomicity: a failed conversion
leaves neither OUT nor a temporary file, and an existing OUT untouched.

The files are checked by decoding their footer here (a small Thrift compact protocol
reader), independently of sluice's own Parquet reader; DuckDB reading them is the
interop tests' business (tests/interop).

Run: SLUICE=build/sluice python3 -m unittest -v test_convert   (from tests/e2e).
"""
import gzip
import json
import os
import shutil
import struct
import subprocess
import unittest

from lakeutil import EXIT_FAIL, EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, LakeTest, run

SCHEMA = {
    "type": "object",
    "required": ["id", "name"],
    "properties": {
        "id": {"type": "integer"},
        "name": {"type": "string", "minLength": 1},
        "ts": {"type": "string", "format": "date-time"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "geo": {"type": "object", "properties": {"lat": {"type": "number"},
                                                 "lon": {"type": "number"}}},
    },
}


def record(i):
    r = {"id": i, "name": "n%d" % i, "tags": ["t%d" % (i % 3)] * (i % 4)}
    if i % 5:
        r["ts"] = "2026-11-25T10:%02d:00.123+01:00" % (i % 60)
    if i % 2:
        r["geo"] = {"lat": i / 7, "lon": -i / 3}
    return r


def ndjson(records):
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


# ---- a Thrift compact protocol reader, enough for a Parquet footer ---------------------

class Compact:
    def __init__(self, data):
        self.d, self.i = data, 0

    def byte(self):
        b = self.d[self.i]
        self.i += 1
        return b

    def varint(self):
        shift = v = 0
        while True:
            b = self.byte()
            v |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return v

    def zigzag(self):
        v = self.varint()
        return (v >> 1) ^ -(v & 1)

    def value(self, t):
        if t in (1, 2):
            return t == 1
        if t == 3:
            return struct.unpack("b", bytes([self.byte()]))[0]
        if t in (4, 5, 6):
            return self.zigzag()
        if t == 7:
            v = struct.unpack("<d", self.d[self.i:self.i + 8])[0]
            self.i += 8
            return v
        if t == 8:
            n = self.varint()
            v = self.d[self.i:self.i + n]
            self.i += n
            return v
        if t in (9, 10):
            h = self.byte()
            n, et = h >> 4, h & 0x0F
            if n == 15:
                n = self.varint()
            return [self.value(et) for _ in range(n)]
        if t == 12:
            return self.struct()
        raise ValueError("compact type %d" % t)

    def struct(self):
        """{field id: value}; lists of structs become lists of such dicts."""
        out, last = {}, 0
        while True:
            h = self.byte()
            if h == 0:
                return out
            delta, t = h >> 4, h & 0x0F
            fid = last + delta if delta else self.zigzag()
            out[fid] = self.value(t)
            last = fid


def footer(path):
    """The decoded FileMetaData of a Parquet file ({field id: value})."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:4] == b"PAR1" and data[-4:] == b"PAR1", "not a Parquet file"
    n = struct.unpack("<I", data[-8:-4])[0]
    return Compact(data[-8 - n:-8]).struct()


def kv(meta):
    return {e[1].decode(): e[2].decode() for e in meta.get(5, [])}


class ConvertTest(LakeTest):
    make_lake = False

    def setUp(self):
        super().setUp()
        self.schema = self.write("schema.json", json.dumps(SCHEMA).encode())
        self.out = os.path.join(self.tmp, "out", "t.parquet")
        os.makedirs(os.path.dirname(self.out))

    def convert(self, src, *extra, out=None, **kw):
        return run(["convert", src, out or self.out, "--schema", self.schema] + list(extra),
                   **kw)

    def out_dir_entries(self):
        return sorted(os.listdir(os.path.dirname(self.out)))

    def summary(self, p):
        lines = [ln for ln in p.stderr.splitlines() if " rows, " in ln]
        self.assertEqual(len(lines), 1, p.stderr)
        return lines[0]


class TestGood(ConvertTest):
    def test_good_file(self):
        src = self.write("in.ndjson", ndjson(record(i) for i in range(300)))
        p = self.convert(src, "--row-group-rows", "100")
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("300 rows, 0 rejected", self.summary(p))
        self.assertRegex(self.summary(p), r"MB/s$")
        meta = footer(self.out)
        self.assertEqual(meta[3], 300)                       # num_rows
        self.assertEqual([rg[3] for rg in meta[4]], [100, 100, 100])
        t = kv(meta)["sluice.type"]
        self.assertTrue(t.startswith("struct<") and "id:int64 not null" in t, t)
        self.assertTrue(meta[6].startswith(b"sluice version"))
        self.assertEqual(self.out_dir_entries(), ["t.parquet"])  # no temporary file left

    def test_compressed_inputs_give_the_same_file(self):
        data = ndjson(record(i) for i in range(200))
        plain = self.write("in.ndjson", data)
        gz = self.write("in.ndjson.gz", gzip.compress(data))
        zst = os.path.join(self.tmp, "in.ndjson.zst")
        subprocess.run(["zstd", "-q", "-o", zst, plain], check=True)
        outs = []
        for i, src in enumerate((plain, gz, zst)):
            out = os.path.join(self.tmp, "out", "c%d.parquet" % i)
            p = self.convert(src, out=out)
            self.assertEqual(p.returncode, EXIT_OK, p.stderr)
            with open(out, "rb") as f:
                outs.append(f.read())
        self.assertEqual(outs[0], outs[1])
        self.assertEqual(outs[0], outs[2])

    def test_codecs_and_page_versions(self):
        src = self.write("in.ndjson", ndjson(record(i) for i in range(50)))
        codec_ids = {"none": 0, "snappy": 1, "gzip": 2, "zstd": 6}
        for codec, cid in codec_ids.items():
            for pv in ("1", "2"):
                p = self.convert(src, "--codec", codec, "--page-version", pv, "--level", "1")
                self.assertEqual(p.returncode, EXIT_OK, p.stderr)
                meta = footer(self.out)
                self.assertEqual(meta[3], 50)
                chunks = meta[4][0][1]
                self.assertTrue(all(c[3][4] == cid for c in chunks), (codec, chunks[0][3]))

    def test_array_framing_and_standard_input(self):
        data = json.dumps([record(i) for i in range(7)]).encode()
        p = run(["convert", "-", self.out, "--schema", self.schema], input=data)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(footer(self.out)[3], 7)

    def test_row_type_instead_of_a_schema(self):
        src = self.write("in.ndjson", b'{"a":{"b":[1,2]},"c":"2026-01-02"}\n{"a":null}\n')
        p = run(["convert", src, self.out, "--type", "struct<a:struct<b:list<int8>>,c:date>"])
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        meta = footer(self.out)
        self.assertEqual(meta[3], 2)
        self.assertEqual(kv(meta)["sluice.type"], "struct<a:struct<b:list<int8>>,c:date>")

    def test_inferred_row_type(self):
        src = self.write("in.ndjson", b'{"id":1,"v":"x","ts":"2026-01-02T03:04:05Z"}\n'
                         b'{"id":2,"v":7,"extra":[true]}\n'
                         b'not json\n'
                         b'{"id":3.5,"v":null}\n')
        p = run(["convert", src, self.out, "--infer"])
        self.assertEqual(p.returncode, EXIT_PROBLEMS, p.stderr)  # the bad line is left out
        self.assertIn("/v: string in an earlier record, int64 in record 2: typed json",
                      p.stderr)
        self.assertIn("3 rows, 1 rejected", self.summary(p))
        meta = footer(self.out)
        self.assertEqual(kv(meta)["sluice.type"],
                         "struct<id:double not null,v:json,ts:timestamp(us),"
                         "extra:list<boolean not null>> not null")
        # --sample: only the first record decides, so the second no longer fits
        p = run(["convert", src, self.out, "--infer", "--sample", "1"])
        self.assertEqual(p.returncode, EXIT_PROBLEMS, p.stderr)
        self.assertIn("1 rows, 3 rejected", self.summary(p))

    def test_subject_from_the_registry(self):
        lake = os.path.join(self.tmp, "lake")
        self.ok("init", lake, lake=False)
        self.ok("schema", "register", "things", self.schema, lake=lake)
        src = self.write("in.ndjson", ndjson(record(i) for i in range(10)))
        p = self.sl("convert", src, self.out, "--subject", "things:1", lake=lake)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        meta = footer(self.out)
        self.assertEqual(meta[3], 10)
        self.assertEqual(kv(meta)["sluice.schema.subject"], "things")
        p = self.sl("convert", src, self.out, "--subject", "nothing", lake=lake)
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertIn("nothing", p.stderr)


class TestRejects(ConvertTest):
    LINES = [
        b'{"id":1,"name":"a"}',
        b'{"id":2,"name":""}',                          # schema: minLength
        b'{"id":3,"name":"c",}',                        # not JSON
        b'{"id":4,"name":"d"}',
        b'{"id":99999999999999999999,"name":"e"}',       # valid, but no int64 holds it
        b'{"id":6}',                                    # schema: required
        b'{"id":7,"name":"g","geo":{"lat":1.5}}',
    ]

    def test_bad_records_left_out_with_exit_3(self):
        src = self.write("in.ndjson", b"\n".join(self.LINES) + b"\n")
        p = self.convert(src)
        self.assertEqual(p.returncode, EXIT_PROBLEMS, p.stderr)
        self.assertIn("3 rows, 4 rejected", self.summary(p))
        self.assertEqual(footer(self.out)[3], 3)
        err = p.stderr
        self.assertIn(":2: /name: minLength:", err)
        self.assertIn(":3: (root): $json:", err)
        self.assertIn(":5: /id: $convert: expected int64, got integer 99999999999999999999 "
                      "(out of range)", err)
        self.assertIn(":6: (root): required:", err)

    def test_rejects_file(self):
        src = self.write("in.ndjson", b"\n".join(self.LINES) + b"\n")
        rej = os.path.join(self.tmp, "rejects.ndjson")
        p = self.convert(src, "--rejects", rej)
        self.assertEqual(p.returncode, EXIT_PROBLEMS, p.stderr)
        with open(rej, "rb") as f:
            lines = [json.loads(ln) for ln in f.read().splitlines()]
        self.assertEqual([r["line"] for r in lines], [2, 3, 5, 6])
        by_line = {r["line"]: r for r in lines}
        self.assertEqual(by_line[2]["record"], {"id": 2, "name": ""})
        self.assertEqual(by_line[3]["record"], '{"id":3,"name":"c",}')  # not JSON: the text
        self.assertEqual(by_line[5]["errors"][0]["pointer"], "/id")
        self.assertEqual(by_line[5]["errors"][0]["keyword"], "$convert")
        self.assertEqual(by_line[5]["errors"][0]["message"],
                         "expected int64, got integer 99999999999999999999 (out of range)")
        self.assertEqual(by_line[6]["errors"][0]["keyword"], "required")
        self.assertEqual(by_line[3]["errors"][0]["keyword"], "$json")
        for r in lines:
            self.assertTrue(r["errors"] and all("message" in e for e in r["errors"]))

    def test_many_rejects_are_counted_not_all_shown(self):
        src = self.write("in.ndjson", b'{"id":1}\n' * 50 + b'{"id":2,"name":"x"}\n')
        p = self.convert(src)
        self.assertEqual(p.returncode, EXIT_PROBLEMS)
        self.assertIn("1 rows, 50 rejected", self.summary(p))
        self.assertIn("40 more rejected records not shown", p.stderr)
        self.assertLess(len(p.stderr.splitlines()), 20)

    def test_all_rejected_still_writes_a_valid_empty_file(self):
        src = self.write("in.ndjson", b'{"id":1}\n')
        p = self.convert(src)
        self.assertEqual(p.returncode, EXIT_PROBLEMS)
        meta = footer(self.out)
        self.assertEqual(meta[3], 0)
        self.assertEqual(meta.get(4, []), [])


class TestAtomicity(ConvertTest):
    def test_missing_input(self):
        p = self.convert(os.path.join(self.tmp, "nope.ndjson"))
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertIn("nope.ndjson", p.stderr)
        self.assertEqual(self.out_dir_entries(), [])

    def test_broken_stream_leaves_nothing(self):
        data = gzip.compress(ndjson(record(i) for i in range(20000)))
        src = self.write("in.ndjson.gz", data[:len(data) // 2])  # cut mid-stream
        rej = os.path.join(self.tmp, "out", "rejects.ndjson")
        p = self.convert(src, "--rejects", rej)
        self.assertEqual(p.returncode, EXIT_FAIL, p.stderr)
        self.assertEqual(self.out_dir_entries(), [])

    def test_existing_output_untouched_on_failure(self):
        with open(self.out, "wb") as f:
            f.write(b"old")
        bad_schema = self.write("bad.json", b'{"type": "object", "properties": 3}')
        p = run(["convert", self.write("in.ndjson", b"{}\n"), self.out, "--schema", bad_schema])
        self.assertEqual(p.returncode, EXIT_FAIL)
        with open(self.out, "rb") as f:
            self.assertEqual(f.read(), b"old")
        self.assertEqual(self.out_dir_entries(), ["t.parquet"])

    def test_output_folder_missing(self):
        src = self.write("in.ndjson", ndjson([record(1)]))
        p = self.convert(src, out=os.path.join(self.tmp, "no", "such", "t.parquet"))
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertOneLine(p.stderr)

    def test_replaces_an_existing_output(self):
        with open(self.out, "wb") as f:
            f.write(b"old")
        p = self.convert(self.write("in.ndjson", ndjson([record(1)])))
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(footer(self.out)[3], 1)


class TestUsage(ConvertTest):
    def test_usage_errors(self):
        src = self.write("in.ndjson", b"{}\n")
        for args in (["convert", src, self.out],
                     ["convert", src, self.out, "--schema", self.schema, "--type", "struct<a:int8>"],
                     ["convert", src, "--schema", self.schema],
                     ["convert", src, self.out, "--schema", self.schema, "--codec", "lzo"],
                     ["convert", src, self.out, "--schema", self.schema, "--page-version", "3"],
                     ["convert", src, self.out, "--schema", self.schema, "--row-group-rows", "0"],
                     ["convert", src, self.out, "--type", "struct<a:nope>"],
                     ["convert", src, self.out, "--infer", "--type", "struct<a:int8>"],
                     ["convert", "-", self.out, "--infer"],
                     ["convert", src, self.out, "--schema", self.schema, "--sample", "5"]):
            p = run(args)
            self.assertEqual(p.returncode, EXIT_USAGE, (args, p.stderr))
            self.assertEqual(self.out_dir_entries(), [])

    def test_help(self):
        p = run(["convert", "--help"])
        self.assertEqual(p.returncode, EXIT_OK)
        self.assertIn(b"--rejects", p.stdout + p.stderr.encode())


if __name__ == "__main__":
    unittest.main()
