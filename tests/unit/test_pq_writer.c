/*
 * test_pq_writer.c - the Parquet writer (parquet/writer.h) into a memory sink, checked by
 * decoding what it wrote with the format, encoding and codec modules alone (not the
 * reader): the footer, each page header, the levels and the values.
 *
 * Covered: Dremel's levels (the paper's two documents, nulls and empty lists at every
 * depth, maps), value conversions and their refusals with JSON pointers, a refused
 * record leaving the file byte for byte as if it had never been given, dictionary
 * encoding and its fallback, DELTA_BINARY_PACKED for sorted integers, page and row
 * group cutting, statistics in each type's order (unsigned, strings, decimals, floats
 * with NaN and -0.0, long strings cut), the page indexes, every codec and both page
 * versions.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/codec.h"
#include "parquet/encoding.h"
#include "parquet/format.h"
#include "parquet/schema.h"
#include "parquet/writer.h"
#include "types/types.h"

/* ---- writing ------------------------------------------------------------------------ */

static void free_recs(char **r);

static struct sl_type *type_of(const char *text)
{
	struct sl_err err = {0};
	struct sl_type *t = sl_type_parse(text, strlen(text), &err);
	if (!t)
		fail_msg("type %s: %s", text, err.msg);
	return t;
}

/* Writes records (NULL-terminated) into out; returns how many were refused. */
static int write_file(const char *type, const struct sl_pq_write_opts *o,
		      const char *const *recs, struct sl_buf *out)
{
	struct sl_err err = {0};
	struct sl_type *t = type_of(type);
	struct sl_pq_sink sink;
	sl_buf_init(out, (size_t)1 << 30);
	sl_pq_sink_buf(&sink, out);
	struct sl_pq_writer *w;
	if (sl_pq_writer_open(t, o, &sink, &w, &err) != 0)
		fail_msg("open: %s", err.msg);
	int refused = 0;
	for (size_t i = 0; recs[i]; i++) {
		int rc = sl_pq_writer_put_json_text(w, recs[i], strlen(recs[i]), &err);
		if (rc == SL_EINVAL)
			refused++;
		else if (rc)
			fail_msg("put %s: %s", recs[i], err.msg);
	}
	if (sl_pq_writer_close(w, &err) != 0)
		fail_msg("close: %s", err.msg);
	sl_pq_writer_free(w);
	sl_type_free(t);
	return refused;
}

/* The message a record is refused with (static storage). */
static const char *refusal(const char *type, const char *rec, const char **pointer)
{
	static char msg[SL_ERR_MSG_MAX];
	static char ptr[512];
	struct sl_err err = {0};
	struct sl_type *t = type_of(type);
	struct sl_buf b;
	sl_buf_init(&b, 0);
	struct sl_pq_sink sink;
	sl_pq_sink_buf(&sink, &b);
	struct sl_pq_writer *w;
	assert_int_equal(sl_pq_writer_open(t, NULL, &sink, &w, &err), 0);
	int rc = sl_pq_writer_put_json_text(w, rec, strlen(rec), &err);
	if (rc != SL_EINVAL)
		fail_msg("%s: expected a refusal, got %d", rec, rc);
	snprintf(msg, sizeof(msg), "%s", err.msg);
	snprintf(ptr, sizeof(ptr), "%s", sl_pq_writer_error_pointer(w));
	if (pointer)
		*pointer = ptr;
	sl_pq_writer_free(w);
	sl_type_free(t);
	sl_buf_release(&b);
	return msg;
}

/* ---- reading back ------------------------------------------------------------------- */

struct file {
	struct sl_buf bytes;
	struct sl_pq_file_meta meta;
	struct sl_pq_schema *schema;
};

static void file_open(struct file *f)
{
	struct sl_err err = {0};
	const uint8_t *p = (const uint8_t *)f->bytes.data;
	size_t n = f->bytes.len;
	assert_true(n >= 12);
	assert_memory_equal(p, "PAR1", 4);
	assert_memory_equal(p + n - 4, "PAR1", 4);
	uint32_t flen;
	memcpy(&flen, p + n - 8, 4);
	assert_true(flen <= n - 12);
	if (sl_pq_file_meta_decode(p + n - 8 - flen, flen, &f->meta, &err) != 0)
		fail_msg("footer: %s", err.msg);
	if (sl_pq_schema_from_elems(f->meta.schema, f->meta.n_schema, &f->schema, &err) != 0)
		fail_msg("schema: %s", err.msg);
}

static void file_close(struct file *f)
{
	sl_pq_schema_free(f->schema);
	sl_pq_file_meta_release(&f->meta);
	sl_buf_release(&f->bytes);
}

/* One column chunk, decoded: every level entry and the values rendered as text. */
struct col {
	int16_t def[16384], rep[16384];
	size_t n;
	char *vals[16384];
	size_t nv;
	int data_pages, dict_pages, v2_pages;
	uint32_t encodings; /* bit per data page value encoding */
	int64_t rows_v2;
};

static void col_free(struct col *c)
{
	for (size_t i = 0; i < c->nv; i++)
		free(c->vals[i]);
	free(c);
}

static char *render(int32_t phys, int32_t type_length, const uint8_t *p, uint32_t len)
{
	char buf[512];
	switch (phys) {
	case SL_PQ_BOOLEAN: return strdup(p[0] ? "true" : "false");
	case SL_PQ_INT32: {
		int32_t v;
		memcpy(&v, p, 4);
		snprintf(buf, sizeof(buf), "%d", v);
		return strdup(buf);
	}
	case SL_PQ_INT64: {
		int64_t v;
		memcpy(&v, p, 8);
		snprintf(buf, sizeof(buf), "%lld", (long long)v);
		return strdup(buf);
	}
	case SL_PQ_FLOAT: {
		float v;
		memcpy(&v, p, 4);
		snprintf(buf, sizeof(buf), "%.9g", v);
		return strdup(buf);
	}
	case SL_PQ_DOUBLE: {
		double v;
		memcpy(&v, p, 8);
		snprintf(buf, sizeof(buf), "%.17g", v);
		return strdup(buf);
	}
	case SL_PQ_FIXED_LEN_BYTE_ARRAY:
		len = (uint32_t)type_length;
		for (uint32_t i = 0; i < len && i < 200; i++)
			snprintf(buf + 2 * i, 3, "%02x", p[i]);
		buf[2 * (len < 200 ? len : 200)] = '\0';
		return strdup(buf);
	default: {
		char *s = malloc(len + 1);
		memcpy(s, p, len);
		s[len] = '\0';
		return s;
	}
	}
}

static size_t fixed_width(int32_t phys, int32_t type_length)
{
	switch (phys) {
	case SL_PQ_BOOLEAN: return 1;
	case SL_PQ_INT32:
	case SL_PQ_FLOAT: return 4;
	case SL_PQ_INT64:
	case SL_PQ_DOUBLE: return 8;
	case SL_PQ_FIXED_LEN_BYTE_ARRAY: return (size_t)type_length;
	default: return 0;
	}
}

/* PLAIN values p[0..len) -> n rendered values. */
static void plain_values(int32_t phys, int32_t tl, const uint8_t *p, size_t len, size_t n,
			 char **out)
{
	struct sl_err err = {0};
	if (phys == SL_PQ_BOOLEAN) {
		uint8_t *b = malloc(n + 1);
		assert_int_equal(sl_pq_plain_get_bools(p, len, b, n, &err), 0);
		for (size_t i = 0; i < n; i++)
			out[i] = render(phys, tl, &b[i], 1);
		free(b);
	} else if (phys == SL_PQ_BYTE_ARRAY) {
		struct sl_pq_barr *ba = malloc((n + 1) * sizeof(*ba));
		size_t used;
		assert_int_equal(sl_pq_plain_get_barrs(p, len, ba, n, &used, &err), 0);
		for (size_t i = 0; i < n; i++)
			out[i] = render(phys, tl, p + ba[i].off, ba[i].len);
		free(ba);
	} else {
		size_t w = fixed_width(phys, tl);
		assert_true(n * w <= len);
		for (size_t i = 0; i < n; i++)
			out[i] = render(phys, tl, p + i * w, (uint32_t)w);
	}
}

static size_t levels(const uint8_t *p, size_t len, int max, int16_t *out, size_t n)
{
	struct sl_err err = {0};
	struct sl_pq_rle_dec d;
	assert_int_equal(sl_pq_rle_dec_init(&d, p, len, sl_pq_bit_width((uint64_t)max), &err), 0);
	uint32_t *tmp = malloc(n * sizeof(*tmp) + 4);
	int64_t got = sl_pq_rle_dec_u32(&d, tmp, n, &err);
	assert_int_equal(got, (int64_t)n);
	for (size_t i = 0; i < n; i++) {
		assert_true(tmp[i] <= (uint32_t)max);
		out[i] = (int16_t)tmp[i];
	}
	free(tmp);
	return n;
}

