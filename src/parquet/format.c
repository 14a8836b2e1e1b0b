/*
 * format.c - Parquet's Thrift structs (parquet.thrift) to and from the C structs of
 * format.h, over the compact protocol of thrift.c.
 *
 * Decoding promises, on top of thrift.c's (no read outside the range, counts checked
 * against the bytes left, bounded nesting):
 *   1. A required field missing or with the wrong wire type, a negative size, count,
 *      offset or enum value, or lists of one page index that disagree in length, is
 *      SL_ECORRUPT naming the struct and field ("ColumnMetaData.num_values: ...").
 *      An optional field with the wrong wire type is skipped, as Thrift's generated
 *      readers do; negative statistics counts (hints some writers set to -1) read -1.
 *   2. A list of structs is sized only after its count passed a check against the
 *      fewest bytes one element with its required fields takes, and all the memory of
 *      one decode comes from an arena capped at SL_PQ_META_MEM(len) bytes; past it the
 *      decode fails with SL_ELIMIT. So hostile metadata cannot make us allocate more
 *      than a fixed multiple of its own size.
 *   3. Unknown fields and union members are skipped; unknown logical types become
 *      SL_PQ_LT_OTHER so a reader can fall back to the physical type.
 *   4. On failure the output struct is released and zeroed: releasing it again is safe.
 * Decoded bytes (names, statistics) point into the caller's buffer.
 *
 * Encoding writes what format.h marks present (-1, NULL or false mean absent) in field
 * id order, and refuses (SL_EINVAL) what it cannot represent faithfully: an unknown
 * logical type, a column order other than TYPE_ORDER, encrypted metadata.
 */
#include "parquet/format.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/thrift.h"
#include "types/types.h"

/* ---- arena -------------------------------------------------------------------------- */

struct sl_pq_arena_chunk {
	struct sl_pq_arena_chunk *next;
	size_t used, cap;
	max_align_t mem[]; /* aligned for any element type */
};

static void arena_free(struct sl_pq_arena_chunk *a)
{
	while (a) {
		struct sl_pq_arena_chunk *next = a->next;
		free(a);
		a = next;
	}
}

/* ---- decoder state and field helpers ------------------------------------------------ */

struct dec {
	struct sl_tc_r r;
	struct sl_pq_arena_chunk *arena;
	size_t arena_bytes, arena_max;
};

/* A struct's name and its field names by id, for messages, and its required fields. */
struct sdesc {
	const char *name;
	const char *const *fields;
	int n_fields;
	uint32_t required; /* bit per field id */
};

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))
#define DESC(var, sname, names, req) \
	static const struct sdesc var = {sname, names, N_OF(names), req}
#define B(id) (1u << (id))

static void dec_init(struct dec *d, const void *p, size_t len, const char *what,
		     struct sl_err *err)
{
	memset(d, 0, sizeof(*d));
	sl_tc_r_init(&d->r, p, len, what, err);
	d->arena_max = SL_PQ_META_MEM(len);
}

static size_t left(const struct dec *d)
{
	return (size_t)(d->r.end - d->r.p);
}

static int16_t cur_id(const struct dec *d)
{
	return d->r.last_id[d->r.depth];
}

/* Fails naming the field just announced in struct s. */
__attribute__((format(printf, 3, 4)))
static void fail_field(struct dec *d, const struct sdesc *s, const char *fmt, ...)
{
	if (d->r.rc)
		return;
	char msg[256], num[16];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	int id = cur_id(d);
	const char *fname = id >= 0 && id < s->n_fields ? s->fields[id] : NULL;
	if (!fname) {
		snprintf(num, sizeof(num), "field %d", id);
		fname = num;
	}
	sl_tc_r_fail(&d->r, "%s.%s: %s", s->name, fname, msg);
}

static void *alloc(struct dec *d, size_t n, size_t size)
{
	if (d->r.rc || n == 0)
		return NULL;
	/* n is at most the bytes of the input, so n * size cannot overflow in practice;
	 * the cap check below is what bounds it */
	if (n > (SIZE_MAX - 15) / size) {
		sl_tc_r_fail_code(&d->r, SL_ELIMIT, "an array of %zu elements is too large", n);
		return NULL;
	}
	size_t bytes = (n * size + 15) & ~(size_t)15;
	struct sl_pq_arena_chunk *c = d->arena;
	if (!c || c->cap - c->used < bytes) {
		if (bytes > d->arena_max - d->arena_bytes) {
			sl_tc_r_fail_code(&d->r, SL_ELIMIT, "the decoded metadata would take more "
					  "than %zu bytes of memory", d->arena_max);
			return NULL;
		}
		/* chunks grow with what was already needed: few mallocs for a big footer,
		 * little waste for a small one */
		size_t cap = d->arena_bytes < 4096 ? 4096 : d->arena_bytes;
		if (cap > ((size_t)4 << 20))
			cap = (size_t)4 << 20;
		if (cap < bytes)
			cap = bytes;
		if (cap > d->arena_max - d->arena_bytes)
			cap = d->arena_max - d->arena_bytes;
		c = calloc(1, sizeof(*c) + cap);
		if (!c) {
			sl_tc_r_fail_code(&d->r, SL_ENOMEM, "out of memory (%zu bytes)", cap);
			return NULL;
		}
		c->cap = cap;
		c->next = d->arena;
		d->arena = c;
		d->arena_bytes += cap;
	}
	void *p = (char *)c->mem + c->used;
	c->used += bytes;
	return p;
}

/* Reads the next field header; records the id in *seen. */
static bool field(struct dec *d, int16_t *id, enum sl_tc_type *t, uint32_t *seen)
{
	if (!sl_tc_r_field(&d->r, id, t))
		return false;
	if (*id > 0 && *id < 32)
		*seen |= B(*id);
	return true;
}

static void need(struct dec *d, const struct sdesc *s, uint32_t seen)
{
	uint32_t miss = s->required & ~seen;
	if (d->r.rc || !miss)
		return;
	int id = __builtin_ctz(miss);
	sl_tc_r_fail(&d->r, "%s.%s (field %d) is required but missing", s->name,
		     s->fields[id], id);
}

/* Checks the wire type of the field just announced. A mismatch on an optional field
 * skips the value, as Thrift's generated readers do (a writer that gave a field id a
 * meaning of its own stays readable: dict-page-offset-zero.parquet has a list as
 * ColumnMetaData field 15); on a required field it is an error. */
static bool typed(struct dec *d, const struct sdesc *s, enum sl_tc_type t, bool ok,
		  const char *want)
{
	if (d->r.rc)
		return false;
	if (ok)
		return true;
	int id = cur_id(d);
	if (id > 0 && id < 32 && (s->required & B(id)))
		fail_field(d, s, "expected %s, got %s", want, sl_tc_type_name(t));
	else
		sl_tc_r_skip(&d->r, t);
	return false;
}

/* The rd_* readers store into *out only when a value of the right type was read, so a
 * skipped field keeps its "absent" default; they return whether they stored. A count
 * (a size, count, offset or enum where -1 means absent) may not be negative. */
static bool rd_int(struct dec *d, const struct sdesc *s, enum sl_tc_type t, int bits,
		   bool count, int64_t *out)
{
	enum sl_tc_type widest = bits == 32 ? SL_TC_I32 : SL_TC_I64;
	if (!typed(d, s, t, t >= SL_TC_I8 && t <= widest, bits == 32 ? "i32" : "i64"))
		return false;
	int64_t v = sl_tc_r_i64(&d->r, t);
	if (count && v < 0)
		fail_field(d, s, "negative value %lld", (long long)v);
	if (d->r.rc)
		return false;
	*out = v;
	return true;
}

