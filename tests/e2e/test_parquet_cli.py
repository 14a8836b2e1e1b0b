"""End-to-end tests of `sluice parquet schema|meta|head|cat` over files of the Parquet
corpus (tests/conformance/parquet): the output a user reads (parquet-tools style schema,
metadata with statistics, rows as NDJSON), --json, --columns, -n, and the errors: exit 2
with one line naming the file and the place, exit 1 for usage errors.

Run: SLUICE=build/sluice python3 -m unittest -v test_parquet_cli   (from tests/e2e).
"""
import json
import os
import shutil

from lakeutil import EXIT_FAIL, EXIT_OK, EXIT_USAGE, REPO, LakeTest, run

DATA = os.path.join(
    os.environ.get("SLUICE_CONFORMANCE") or os.path.join(REPO, "tests", "conformance"),
    "parquet", "data")


def data(name):
    return os.path.join(DATA, name)


class ParquetTest(LakeTest):
    make_lake = False

    def pq(self, *args):
        return run(("parquet",) + args)

    def rows(self, *args):
        p = self.pq(*args)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        return [json.loads(line) for line in p.stdout.decode("utf-8").splitlines()]


class TestSchema(ParquetTest):
    def test_text_shows_the_parquet_schema_and_the_sluice_type(self):
        p = self.pq("schema", data("alltypes_plain.parquet"))
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        out = p.stdout.decode()
        self.assertIn("message", out)
        self.assertIn("optional int32 id", out)
        self.assertIn("optional int96 timestamp_col", out)
        self.assertRegex(out, r"sluice type: struct<id:int32,.*timestamp_col:timestamp\(us\)>")

    def test_json(self):
        p = self.pq("schema", "--json", data("list_columns.parquet"))
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        doc = json.loads(p.stdout)
        self.assertEqual(doc["type"]["type"], "struct")
        names = [f["name"] for f in doc["type"]["fields"]]
        self.assertEqual(names, ["int64_list", "utf8_list"])
        self.assertIn("list<", doc["type_text"])
        self.assertIn("int64_list", doc["parquet"])


class TestMeta(ParquetTest):
    def test_text(self):
        p = self.pq("meta", data("int96_from_spark.parquet"))
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        out = p.stdout.decode()
        self.assertIn("created by: parquet-mr version 1.13.1", out)
        self.assertIn("rows: 6", out)
        self.assertIn("row group 0: 6 rows", out)
        self.assertRegex(out, r"  a: INT96 SNAPPY \S*PLAIN_DICTIONARY")
        self.assertIn("org.apache.spark.version", out)

    def test_json_statistics_in_the_columns_form(self):
        p = self.pq("meta", "--json", data("int32_decimal.parquet"))
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        m = json.loads(p.stdout)
        self.assertEqual(m["rows"], 24)
        col = m["row_groups"][0]["columns"][0]
        self.assertEqual(col["type"], "INT32")
        st = col["statistics"]
        # DECIMAL(4,2): the legacy min/max 1.00 and 24.00, exact decimal text
        self.assertEqual(st["null_count"], 0)
        self.assertTrue(st["legacy"])
        self.assertIn('"min":1.00,"max":24.00', p.stdout.decode())

    def test_footer_num_rows_disagreeing_is_shown(self):
        p = self.pq("meta", data("repeated_no_annotation.parquet"))
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("rows: 6 (the footer says otherwise)", p.stdout.decode())