/* Decodes column leaf of row group rg. */
static struct col *read_col(struct file *f, size_t rg, size_t leaf)
{
	struct sl_err err = {0};
	const struct sl_pq_column_meta *m = &f->meta.row_groups[rg].columns[leaf].meta;
	const struct sl_pq_node *node = f->schema->leaves[leaf];
	int32_t phys = m->type, tl = node->type_length;
	int max_def = node->max_def, max_rep = node->max_rep;
	const struct sl_pq_codec *codec = sl_pq_codec_by_id(m->codec);
	assert_non_null(codec);
	struct col *c = calloc(1, sizeof(*c));
	const uint8_t *file = (const uint8_t *)f->bytes.data;
	int64_t pos = m->dictionary_page_offset >= 0 ? m->dictionary_page_offset
						     : m->data_page_offset;
	int64_t end = pos + m->total_compressed_size;
	assert_true(end <= (int64_t)f->bytes.len);
	char **dict = NULL;
	size_t n_dict = 0;
	while (pos < end) {
		struct sl_pq_page_header h;
		size_t used;
		if (sl_pq_page_header_decode(file + pos, (size_t)(end - pos), &h, &used, &err))
			fail_msg("page header at %lld: %s", (long long)pos, err.msg);
		const uint8_t *body = file + pos + used;
		assert_true(pos + (int64_t)used + h.compressed_size <= end);
		uint8_t *page = malloc((size_t)h.uncompressed_size + 1);
		size_t lv = 0;
		if (h.type == SL_PQ_DATA_PAGE_V2) {
			/* levels stay uncompressed; the values after them may be compressed */
			lv = (size_t)h.data_v2.def_levels_len + (size_t)h.data_v2.rep_levels_len;
			memcpy(page, body, lv);
		}
		bool comp = h.type != SL_PQ_DATA_PAGE_V2 || h.data_v2.is_compressed;
		if (comp && codec->id != 0) {
			if (codec->decompress(body + lv, (size_t)h.compressed_size - lv, page + lv,
					      (size_t)h.uncompressed_size - lv, &err))
				fail_msg("decompress: %s", err.msg);
		} else {
			assert_int_equal(h.compressed_size, h.uncompressed_size);
			memcpy(page + lv, body + lv, (size_t)h.uncompressed_size - lv);
		}
		size_t plen = (size_t)h.uncompressed_size;
		if (h.type == SL_PQ_DICTIONARY_PAGE) {
			assert_int_equal(h.dict.encoding, SL_PQ_ENC_PLAIN);
			assert_null(dict); /* one, first */
			assert_int_equal(c->data_pages, 0);
			n_dict = (size_t)h.dict.num_values;
			dict = calloc(n_dict + 1, sizeof(*dict));
			plain_values(phys, tl, page, plen, n_dict, dict);
			c->dict_pages++;
		} else {
			bool v2 = h.type == SL_PQ_DATA_PAGE_V2;
			assert_true(v2 || h.type == SL_PQ_DATA_PAGE);
			size_t n = (size_t)(v2 ? h.data_v2.num_values : h.data.num_values);
			int32_t enc = v2 ? h.data_v2.encoding : h.data.encoding;
			assert_true(c->n + n <= 16384);
			const uint8_t *q = page, *qe = page + plen;
			int16_t *def = c->def + c->n, *rep = c->rep + c->n;
			if (max_rep) {
				uint32_t l;
				if (v2) {
					l = (uint32_t)h.data_v2.rep_levels_len;
				} else {
					memcpy(&l, q, 4);
					q += 4;
				}
				levels(q, l, max_rep, rep, n);
				q += l;
			} else {
				memset(rep, 0, n * sizeof(*rep));
			}
			if (max_def) {
				uint32_t l;
				if (v2) {
					l = (uint32_t)h.data_v2.def_levels_len;
				} else {
					memcpy(&l, q, 4);
					q += 4;
				}
				levels(q, l, max_def, def, n);
				q += l;
			} else {
				for (size_t i = 0; i < n; i++)
					def[i] = 0;
			}
			size_t nv = 0;
			for (size_t i = 0; i < n; i++)
				nv += def[i] == max_def;
			if (v2) {
				assert_int_equal(h.data_v2.num_nulls, (int32_t)(n - nv));
				c->rows_v2 += h.data_v2.num_rows;
				c->v2_pages++;
			}
			if (enc == SL_PQ_ENC_PLAIN) {
				plain_values(phys, tl, q, (size_t)(qe - q), nv, c->vals + c->nv);
			} else if (enc == SL_PQ_ENC_RLE_DICTIONARY) {
				assert_non_null(dict);
				struct sl_pq_rle_dec d;
				int bw = *q++;
				assert_int_equal(sl_pq_rle_dec_init(&d, q, (size_t)(qe - q), bw, &err), 0);
				uint32_t *ix = malloc((nv + 1) * sizeof(*ix));
				assert_int_equal(sl_pq_rle_dec_u32(&d, ix, nv, &err), (int64_t)nv);
				for (size_t i = 0; i < nv; i++) {
					assert_true(ix[i] < n_dict);
					c->vals[c->nv + i] = strdup(dict[ix[i]]);
				}
				free(ix);
			} else if (enc == SL_PQ_ENC_DELTA_BINARY_PACKED) {
				int64_t *v = malloc((nv + 1) * sizeof(*v));
				size_t got, u;
				assert_int_equal(sl_pq_delta_get(q, (size_t)(qe - q), v, nv,
								 phys == SL_PQ_INT32, &got, &u, &err),
						 0);
				assert_int_equal(got, nv);
				for (size_t i = 0; i < nv; i++) {
					char b[32];
					snprintf(b, sizeof(b), "%lld", (long long)v[i]);
					c->vals[c->nv + i] = strdup(b);
				}
				free(v);
			} else {
				fail_msg("unexpected encoding %d", enc);
			}
			c->encodings |= 1u << enc;
			c->n += n;
			c->nv += nv;
			c->data_pages++;
		}
		free(page);
		pos += (int64_t)used + h.compressed_size;
	}
	assert_int_equal(pos, end);
	assert_int_equal(m->num_values, (int64_t)c->n);
	for (size_t i = 0; i < n_dict; i++)
		free(dict[i]);
	free(dict);
	return c;
}

static void expect_levels(const struct col *c, const int16_t *def, const int16_t *rep, size_t n)
{
	assert_int_equal(c->n, n);
	for (size_t i = 0; i < n; i++) {
		if (c->def[i] != def[i] || c->rep[i] != rep[i])
			fail_msg("entry %zu: (r%d, d%d), expected (r%d, d%d)", i, c->rep[i], c->def[i],
				 rep[i], def[i]);
	}
}