static bool rd_i32(struct dec *d, const struct sdesc *s, enum sl_tc_type t, int32_t *out)
{
	int64_t v;
	bool ok = rd_int(d, s, t, 32, false, &v);
	*out = ok ? (int32_t)v : *out;
	return ok;
}

static bool rd_count32(struct dec *d, const struct sdesc *s, enum sl_tc_type t,
		       int32_t *out)
{
	int64_t v;
	bool ok = rd_int(d, s, t, 32, true, &v);
	*out = ok ? (int32_t)v : *out;
	return ok;
}

static bool rd_i64(struct dec *d, const struct sdesc *s, enum sl_tc_type t, int64_t *out)
{
	return rd_int(d, s, t, 64, false, out);
}

static bool rd_count64(struct dec *d, const struct sdesc *s, enum sl_tc_type t,
		       int64_t *out)
{
	return rd_int(d, s, t, 64, true, out);
}

static bool rd_bool(struct dec *d, const struct sdesc *s, enum sl_tc_type t, bool *out)
{
	if (!typed(d, s, t, t == SL_TC_TRUE || t == SL_TC_FALSE, "bool"))
		return false;
	*out = sl_tc_r_bool(&d->r, t);
	return true;
}

static bool rd_bytes(struct dec *d, const struct sdesc *s, enum sl_tc_type t,
		     struct sl_pq_bytes *out)
{
	if (!typed(d, s, t, t == SL_TC_BINARY, "binary"))
		return false;
	size_t len;
	const uint8_t *p = sl_tc_r_binary(&d->r, t, &len);
	if (d->r.rc)
		return false;
	out->p = p;
	out->len = (uint32_t)len; /* at most INT32_MAX */
	return true;
}

/* Enters the struct value of the field just announced; false on error. */
static bool begin(struct dec *d, const struct sdesc *s, enum sl_tc_type t)
{
	if (!typed(d, s, t, t == SL_TC_STRUCT, "struct"))
		return false;
	sl_tc_r_struct_begin(&d->r, t);
	return !d->r.rc;
}

static void end(struct dec *d)
{
	sl_tc_r_struct_end(&d->r);
}

static bool elem_ok(enum sl_tc_type e, enum sl_tc_type want)
{
	switch (want) {
	case SL_TC_TRUE:
		return e == SL_TC_TRUE || e == SL_TC_FALSE;
	case SL_TC_I32:
		return e >= SL_TC_I8 && e <= SL_TC_I32;
	case SL_TC_I64:
		return e >= SL_TC_I8 && e <= SL_TC_I64;
	default:
		return e == want;
	}
}

/* Starts a list field of `want` elements (SL_TC_TRUE for bools, SL_TC_I32 for any int
 * up to i32...) that each take at least min_wire bytes, and allocates n elements of
 * elem_size. Returns the array (NULL when empty or on error), *n its length. */
static void *list_of(struct dec *d, const struct sdesc *s, enum sl_tc_type t,
		     enum sl_tc_type want, size_t min_wire, size_t elem_size, size_t *n,
		     enum sl_tc_type *elem)
{
	*n = 0;
	if (!typed(d, s, t, t == SL_TC_LIST || t == SL_TC_SET, "list"))
		return NULL;
	uint32_t count = sl_tc_r_list_begin(&d->r, t, elem);
	if (d->r.rc || count == 0)
		return NULL;
	if (!elem_ok(*elem, want)) {
		fail_field(d, s, "a list of %s, expected %s", sl_tc_type_name(*elem),
			   want == SL_TC_TRUE ? "bool" : sl_tc_type_name(want));
		return NULL;
	}
	if (count > left(d) / min_wire) {
		fail_field(d, s, "a list of %u elements cannot fit in the %zu bytes left", count,
			   left(d));
		return NULL;
	}
	void *a = alloc(d, count, elem_size);
	if (a)
		*n = count;
	return a;
}

/* ---- decoders, one per Thrift struct ------------------------------------------------ */

static const char *const kv_f[] = {NULL, "key", "value"};
DESC(kv_d, "KeyValue", kv_f, B(1));

static void dec_kv(struct dec *d, struct sl_pq_kv *kv)
{
	memset(kv, 0, sizeof(*kv));
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t;
	while (field(d, &id, &t, &seen)) {
		if (id == 1)
			rd_bytes(d, &kv_d, t, &kv->key);
		else if (id == 2)
			rd_bytes(d, &kv_d, t, &kv->value);
		else
			sl_tc_r_skip(&d->r, t);
	}
	need(d, &kv_d, seen);
}

/* A list<KeyValue> field (FileMetaData 5, ColumnMetaData 8). */
static struct sl_pq_kv *dec_kv_list(struct dec *d, const struct sdesc *s, enum sl_tc_type t,
				    size_t *n)
{
	enum sl_tc_type e;
	/* key: header, length, STOP */
	struct sl_pq_kv *kv = list_of(d, s, t, SL_TC_STRUCT, 3, sizeof(*kv), n, &e);
	for (size_t i = 0; i < *n && begin(d, s, e); i++) {
		dec_kv(d, &kv[i]);
		end(d);
	}
	return kv;
}

static const char *const stats_f[] = {NULL, "max", "min", "null_count", "distinct_count",
				      "max_value", "min_value", "is_max_value_exact",
				      "is_min_value_exact"};
DESC(stats_d, "Statistics", stats_f, 0);

static void stats_init(struct sl_pq_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->null_count = st->distinct_count = -1;
	st->is_min_exact = st->is_max_exact = -1;
}

static void dec_stats(struct dec *d, struct sl_pq_stats *st)
{
	stats_init(st);
	st->present = true;
	bool exact;
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t;
	while (field(d, &id, &t, &seen)) {
		switch (id) {
		case 1: rd_bytes(d, &stats_d, t, &st->max); break;
		case 2: rd_bytes(d, &stats_d, t, &st->min); break;
		/* hints, not sizes: writers that meant "unknown" wrote -1 */
		case 3: rd_i64(d, &stats_d, t, &st->null_count); break;
		case 4: rd_i64(d, &stats_d, t, &st->distinct_count); break;
		case 5: rd_bytes(d, &stats_d, t, &st->max_value); break;
		case 6: rd_bytes(d, &stats_d, t, &st->min_value); break;
		case 7:
		case 8:
			if (rd_bool(d, &stats_d, t, &exact))
				*(id == 7 ? &st->is_max_exact : &st->is_min_exact) = exact;
			break;
		default: sl_tc_r_skip(&d->r, t);
		}
	}
	st->null_count = st->null_count < 0 ? -1 : st->null_count;
	st->distinct_count = st->distinct_count < 0 ? -1 : st->distinct_count;
}

/* Statistics as the value of the field just announced in s. */
static void dec_stats_field(struct dec *d, const struct sdesc *s, enum sl_tc_type t,
			    struct sl_pq_stats *st)
{
	if (begin(d, s, t)) {
		dec_stats(d, st);
		end(d);
	}
}

static const char *const lt_f[] = {
	NULL, "STRING", "MAP", "LIST", "ENUM", "DECIMAL", "DATE", "TIME", "TIMESTAMP", NULL,
	"INTEGER", "UNKNOWN", "JSON", "BSON", "UUID", "FLOAT16", "VARIANT", "GEOMETRY",
	"GEOGRAPHY",
};
DESC(lt_d, "LogicalType", lt_f, 0);
static const char *const dec_f[] = {NULL, "scale", "precision"};
DESC(dec_d, "DecimalType", dec_f, B(1) | B(2));
static const char *const time_f[] = {NULL, "isAdjustedToUTC", "unit"};
DESC(time_d, "TimeType", time_f, B(1) | B(2));
DESC(ts_d, "TimestampType", time_f, B(1) | B(2));
static const char *const int_f[] = {NULL, "bitWidth", "isSigned"};
DESC(int_d, "IntType", int_f, B(1) | B(2));
static const char *const unit_f[] = {NULL, "MILLIS", "MICROS", "NANOS"};
DESC(unit_d, "TimeUnit", unit_f, 0);

