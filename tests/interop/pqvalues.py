"""Random row types and values for the Parquet round-trip and interop tests, and the
canonical form both sides are compared in.

A type is a tuple tree mirroring src/types/types.h: (kind, nullable, extra...). text()
renders sluice's text form (what `sluice convert --type` takes); value() draws a value in
sluice's JSON form (types.h) with nulls at every nullable level, empty lists and maps,
unicode, and each kind's extremes. canon_ours() and canon_duck() turn a value as sluice
prints it and as DuckDB's Node API prints it into the same Python value, so the two can
be compared with ==.
"""
import base64
import datetime
import decimal
import json
import math
import random
import re
import struct
import uuid

SCALARS = ["boolean", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
           "float", "double", "decimal", "string", "enum", "binary", "date", "time",
           "timestamp", "uuid", "json"]

INT_RANGE = {
    "int8": (-2**7, 2**7 - 1), "int16": (-2**15, 2**15 - 1), "int32": (-2**31, 2**31 - 1),
    "int64": (-2**63, 2**63 - 1), "uint8": (0, 2**8 - 1), "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1),
}

STRINGS = ["", "a", "hello", "ünïcødé", "日本語テキスト", "emoji 🦆", "tab\tnewline\n",
           "quote\"back\\slash", "x" * 300, "\u0001ctl"]
EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def rand_type(rng, depth=0, names=None):
    """A random type; structs get 1..5 fields; depth bounds nesting."""
    nullable = rng.random() < 0.6
    r = rng.random()
    if depth < 3 and r < 0.15:
        n = rng.randint(1, 5)
        fields = [("f%d_%s" % (i, rng.choice(["a", "b", "ü"])), rand_type(rng, depth + 1))
                  for i in range(n)]
        return ("struct", nullable, fields)
    if depth < 3 and r < 0.27:
        return ("list", nullable, rand_type(rng, depth + 1))
    if depth < 3 and r < 0.33:
        return ("map", nullable, rand_type(rng, depth + 1))
    k = rng.choice(SCALARS)
    if k == "decimal":
        p = rng.choice([1, 4, 9, 10, 18, 19, 38])
        return ("decimal", nullable, p, rng.randint(0, p))
    if k in ("time", "timestamp"):
        return (k, nullable, rng.choice(["ms", "us"]))
    if k == "binary":
        return ("binary", nullable, rng.choice([0, 0, 4, 16]))
    return (k, nullable)


def rand_row_type(rng, n_fields=None):
    n = n_fields or rng.randint(1, 8)
    return ("struct", False, [("c%d" % i, rand_type(rng, 1)) for i in range(n)])


def _name(n):
    return n if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", n) else json.dumps(n, ensure_ascii=False)


def text(t):
    k, nullable = t[0], t[1]
    if k == "struct":
        s = "struct<%s>" % ",".join("%s:%s" % (_name(n), text(ft)) for n, ft in t[2])
    elif k == "list":
        s = "list<%s>" % text(t[2])
    elif k == "map":
        s = "map<string,%s>" % text(t[2])
    elif k == "decimal":
        s = "decimal(%d,%d)" % (t[2], t[3])
    elif k in ("time", "timestamp"):
        s = "%s(%s)" % (k, t[2])
    elif k == "binary":
        s = "binary(%d)" % t[2] if t[2] else "binary"
    else:
        s = k
    return s if nullable else s + " not null"


# ---- values in sluice's JSON form ---------------------------------------------------

def value(rng, t, top=False):
    k, nullable = t[0], t[1]
    if nullable and not top and rng.random() < 0.2:
        return None
    if k == "struct":
        return {n: value(rng, ft) for n, ft in t[2]}
    if k == "list":
        return [value(rng, t[2]) for _ in range(rng.choice([0, 0, 1, 2, 3, 7]))]
    if k == "map":
        return {"k%d%s" % (i, rng.choice(["", "é"])): value(rng, t[2])
                for i in range(rng.choice([0, 1, 2, 5]))}
    if k == "boolean":
        return rng.random() < 0.5
    if k in INT_RANGE:
        lo, hi = INT_RANGE[k]
        return rng.choice([lo, hi, 0, 1, -1 if lo < 0 else 2, rng.randint(lo, hi)])
    if k == "float":
        v = rng.choice([0.0, -0.0, 1.5, -2.25, 3.4028234663852886e38, 1.401298464324817e-45,
                        rng.uniform(-1e6, 1e6)])
        return struct.unpack("<f", struct.pack("<f", v))[0]
    if k == "double":
        return rng.choice([0.0, -0.0, 1.7976931348623157e308, 5e-324, -1e-300,
                           rng.uniform(-1e12, 1e12)])
    if k == "decimal":
        p, s = t[2], t[3]
        digits = rng.choice([p, rng.randint(1, p)])
        unscaled = rng.randint(0, 10**digits - 1) * rng.choice([1, -1])
        return decimal.Decimal(format(decimal.Decimal(unscaled).scaleb(-s), "f")) if s else unscaled
    if k in ("string", "enum"):
        return rng.choice(STRINGS) if k == "string" else rng.choice(["red", "green", "blue"])
    if k == "binary":
        n = t[2] or rng.choice([0, 1, 5, 33])
        return base64.b64encode(bytes(rng.randrange(256) for _ in range(n))).decode()
    if k == "date":
        d = EPOCH.date() + datetime.timedelta(days=rng.choice([0, -1, 19000, -719162, 2932896]))
        return d.isoformat()
    if k == "time":
        us = rng.choice([0, 86399999999, rng.randrange(86400 * 10**6)])
        if t[2] == "ms":
            us -= us % 1000
        return _clock(us, t[2])
    if k == "timestamp":
        us = rng.choice([0, -1000, 1700000000123456, 253402300799999999, -62135596800000000,
                         rng.randrange(-2**50, 2**50)])
        if t[2] == "ms":
            us -= us % 1000
        return _rfc3339(us, t[2])
    if k == "uuid":
        return str(uuid.UUID(int=rng.getrandbits(128)))
    if k == "json":
        return rng.choice([1, "s", None, [1, {"a": None}], {"x": [True, 2.5]}, {}])
    raise ValueError(k)