class TestRows(ParquetTest):
    def test_head_defaults_to_ten_rows(self):
        rows = self.rows("head", data("alltypes_tiny_pages.parquet"))
        self.assertEqual(len(rows), 10)

    def test_head_n_and_columns(self):
        rows = self.rows("head", "-n", "3", "--columns", "id,bool_col", data("alltypes_plain.parquet"))
        self.assertEqual(rows, [{"id": 4, "bool_col": True}, {"id": 5, "bool_col": False},
                                {"id": 6, "bool_col": True}])

    def test_cat_every_row(self):
        rows = self.rows("cat", data("nested_lists.snappy.parquet"))
        self.assertEqual(len(rows), 3)
        self.assertEqual(rows[0]["b"], 1)
        self.assertEqual(rows[0]["a"], [[["a", "b"], ["c"]], [None, ["d"]]])

    def test_nested_maps_with_string_keys_are_objects(self):
        rows = self.rows("cat", data("nested_maps.snappy.parquet"))
        self.assertEqual(len(rows), 6)
        # the outer map has string keys (an object), the inner one int keys (an array)
        self.assertEqual(rows[0]["a"], {"a": [{"key": 1, "value": True},
                                              {"key": 2, "value": False}]})
        self.assertEqual(rows[2]["a"], {"c": None})
        self.assertEqual(rows[3]["a"], {"d": []})

    def test_nan_and_infinity_are_strings(self):
        rows = self.rows("cat", data("float16_nonzeros_and_nans.parquet"))
        self.assertEqual([r["x"] for r in rows],
                         [None, 1.0, -2.0, "NaN", 0.0, -1.0, -0.0, 2.0])


class TestErrors(ParquetTest):
    def test_corrupt_checksum_names_the_page(self):
        p = self.pq("cat", data("datapage_v1-corrupt-checksum.parquet"))
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertRegex(p.stderr, r"^sluice: .*datapage_v1-corrupt-checksum.parquet: row group 0, "
                                   r"column a, page 0 at offset \d+: CRC mismatch")
        p = self.pq("cat", "--no-crc", data("datapage_v1-corrupt-checksum.parquet"))
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertEqual(len(p.stdout.splitlines()), 5120)

    def test_encrypted(self):
        p = self.pq("schema", data("uniform_encryption.parquet.encrypted"))
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertIn("encrypted Parquet is not supported", p.stderr)

    def test_plaintext_footer_with_encrypted_columns(self):
        f = data("encrypt_columns_plaintext_footer.parquet.encrypted")
        p = self.pq("schema", f)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("required double double_field", p.stdout.decode())
        p = self.pq("meta", f)
        self.assertEqual(p.returncode, EXIT_OK, p.stderr)
        self.assertIn("  float_field: encrypted", p.stdout.decode())
        self.assertEqual(len(self.rows("cat", "--columns", "boolean_field", f)), 50)
        p = self.pq("cat", f)
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertIn("column float_field: the column is encrypted", p.stderr)

    def test_not_parquet(self):
        f = os.path.join(self.tmp, "x.parquet")
        with open(f, "wb") as fh:
            fh.write(b"not a parquet file at all")
        p = self.pq("meta", f)
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertIn("x.parquet: not a Parquet file", p.stderr)
        p = self.pq("meta", os.path.join(self.tmp, "missing.parquet"))
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertIn("missing.parquet", p.stderr)

    def test_truncated_file(self):
        f = os.path.join(self.tmp, "t.parquet")
        with open(data("alltypes_plain.parquet"), "rb") as fh:
            body = fh.read()
        with open(f, "wb") as fh:
            fh.write(body[:len(body) // 2] + body[-8:])
        p = self.pq("cat", f)
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertIn("t.parquet", p.stderr)
        self.assertEqual(len(p.stderr.splitlines()), 1)

    def test_usage(self):
        for args in (("cat",), ("frob", data("binary.parquet")),
                     ("schema", "--columns", "a", data("binary.parquet")),
                     ("head", "-n", "x", data("binary.parquet")),
                     ("cat", "--json", data("binary.parquet"))):
            p = self.pq(*args)
            self.assertEqual(p.returncode, EXIT_USAGE, args)

    def test_unknown_column(self):
        p = self.pq("cat", "--columns", "nope", data("binary.parquet"))
        self.assertEqual(p.returncode, EXIT_FAIL)
        self.assertIn("no column 'nope'", p.stderr)