/* Reads a union's member header (a union has exactly one member): false when empty. */
static bool union_member(struct dec *d, int16_t *id, enum sl_tc_type *t)
{
	uint32_t seen = 0;
	return field(d, id, t, &seen);
}

/* After a union's member: the next header must be STOP. */
static void union_end(struct dec *d, const struct sdesc *s)
{
	int16_t id;
	enum sl_tc_type t;
	if (union_member(d, &id, &t))
		fail_field(d, s, "a second member in a union");
}

static void dec_time_unit(struct dec *d, struct sl_pq_logical_type *lt)
{
	int16_t id;
	enum sl_tc_type t;
	if (!union_member(d, &id, &t)) {
		if (!d->r.rc)
			sl_tc_r_fail(&d->r, "TimeUnit: no unit");
		return;
	}
	if (id < 1 || id > 3 || t != SL_TC_STRUCT) {
		fail_field(d, &unit_d, "not a unit this reader knows");
		return;
	}
	sl_tc_r_skip(&d->r, t); /* an empty struct */
	lt->unit = (uint8_t)id; /* TimeUnit ids are SL_TU_MILLIS, _MICROS, _NANOS */
	union_end(d, &unit_d);
}

static void dec_decimal(struct dec *d, struct sl_pq_logical_type *lt)
{
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t;
	while (field(d, &id, &t, &seen)) {
		if (id == 1)
			rd_i32(d, &dec_d, t, &lt->scale);
		else if (id == 2)
			rd_i32(d, &dec_d, t, &lt->precision);
		else
			sl_tc_r_skip(&d->r, t);
	}
	need(d, &dec_d, seen);
}

static void dec_int(struct dec *d, struct sl_pq_logical_type *lt)
{
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t;
	while (field(d, &id, &t, &seen)) {
		if (id == 1) {
			int32_t v = 0;
			rd_i32(d, &int_d, t, &v);
			if (v < INT8_MIN || v > INT8_MAX)
				fail_field(d, &int_d, "%d is not an i8", v);
			lt->bit_width = (int8_t)v;
		} else if (id == 2) {
			rd_bool(d, &int_d, t, &lt->is_signed);
		} else {
			sl_tc_r_skip(&d->r, t);
		}
	}
	need(d, &int_d, seen);
}

/* TimeType and TimestampType have the same fields. */
static void dec_time(struct dec *d, const struct sdesc *s, struct sl_pq_logical_type *lt)
{
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t;
	while (field(d, &id, &t, &seen)) {
		if (id == 1) {
			rd_bool(d, s, t, &lt->utc_adjusted);
		} else if (id == 2) {
			if (begin(d, s, t)) {
				dec_time_unit(d, lt);
				end(d);
			}
		} else {
			sl_tc_r_skip(&d->r, t);
		}
	}
	need(d, s, seen);
}

static void dec_logical(struct dec *d, struct sl_pq_logical_type *lt)
{
	memset(lt, 0, sizeof(*lt));
	int16_t id;
	enum sl_tc_type t;
	if (!union_member(d, &id, &t))
		return; /* an empty union: no logical type */
	/* every member is a struct: anything else is a member we do not know */
	switch (t == SL_TC_STRUCT ? id : 0) {
	case SL_PQ_LT_DECIMAL:
	case SL_PQ_LT_TIME:
	case SL_PQ_LT_TIMESTAMP:
	case SL_PQ_LT_INTEGER:
		lt->kind = (enum sl_pq_logical)id;
		if (!begin(d, &lt_d, t))
			return;
		if (id == SL_PQ_LT_DECIMAL)
			dec_decimal(d, lt);
		else if (id == SL_PQ_LT_INTEGER)
			dec_int(d, lt);
		else
			dec_time(d, id == SL_PQ_LT_TIME ? &time_d : &ts_d, lt);
		end(d);
		break;
	case SL_PQ_LT_STRING: case SL_PQ_LT_MAP: case SL_PQ_LT_LIST: case SL_PQ_LT_ENUM:
	case SL_PQ_LT_DATE: case SL_PQ_LT_UNKNOWN: case SL_PQ_LT_JSON: case SL_PQ_LT_BSON:
	case SL_PQ_LT_UUID: case SL_PQ_LT_FLOAT16: case SL_PQ_LT_VARIANT:
	case SL_PQ_LT_GEOMETRY: case SL_PQ_LT_GEOGRAPHY:
		/* no parameters sluice uses (a geometry's crs, a variant's version) */
		lt->kind = (enum sl_pq_logical)id;
		sl_tc_r_skip(&d->r, t);
		break;
	default:
		lt->kind = SL_PQ_LT_OTHER;
		sl_tc_r_skip(&d->r, t);
	}
	union_end(d, &lt_d);
}

static const char *const se_f[] = {NULL, "type", "type_length", "repetition_type", "name",
				   "num_children", "converted_type", "scale", "precision",
				   "field_id", "logicalType"};
DESC(se_d, "SchemaElement", se_f, B(4));

static void dec_schema_elem(struct dec *d, struct sl_pq_schema_elem *e)
{
	memset(e, 0, sizeof(*e));
	e->type = e->repetition = e->converted = -1;
	e->scale = e->precision = e->field_id = -1;
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t;
	while (field(d, &id, &t, &seen)) {
		switch (id) {
		/* -1 means absent in format.h, so negative enums cannot be told from
		 * absent ones: they are corrupt (bad_data/PARQUET-1481 has type -7) */
		case 1: rd_count32(d, &se_d, t, &e->type); break;
		case 2: rd_count32(d, &se_d, t, &e->type_length); break;
		case 3: rd_count32(d, &se_d, t, &e->repetition); break;
		case 4: rd_bytes(d, &se_d, t, &e->name); break;
		case 5: rd_count32(d, &se_d, t, &e->num_children); break;
		case 6: rd_count32(d, &se_d, t, &e->converted); break;
		case 7: rd_count32(d, &se_d, t, &e->scale); break;
		case 8: rd_count32(d, &se_d, t, &e->precision); break;
		case 9:
			rd_i32(d, &se_d, t, &e->field_id);
			e->field_id = e->field_id < 0 ? -1 : e->field_id;
			break;
		case 10:
			if (begin(d, &se_d, t)) {
				dec_logical(d, &e->logical);
				end(d);
			}
			break;
		default: sl_tc_r_skip(&d->r, t);
		}
	}
	need(d, &se_d, seen);
}

static const char *const cmd_f[] = {
	NULL, "type", "encodings", "path_in_schema", "codec", "num_values",
	"total_uncompressed_size", "total_compressed_size", "key_value_metadata",
	"data_page_offset", "index_page_offset", "dictionary_page_offset", "statistics",
	"encoding_stats", "bloom_filter_offset", "bloom_filter_length",
};
DESC(cmd_d, "ColumnMetaData", cmd_f,
     B(1) | B(2) | B(3) | B(4) | B(5) | B(6) | B(7) | B(9));

static void column_meta_init(struct sl_pq_column_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->index_page_offset = m->dictionary_page_offset = m->bloom_filter_offset = -1;
	m->bloom_filter_length = -1;
	stats_init(&m->stats);
}

