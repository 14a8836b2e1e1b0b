"""The DuckDB DDL of `sluice catalog ddl` run in DuckDB over a crawled lake (issue 6).

A scratch lake gets objects in raw and curated: a JSON table with Hive partitions
(dt=/hour=, NDJSON and gzip, nested values, a map disguised as a struct, timestamps with
offsets), a JSON table with unnamed partition folders (a JSON array beside NDJSON and
gzip), a table whose folder and column names are hostile (quotes, spaces, glob
characters, unicode), a Parquet table written by `sluice convert` (with a binary column
and a column that only later files have), a table whose objects were all removed, and
the curated table of a `layout: nested` ETL job (struct and list columns, a struct
member that only later files have).
After `sluice crawl --drain`, each table's DuckDB view must return the catalog's record
count, the column types the mapping promises (docs/catalog.md) and the values that were
put, partition columns included.

Needs tests/interop/setup.sh to have installed DuckDB's Node API (tests/run.sh does);
NODE_PATH points at it. The binary is $SLUICE, else build/sluice.
"""
import base64
import datetime
import gzip
import json
import os
import shutil
import subprocess
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SLUICE = os.path.abspath(os.environ.get("SLUICE") or os.path.join(REPO, "build", "sluice"))
DUCK = os.path.join(HERE, "duck.js")