def _clock(us, unit):
    h, rem = divmod(us, 3600 * 10**6)
    m, rem = divmod(rem, 60 * 10**6)
    s, frac = divmod(rem, 10**6)
    f = "%03d" % (frac // 1000) if unit == "ms" else "%06d" % frac
    return "%02d:%02d:%02d.%s" % (h, m, s, f)


def _rfc3339(us, unit):
    d = EPOCH + datetime.timedelta(microseconds=us)
    f = "%03d" % (d.microsecond // 1000) if unit == "ms" else "%06d" % d.microsecond
    return "%04d-%02d-%02dT%02d:%02d:%02d.%sZ" % (d.year, d.month, d.day, d.hour, d.minute,
                                                   d.second, f)


def dumps(v):
    """JSON text of a value (decimals written exactly)."""
    if isinstance(v, decimal.Decimal):
        return str(v)
    if isinstance(v, dict):
        return "{" + ",".join("%s:%s" % (json.dumps(k, ensure_ascii=False), dumps(x))
                              for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(dumps(x) for x in v) + "]"
    if isinstance(v, float) and v == 0 and math.copysign(1, v) < 0:
        return "-0.0"
    return json.dumps(v, ensure_ascii=False)


# ---- canonical forms ----------------------------------------------------------------

def _us_of_clock(s):
    m = re.fullmatch(r"(\d\d):(\d\d):(\d\d)(?:\.(\d+))?", s)
    frac = (m.group(4) or "").ljust(6, "0")[:6]
    return ((int(m.group(1)) * 60 + int(m.group(2))) * 60 + int(m.group(3))) * 10**6 + int(frac)


def _us_of_instant(s):
    m = re.fullmatch(r"(-?\d{4,})-(\d\d)-(\d\d)[T ](\d\d:\d\d:\d\d(?:\.\d+)?)"
                     r"(Z|[+-]\d\d(?::?\d\d)?)?", s)
    if not m:
        raise ValueError("not a timestamp: %r" % s)
    days = (datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3))) - EPOCH.date()).days
    us = days * 86400 * 10**6 + _us_of_clock(m.group(4))
    z = m.group(5)
    if z and z != "Z":
        sign = -1 if z[0] == "-" else 1
        hh, mm = int(z[1:3]), int(z[-2:]) if len(z) > 3 else 0
        us -= sign * (hh * 60 + mm) * 60 * 10**6
    return us


def _float(v, single):
    if isinstance(v, str):
        return {"NaN": "NaN", "Infinity": math.inf, "-Infinity": -math.inf, "-0": (0.0, -1.0)}[v]
    v = float(v)
    if single:
        v = struct.unpack("<f", struct.pack("<f", v))[0]
    return (v, math.copysign(1, v)) if v == 0 else v


def canon(t, v, side):
    """side: "ours" (sluice's JSON form) or "duck" (tests/interop/duck.js's JSON)."""
    k = t[0]
    if k == "json" and v is None:
        return "null"  # a JSON null and a missing json value print alike
    if v is None:
        return None
    if k == "struct":
        return tuple(canon(ft, v.get(n) if isinstance(v, dict) else None, side)
                     for n, ft in t[2])
    if k == "list":
        return tuple(canon(t[2], x, side) for x in v)
    if k == "map":
        pairs = v.items() if isinstance(v, dict) else ((p["key"], p["value"]) for p in v)
        return tuple((key, canon(t[2], x, side)) for key, x in pairs)
    if k in INT_RANGE:
        return int(v)
    if k in ("float", "double"):
        return _float(v, k == "float")
    if k == "decimal":
        return decimal.Decimal(str(v)) if not isinstance(v, decimal.Decimal) else v
    if k == "binary":
        return base64.b64decode(v if side == "ours" else v["base64"])
    if k == "time":
        return _us_of_clock(v)
    if k == "timestamp":
        return _us_of_instant(v)
    if k == "uuid":
        return str(v).lower()
    if k == "json":
        return json.dumps(json.loads(v) if side == "duck" else v, sort_keys=True, default=float)
    return v  # boolean, string, enum, date


def duck_type(t):
    """The DuckDB type name of a type (for CASTs and read_json column specs)."""
    k = t[0]
    if k == "struct":
        return "STRUCT(%s)" % ", ".join('"%s" %s' % (n.replace('"', '""'), duck_type(ft))
                                        for n, ft in t[2])
    if k == "list":
        return duck_type(t[2]) + "[]"
    if k == "map":
        return "MAP(VARCHAR, %s)" % duck_type(t[2])
    return {"boolean": "BOOLEAN", "int8": "TINYINT", "int16": "SMALLINT", "int32": "INTEGER",
            "int64": "BIGINT", "uint8": "UTINYINT", "uint16": "USMALLINT",
            "uint32": "UINTEGER", "uint64": "UBIGINT", "float": "FLOAT", "double": "DOUBLE",
            "string": "VARCHAR", "enum": "VARCHAR", "binary": "BLOB", "date": "DATE",
            "time": "TIME", "timestamp": "TIMESTAMPTZ", "uuid": "UUID", "json": "JSON"}.get(
                k) or "DECIMAL(%d,%d)" % (t[2], t[3])