static void dec_column_meta(struct dec *d, struct sl_pq_column_meta *m)
{
	column_meta_init(m);
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t, e;
	while (field(d, &id, &t, &seen)) {
		switch (id) {
		case 1: rd_i32(d, &cmd_d, t, &m->type); break;
		case 2:
			m->encodings = list_of(d, &cmd_d, t, SL_TC_I32, 1, sizeof(int32_t),
					       &m->n_encodings, &e);
			for (size_t i = 0; i < m->n_encodings; i++)
				m->encodings[i] = sl_tc_r_i32(&d->r, e);
			break;
		case 3:
			m->path = list_of(d, &cmd_d, t, SL_TC_BINARY, 1, sizeof(*m->path),
					  &m->n_path, &e);
			for (size_t i = 0; i < m->n_path; i++)
				rd_bytes(d, &cmd_d, e, &m->path[i]);
			break;
		case 4: rd_i32(d, &cmd_d, t, &m->codec); break;
		case 5: rd_count64(d, &cmd_d, t, &m->num_values); break;
		case 6: rd_count64(d, &cmd_d, t, &m->total_uncompressed_size); break;
		case 7: rd_count64(d, &cmd_d, t, &m->total_compressed_size); break;
		case 8: m->kv = dec_kv_list(d, &cmd_d, t, &m->n_kv); break;
		case 9: rd_count64(d, &cmd_d, t, &m->data_page_offset); break;
		case 10: rd_count64(d, &cmd_d, t, &m->index_page_offset); break;
		case 11:
			rd_count64(d, &cmd_d, t, &m->dictionary_page_offset);
			/* offset 0 is the magic: writers that put 0 there meant "none" */
			if (m->dictionary_page_offset == 0)
				m->dictionary_page_offset = -1;
			break;
		case 12: dec_stats_field(d, &cmd_d, t, &m->stats); break;
		case 14: rd_count64(d, &cmd_d, t, &m->bloom_filter_offset); break;
		case 15: rd_count32(d, &cmd_d, t, &m->bloom_filter_length); break;
		default: sl_tc_r_skip(&d->r, t);
		}
	}
	need(d, &cmd_d, seen);
}

static const char *const cc_f[] = {
	NULL, "file_path", "file_offset", "meta_data", "offset_index_offset",
	"offset_index_length", "column_index_offset", "column_index_length",
	"crypto_metadata", "encrypted_column_metadata",
};
DESC(cc_d, "ColumnChunk", cc_f, B(2));

static void dec_column_chunk(struct dec *d, struct sl_pq_column_chunk *c)
{
	memset(c, 0, sizeof(*c));
	column_meta_init(&c->meta); /* absent metadata reads as absent fields too */
	c->offset_index_offset = c->column_index_offset = -1;
	c->offset_index_length = c->column_index_length = -1;
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t;
	while (field(d, &id, &t, &seen)) {
		switch (id) {
		case 1: rd_bytes(d, &cc_d, t, &c->file_path); break;
		/* deprecated and unused; some writers put odd values here */
		case 2: rd_i64(d, &cc_d, t, &c->file_offset); break;
		case 3:
			if (begin(d, &cc_d, t)) {
				dec_column_meta(d, &c->meta);
				c->has_meta = true;
				end(d);
			}
			break;
		case 4: rd_count64(d, &cc_d, t, &c->offset_index_offset); break;
		case 5: rd_count32(d, &cc_d, t, &c->offset_index_length); break;
		case 6: rd_count64(d, &cc_d, t, &c->column_index_offset); break;
		case 7: rd_count32(d, &cc_d, t, &c->column_index_length); break;
		case 8:
		case 9:
			c->encrypted = true;
			sl_tc_r_skip(&d->r, t);
			break;
		default: sl_tc_r_skip(&d->r, t);
		}
	}
	need(d, &cc_d, seen);
}

static const char *const sc_f[] = {NULL, "column_idx", "descending", "nulls_first"};
DESC(sc_d, "SortingColumn", sc_f, B(1) | B(2) | B(3));

static void dec_sorting(struct dec *d, struct sl_pq_sorting_column *s)
{
	memset(s, 0, sizeof(*s));
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t;
	while (field(d, &id, &t, &seen)) {
		switch (id) {
		case 1: rd_count32(d, &sc_d, t, &s->column_idx); break;
		case 2: rd_bool(d, &sc_d, t, &s->descending); break;
		case 3: rd_bool(d, &sc_d, t, &s->nulls_first); break;
		default: sl_tc_r_skip(&d->r, t);
		}
	}
	need(d, &sc_d, seen);
}

static const char *const rg_f[] = {NULL, "columns", "total_byte_size", "num_rows",
				   "sorting_columns", "file_offset", "total_compressed_size",
				   "ordinal"};
DESC(rg_d, "RowGroup", rg_f, B(1) | B(2) | B(3));

static void dec_row_group(struct dec *d, struct sl_pq_row_group *g)
{
	memset(g, 0, sizeof(*g));
	g->file_offset = g->total_compressed_size = -1;
	g->ordinal = -1;
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t, e;
	while (field(d, &id, &t, &seen)) {
		switch (id) {
		case 1:
			/* file_offset: header, varint, STOP */
			g->columns = list_of(d, &rg_d, t, SL_TC_STRUCT, 3, sizeof(*g->columns),
					     &g->n_columns, &e);
			for (size_t i = 0; i < g->n_columns && begin(d, &rg_d, e); i++) {
				dec_column_chunk(d, &g->columns[i]);
				end(d);
			}
			break;
		case 2: rd_count64(d, &rg_d, t, &g->total_byte_size); break;
		case 3: rd_count64(d, &rg_d, t, &g->num_rows); break;
		case 4:
			/* three required fields and STOP */
			g->sorting = list_of(d, &rg_d, t, SL_TC_STRUCT, 5, sizeof(*g->sorting),
					     &g->n_sorting, &e);
			for (size_t i = 0; i < g->n_sorting && begin(d, &rg_d, e); i++) {
				dec_sorting(d, &g->sorting[i]);
				end(d);
			}
			break;
		case 5: rd_count64(d, &rg_d, t, &g->file_offset); break;
		case 6: rd_count64(d, &rg_d, t, &g->total_compressed_size); break;
		case 7:
			/* an i16 that writers with more row groups let wrap: informational
			 * only, so a negative one reads as absent */
			rd_i32(d, &rg_d, t, &g->ordinal);
			if (g->ordinal < 0)
				g->ordinal = -1;
			break;
		default: sl_tc_r_skip(&d->r, t);
		}
	}
	need(d, &rg_d, seen);
}

static const char *const co_f[] = {NULL, "TYPE_ORDER", "IEEE_754_TOTAL_ORDER",
				   "INT96_TIMESTAMP_ORDER"};
DESC(co_d, "ColumnOrder", co_f, 0);

static bool dec_column_order(struct dec *d)
{
	int16_t id;
	enum sl_tc_type t;
	if (!union_member(d, &id, &t))
		return false;
	sl_tc_r_skip(&d->r, t);
	union_end(d, &co_d);
	return id == 1;
}

static const char *const fm_f[] = {NULL, "version", "schema", "num_rows", "row_groups",
				   "key_value_metadata", "created_by", "column_orders",
				   "encryption_algorithm", "footer_signing_key_metadata"};
DESC(fm_d, "FileMetaData", fm_f, B(1) | B(2) | B(3) | B(4));