static void expect_values(const struct col *c, const char *const *vals, size_t n)
{
	assert_int_equal(c->nv, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(c->vals[i], vals[i]);
}

static struct file *written(const char *type, const struct sl_pq_write_opts *o,
			    const char *const *recs)
{
	struct file *f = calloc(1, sizeof(*f));
	assert_int_equal(write_file(type, o, recs, &f->bytes), 0);
	file_open(f);
	return f;
}

static void file_free(struct file *f)
{
	file_close(f);
	free(f);
}

/* ---- levels ------------------------------------------------------------------------- */

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* The two documents of the Dremel paper (Melnik et al., 2010, figures 2 and 3). Lists
 * and their elements are "not null", so the three-level lists add no definition level
 * and the expected levels are the paper's own. */
static void test_dremel_paper(void **state)
{
	(void)state;
	const char *type =
		"struct<DocId:int64 not null,"
		"Links:struct<Backward:list<int64 not null> not null,"
		"Forward:list<int64 not null> not null>,"
		"Name:list<struct<Language:list<struct<Code:string not null,Country:string> not null>"
		" not null,Url:string> not null> not null>";
	const char *recs[] = {
		"{\"DocId\":10,\"Links\":{\"Backward\":[],\"Forward\":[20,40,60]},\"Name\":["
		"{\"Language\":[{\"Code\":\"en-us\",\"Country\":\"us\"},{\"Code\":\"en\"}],"
		"\"Url\":\"http://A\"},{\"Language\":[],\"Url\":\"http://B\"},"
		"{\"Language\":[{\"Code\":\"en-gb\",\"Country\":\"gb\"}]}]}",
		"{\"DocId\":20,\"Links\":{\"Backward\":[10,30],\"Forward\":[80]},"
		"\"Name\":[{\"Language\":[],\"Url\":\"http://C\"}]}",
		NULL,
	};
	struct file *f = written(type, NULL, recs);
	assert_int_equal(f->schema->n_leaves, 6);
	struct col *c;

	c = read_col(f, 0, 0); /* DocId */
	expect_levels(c, (int16_t[]){0, 0}, (int16_t[]){0, 0}, 2);
	expect_values(c, (const char *[]){"10", "20"}, 2);
	col_free(c);

	c = read_col(f, 0, 1); /* Links.Backward */
	expect_levels(c, (int16_t[]){1, 2, 2}, (int16_t[]){0, 0, 1}, 3);
	expect_values(c, (const char *[]){"10", "30"}, 2);
	col_free(c);

	c = read_col(f, 0, 2); /* Links.Forward */
	expect_levels(c, (int16_t[]){2, 2, 2, 2}, (int16_t[]){0, 1, 1, 0}, 4);
	expect_values(c, (const char *[]){"20", "40", "60", "80"}, 4);
	col_free(c);

	c = read_col(f, 0, 3); /* Name.Language.Code */
	expect_levels(c, (int16_t[]){2, 2, 1, 2, 1}, (int16_t[]){0, 2, 1, 1, 0}, 5);
	expect_values(c, (const char *[]){"en-us", "en", "en-gb"}, 3);
	col_free(c);

	c = read_col(f, 0, 4); /* Name.Language.Country */
	expect_levels(c, (int16_t[]){3, 2, 1, 3, 1}, (int16_t[]){0, 2, 1, 1, 0}, 5);
	expect_values(c, (const char *[]){"us", "gb"}, 2);
	col_free(c);

	c = read_col(f, 0, 5); /* Name.Url */
	expect_levels(c, (int16_t[]){2, 2, 1, 2}, (int16_t[]){0, 1, 1, 0}, 4);
	expect_values(c, (const char *[]){"http://A", "http://B", "http://C"}, 3);
	col_free(c);
	file_free(f);
}

/* Everything nullable: a null list, an absent one, an empty one, a null element. */
static void test_levels_nullable(void **state)
{
	(void)state;
	const char *recs[] = {
		"{\"a\":null,\"s\":{\"x\":1}}", "{}", "{\"a\":[],\"s\":null}",
		"{\"a\":[null],\"s\":{}}", "{\"a\":[1,2],\"s\":{\"x\":null}}", NULL,
	};
	struct file *f = written("struct<a:list<int64>,s:struct<x:int32>>", NULL, recs);
	struct col *c = read_col(f, 0, 0);
	expect_levels(c, (int16_t[]){0, 0, 1, 2, 3, 3}, (int16_t[]){0, 0, 0, 0, 0, 1}, 6);
	expect_values(c, (const char *[]){"1", "2"}, 2);
	col_free(c);
	c = read_col(f, 0, 1);
	expect_levels(c, (int16_t[]){2, 0, 0, 1, 1}, (int16_t[]){0, 0, 0, 0, 0}, 5);
	expect_values(c, (const char *[]){"1"}, 1);
	col_free(c);
	file_free(f);
}

/* A list of lists and a map with null values and an empty map. */
static void test_levels_nested_and_maps(void **state)
{
	(void)state;
	const char *recs[] = {
		"{\"ll\":[[1,2],[],null,[3]],\"m\":{\"k1\":1,\"k2\":null}}",
		"{\"ll\":[[null]],\"m\":{}}",
		"{\"ll\":null,\"m\":null}",
		"{\"m\":[{\"key\":\"k3\",\"value\":7},{\"key\":\"k4\"}]}", /* the entry form */
		NULL,
	};
	struct file *f = written("struct<ll:list<list<int64>>,m:map<string,int64>>", NULL, recs);
	struct col *c = read_col(f, 0, 0);
	expect_levels(c, (int16_t[]){5, 5, 3, 2, 5, 4, 0, 0},
		      (int16_t[]){0, 2, 1, 1, 1, 0, 0, 0}, 8);
	expect_values(c, (const char *[]){"1", "2", "3"}, 3);
	col_free(c);
	c = read_col(f, 0, 1); /* m.key_value.key */
	expect_levels(c, (int16_t[]){2, 2, 1, 0, 2, 2}, (int16_t[]){0, 1, 0, 0, 0, 1}, 6);
	expect_values(c, (const char *[]){"k1", "k2", "k3", "k4"}, 4);
	col_free(c);
	c = read_col(f, 0, 2); /* m.key_value.value */
	expect_levels(c, (int16_t[]){3, 2, 1, 0, 3, 2}, (int16_t[]){0, 1, 0, 0, 0, 1}, 6);
	expect_values(c, (const char *[]){"1", "7"}, 2);
	col_free(c);
	file_free(f);
}

/* Leaves under lists fill the rows where their list (or a struct above it) is absent or
 * null later, from the struct above: the rows they missed must come out exactly as if
 * written at once, across page cuts (tiny pages, so that a page starts inside such a
 * run) and with refused records anywhere (a refused record leaves the file unchanged). */
static void test_lazy_lists(void **state)
{
	(void)state;
	const char *type = "struct<a:struct<l:list<struct<x:int64,y:list<string>>>>,z:int8>";
	static const char *const rows[] = {
		"{\"a\":{\"l\":[{\"x\":1,\"y\":[\"p\"]},{\"x\":2}]}}",
		"{}",
		"{\"a\":null}",
		"{\"a\":{}}",
		"{\"a\":{\"l\":null}}",
		"{\"a\":{\"l\":[]}}",
		"{\"a\":{\"l\":[null]}}",
		"{\"a\":{\"l\":[{\"y\":[]}]}}",
	};
	/* a(1) l(2) list(3) element(4) x(5); y(5) y.list(6) y.element(7) */
	static const int16_t xdef[] = {5, 5, 0, 0, 1, 1, 2, 3, 4}, xrep[] = {0, 1, 0, 0, 0, 0, 0, 0, 0};
	static const int16_t ydef[] = {7, 4, 0, 0, 1, 1, 2, 3, 5}, yrep[] = {0, 1, 0, 0, 0, 0, 0, 0, 0};
	const size_t reps = 150, per = N(rows);
	const char **recs = calloc(reps * per * 2 + 1, sizeof(*recs));
	const char **mixed = calloc(reps * per * 2 + 1, sizeof(*mixed));
	size_t n = 0, m = 0;
	for (size_t k = 0; k < reps; k++)
		for (size_t i = 0; i < per; i++) {
			recs[n++] = rows[(i + k) % per]; /* every row after every other */
			/* a refused record: its list entries are written before z fails */
			if ((k + i) % 3 == 0)
				mixed[m++] = "{\"a\":{\"l\":[{\"x\":9,\"y\":[\"q\",\"r\"]}]},\"z\":1000}";
			if ((k + i) % 5 == 0)
				mixed[m++] = "{\"a\":{\"l\":[]},\"z\":\"no\"}";
			mixed[m++] = rows[(i + k) % per];
		}
	for (int pv = 1; pv <= 2; pv++) {
		struct sl_pq_write_opts o;
		sl_pq_write_opts_default(&o);
		o.page_version = pv;
		o.page_bytes = 64;
		struct file *f = written(type, &o, recs);
		struct col *x = read_col(f, 0, 0), *y = read_col(f, 0, 1);
		assert_true(x->data_pages > 10);
		size_t at_x = 0, at_y = 0;
		for (size_t k = 0; k < reps; k++)
			for (size_t i = 0; i < per; i++) {
				size_t r = (i + k) % per, cnt = r == 0 ? 2 : 1;
				size_t from = r == 0 ? 0 : r + 1;
				for (size_t e = 0; e < cnt; e++, at_x++, at_y++) {
					if (x->def[at_x] != xdef[from + e] || x->rep[at_x] != xrep[from + e] ||
					    y->def[at_y] != ydef[from + e] || y->rep[at_y] != yrep[from + e])
						fail_msg("row kind %zu, entry %zu: x (r%d, d%d) y (r%d, d%d)", r, e,
							 x->rep[at_x], x->def[at_x], y->rep[at_y], y->def[at_y]);
				}
			}
		assert_int_equal(x->n, at_x);
		assert_int_equal(y->n, at_y);
		col_free(x);
		col_free(y);
		file_free(f);
		struct sl_buf plain, b;
		assert_int_equal(write_file(type, &o, recs, &plain), 0);
		assert_int_equal(write_file(type, &o, mixed, &b), (int)(m - n));
		assert_int_equal(b.len, plain.len);
		assert_memory_equal(b.data, plain.data, plain.len);
		sl_buf_release(&plain);
		sl_buf_release(&b);
	}
	free(recs);
	free(mixed);

	/* the rows a list leaf missed are filled when its page is cut: at once for a leaf
	 * that never had an entry, and past the room its levels had (they grow then) */
	const char *absent[] = {"{}", "{}", "{}", NULL};
	struct file *f = written("struct<l:list<int8>>", NULL, absent);
	struct col *c = read_col(f, 0, 0);
	expect_levels(c, (int16_t[]){0, 0, 0}, (int16_t[]){0, 0, 0}, 3);
	col_free(c);
	file_free(f);
	const char **grow = calloc(4001, sizeof(*grow));
	for (size_t i = 0; i < 4000; i++)
		grow[i] = i < 1000 ? "{\"l\":[1]}" : "{}";
	f = written("struct<l:list<int8>>", NULL, grow);
	c = read_col(f, 0, 0);
	assert_int_equal(c->n, 4000);
	for (size_t i = 0; i < 4000; i++)
		if (c->def[i] != (i < 1000 ? 3 : 0) || c->rep[i] != 0)
			fail_msg("entry %zu: (r%d, d%d)", i, c->rep[i], c->def[i]);
	col_free(c);
	file_free(f);
	free(grow);
}

/* Runs of every length from 1 to 40 at every alignment, in the levels and in the
 * dictionary indices: the writer packs runs of 16 or more as RLE and the rest
 * bit-packed, and the decoder must get every entry back. */
static void test_levels_runs(void **state)
{
	(void)state;
	size_t n = 0;
	char **r = calloc(4000, sizeof(*r));
	int16_t *def = calloc(4000, sizeof(*def)), *rep = calloc(4000, sizeof(*rep));
	const char **vals = calloc(4000, sizeof(*vals));
	size_t nv = 0;
	static const char *const words[] = {"x", "y", "z"};
	unsigned seed = 7;
	for (int len = 1; len <= 40 && n < 3900; len++) {
		for (int k = 0; k < 2; k++) {
			seed = seed * 1103515245 + 12345;
			bool present = k == 1;
			const char *w = words[(seed >> 16) % 3];
			for (int i = 0; i < len; i++) {
				char buf[64];
				if (present)
					snprintf(buf, sizeof(buf), "{\"a\":\"%s\"}", w);
				else
					snprintf(buf, sizeof(buf), "{}");
				r[n] = strdup(buf);
				def[n] = present;
				if (present)
					vals[nv++] = w;
				n++;
			}
		}
	}
	struct file *f = written("struct<a:string>", NULL, (const char *const *)r);
	struct col *c = read_col(f, 0, 0);
	expect_levels(c, def, rep, n);
	expect_values(c, vals, nv);
	assert_int_equal(c->encodings, 1u << SL_PQ_ENC_RLE_DICTIONARY);
	col_free(c);
	file_free(f);
	free_recs(r);
	free(def);
	free(rep);
	free(vals);
}

/* ---- conversions -------------------------------------------------------------------- */

static void test_conversions(void **state)
{
	(void)state;
	const char *type = "struct<ts:timestamp(us),tms:timestamp(ms),d:date,t:time(ms),"
			   "dec:decimal(6,2),big:decimal(38,0),u:uuid,b:binary,j:json,"
			   "u64:uint64,i8:int8,f:float>";
	const char *recs[] = {
		"{\"ts\":\"2026-03-01T10:00:00.123456789+02:00\",\"tms\":\"1969-12-31T23:59:59.9991Z\","
		"\"d\":\"2024-02-29\",\"t\":\"01:02:03.5\",\"dec\":0.1,\"big\":1e37,"
		"\"u\":\"0123ABCD-ef01-2345-6789-abcdef012345\",\"b\":\"aGk=\","
		"\"j\":{\"a\" : [1, \"\\u00e9\"]},\"u64\":18446744073709551615,\"i8\":-128,\"f\":0.5}",
		"{\"dec\":\"-1234.50\",\"big\":-12345678901234567890123456789012345678,"
		"\"j\":\"x\\\"y\",\"u64\":1.0e1,\"i8\":127.0,\"f\":3}",
		"{\"j\":[true,null]}",
		NULL,
	};
	struct file *f = written(type, NULL, recs);
	struct col *c;
	c = read_col(f, 0, 0); /* 2026-03-01T08:00:00.123456Z, the nanoseconds cut */
	expect_values(c, (const char *[]){"1772352000123456"}, 1);
	col_free(c);
	c = read_col(f, 0, 1); /* before the epoch: floored to the millisecond */
	expect_values(c, (const char *[]){"-1"}, 1);
	col_free(c);
	c = read_col(f, 0, 2);
	expect_values(c, (const char *[]){"19782"}, 1);
	col_free(c);
	c = read_col(f, 0, 3);
	expect_values(c, (const char *[]){"3723500"}, 1);
	col_free(c);
	c = read_col(f, 0, 4); /* exact: 0.1 is 10 hundredths, never 9.999... */
	expect_values(c, (const char *[]){"10", "-123450"}, 2);
	col_free(c);
	c = read_col(f, 0, 5); /* 16 bytes, big-endian two's complement */
	expect_values(c, (const char *[]){"0785ee10d5da46d900f436a000000000",
					  "f6b64f090ffdccec3bb66faf21c70cb2"},
		      2);
	col_free(c);
	c = read_col(f, 0, 6);
	expect_values(c, (const char *[]){"0123abcdef0123456789abcdef012345"}, 1);
	col_free(c);
	c = read_col(f, 0, 7);
	expect_values(c, (const char *[]){"hi"}, 1);
	col_free(c);
	c = read_col(f, 0, 8); /* the value's own text, whitespace and escapes kept */
	expect_values(c, (const char *[]){"{\"a\" : [1, \"\\u00e9\"]}", "\"x\\\"y\"",
					  "[true,null]"},
		      3);
	col_free(c);
	c = read_col(f, 0, 9);
	expect_values(c, (const char *[]){"-1", "10"}, 2); /* uint64 max is all ones */
	col_free(c);
	c = read_col(f, 0, 10);
	expect_values(c, (const char *[]){"-128", "127"}, 2);
	col_free(c);
	c = read_col(f, 0, 11);
	expect_values(c, (const char *[]){"0.5", "3"}, 2);
	col_free(c);
	file_free(f);

	/* JSON's null is a value of a json column that cannot be null, a null otherwise */
	const char *nulls[] = {"{\"j\":null,\"k\":null,\"l\":[null]}", NULL};
	f = written("struct<j:json not null,k:json,l:list<json not null>>", NULL, nulls);
	c = read_col(f, 0, 0);
	expect_values(c, (const char *[]){"null"}, 1);
	col_free(c);
	c = read_col(f, 0, 1);
	expect_levels(c, (int16_t[]){0}, (int16_t[]){0}, 1);
	assert_int_equal(c->nv, 0);
	col_free(c);
	c = read_col(f, 0, 2);
	expect_values(c, (const char *[]){"null"}, 1);
	col_free(c);
	file_free(f);
}

/* Every byte at every digit of a uuid: hex digits of either case are the only ones
 * taken (the digits are decoded eight at a time, so each place is checked alone), and
 * the bytes read back are the digits' value. */
static void test_uuid_digits(void **state)
{
	(void)state;
	struct sl_err err = {0};
	struct sl_type *t = type_of("struct<u:uuid>");
	const char *good = "0123abcd-EF01-2345-6789-aBcDeF012345";
	char rec[64];
	int taken = 0;
	for (int at = 0; at < 36; at++) {
		if (good[at] == '-')
			continue;
		for (int ch = 0x20; ch < 0x7F; ch++) {
			if (ch == '"' || ch == '\\')
				continue;
			snprintf(rec, sizeof(rec), "{\"u\":\"%s\"}", good);
			rec[6 + at] = (char)ch;
			struct sl_buf b;
			sl_buf_init(&b, 0);
			struct sl_pq_sink sink;
			sl_pq_sink_buf(&sink, &b);
			struct sl_pq_writer *w;
			assert_int_equal(sl_pq_writer_open(t, NULL, &sink, &w, &err), 0);
			int rc = sl_pq_writer_put_json_text(w, rec, strlen(rec), &err);
			bool hex = (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
				   (ch >= 'A' && ch <= 'F');
			if (rc != (hex ? 0 : SL_EINVAL))
				fail_msg("%s: %d", rec, rc);
			taken += rc == 0;
			sl_pq_writer_free(w);
			sl_buf_release(&b);
		}
	}
	assert_int_equal(taken, 32 * 22);
	/* bytes with the high bit set, in place of two digits (the text stays 36 bytes) */
	assert_string_equal(refusal("struct<u:uuid>",
				    "{\"u\":\"01\xc3\xa9" "abcd-ef01-2345-6789-abcdef012345\"}", NULL),
			    "at /u: expected uuid, got string \"01\xc3\xa9" "abcd-ef01-2345-6789-abcdef012345\" "
			    "(not a UUID)");
	assert_string_equal(refusal("struct<u:uuid>",
				    "{\"u\":\"0123abcd-ef01-2345-6789-abcdef0123\xc3\xa9\"}", NULL),
			    "at /u: expected uuid, got string \"0123abcd-ef01-2345-6789-abcdef0123\xc3\xa9\" "
			    "(not a UUID)");
	const char *recs[] = {"{\"u\":\"0123abcd-EF01-2345-6789-aBcDeF012345\"}",
			      "{\"u\":\"FFFFFFFF-ffff-0000-9a9A-f0F0f0F0f0F0\"}", NULL};
	struct file *f = written("struct<u:uuid>", NULL, recs);
	struct col *c = read_col(f, 0, 0);
	expect_values(c, (const char *[]){"0123abcdef0123456789abcdef012345",
					  "ffffffffffff00009a9af0f0f0f0f0f0"},
		      2);
	col_free(c);
	file_free(f);
	sl_type_free(t);
}

static void test_refusals(void **state)
{
	(void)state;
	const char *ptr;
	assert_string_equal(refusal("struct<a:struct<b:int8>>", "{\"a\":{\"b\":300}}", &ptr),
			    "at /a/b: expected int8, got integer 300 (out of range)");
	assert_string_equal(ptr, "/a/b");
	assert_string_equal(refusal("struct<a:list<int64>>", "{\"a\":[1,\"x\"]}", &ptr),
			    "at /a/1: expected int64, got string");
	assert_string_equal(ptr, "/a/1");
	assert_string_equal(refusal("struct<id:int64 not null>", "{}", &ptr),
			    "at /id: expected int64, got no value (member absent)");
	assert_string_equal(refusal("struct<id:int64 not null>", "{\"id\":null}", NULL),
			    "at /id: expected int64, got null");
	assert_string_equal(refusal("struct<id:int64>", "[1]", &ptr),
			    "at (root): expected struct, got array");
	assert_string_equal(ptr, "");
	assert_string_equal(refusal("struct<d:decimal(4,2)>", "{\"d\":1.005}", NULL),
			    "at /d: expected decimal(4,2), got number 1.005 (too many decimal places)");
	assert_string_equal(refusal("struct<d:decimal(4,2)>", "{\"d\":123.4}", NULL),
			    "at /d: expected decimal(4,2), got number 123.4 (more digits than the precision)");
	assert_string_equal(refusal("struct<n:int64>", "{\"n\":1.5}", NULL),
			    "at /n: expected int64, got number 1.5 (not an integer)");
	assert_string_equal(refusal("struct<n:int64>", "{\"n\":9223372036854775808}", NULL),
			    "at /n: expected int64, got integer 9223372036854775808 (out of range)");
	assert_string_equal(refusal("struct<n:uint32>", "{\"n\":-1}", NULL),
			    "at /n: expected uint32, got integer -1 (out of range)");
	assert_string_equal(refusal("struct<t:timestamp(us)>", "{\"t\":\"2026-02-30T00:00:00Z\"}",
				    NULL),
			    "at /t: expected timestamp(us), got string \"2026-02-30T00:00:00Z\" "
			    "(not an RFC 3339 date-time)");
	assert_string_equal(refusal("struct<t:timestamp(us)>", "{\"t\":\"2026-01-01T00:00:00\"}",
				    NULL),
			    "at /t: expected timestamp(us), got string \"2026-01-01T00:00:00\" "
			    "(not an RFC 3339 date-time)");
	assert_string_equal(refusal("struct<u:uuid>", "{\"u\":\"0123\"}", NULL),
			    "at /u: expected uuid, got string \"0123\" (not a UUID)");
	assert_string_equal(refusal("struct<b:binary>", "{\"b\":\"a*==\"}", NULL),
			    "at /b: expected binary, got string \"a*==\" (not base64)");
	assert_string_equal(refusal("struct<f:float>", "{\"f\":1e39}", NULL),
			    "at /f: expected float, got number 1e39 (out of range)");
	/* JSON pointer escapes and map keys */
	assert_string_equal(refusal("struct<m:map<string,int8>>", "{\"m\":{\"a/b~\":1000}}", &ptr),
			    "at /m/a~1b~0: expected int8, got integer 1000 (out of range)");
	assert_string_equal(ptr, "/m/a~1b~0");
	assert_string_equal(refusal("struct<a:list<struct<x:boolean>>>",
				    "{\"a\":[{\"x\":true},{\"x\":1}]}", NULL),
			    "at /a/1/x: expected boolean, got integer");
	/* duplicate keys are refused, wherever they are */
	assert_string_equal(refusal("struct<a:list<struct<x:int64>>>",
				    "{\"a\":[{\"x\":1},{\"x\":2,\"x\":3}]}", &ptr),
			    "at /a/1/x: duplicate key in the record");
}

static void test_members(void **state)
{
	(void)state;
	/* members not in the schema are ignored, or refused when strict */
	const char *recs[] = {"{\"zz\":{\"deep\":[1]},\"a\":1,\"yy\":2}", NULL};
	struct file *f = written("struct<a:int64>", NULL, recs);
	struct col *c = read_col(f, 0, 0);
	expect_values(c, (const char *[]){"1"}, 1);
	col_free(c);
	file_free(f);

	struct sl_err err = {0};
	struct sl_type *t = type_of("struct<a:int64>");
	struct sl_buf b;
	sl_buf_init(&b, 0);
	struct sl_pq_sink sink;
	sl_pq_sink_buf(&sink, &b);
	struct sl_pq_writer *w;
	assert_int_equal(sl_pq_writer_open(t, NULL, &sink, &w, &err), 0);
	sl_pq_writer_set_strict_members(w, true);
	assert_int_equal(sl_pq_writer_put_json_text(w, recs[0], strlen(recs[0]), &err), SL_EINVAL);
	assert_string_equal(err.msg, "at /zz: member not in the schema");
	assert_int_equal(sl_pq_writer_put_json_text(w, "{\"a\":2}", 7, &err), 0);
	assert_int_equal(sl_pq_writer_close(w, &err), 0);
	/* nothing goes after close */
	assert_int_not_equal(sl_pq_writer_put_json_text(w, "{\"a\":2}", 7, &err), 0);
	sl_pq_writer_free(w);
	sl_type_free(t);
	sl_buf_release(&b);
}

/* text_any: a string column takes any value as its JSON text (the crawler's conflict
 * columns); an enum column still refuses what is not a string; without it, refused. */
static void test_text_any(void **state)
{
	(void)state;
	struct sl_err err = {0};
	struct sl_type *t = type_of("struct<s:string,e:enum>");
	struct sl_buf b;
	sl_buf_init(&b, 0);
	struct sl_pq_sink sink;
	sl_pq_sink_buf(&sink, &b);
	struct sl_pq_writer *w;
	const char *ok[] = {"{\"s\":12}", "{\"s\":true}", "{\"s\":{\"a\":[1, 2]}}", "{\"s\":\"x\"}",
			    "{\"s\":-0.5e3}", "{\"s\":123456789012345678901234567890}"};
	assert_int_equal(sl_pq_writer_open(t, NULL, &sink, &w, &err), 0);
	assert_int_equal(sl_pq_writer_put_json_text(w, ok[0], strlen(ok[0]), &err), SL_EINVAL);
	assert_string_equal(err.msg, "at /s: expected string, got integer");
	sl_pq_writer_set_text_any(w, true);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_int_equal(sl_pq_writer_put_json_text(w, ok[i], strlen(ok[i]), &err), 0);
	assert_int_equal(sl_pq_writer_put_json_text(w, "{\"e\":1}", 7, &err), SL_EINVAL);
	assert_int_equal(sl_pq_writer_close(w, &err), 0);
	sl_pq_writer_free(w);
	struct file f = {.bytes = b};
	file_open(&f);
	struct col *c = read_col(&f, 0, 0);
	expect_values(c, (const char *[]){"12", "true", "{\"a\":[1, 2]}", "x", "-0.5e3",
					  "123456789012345678901234567890"}, 6);
	col_free(c);
	file_close(&f);
	sl_type_free(t);
}

/* A refused record leaves the file exactly as if it had not been given: levels, values,
 * dictionaries and statistics of every column it had reached. */
static void test_rollback_identical(void **state)
{
	(void)state;
	const char *type = "struct<id:int64 not null,s:string,tags:list<string>,"
			   "m:map<string,struct<x:int8,y:list<int64>>>,z:int8>";
	const char *good[] = {
		"{\"id\":1,\"s\":\"a\",\"tags\":[\"t1\",\"t2\"],\"m\":{\"k\":{\"x\":1,\"y\":[1]}},\"z\":1}",
		"{\"id\":2,\"s\":\"b\",\"tags\":[],\"m\":{},\"z\":2}",
		"{\"id\":3,\"s\":null,\"tags\":[\"t1\"],\"m\":null,\"z\":3}",
		NULL,
	};
	const char *bad[] = {
		/* new dictionary values in s, tags and m before z fails */
		"{\"id\":99,\"s\":\"new\",\"tags\":[\"n1\",\"n2\",\"n3\"],"
		"\"m\":{\"nk\":{\"x\":5,\"y\":[7,8]}},\"z\":1000}",
		/* fails deep inside a map value's list */
		"{\"id\":98,\"s\":\"new2\",\"m\":{\"a\":{\"x\":1,\"y\":[1,\"no\"]}}}",
		/* fails at the first column */
		"{\"id\":\"x\"}",
		"{\"id\":97,\"tags\":[\"zz\"],\"id2\":1,\"tags\":[]}", /* duplicate key */
		"not json",
		NULL,
	};
	for (int pv = 1; pv <= 2; pv++) {
		struct sl_pq_write_opts o;
		sl_pq_write_opts_default(&o);
		o.page_version = pv;
		struct sl_buf plain;
		assert_int_equal(write_file(type, &o, good, &plain), 0);
		for (size_t k = 0; bad[k]; k++) {
			for (size_t at = 0; at <= 3; at++) {
				const char *mixed[8];
				size_t n = 0;
				for (size_t i = 0; i < 3; i++) {
					if (i == at)
						mixed[n++] = bad[k];
					mixed[n++] = good[i];
				}
				if (at == 3)
					mixed[n++] = bad[k];
				mixed[n] = NULL;
				struct sl_buf b;
				assert_int_equal(write_file(type, &o, mixed, &b), 1);
				assert_int_equal(b.len, plain.len);
				assert_memory_equal(b.data, plain.data, plain.len);
				sl_buf_release(&b);
			}
		}
		sl_buf_release(&plain);
	}
}

/* A refused record that gives a member a value before it fails, in a row far from
 * that member's last value: the page of that member must still be cut where it is
 * without the refused record (the page size is weighed on the rows the page will hold,
 * not on how many of them the member has filled in so far). */
static void test_rollback_sparse(void **state)
{
	(void)state;
	const char *type = "struct<s:string,l:list<int8>,a:int8>";
	const size_t n = 900;
	const char **good = calloc(n + 1, sizeof(*good));
	const char **mixed = calloc(2 * n + 1, sizeof(*mixed));
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		good[i] = i == 0 ? "{\"s\":\"x\",\"l\":[1]}" : "{\"a\":1}";
		if (i % 50 == 49)
			mixed[m++] = "{\"s\":\"y\",\"l\":[2],\"a\":1000}";
		mixed[m++] = good[i];
	}
	struct sl_pq_write_opts o;
	sl_pq_write_opts_default(&o);
	o.page_bytes = 64;
	struct sl_buf plain, b;
	assert_int_equal(write_file(type, &o, good, &plain), 0);
	assert_int_equal(write_file(type, &o, mixed, &b), (int)(m - n));
	assert_int_equal(b.len, plain.len);
	assert_memory_equal(b.data, plain.data, plain.len);
	sl_buf_release(&plain);
	sl_buf_release(&b);
	free(good);
	free(mixed);
}

/* ---- encodings ---------------------------------------------------------------------- */

static char **make_recs(size_t n, const char *fmt, size_t (*val)(size_t))
{
	char **r = calloc(n + 1, sizeof(*r));
	for (size_t i = 0; i < n; i++) {
		char buf[256];
		/* every caller passes a literal with %zu where the value goes */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		snprintf(buf, sizeof(buf), fmt, val(i), val(i));
#pragma GCC diagnostic pop
		r[i] = strdup(buf);
	}
	return r;
}

static void free_recs(char **r)
{
	for (size_t i = 0; r[i]; i++)
		free(r[i]);
	free(r);
}

static size_t mod3_then_unique(size_t i)
{
	return i < 300 ? i % 3 : i;
}

static size_t identity(size_t i)
{
	return i;
}

static size_t mod5(size_t i)
{
	return i % 5;
}

static size_t scrambled(size_t i)
{
	return (i * 2654435761u) % 1000003;
}

static void test_dictionary(void **state)
{
	(void)state;
	struct sl_pq_write_opts o;
	/* few distinct values: a dictionary page and RLE_DICTIONARY pages */
	char **r = make_recs(1000, "{\"s\":\"value-%zu\"}", mod5);
	struct file *f = written("struct<s:string>", NULL, (const char *const *)r);
	struct col *c = read_col(f, 0, 0);
	assert_int_equal(c->dict_pages, 1);
	assert_int_equal(c->encodings, 1u << SL_PQ_ENC_RLE_DICTIONARY);
	assert_int_equal(c->nv, 1000);
	assert_string_equal(c->vals[999], "value-4");
	col_free(c);
	file_free(f);
	free_recs(r);

	/* all distinct: the dictionary does not pay, PLAIN from the start */
	r = make_recs(1000, "{\"s\":\"unique-value-%zu\"}", identity);
	f = written("struct<s:string>", NULL, (const char *const *)r);
	c = read_col(f, 0, 0);
	assert_int_equal(c->dict_pages, 0);
	assert_int_equal(c->encodings, 1u << SL_PQ_ENC_PLAIN);
	assert_string_equal(c->vals[123], "unique-value-123");
	col_free(c);
	file_free(f);
	free_recs(r);

	/* the dictionary outgrows dict_max_bytes: its pages stay, the rest is PLAIN */
	sl_pq_write_opts_default(&o);
	o.dict_max_bytes = 512;
	o.page_bytes = 1024;
	r = make_recs(2000, "{\"s\":\"v%zu\"}", mod3_then_unique);
	f = written("struct<s:string>", &o, (const char *const *)r);
	c = read_col(f, 0, 0);
	assert_int_equal(c->dict_pages, 1);
	assert_true(c->data_pages >= 4);
	assert_int_equal(c->encodings, 1u << SL_PQ_ENC_RLE_DICTIONARY | 1u << SL_PQ_ENC_PLAIN);
	/* the limit is passed by one page at most: a few hundred entries, not all 1,700 */
	struct sl_err derr = {0};
	struct sl_pq_page_header dh;
	size_t dused;
	const struct sl_pq_column_meta *dm = &f->meta.row_groups[0].columns[0].meta;
	assert_int_equal(sl_pq_page_header_decode(f->bytes.data + dm->dictionary_page_offset,
						  64, &dh, &dused, &derr),
			 0);
	assert_true(dh.uncompressed_size >= 512 && dh.uncompressed_size < 512 + 1024 + 64);
	assert_int_equal(c->nv, 2000);
	for (size_t i = 0; i < 2000; i++) {
		char want[32];
		snprintf(want, sizeof(want), "v%zu", mod3_then_unique(i));
		assert_string_equal(c->vals[i], want);
	}
	const struct sl_pq_column_meta *m = &f->meta.row_groups[0].columns[0].meta;
	assert_true(m->dictionary_page_offset > 0);
	assert_true(m->data_page_offset > m->dictionary_page_offset);
	col_free(c);
	file_free(f);
	free_recs(r);

	/* no_dictionary */
	sl_pq_write_opts_default(&o);
	o.no_dictionary = true;
	r = make_recs(100, "{\"s\":\"value-%zu\"}", mod5);
	f = written("struct<s:string>", &o, (const char *const *)r);
	c = read_col(f, 0, 0);
	assert_int_equal(c->dict_pages, 0);
	col_free(c);
	file_free(f);
	free_recs(r);
}

static void test_delta(void **state)
{
	(void)state;
	/* increasing timestamps: DELTA_BINARY_PACKED, and the values survive */
	char **r = make_recs(3000, "{\"n\":%zu}", identity);
	for (size_t i = 0; i < 3000; i++) {
		char buf[128];
		snprintf(buf, sizeof(buf), "{\"n\":%zu,\"m\":%zu,\"k\":%d}",
			 1700000000000000 + i * 1000 + i % 7, scrambled(i), -1000000 + (int)i * 3);
		free(r[i]);
		r[i] = strdup(buf);
	}
	struct file *f = written("struct<n:int64,m:int32,k:int32>", NULL, (const char *const *)r);
	struct col *c = read_col(f, 0, 2); /* INT32 deltas too */
	assert_int_equal(c->encodings, 1u << SL_PQ_ENC_DELTA_BINARY_PACKED);
	assert_string_equal(c->vals[0], "-1000000");
	assert_string_equal(c->vals[2999], "-991003");
	col_free(c);
	c = read_col(f, 0, 0);
	assert_int_equal(c->encodings, 1u << SL_PQ_ENC_DELTA_BINARY_PACKED);
	for (size_t i = 0; i < 3000; i++) {
		char want[32];
		snprintf(want, sizeof(want), "%zu", 1700000000000000 + i * 1000 + i % 7);
		assert_string_equal(c->vals[i], want);
	}
	col_free(c);
	c = read_col(f, 0, 1); /* scrambled: no delta */
	assert_int_equal(c->encodings & (1u << SL_PQ_ENC_DELTA_BINARY_PACKED), 0);
	col_free(c);
	file_free(f);

	struct sl_pq_write_opts o;
	sl_pq_write_opts_default(&o);
	o.no_delta = true;
	f = written("struct<n:int64,m:int32,k:int32>", &o, (const char *const *)r);
	c = read_col(f, 0, 0);
	assert_int_equal(c->encodings & (1u << SL_PQ_ENC_DELTA_BINARY_PACKED), 0);
	col_free(c);
	file_free(f);
	free_recs(r);
}

/* Pages are cut near page_bytes, between records; the offset index lists them. */
static void test_page_cutting(void **state)
{
	(void)state;
	for (int pv = 1; pv <= 2; pv++) {
		struct sl_pq_write_opts o;
		sl_pq_write_opts_default(&o);
		o.page_bytes = 1024;
		o.page_version = pv;
		o.codec = sl_pq_codec_by_name("none");
		char **r = make_recs(2000, "{\"v\":%zu,\"l\":[1,2,3]}", scrambled);
		struct file *f = written("struct<v:int64,l:list<int32>>", &o, (const char *const *)r);
		struct col *c = read_col(f, 0, 0);
		/* 16 KB of values: about 16 pages, none much over the target */
		int pages = c->data_pages;
		assert_true(pages >= 12 && pages <= 20);
		for (size_t i = 0; i < 2000; i++) {
			char want[32];
			snprintf(want, sizeof(want), "%zu", scrambled(i));
			assert_string_equal(c->vals[i], want);
		}
		if (pv == 2)
			assert_int_equal(c->rows_v2, 2000);
		col_free(c);
		c = read_col(f, 0, 1);
		if (pv == 2) {
			assert_int_equal(c->v2_pages, c->data_pages);
			assert_int_equal(c->rows_v2, 2000); /* no record split across pages */
		}
		col_free(c);

		/* the offset index: one location per page, first rows increasing from 0 */
		struct sl_err err = {0};
		const struct sl_pq_column_chunk *cc = &f->meta.row_groups[0].columns[0];
		assert_true(cc->offset_index_offset > 0);
		struct sl_pq_offset_index oi;
		assert_int_equal(sl_pq_offset_index_decode(f->bytes.data + cc->offset_index_offset,
							   (size_t)cc->offset_index_length, &oi, &err),
				 0);
		assert_int_equal(oi.n_pages, (size_t)pages);
		assert_int_equal(oi.pages[0].first_row, 0);
		assert_int_equal(oi.pages[0].offset, cc->meta.data_page_offset);
		for (size_t i = 1; i < oi.n_pages; i++) {
			assert_true(oi.pages[i].first_row > oi.pages[i - 1].first_row);
			assert_int_equal(oi.pages[i].offset,
					 oi.pages[i - 1].offset + oi.pages[i - 1].compressed_size);
			/* each page's share of the values is near the target */
			int64_t rows = oi.pages[i].first_row - oi.pages[i - 1].first_row;
			assert_true(rows * 8 <= 2 * 1024);
		}
		sl_pq_offset_index_release(&oi);
		/* the column index: values were scrambled, so unordered pages */
		struct sl_pq_column_index ci;
		assert_true(cc->column_index_offset > 0);
		assert_int_equal(sl_pq_column_index_decode(f->bytes.data + cc->column_index_offset,
							   (size_t)cc->column_index_length, &ci, &err),
				 0);
		assert_int_equal(ci.n_pages, (size_t)pages);
		assert_int_equal(ci.boundary_order, SL_PQ_UNORDERED);
		assert_false(ci.null_pages[0]);
		sl_pq_column_index_release(&ci);
		file_free(f);
		free_recs(r);
	}
}

static void test_row_groups(void **state)
{
	(void)state;
	struct sl_pq_write_opts o;
	sl_pq_write_opts_default(&o);
	o.row_group_rows = 100;
	char **r = make_recs(250, "{\"v\":%zu}", identity);
	struct file *f = written("struct<v:int64>", &o, (const char *const *)r);
	assert_int_equal(f->meta.n_row_groups, 3);
	assert_int_equal(f->meta.num_rows, 250);
	assert_int_equal(f->meta.row_groups[0].num_rows, 100);
	assert_int_equal(f->meta.row_groups[2].num_rows, 50);
	struct col *c = read_col(f, 2, 0);
	assert_string_equal(c->vals[0], "200");
	assert_string_equal(c->vals[49], "249");
	col_free(c);
	/* ordinals and offsets: each group after the previous */
	for (size_t g = 1; g < 3; g++) {
		assert_int_equal(f->meta.row_groups[g].ordinal, (int32_t)g);
		assert_true(f->meta.row_groups[g].file_offset >
			    f->meta.row_groups[g - 1].file_offset);
	}
	file_free(f);

	/* by buffered bytes: 16 KB of values (PLAIN), 4 KB per group */
	sl_pq_write_opts_default(&o);
	o.no_delta = true;
	o.row_group_bytes = 4096;
	o.page_bytes = 1024;
	o.codec = sl_pq_codec_by_name("none");
	char **r2 = make_recs(2000, "{\"v\":%zu}", scrambled);
	f = written("struct<v:int64>", &o, (const char *const *)r2);
	assert_true(f->meta.n_row_groups >= 3 && f->meta.n_row_groups <= 6);
	int64_t total = 0;
	for (size_t g = 0; g < f->meta.n_row_groups; g++)
		total += f->meta.row_groups[g].num_rows;
	assert_int_equal(total, 2000);
	file_free(f);
	free_recs(r2);

	/* an explicit flush cuts; one with nothing buffered does nothing */
	struct sl_err err = {0};
	struct sl_type *t = type_of("struct<v:int64>");
	struct sl_buf b;
	sl_buf_init(&b, 0);
	struct sl_pq_sink sink;
	sl_pq_sink_buf(&sink, &b);
	struct sl_pq_writer *w;
	assert_int_equal(sl_pq_writer_open(t, NULL, &sink, &w, &err), 0);
	assert_int_equal(sl_pq_writer_put_json_text(w, "{\"v\":1}", 7, &err), 0);
	assert_int_equal(sl_pq_writer_flush(w, &err), 0);
	assert_int_equal(sl_pq_writer_flush(w, &err), 0);
	assert_int_equal(sl_pq_writer_put_json_text(w, "{\"v\":2}", 7, &err), 0);
	assert_int_equal(sl_pq_writer_close(w, &err), 0);
	struct sl_pq_write_stats st;
	sl_pq_writer_stats(w, &st);
	assert_int_equal(st.rows, 2);
	assert_int_equal(st.row_groups, 2);
	assert_int_equal(st.bytes_written, (int64_t)b.len);
	sl_pq_writer_free(w);
	sl_type_free(t);
	struct file f2 = {.bytes = b};
	file_open(&f2);
	assert_int_equal(f2.meta.n_row_groups, 2);
	file_close(&f2);
	free_recs(r);
}

/* ---- statistics --------------------------------------------------------------------- */

static const struct sl_pq_stats *stats_of(struct file *f, size_t leaf)
{
	const struct sl_pq_stats *s = &f->meta.row_groups[0].columns[leaf].meta.stats;
	assert_true(s->present);
	return s;
}

static void expect_bytes(struct sl_pq_bytes b, const void *want, size_t n)
{
	assert_non_null(b.p);
	assert_int_equal(b.len, n);
	assert_memory_equal(b.p, want, n);
}

static void test_statistics(void **state)
{
	(void)state;
	const char *type = "struct<u32:uint32,u64:uint64,i8:int8,s:string,d:decimal(38,2),"
			   "d9:decimal(9,0),x:double,b:boolean,f:float>";
	const char *recs[] = {
		"{\"u32\":1,\"u64\":1,\"i8\":-128,\"s\":\"a\",\"d\":5,\"d9\":-5,\"x\":\"NaN\",\"b\":true,"
		"\"f\":-0.0}",
		"{\"u32\":4294967295,\"u64\":18446744073709551615,\"i8\":127,\"s\":\"B\",\"d\":-1,"
		"\"d9\":3,\"x\":0.0,\"b\":false,\"f\":\"NaN\"}",
		"{\"s\":\"\\u00e9\",\"x\":1.5}",
		"{\"s\":\"ab\"}",
		NULL,
	};
	struct file *f = written(type, NULL, recs);
	const struct sl_pq_stats *s;
	uint32_t u32;
	uint64_t u64;
	int32_t i32;
	double d;
	float fl;

	s = stats_of(f, 0); /* unsigned: 4294967295 is the max, not -1 the min */
	u32 = 1;
	expect_bytes(s->min_value, &u32, 4);
	u32 = 4294967295u;
	expect_bytes(s->max_value, &u32, 4);
	assert_int_equal(s->null_count, 2);
	assert_int_equal(s->is_min_exact, 1);
	s = stats_of(f, 1);
	u64 = 1;
	expect_bytes(s->min_value, &u64, 8);
	u64 = UINT64_MAX;
	expect_bytes(s->max_value, &u64, 8);
	s = stats_of(f, 2);
	i32 = -128;
	expect_bytes(s->min_value, &i32, 4);
	s = stats_of(f, 3); /* bytewise: "B" < "a" < "ab" < "é" */
	expect_bytes(s->min_value, "B", 1);
	expect_bytes(s->max_value, "\xc3\xa9", 2);
	s = stats_of(f, 4); /* signed two's complement: -1.00 below 5.00 */
	uint8_t neg[16], pos[16] = {0};
	memset(neg, 0xff, 16);
	neg[15] = 0x9c; /* -100 */
	pos[15] = 0xf4;
	pos[14] = 0x01; /* 500 */
	expect_bytes(s->min_value, neg, 16);
	expect_bytes(s->max_value, pos, 16);
	s = stats_of(f, 5);
	i32 = -5;
	expect_bytes(s->min_value, &i32, 4);
	i32 = 3;
	expect_bytes(s->max_value, &i32, 4);
	s = stats_of(f, 6); /* NaN left out; a zero minimum is -0.0 */
	memcpy(&d, s->min_value.p, 8);
	assert_true(d == 0 && signbit(d));
	memcpy(&d, s->max_value.p, 8);
	assert_true(d == 1.5);
	s = stats_of(f, 7);
	expect_bytes(s->min_value, "\0", 1);
	expect_bytes(s->max_value, "\1", 1);
	s = stats_of(f, 8); /* only -0.0 besides NaN: min -0.0, max +0.0 */
	memcpy(&fl, s->min_value.p, 4);
	assert_true(fl == 0 && signbit(fl));
	memcpy(&fl, s->max_value.p, 4);
	assert_true(fl == 0 && !signbit(fl));
	file_free(f);

	/* only NaNs: no bounds, no column index, still a null count */
	const char *nans[] = {"{\"x\":\"NaN\"}", "{\"x\":null}", NULL};
	f = written("struct<x:double>", NULL, nans);
	s = stats_of(f, 0);
	assert_null(s->min_value.p);
	assert_null(s->max_value.p);
	assert_int_equal(s->null_count, 1);
	assert_int_equal(f->meta.row_groups[0].columns[0].column_index_offset, -1);
	file_free(f);

	/* long strings: cut to 64 bytes, the max rounded up, both marked inexact */
	char a[200], z[200];
	memset(a, 'a', 100);
	a[100] = '\0';
	memset(z, 'z', 100);
	z[100] = '\0';
	char r1[256], r2[256];
	snprintf(r1, sizeof(r1), "{\"s\":\"%s\"}", a);
	snprintf(r2, sizeof(r2), "{\"s\":\"%s\"}", z);
	const char *longs[] = {r1, r2, NULL};
	f = written("struct<s:string>", NULL, longs);
	s = stats_of(f, 0);
	expect_bytes(s->min_value, a, 64);
	char zmax[64];
	memset(zmax, 'z', 64);
	zmax[63] = '{';
	expect_bytes(s->max_value, zmax, 64);
	assert_int_equal(s->is_min_exact, 0);
	assert_int_equal(s->is_max_exact, 0);
	file_free(f);

	/* sorted values: an ascending column index */
	struct sl_pq_write_opts o;
	sl_pq_write_opts_default(&o);
	o.page_bytes = 256;
	char **r = make_recs(500, "{\"v\":%zu}", identity);
	o.no_delta = true;
	f = written("struct<v:int64>", &o, (const char *const *)r);
	const struct sl_pq_column_chunk *cc = &f->meta.row_groups[0].columns[0];
	struct sl_pq_column_index ci;
	struct sl_err err = {0};
	assert_int_equal(sl_pq_column_index_decode(f->bytes.data + cc->column_index_offset,
						   (size_t)cc->column_index_length, &ci, &err),
			 0);
	assert_true(ci.n_pages > 3);
	assert_int_equal(ci.boundary_order, SL_PQ_ASCENDING);
	int64_t lo;
	memcpy(&lo, ci.min_values[1].p, 8);
	assert_true(lo > 0);
	sl_pq_column_index_release(&ci);
	file_free(f);
	free_recs(r);

	/* no_stats */
	sl_pq_write_opts_default(&o);
	o.no_stats = true;
	const char *one[] = {"{\"v\":1}", NULL};
	f = written("struct<v:int64>", &o, one);
	assert_false(f->meta.row_groups[0].columns[0].meta.stats.present);
	file_free(f);
}

/* ---- codecs, page versions, the footer ----------------------------------------------- */

static void test_codecs_and_versions(void **state)
{
	(void)state;
	static const char *const codecs[] = {"none", "snappy", "gzip", "zstd", "lz4_raw", "brotli"};
	const char *type = "struct<id:int64 not null,s:string,l:list<double>,b:boolean>";
	char **r = make_recs(3000,
			     "{\"id\":%zu,\"s\":\"text text text\",\"l\":[1.5,null,2.5],\"b\":true}",
			     identity);
	for (size_t k = 0; k < N(codecs); k++) {
		const struct sl_pq_codec *cd = sl_pq_codec_by_name(codecs[k]);
		if (!cd || (cd->id != 0 && !cd->compress))
			continue; /* a codec this build can only read */
		for (int pv = 1; pv <= 2; pv++) {
			struct sl_pq_write_opts o;
			sl_pq_write_opts_default(&o);
			o.codec = cd;
			o.page_version = pv;
			o.page_bytes = 4096;
			struct file *f = written(type, &o, (const char *const *)r);
			assert_int_equal(f->meta.row_groups[0].columns[0].meta.codec, cd->id);
			struct col *c = read_col(f, 0, 0);
			assert_int_equal(c->nv, 3000);
			assert_string_equal(c->vals[2999], "2999");
			assert_int_equal(pv == 2 ? c->v2_pages : 0, pv == 2 ? c->data_pages : 0);
			col_free(c);
			c = read_col(f, 0, 2);
			assert_int_equal(c->n, 9000);
			assert_int_equal(c->nv, 6000);
			assert_string_equal(c->vals[5999], "2.5");
			col_free(c);
			c = read_col(f, 0, 3);
			assert_int_equal(c->nv, 3000);
			assert_string_equal(c->vals[0], "true");
			col_free(c);
			file_free(f);
		}
	}
	free_recs(r);
}

/* zstd pages that did not shrink make the next ones of their column go at zstd's
 * fastest level (one in 8 tried at the level asked for): pages of random uuids among
 * pages that compress, in both page versions, all read back. */
static void test_incompressible_pages(void **state)
{
	(void)state;
	const size_t n = 12000;
	char **r = calloc(n + 1, sizeof(*r));
	char (*want)[40] = calloc(n, sizeof(*want));
	uint64_t x = 88172645463325252ull;
	for (size_t i = 0; i < n; i++) {
		uint8_t b[16];
		for (int k = 0; k < 16; k++) { /* xorshift64 */
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			b[k] = (uint8_t)x;
		}
		char u[40];
		snprintf(u, sizeof(u),
			 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
			 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
			 b[13], b[14], b[15]);
		for (int k = 0, j = 0; u[k]; k++)
			if (u[k] != '-')
				want[i][j++] = u[k];
		char rec[160];
		/* s: random text for the first half, one repeated word after */
		snprintf(rec, sizeof(rec), "{\"u\":\"%s\",\"s\":\"%s\"}", u, i < n / 2 ? u : "same");
		r[i] = strdup(rec);
	}
	for (int pv = 1; pv <= 2; pv++) {
		struct sl_pq_write_opts o;
		sl_pq_write_opts_default(&o);
		o.codec = sl_pq_codec_by_name("zstd");
		o.page_version = pv;
		o.page_bytes = 4096;
		o.no_dictionary = true;
		struct file *f = written("struct<u:uuid not null,s:string not null>", &o,
					 (const char *const *)r);
		struct col *c = read_col(f, 0, 0);
		assert_true(c->data_pages > 40);
		assert_int_equal(c->nv, n);
		for (size_t i = 0; i < n; i++)
			assert_string_equal(c->vals[i], want[i]);
		col_free(c);
		c = read_col(f, 0, 1);
		assert_int_equal(c->nv, n);
		assert_string_equal(c->vals[n - 1], "same");
		col_free(c);
		const struct sl_pq_column_meta *m = &f->meta.row_groups[0].columns[0].meta;
		assert_true(m->total_compressed_size < m->total_uncompressed_size * 102 / 100);
		file_free(f);
	}
	free(want);
	free_recs(r);
}

static void test_footer(void **state)
{
	(void)state;
	struct sl_pq_kv_pair kv[] = {{"origin", "test"}};
	struct sl_pq_write_opts o;
	sl_pq_write_opts_default(&o);
	o.kv = kv;
	o.n_kv = 1;
	o.created_by = "sluice test";
	const char *recs[] = {"{\"a\":1,\"e\":\"x\",\"u\":\"00000000-0000-0000-0000-000000000001\"}",
			      NULL};
	const char *type = "struct<a:int64 not null,e:enum,u:uuid>";
	struct file *f = written(type, &o, recs);
	const struct sl_pq_file_meta *m = &f->meta;
	assert_int_equal(m->num_rows, 1);
	assert_int_equal(m->n_kv, 2);
	assert_int_equal(m->kv[0].key.len, 11);
	assert_memory_equal(m->kv[0].key.p, "sluice.type", 11);
	/* the type's text round-trips: enum and uuid intent survive */
	struct sl_err err = {0};
	struct sl_type *back = sl_type_parse((const char *)m->kv[0].value.p, m->kv[0].value.len, &err);
	struct sl_type *orig = type_of(type);
	assert_non_null(back);
	assert_true(sl_type_equal(back, orig));
	sl_type_free(back);
	sl_type_free(orig);
	assert_memory_equal(m->kv[1].value.p, "test", 4);
	assert_int_equal(m->created_by.len, strlen("sluice test"));
	assert_int_equal(m->n_column_orders, 3);
	for (size_t i = 0; i < 3; i++)
		assert_true(m->column_orders_typed[i]);
	const struct sl_pq_column_meta *cm = &m->row_groups[0].columns[1].meta;
	assert_int_equal(cm->n_path, 1);
	assert_memory_equal(cm->path[0].p, "e", 1);
	assert_true(cm->total_compressed_size > 0);
	assert_true(cm->total_uncompressed_size > 0);
	file_free(f);

	/* an empty file is a valid file */
	const char *none[] = {NULL};
	f = written(type, NULL, none);
	assert_int_equal(f->meta.n_row_groups, 0);
	assert_int_equal(f->meta.num_rows, 0);
	file_free(f);
}

/* A sink that fails: the writer reports it and refuses to go on. */
static int failing_write(void *ctx, const void *p, size_t len, struct sl_err *err)
{
	(void)p;
	size_t *budget = ctx;
	if (len > *budget)
		return sl_err_set(err, SL_ENOSPC, "no space left");
	*budget -= len;
	return 0;
}

static void test_failing_sink(void **state)
{
	(void)state;
	struct sl_err err = {0};
	struct sl_type *t = type_of("struct<v:int64>");
	size_t budget = 100;
	struct sl_pq_sink sink = {.ctx = &budget, .write = failing_write};
	struct sl_pq_write_opts o;
	sl_pq_write_opts_default(&o);
	o.row_group_rows = 10;
	struct sl_pq_writer *w;
	assert_int_equal(sl_pq_writer_open(t, &o, &sink, &w, &err), 0);
	int rc = 0;
	char rec[64];
	for (int i = 0; i < 1000 && rc == 0; i++) {
		int n = snprintf(rec, sizeof(rec), "{\"v\":%d}", i * 7919);
		rc = sl_pq_writer_put_json_text(w, rec, (size_t)n, &err);
	}
	assert_int_equal(rc, SL_ENOSPC);
	assert_int_equal(sl_pq_writer_put_json_text(w, "{\"v\":1}", 7, &err), SL_ENOSPC);
	assert_int_not_equal(sl_pq_writer_close(w, &err), 0);
	sl_pq_writer_free(w);
	sl_type_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dremel_paper),
		cmocka_unit_test(test_levels_nullable),
		cmocka_unit_test(test_levels_nested_and_maps),
		cmocka_unit_test(test_levels_runs),
		cmocka_unit_test(test_lazy_lists),
		cmocka_unit_test(test_conversions),
		cmocka_unit_test(test_uuid_digits),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_members),
		cmocka_unit_test(test_text_any),
		cmocka_unit_test(test_rollback_identical),
		cmocka_unit_test(test_rollback_sparse),
		cmocka_unit_test(test_dictionary),
		cmocka_unit_test(test_delta),
		cmocka_unit_test(test_page_cutting),
		cmocka_unit_test(test_row_groups),
		cmocka_unit_test(test_statistics),
		cmocka_unit_test(test_codecs_and_versions),
		cmocka_unit_test(test_incompressible_pages),
		cmocka_unit_test(test_footer),
		cmocka_unit_test(test_failing_sink),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