def duck(*sql):
    """Runs the statements in one DuckDB; returns the rows of each, as lists of dicts."""
    p = subprocess.run(["node", DUCK, "--threads", "1", "--each"] + list(sql),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    if p.returncode != 0:
        raise AssertionError("duckdb failed: %s\n%s" % (p.stderr.decode(), "\n".join(sql)))
    return [json.loads(line) for line in p.stdout.decode().splitlines()]


def ndjson(records):
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


class CatalogInteropTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not os.access(SLUICE, os.X_OK):
            raise unittest.SkipTest("no sluice binary at %s (set SLUICE)" % SLUICE)
        if subprocess.run(["node", DUCK, "SELECT 1"], stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL).returncode != 0:
            raise AssertionError("DuckDB's Node API is not installed: run "
                                 "tests/interop/setup.sh BUILD and set NODE_PATH")

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="sluice-catalog-interop-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        # glob characters and a quote in the lake's own path: the DDL must make them literal
        # (a '?' is refused for JSON tables: DuckDB misreads compressed files below one)
        self.lake = os.path.join(self.tmp, "la'ke [x]*")
        self.sl("init", self.lake, lake=False)

    def sl(self, *args, lake=True, data=None):
        cmd = [SLUICE] + (["--lake", self.lake] if lake else []) + list(args)
        env = {k: v for k, v in os.environ.items() if k != "SLUICE_LAKE"}
        p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=300, env=env)
        if p.returncode != 0:
            raise AssertionError("sluice %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                              p.stderr.decode()))
        return p.stdout.decode()

    def put(self, zone, key, data):
        self.sl("put", "-", "--zone", zone, "--key", key, data=data)

    def crawl(self):
        out = self.sl("crawl", "--drain", "--json").splitlines()
        self.assertEqual(json.loads(out[-1])["failures"], 0)

    def view(self, table):
        """The DuckDB DDL of table, and the catalog's row of it."""
        return (self.sl("catalog", "ddl", table, "--dialect", "duckdb"),
                json.loads(self.sl("catalog", "show", table, "--json")))

    def query(self, table, *sql):
        ddl, meta = self.view(table)
        res = duck("SET TimeZone = 'UTC'", ddl, *sql)
        return res[2:], meta

    def types(self, table, view):
        ddl, _ = self.view(table)
        rows = duck(ddl, "SELECT column_name, column_type FROM (DESCRIBE %s)" % view)[-1]
        return {r["column_name"]: r["column_type"] for r in rows}

    # ---- JSON, Hive partitions ----------------------------------------------------------

    def test_json_hive_partitions(self):
        wide = {"k%04d" % i: i for i in range(1100)}  # a map disguised as a struct
        recs = {
            "dt=2026-01-05/hour=03/a.ndjson": [
                {"id": 1, "price": 1.5, "name": "ann", "ok": True,
                 "ts": "2026-01-05T10:00:00Z", "day": "2026-01-05",
                 "player": {"level": 3, "tags": ["a", "b"]}, "attrs": wide},
                {"id": 2, "price": 2, "name": None, "ok": False,
                 "ts": "2026-01-05T10:00:00.123456+02:00", "day": "2026-01-06",
                 "player": {"level": None, "tags": []}, "attrs": {"x": 1}},
            ],
            "dt=2026-01-05/hour=04/b.ndjson.gz": [
                {"id": 3, "price": 3.25, "name": "cy", "ok": True, "ts": "2026-01-05T04:00:00Z",
                 "day": "2026-01-07", "player": {"level": 1, "tags": ["q"]}},
            ],
            # (every column has a value in every file here: this test is about the DDL)
            "dt=2026-01-06/hour=00/c.ndjson": [
                {"id": 4, "price": -1, "name": "dee", "ok": True, "ts": "2026-01-06T00:00:00Z",
                 "day": "2026-01-08", "player": {"level": 7, "tags": ["z"]}, "attrs": {}},
                {"id": 5, "price": 0.5, "name": "eve", "ok": None, "ts": None, "day": None,
                 "player": None, "attrs": None},
            ],
        }
        for key, rs in recs.items():
            data = ndjson(rs)
            self.put("raw", "orders/" + key, gzip.compress(data) if key.endswith(".gz") else data)
        # another layout beside it: rejected by the crawler, and not read by the view
        self.put("raw", "orders/date=2026-01-06/hour=01/x.ndjson", ndjson([{"id": 99}]))
        self.crawl()

        types = self.types("orders", "raw.orders")
        self.assertEqual(types["id"], "BIGINT")
        self.assertEqual(types["price"], "DOUBLE")
        self.assertEqual(types["name"], "VARCHAR")
        self.assertEqual(types["ok"], "BOOLEAN")
        self.assertEqual(types["ts"], "TIMESTAMP WITH TIME ZONE")
        self.assertEqual(types["day"], "DATE")
        self.assertEqual(types["player"], "STRUCT(\"level\" BIGINT, tags VARCHAR[])")
        self.assertEqual(types["attrs"], "MAP(VARCHAR, BIGINT)")
        self.assertEqual((types["dt"], types["hour"]), ("VARCHAR", "VARCHAR"))

        res, meta = self.query(
            "orders", "SELECT count(*) AS n FROM raw.orders",
            "SELECT id, price, name, ok, epoch_ms(ts) AS ts, CAST(day AS VARCHAR) AS day, "
            "player.level AS level, player.tags AS tags, cardinality(attrs) AS n_attrs, "
            "attrs['k1099'] AS k1099, dt, hour FROM raw.orders ORDER BY id")
        self.assertEqual(int(res[0][0]["n"]), meta["records"])
        self.assertEqual(meta["records"], 5)
        rows = res[1]
        self.assertEqual([int(r["id"]) for r in rows], [1, 2, 3, 4, 5])
        self.assertEqual([r["price"] for r in rows], [1.5, 2, 3.25, -1, 0.5])
        self.assertEqual([r["name"] for r in rows], ["ann", None, "cy", "dee", "eve"])
        self.assertEqual([r["ok"] for r in rows], [True, False, True, True, None])
        # 10:00:00.123456+02:00 is 08:00:00.123 UTC: the offset is kept
        self.assertEqual([r["ts"] and int(r["ts"]) for r in rows],
                         [1767607200000, 1767600000123, 1767585600000, 1767657600000, None])
        self.assertEqual([r["day"] for r in rows],
                         ["2026-01-05", "2026-01-06", "2026-01-07", "2026-01-08", None])
        self.assertEqual([r["level"] and int(r["level"]) for r in rows], [3, None, 1, 7, None])
        self.assertEqual([r["tags"] for r in rows], [["a", "b"], [], ["q"], ["z"], None])
        self.assertEqual([r["n_attrs"] and int(r["n_attrs"]) for r in rows],
                         [1100, 1, None, 0, None])
        self.assertEqual(rows[0]["k1099"], "1099")
        self.assertEqual([(r["dt"], r["hour"]) for r in rows],
                         [("2026-01-05", "03"), ("2026-01-05", "03"), ("2026-01-05", "04"),
                          ("2026-01-06", "00"), ("2026-01-06", "00")])

    # ---- JSON, unnamed partition folders ---------------------------------------------------

    def test_json_numbered_partitions(self):
        self.put("raw", "logs/2026/01/a.json", json.dumps([{"msg": "x", "n": 1}, {"msg": "y", "n": 2}]).encode())
        self.put("raw", "logs/2026/01/b.ndjson", ndjson([{"msg": "z", "n": 3}]))
        self.put("raw", "logs/2026/02/c.jsonl.gz", gzip.compress(ndjson([{"msg": "w", "n": 4.5}])))
        self.crawl()
        types = self.types("logs", "raw.logs")
        self.assertEqual(types, {"msg": "VARCHAR", "n": "DOUBLE", "partition_0": "VARCHAR",
                                 "partition_1": "VARCHAR"})
        res, meta = self.query("logs", "SELECT count(*) AS n FROM raw.logs",
                               "SELECT msg, n, partition_0, partition_1 FROM raw.logs ORDER BY n")
        self.assertEqual(int(res[0][0]["n"]), meta["records"])
        self.assertEqual(meta["records"], 4)
        self.assertEqual([(r["msg"], r["n"], r["partition_0"], r["partition_1"]) for r in res[1]],
                         [("x", 1, "2026", "01"), ("y", 2, "2026", "01"), ("z", 3, "2026", "01"),
                          ("w", 4.5, "2026", "02")])

    # ---- hostile names ------------------------------------------------------------------------

    def test_hostile_names(self):
        recs = [{"a b": 1, "q'uote": "it's", "d\"q": True, "Ünï": {"x-y": 2}, "semi;--": "s",
                 "[glob]*": 5}]
        self.put("raw", "we'ird [x]*/k=it's 1/a.ndjson", ndjson(recs))
        self.crawl()
        tables = json.loads(self.sl("catalog", "ls", "--json"))
        self.assertEqual(len(tables), 1)
        name = "raw." + tables[0]["name"]
        self.assertEqual(tables[0]["prefix"], "we'ird [x]*/")
        res, meta = self.query(
            name, "SELECT count(*) AS n FROM %s" % ".".join('"%s"' % p for p in name.split(".")),
            "SELECT * FROM %s" % ".".join('"%s"' % p for p in name.split(".")))
        self.assertEqual(int(res[0][0]["n"]), meta["records"])
        row = res[1][0]
        self.assertEqual(row["a b"], "1")
        self.assertEqual(row["q'uote"], "it's")
        self.assertEqual(row["d\"q"], True)
        self.assertEqual(row["Ünï"], {"x-y": "2"})
        self.assertEqual(row["semi;--"], "s")
        self.assertEqual(row["[glob]*"], "5")
        self.assertEqual(row["k"], "it's 1")
        self.assertEqual(len(row), len(recs[0]) + 1)

    # ---- Parquet --------------------------------------------------------------------------------

    def test_parquet_table(self):
        src1 = os.path.join(self.tmp, "a.ndjson")
        src2 = os.path.join(self.tmp, "b.ndjson")
        blob = bytes(range(256))
        with open(src1, "wb") as f:
            f.write(ndjson([{"id": 1, "amount": 10, "raw": base64.b64encode(blob).decode(),
                             "ts": "2026-01-05T10:00:00Z", "tags": ["a"]},
                            {"id": 2, "amount": 20, "raw": None, "ts": None, "tags": []}]))
        with open(src2, "wb") as f:
            f.write(ndjson([{"id": 3, "amount": 30.5, "raw": "AA==", "ts": "2026-01-06T00:00:00Z",
                             "tags": None, "extra": "e"}]))
        t1 = "struct<id:int64,amount:int64,raw:binary,ts:timestamp(us),tags:list<string>>"
        t2 = ("struct<id:int64,amount:double,raw:binary,ts:timestamp(us),tags:list<string>,"
              "extra:string>")
        out1 = os.path.join(self.tmp, "a.parquet")
        out2 = os.path.join(self.tmp, "b.parquet")
        self.sl("convert", src1, out1, "--type", t1, lake=False)
        self.sl("convert", src2, out2, "--type", t2, lake=False)
        with open(out1, "rb") as f:
            self.put("curated", "sales/region=eu/part-0.parquet", f.read())
        with open(out2, "rb") as f:
            self.put("curated", "sales/region=us/part-0.parquet", f.read())
        self.crawl()
        types = self.types("curated.sales", "curated.sales")
        self.assertEqual(types["id"], "BIGINT")
        self.assertEqual(types["amount"], "DOUBLE")  # int64 in one file, double in the other
        self.assertEqual(types["raw"], "BLOB")
        self.assertEqual(types["ts"], "TIMESTAMP WITH TIME ZONE")
        self.assertEqual(types["tags"], "VARCHAR[]")
        self.assertEqual(types["extra"], "VARCHAR")
        self.assertEqual(types["region"], "VARCHAR")
        res, meta = self.query(
            "curated.sales", "SELECT count(*) AS n FROM curated.sales",
            "SELECT id, amount, raw, epoch_ms(ts) AS ts, tags, extra, region FROM curated.sales "
            "ORDER BY id")
        self.assertEqual(int(res[0][0]["n"]), meta["records"])
        self.assertEqual(meta["records"], 3)
        rows = res[1]
        self.assertEqual([(int(r["id"]), r["amount"], r["region"]) for r in rows],
                         [(1, 10, "eu"), (2, 20, "eu"), (3, 30.5, "us")])
        self.assertEqual([r["raw"] for r in rows],
                         [{"base64": base64.b64encode(blob).decode()}, None, {"base64": "AA=="}])
        self.assertEqual([r["ts"] and int(r["ts"]) for r in rows],
                         [1767607200000, None, 1767657600000])
        self.assertEqual([r["tags"] for r in rows], [["a"], [], None])
        self.assertEqual([r["extra"] for r in rows], [None, None, "e"])

    # ---- a nested ETL job's table ---------------------------------------------------------------

    def test_nested_etl_table(self):
        """A `layout: nested` job writes struct and list columns, the crawler catalogues the
        curated table from the footers (a struct member added on day 2 makes version 2),
        and DuckDB reads every value back through the view."""
        with open(os.path.join(self.lake, "sluice.yaml"), "w") as f:
            f.write("version: 1\netl:\n  jobs:\n    nest: {source: events, target: events_n, "
                    "layout: nested, schedule: ''}\n")
        day1 = [{"id": 1, "ts": "2026-01-01T10:00:00Z", "ok": True,
                 "user": {"name": "ann", "age": 30, "address": {"city": "Oslo", "zip": "0150"}},
                 "tags": ["a", "b"], "items": [{"sku": "x", "qty": 1, "price": 2.25}],
                 "matrix": [[1, 2], [3]]},
                {"id": 2, "ts": "2026-01-01T11:00:00+02:00", "ok": None,
                 "user": {"name": "bé", "age": None, "address": None}, "tags": [],
                 "items": [], "matrix": []},
                {"id": 3, "ts": "2026-01-01T12:00:00Z", "ok": False, "user": None,
                 "tags": None, "items": [{"sku": "z", "qty": 3, "price": None}],
                 "matrix": [[], [4]]}]
        day2 = [{"id": 4, "ts": "2026-01-02T08:00:00Z", "ok": True,
                 "user": {"name": "cy", "age": 41, "email": "cy@example.org",
                          "address": {"city": "Zürich", "zip": "8001"}},
                 "tags": ["t%d" % i for i in range(100)],
                 "items": [{"sku": "s%d" % i, "qty": i, "price": i / 4} for i in range(30)],
                 "matrix": [[i, -i] for i in range(10)]}]
        self.put("raw", "events/dt=2026-01-01/a.ndjson", ndjson(day1))
        self.crawl()
        self.sl("etl", "run", "nest")
        self.put("raw", "events/dt=2026-01-02/b.ndjson", ndjson(day2))
        self.crawl()  # the first run's file, and day 2's source object
        self.sl("etl", "run", "nest")
        self.crawl()

        types = self.types("curated.events_n", "curated.events_n")
        self.assertEqual(types["user"], 'STRUCT("name" VARCHAR, age BIGINT, address STRUCT(city '
                                        'VARCHAR, zip VARCHAR), email VARCHAR)')
        self.assertEqual(types["tags"], "VARCHAR[]")
        self.assertEqual(types["items"], "STRUCT(sku VARCHAR, qty BIGINT, price DOUBLE)[]")
        self.assertEqual(types["matrix"], "BIGINT[][]")
        self.assertEqual(types["dt"], "VARCHAR")
        res, meta = self.query(
            "curated.events_n", "SELECT count(*) AS n FROM curated.events_n",
            'SELECT id, epoch_us(ts) AS ts, ok, to_json("user") AS u, to_json(tags) AS tags, '
            "to_json(items) AS items, to_json(matrix) AS matrix, dt FROM curated.events_n "
            "ORDER BY id")
        self.assertEqual((meta["version"], meta["files"], meta["records"]), (2, 2, 4))
        self.assertEqual(int(res[0][0]["n"]), 4)
        user_keys = ("name", "age", "address", "email")
        for r, want in zip(res[1], day1 + day2):
            self.assertEqual(int(r["id"]), want["id"])
            ts = datetime.datetime.fromisoformat(want["ts"])
            self.assertEqual(int(r["ts"]), round(ts.timestamp() * 1e6))
            self.assertEqual(r["ok"], want["ok"])
            u = want["user"] and {k: want["user"].get(k) for k in user_keys}
            self.assertEqual(r["u"] and json.loads(r["u"]), u)
            for col in ("tags", "items", "matrix"):
                self.assertEqual(r[col] and json.loads(r[col]), want[col], col)
            self.assertEqual(r["dt"], want["ts"][:10])
        self.assertEqual(len(res[1]), 4)

    # ---- a table without files ----------------------------------------------------------------

    def test_table_whose_objects_are_gone(self):
        self.put("raw", "gone/dt=1/a.ndjson", ndjson([{"id": 1}]))
        self.crawl()
        self.sl("rm", "raw/gone/dt=1/a.ndjson")
        self.crawl()
        meta = json.loads(self.sl("catalog", "show", "gone", "--json"))
        self.assertEqual(meta["records"], 0)
        ddl, _ = self.view("gone")
        res = duck(ddl, "SELECT count(*) AS n FROM raw.gone",
                   "SELECT column_name, column_type FROM (DESCRIBE raw.gone)")
        self.assertEqual(int(res[-2][0]["n"]), 0)
        self.assertEqual([(r["column_name"], r["column_type"]) for r in res[-1]],
                         [("id", "BIGINT"), ("dt", "VARCHAR")])


if __name__ == "__main__":
    unittest.main()