static void dec_file_meta(struct dec *d, struct sl_pq_file_meta *m)
{
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t, e;
	while (field(d, &id, &t, &seen)) {
		switch (id) {
		case 1: rd_i32(d, &fm_d, t, &m->version); break;
		case 2:
			/* name: header, length, STOP */
			m->schema = list_of(d, &fm_d, t, SL_TC_STRUCT, 3, sizeof(*m->schema),
					    &m->n_schema, &e);
			for (size_t i = 0; i < m->n_schema && begin(d, &fm_d, e); i++) {
				dec_schema_elem(d, &m->schema[i]);
				end(d);
			}
			break;
		case 3: rd_count64(d, &fm_d, t, &m->num_rows); break;
		case 4:
			/* columns, total_byte_size, num_rows: two bytes each, and STOP */
			m->row_groups = list_of(d, &fm_d, t, SL_TC_STRUCT, 7,
						sizeof(*m->row_groups), &m->n_row_groups, &e);
			for (size_t i = 0; i < m->n_row_groups && begin(d, &fm_d, e); i++) {
				dec_row_group(d, &m->row_groups[i]);
				end(d);
			}
			break;
		case 5: m->kv = dec_kv_list(d, &fm_d, t, &m->n_kv); break;
		case 6: rd_bytes(d, &fm_d, t, &m->created_by); break;
		case 7:
			m->column_orders_typed = list_of(d, &fm_d, t, SL_TC_STRUCT, 1,
							 sizeof(bool), &m->n_column_orders, &e);
			for (size_t i = 0; i < m->n_column_orders && begin(d, &fm_d, e); i++) {
				m->column_orders_typed[i] = dec_column_order(d);
				end(d);
			}
			break;
		case 8:
			m->encrypted = true;
			sl_tc_r_skip(&d->r, t);
			break;
		default: sl_tc_r_skip(&d->r, t);
		}
	}
	need(d, &fm_d, seen);
}

int sl_pq_file_meta_decode(const void *p, size_t len, struct sl_pq_file_meta *m,
			   struct sl_err *err)
{
	struct dec d;
	dec_init(&d, p, len, "file metadata", err);
	memset(m, 0, sizeof(*m));
	dec_file_meta(&d, m);
	m->arena = d.arena;
	if (d.r.rc) {
		sl_pq_file_meta_release(m);
		return d.r.rc;
	}
	return 0;
}

void sl_pq_file_meta_release(struct sl_pq_file_meta *m)
{
	if (!m)
		return;
	arena_free(m->arena);
	memset(m, 0, sizeof(*m));
}

/* ---- page headers ------------------------------------------------------------------- */

static const char *const dph_f[] = {NULL, "num_values", "encoding",
				    "definition_level_encoding", "repetition_level_encoding",
				    "statistics"};
DESC(dph_d, "DataPageHeader", dph_f, B(1) | B(2) | B(3) | B(4));

static void dec_data_page(struct dec *d, struct sl_pq_data_page_header *h)
{
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t;
	while (field(d, &id, &t, &seen)) {
		switch (id) {
		case 1: rd_count32(d, &dph_d, t, &h->num_values); break;
		case 2: rd_i32(d, &dph_d, t, &h->encoding); break;
		case 3: rd_i32(d, &dph_d, t, &h->def_encoding); break;
		case 4: rd_i32(d, &dph_d, t, &h->rep_encoding); break;
		case 5: dec_stats_field(d, &dph_d, t, &h->stats); break;
		default: sl_tc_r_skip(&d->r, t);
		}
	}
	need(d, &dph_d, seen);
}

static const char *const dph2_f[] = {NULL, "num_values", "num_nulls", "num_rows",
				     "encoding", "definition_levels_byte_length",
				     "repetition_levels_byte_length", "is_compressed",
				     "statistics"};
DESC(dph2_d, "DataPageHeaderV2", dph2_f, B(1) | B(2) | B(3) | B(4) | B(5) | B(6));

static void dec_data_page_v2(struct dec *d, struct sl_pq_data_page_header_v2 *h)
{
	h->is_compressed = true;
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t;
	while (field(d, &id, &t, &seen)) {
		switch (id) {
		case 1: rd_count32(d, &dph2_d, t, &h->num_values); break;
		case 2: rd_count32(d, &dph2_d, t, &h->num_nulls); break;
		case 3: rd_count32(d, &dph2_d, t, &h->num_rows); break;
		case 4: rd_i32(d, &dph2_d, t, &h->encoding); break;
		case 5: rd_count32(d, &dph2_d, t, &h->def_levels_len); break;
		case 6: rd_count32(d, &dph2_d, t, &h->rep_levels_len); break;
		case 7: rd_bool(d, &dph2_d, t, &h->is_compressed); break;
		case 8: dec_stats_field(d, &dph2_d, t, &h->stats); break;
		default: sl_tc_r_skip(&d->r, t);
		}
	}
	need(d, &dph2_d, seen);
}

static const char *const dict_f[] = {NULL, "num_values", "encoding", "is_sorted"};
DESC(dict_d, "DictionaryPageHeader", dict_f, B(1) | B(2));

static void dec_dict_page(struct dec *d, struct sl_pq_dict_page_header *h)
{
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t;
	while (field(d, &id, &t, &seen)) {
		switch (id) {
		case 1: rd_count32(d, &dict_d, t, &h->num_values); break;
		case 2: rd_i32(d, &dict_d, t, &h->encoding); break;
		case 3: rd_bool(d, &dict_d, t, &h->is_sorted); break;
		default: sl_tc_r_skip(&d->r, t);
		}
	}
	need(d, &dict_d, seen);
}

static const char *const ph_f[] = {NULL, "type", "uncompressed_page_size",
				   "compressed_page_size", "crc", "data_page_header",
				   "index_page_header", "dictionary_page_header",
				   "data_page_header_v2"};
DESC(ph_d, "PageHeader", ph_f, B(1) | B(2) | B(3));

int sl_pq_page_header_decode(const void *p, size_t len, struct sl_pq_page_header *h,
			     size_t *used, struct sl_err *err)
{
	struct dec d;
	dec_init(&d, p, len, "page header", err);
	memset(h, 0, sizeof(*h));
	stats_init(&h->data.stats);
	stats_init(&h->data_v2.stats);
	int32_t crc;
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t;
	while (field(&d, &id, &t, &seen)) {
		switch (id) {
		case 1: rd_i32(&d, &ph_d, t, &h->type); break;
		case 2: rd_count32(&d, &ph_d, t, &h->uncompressed_size); break;
		case 3: rd_count32(&d, &ph_d, t, &h->compressed_size); break;
		case 4:
			if (rd_i32(&d, &ph_d, t, &crc)) {
				h->crc = (uint32_t)crc;
				h->has_crc = true;
			}
			break;
		case 5:
			if (begin(&d, &ph_d, t)) {
				dec_data_page(&d, &h->data);
				h->has_data = true;
				end(&d);
			}
			break;
		case 7:
			if (begin(&d, &ph_d, t)) {
				dec_dict_page(&d, &h->dict);
				h->has_dict = true;
				end(&d);
			}
			break;
		case 8:
			if (begin(&d, &ph_d, t)) {
				dec_data_page_v2(&d, &h->data_v2);
				h->has_data_v2 = true;
				end(&d);
			}
			break;
		default: sl_tc_r_skip(&d.r, t);
		}
	}
	need(&d, &ph_d, seen);
	arena_free(d.arena); /* nothing allocates, but keep the promise if that changes */
	if (d.r.rc) {
		memset(h, 0, sizeof(*h));
		return d.r.rc;
	}
	if (used)
		*used = sl_tc_r_offset(&d.r);
	return 0;
}

/* ---- page index --------------------------------------------------------------------- */

static const char *const ci_f[] = {NULL, "null_pages", "min_values", "max_values",
				   "boundary_order", "null_counts"};
DESC(ci_d, "ColumnIndex", ci_f, B(1) | B(2) | B(3) | B(4));

/* A list<binary> of a column index; *n its length. */
static struct sl_pq_bytes *dec_bytes_list(struct dec *d, enum sl_tc_type t, size_t *n)
{
	enum sl_tc_type e;
	struct sl_pq_bytes *a = list_of(d, &ci_d, t, SL_TC_BINARY, 1, sizeof(*a), n, &e);
	for (size_t i = 0; i < *n; i++)
		rd_bytes(d, &ci_d, e, &a[i]);
	return a;
}

int sl_pq_column_index_decode(const void *p, size_t len, struct sl_pq_column_index *ci,
			      struct sl_err *err)
{
	struct dec d;
	dec_init(&d, p, len, "column index", err);
	memset(ci, 0, sizeof(*ci));
	size_t n_min = 0, n_max = 0, n_nulls = 0;
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t, e;
	while (field(&d, &id, &t, &seen)) {
		switch (id) {
		case 1:
			ci->null_pages = list_of(&d, &ci_d, t, SL_TC_TRUE, 1, sizeof(bool),
						 &ci->n_pages, &e);
			for (size_t i = 0; i < ci->n_pages; i++)
				ci->null_pages[i] = sl_tc_r_bool_elem(&d.r);
			break;
		case 2: ci->min_values = dec_bytes_list(&d, t, &n_min); break;
		case 3: ci->max_values = dec_bytes_list(&d, t, &n_max); break;
		case 4: rd_i32(&d, &ci_d, t, &ci->boundary_order); break;
		case 5:
			ci->null_counts = list_of(&d, &ci_d, t, SL_TC_I64, 1, sizeof(int64_t),
						  &n_nulls, &e);
			/* -1 is "unknown" (datapage_v1-corrupt-checksum.parquet has it) */
			for (size_t i = 0; i < n_nulls; i++) {
				int64_t v = sl_tc_r_i64(&d.r, e);
				ci->null_counts[i] = v < 0 ? -1 : v;
			}
			break;
		default: sl_tc_r_skip(&d.r, t);
		}
	}
	need(&d, &ci_d, seen);
	if (!d.r.rc && (n_min != ci->n_pages || n_max != ci->n_pages ||
			((seen & B(5)) && n_nulls != ci->n_pages)))
		sl_tc_r_fail(&d.r, "ColumnIndex: %zu null_pages, %zu min_values, %zu "
			     "max_values, %zu null_counts: the lists must have one entry per page",
			     ci->n_pages, n_min, n_max, n_nulls);
	ci->arena = d.arena;
	if (d.r.rc) {
		sl_pq_column_index_release(ci);
		return d.r.rc;
	}
	return 0;
}

void sl_pq_column_index_release(struct sl_pq_column_index *ci)
{
	if (!ci)
		return;
	arena_free(ci->arena);
	memset(ci, 0, sizeof(*ci));
}

static const char *const pl_f[] = {NULL, "offset", "compressed_page_size",
				   "first_row_index"};
DESC(pl_d, "PageLocation", pl_f, B(1) | B(2) | B(3));
static const char *const oi_f[] = {NULL, "page_locations"};
DESC(oi_d, "OffsetIndex", oi_f, B(1));

static void dec_page_location(struct dec *d, struct sl_pq_page_location *l)
{
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t;
	while (field(d, &id, &t, &seen)) {
		switch (id) {
		case 1: rd_count64(d, &pl_d, t, &l->offset); break;
		case 2: rd_count32(d, &pl_d, t, &l->compressed_size); break;
		case 3: rd_count64(d, &pl_d, t, &l->first_row); break;
		default: sl_tc_r_skip(&d->r, t);
		}
	}
	need(d, &pl_d, seen);
}

int sl_pq_offset_index_decode(const void *p, size_t len, struct sl_pq_offset_index *oi,
			      struct sl_err *err)
{
	struct dec d;
	dec_init(&d, p, len, "offset index", err);
	memset(oi, 0, sizeof(*oi));
	uint32_t seen = 0;
	int16_t id;
	enum sl_tc_type t, e;
	while (field(&d, &id, &t, &seen)) {
		if (id != 1) {
			sl_tc_r_skip(&d.r, t);
			continue;
		}
		/* three required fields, two bytes each, and STOP */
		oi->pages = list_of(&d, &oi_d, t, SL_TC_STRUCT, 7, sizeof(*oi->pages),
				    &oi->n_pages, &e);
		for (size_t i = 0; i < oi->n_pages && begin(&d, &oi_d, e); i++) {
			dec_page_location(&d, &oi->pages[i]);
			end(&d);
		}
	}
	need(&d, &oi_d, seen);
	oi->arena = d.arena;
	if (d.r.rc) {
		sl_pq_offset_index_release(oi);
		return d.r.rc;
	}
	return 0;
}

void sl_pq_offset_index_release(struct sl_pq_offset_index *oi)
{
	if (!oi)
		return;
	arena_free(oi->arena);
	memset(oi, 0, sizeof(*oi));
}

/* ---- encoders ----------------------------------------------------------------------- */

struct enc {
	struct sl_tc_w w;
	struct sl_err *err;
	int rc; /* a value that cannot be encoded (the writer's errors are in w.rc) */
	size_t start; /* out->len before, restored on failure */
};

static void enc_init(struct enc *e, struct sl_buf *out, struct sl_err *err)
{
	sl_tc_w_init(&e->w, out);
	e->err = err;
	e->rc = 0;
	e->start = out->len;
}

__attribute__((format(printf, 2, 3)))
static void enc_fail(struct enc *e, const char *fmt, ...)
{
	if (e->rc)
		return;
	e->rc = SL_EINVAL;
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sl_err_set(e->err, SL_EINVAL, "parquet metadata encode: %s", msg);
}

static int enc_finish(struct enc *e)
{
	sl_tc_w_stop(&e->w);
	int rc = e->rc ? e->rc : sl_tc_w_finish(&e->w, e->err);
	if (rc) {
		e->w.out->len = e->start;
		if (e->w.out->data)
			e->w.out->data[e->start] = '\0';
	}
	return rc;
}

static void put_bytes(struct enc *e, int16_t id, struct sl_pq_bytes b)
{
	if (b.p)
		sl_tc_w_field_binary(&e->w, id, b.p, b.len);
}

static void put_i32_opt(struct enc *e, int16_t id, int32_t v)
{
	if (v >= 0)
		sl_tc_w_field_i32(&e->w, id, v);
}

static void put_i64_opt(struct enc *e, int16_t id, int64_t v)
{
	if (v >= 0)
		sl_tc_w_field_i64(&e->w, id, v);
}

static void enc_stats(struct enc *e, int16_t id, const struct sl_pq_stats *s)
{
	if (!s->present)
		return;
	sl_tc_w_struct_begin(&e->w, id);
	put_bytes(e, 1, s->max);
	put_bytes(e, 2, s->min);
	put_i64_opt(e, 3, s->null_count);
	put_i64_opt(e, 4, s->distinct_count);
	put_bytes(e, 5, s->max_value);
	put_bytes(e, 6, s->min_value);
	if (s->is_max_exact >= 0)
		sl_tc_w_field_bool(&e->w, 7, s->is_max_exact);
	if (s->is_min_exact >= 0)
		sl_tc_w_field_bool(&e->w, 8, s->is_min_exact);
	sl_tc_w_struct_end(&e->w);
}

static void enc_kv_list(struct enc *e, int16_t id, const struct sl_pq_kv *kv, size_t n)
{
	if (n == 0)
		return;
	sl_tc_w_list_begin(&e->w, id, SL_TC_STRUCT, (uint32_t)n);
	for (size_t i = 0; i < n; i++) {
		sl_tc_w_struct_begin(&e->w, 0);
		sl_tc_w_field_binary(&e->w, 1, kv[i].key.p, kv[i].key.len);
		put_bytes(e, 2, kv[i].value);
		sl_tc_w_struct_end(&e->w);
	}
}

static void enc_logical(struct enc *e, const struct sl_pq_logical_type *lt)
{
	struct sl_tc_w *w = &e->w;
	if (lt->kind == SL_PQ_LT_NONE)
		return;
	int kind = (int)lt->kind;
	if (kind < 0 || kind > SL_PQ_LT_GEOGRAPHY || kind == 9 /* reserved */) {
		enc_fail(e, "logical type %d cannot be written", kind);
		return;
	}
	sl_tc_w_struct_begin(w, 10);
	sl_tc_w_struct_begin(w, (int16_t)lt->kind);
	switch (lt->kind) {
	case SL_PQ_LT_DECIMAL:
		sl_tc_w_field_i32(w, 1, lt->scale);
		sl_tc_w_field_i32(w, 2, lt->precision);
		break;
	case SL_PQ_LT_TIME:
	case SL_PQ_LT_TIMESTAMP:
		if (lt->unit < SL_TU_MILLIS || lt->unit > SL_TU_NANOS)
			enc_fail(e, "time unit %u cannot be written", lt->unit);
		sl_tc_w_field_bool(w, 1, lt->utc_adjusted);
		sl_tc_w_struct_begin(w, 2);
		sl_tc_w_struct_begin(w, lt->unit); /* TimeUnit ids are sl_time_unit's */
		sl_tc_w_struct_end(w);
		sl_tc_w_struct_end(w);
		break;
	case SL_PQ_LT_INTEGER:
		sl_tc_w_field_i8(w, 1, lt->bit_width);
		sl_tc_w_field_bool(w, 2, lt->is_signed);
		break;
	default:
		break; /* the others are empty structs (or have only optional fields) */
	}
	sl_tc_w_struct_end(w);
	sl_tc_w_struct_end(w);
}

static void enc_schema_elem(struct enc *e, const struct sl_pq_schema_elem *s)
{
	struct sl_tc_w *w = &e->w;
	sl_tc_w_struct_begin(w, 0);
	put_i32_opt(e, 1, s->type);
	/* format.h has no "absent" for these two: FLBA needs type_length, groups need
	 * num_children; elsewhere 0 means unset */
	if (s->type == SL_PQ_FIXED_LEN_BYTE_ARRAY || s->type_length > 0)
		sl_tc_w_field_i32(w, 2, s->type_length);
	put_i32_opt(e, 3, s->repetition);
	sl_tc_w_field_binary(w, 4, s->name.p, s->name.len);
	if (s->type < 0 || s->num_children > 0)
		sl_tc_w_field_i32(w, 5, s->num_children);
	put_i32_opt(e, 6, s->converted);
	put_i32_opt(e, 7, s->scale);
	put_i32_opt(e, 8, s->precision);
	put_i32_opt(e, 9, s->field_id);
	enc_logical(e, &s->logical);
	sl_tc_w_struct_end(w);
}

static void enc_column_meta(struct enc *e, const struct sl_pq_column_meta *m)
{
	struct sl_tc_w *w = &e->w;
	sl_tc_w_struct_begin(w, 3);
	sl_tc_w_field_i32(w, 1, m->type);
	sl_tc_w_list_begin(w, 2, SL_TC_I32, (uint32_t)m->n_encodings);
	for (size_t i = 0; i < m->n_encodings; i++)
		sl_tc_w_i32(w, m->encodings[i]);
	sl_tc_w_list_begin(w, 3, SL_TC_BINARY, (uint32_t)m->n_path);
	for (size_t i = 0; i < m->n_path; i++)
		sl_tc_w_binary(w, m->path[i].p, m->path[i].len);
	sl_tc_w_field_i32(w, 4, m->codec);
	sl_tc_w_field_i64(w, 5, m->num_values);
	sl_tc_w_field_i64(w, 6, m->total_uncompressed_size);
	sl_tc_w_field_i64(w, 7, m->total_compressed_size);
	enc_kv_list(e, 8, m->kv, m->n_kv);
	sl_tc_w_field_i64(w, 9, m->data_page_offset);
	put_i64_opt(e, 10, m->index_page_offset);
	/* 0 would be read as "none" (see the decoder) */
	if (m->dictionary_page_offset > 0)
		sl_tc_w_field_i64(w, 11, m->dictionary_page_offset);
	enc_stats(e, 12, &m->stats);
	put_i64_opt(e, 14, m->bloom_filter_offset);
	put_i32_opt(e, 15, m->bloom_filter_length);
	sl_tc_w_struct_end(w);
}

static void enc_column_chunk(struct enc *e, const struct sl_pq_column_chunk *c)
{
	struct sl_tc_w *w = &e->w;
	if (c->encrypted)
		enc_fail(e, "encrypted column metadata cannot be written");
	sl_tc_w_struct_begin(w, 0);
	put_bytes(e, 1, c->file_path);
	sl_tc_w_field_i64(w, 2, c->file_offset);
	if (c->has_meta)
		enc_column_meta(e, &c->meta);
	put_i64_opt(e, 4, c->offset_index_offset);
	put_i32_opt(e, 5, c->offset_index_length);
	put_i64_opt(e, 6, c->column_index_offset);
	put_i32_opt(e, 7, c->column_index_length);
	sl_tc_w_struct_end(w);
}

static void enc_row_group(struct enc *e, const struct sl_pq_row_group *g)
{
	struct sl_tc_w *w = &e->w;
	sl_tc_w_struct_begin(w, 0);
	sl_tc_w_list_begin(w, 1, SL_TC_STRUCT, (uint32_t)g->n_columns);
	for (size_t i = 0; i < g->n_columns; i++)
		enc_column_chunk(e, &g->columns[i]);
	sl_tc_w_field_i64(w, 2, g->total_byte_size);
	sl_tc_w_field_i64(w, 3, g->num_rows);
	if (g->n_sorting) {
		sl_tc_w_list_begin(w, 4, SL_TC_STRUCT, (uint32_t)g->n_sorting);
		for (size_t i = 0; i < g->n_sorting; i++) {
			sl_tc_w_struct_begin(w, 0);
			sl_tc_w_field_i32(w, 1, g->sorting[i].column_idx);
			sl_tc_w_field_bool(w, 2, g->sorting[i].descending);
			sl_tc_w_field_bool(w, 3, g->sorting[i].nulls_first);
			sl_tc_w_struct_end(w);
		}
	}
	put_i64_opt(e, 5, g->file_offset);
	put_i64_opt(e, 6, g->total_compressed_size);
	/* an i16 on the wire: past that it is left out rather than wrapped */
	if (g->ordinal >= 0 && g->ordinal <= INT16_MAX)
		sl_tc_w_field_i16(w, 7, (int16_t)g->ordinal);
	sl_tc_w_struct_end(w);
}

int sl_pq_file_meta_encode(const struct sl_pq_file_meta *m, struct sl_buf *out,
			   struct sl_err *err)
{
	struct enc e;
	enc_init(&e, out, err);
	struct sl_tc_w *w = &e.w;
	if (m->encrypted)
		enc_fail(&e, "encrypted file metadata cannot be written");
	sl_tc_w_field_i32(w, 1, m->version);
	sl_tc_w_list_begin(w, 2, SL_TC_STRUCT, (uint32_t)m->n_schema);
	for (size_t i = 0; i < m->n_schema; i++)
		enc_schema_elem(&e, &m->schema[i]);
	sl_tc_w_field_i64(w, 3, m->num_rows);
	sl_tc_w_list_begin(w, 4, SL_TC_STRUCT, (uint32_t)m->n_row_groups);
	for (size_t i = 0; i < m->n_row_groups; i++)
		enc_row_group(&e, &m->row_groups[i]);
	enc_kv_list(&e, 5, m->kv, m->n_kv);
	put_bytes(&e, 6, m->created_by);
	if (m->n_column_orders) {
		sl_tc_w_list_begin(w, 7, SL_TC_STRUCT, (uint32_t)m->n_column_orders);
		for (size_t i = 0; i < m->n_column_orders; i++) {
			if (!m->column_orders_typed[i])
				enc_fail(&e, "column_orders[%zu]: only TYPE_ORDER can be written",
					 i);
			sl_tc_w_struct_begin(w, 0); /* the ColumnOrder union */
			sl_tc_w_struct_begin(w, 1); /* TYPE_ORDER, an empty struct */
			sl_tc_w_struct_end(w);
			sl_tc_w_struct_end(w);
		}
	}
	return enc_finish(&e);
}

static void enc_data_page(struct enc *e, const struct sl_pq_data_page_header *h)
{
	struct sl_tc_w *w = &e->w;
	sl_tc_w_struct_begin(w, 5);
	sl_tc_w_field_i32(w, 1, h->num_values);
	sl_tc_w_field_i32(w, 2, h->encoding);
	sl_tc_w_field_i32(w, 3, h->def_encoding);
	sl_tc_w_field_i32(w, 4, h->rep_encoding);
	enc_stats(e, 5, &h->stats);
	sl_tc_w_struct_end(w);
}

static void enc_dict_page(struct enc *e, const struct sl_pq_dict_page_header *h)
{
	struct sl_tc_w *w = &e->w;
	sl_tc_w_struct_begin(w, 7);
	sl_tc_w_field_i32(w, 1, h->num_values);
	sl_tc_w_field_i32(w, 2, h->encoding);
	sl_tc_w_field_bool(w, 3, h->is_sorted);
	sl_tc_w_struct_end(w);
}

static void enc_data_page_v2(struct enc *e, const struct sl_pq_data_page_header_v2 *h)
{
	struct sl_tc_w *w = &e->w;
	sl_tc_w_struct_begin(w, 8);
	sl_tc_w_field_i32(w, 1, h->num_values);
	sl_tc_w_field_i32(w, 2, h->num_nulls);
	sl_tc_w_field_i32(w, 3, h->num_rows);
	sl_tc_w_field_i32(w, 4, h->encoding);
	sl_tc_w_field_i32(w, 5, h->def_levels_len);
	sl_tc_w_field_i32(w, 6, h->rep_levels_len);
	sl_tc_w_field_bool(w, 7, h->is_compressed);
	enc_stats(e, 8, &h->stats);
	sl_tc_w_struct_end(w);
}

int sl_pq_page_header_encode(const struct sl_pq_page_header *h, struct sl_buf *out,
			     struct sl_err *err)
{
	struct enc e;
	enc_init(&e, out, err);
	struct sl_tc_w *w = &e.w;
	sl_tc_w_field_i32(w, 1, h->type);
	sl_tc_w_field_i32(w, 2, h->uncompressed_size);
	sl_tc_w_field_i32(w, 3, h->compressed_size);
	if (h->has_crc)
		sl_tc_w_field_i32(w, 4, (int32_t)h->crc);
	if (h->has_data)
		enc_data_page(&e, &h->data);
	if (h->has_dict)
		enc_dict_page(&e, &h->dict);
	if (h->has_data_v2)
		enc_data_page_v2(&e, &h->data_v2);
	return enc_finish(&e);
}

int sl_pq_column_index_encode(const struct sl_pq_column_index *ci, struct sl_buf *out,
			      struct sl_err *err)
{
	struct enc e;
	enc_init(&e, out, err);
	struct sl_tc_w *w = &e.w;
	uint32_t n = (uint32_t)ci->n_pages;
	sl_tc_w_list_begin(w, 1, SL_TC_TRUE, n);
	for (size_t i = 0; i < ci->n_pages; i++)
		sl_tc_w_bool(w, ci->null_pages[i]);
	sl_tc_w_list_begin(w, 2, SL_TC_BINARY, n);
	for (size_t i = 0; i < ci->n_pages; i++)
		sl_tc_w_binary(w, ci->min_values[i].p, ci->min_values[i].len);
	sl_tc_w_list_begin(w, 3, SL_TC_BINARY, n);
	for (size_t i = 0; i < ci->n_pages; i++)
		sl_tc_w_binary(w, ci->max_values[i].p, ci->max_values[i].len);
	sl_tc_w_field_i32(w, 4, ci->boundary_order);
	if (ci->null_counts) {
		sl_tc_w_list_begin(w, 5, SL_TC_I64, n);
		for (size_t i = 0; i < ci->n_pages; i++)
			sl_tc_w_i64(w, ci->null_counts[i]);
	}
	return enc_finish(&e);
}

int sl_pq_offset_index_encode(const struct sl_pq_offset_index *oi, struct sl_buf *out,
			      struct sl_err *err)
{
	struct enc e;
	enc_init(&e, out, err);
	struct sl_tc_w *w = &e.w;
	sl_tc_w_list_begin(w, 1, SL_TC_STRUCT, (uint32_t)oi->n_pages);
	for (size_t i = 0; i < oi->n_pages; i++) {
		sl_tc_w_struct_begin(w, 0);
		sl_tc_w_field_i64(w, 1, oi->pages[i].offset);
		sl_tc_w_field_i32(w, 2, oi->pages[i].compressed_size);
		sl_tc_w_field_i64(w, 3, oi->pages[i].first_row);
		sl_tc_w_struct_end(w);
	}
	return enc_finish(&e);
}

/* ---- names -------------------------------------------------------------------------- */

static const char *name_of(const char *const *names, int n, int32_t v)
{
	return v >= 0 && v < n && names[v] ? names[v] : "UNKNOWN";
}

const char *sl_pq_type_name(int32_t t)
{
	static const char *const n[] = {"BOOLEAN", "INT32", "INT64", "INT96", "FLOAT",
					"DOUBLE", "BYTE_ARRAY", "FIXED_LEN_BYTE_ARRAY"};
	return name_of(n, N_OF(n), t);
}

const char *sl_pq_encoding_name(int32_t e)
{
	static const char *const n[] = {"PLAIN", NULL, "PLAIN_DICTIONARY", "RLE",
					"BIT_PACKED", "DELTA_BINARY_PACKED",
					"DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
					"RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
	return name_of(n, N_OF(n), e);
}

const char *sl_pq_codec_name(int32_t c)
{
	static const char *const n[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO", "BROTLI",
					"LZ4", "ZSTD", "LZ4_RAW"};
	return name_of(n, N_OF(n), c);
}

const char *sl_pq_converted_name(int32_t c)
{
	static const char *const n[] = {
		"UTF8", "MAP", "MAP_KEY_VALUE", "LIST", "ENUM", "DECIMAL", "DATE",
		"TIME_MILLIS", "TIME_MICROS", "TIMESTAMP_MILLIS", "TIMESTAMP_MICROS", "UINT_8",
		"UINT_16", "UINT_32", "UINT_64", "INT_8", "INT_16", "INT_32", "INT_64", "JSON",
		"BSON", "INTERVAL",
	};
	return name_of(n, N_OF(n), c);
}
