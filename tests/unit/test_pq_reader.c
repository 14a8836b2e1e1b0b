/*
 * test_pq_reader.c - the Parquet reader on files built here byte by byte (format.c's
 * encoders for the metadata, encoding.c's for levels), so that each check and each error
 * of reader.c is met on purpose: footers, chunk bounds, page sizes and limits, CRCs,
 * dictionaries, v1 and v2 pages, level and value counts, rows against row groups; the
 * JSON form of every type; projection; the sluice.type refinement; statistics pruning.
 */
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "helpers.h"
#include "json/json.h"
#include "parquet/encoding.h"
#include "parquet/format.h"
#include "parquet/reader.h"

/* ---- building files --------------------------------------------------------------------- */

static struct sl_pq_schema_elem group(const char *name, int32_t rep, int32_t n, int32_t conv)
{
	struct sl_pq_schema_elem e;
	memset(&e, 0, sizeof(e));
	e.type = -1;
	e.repetition = rep;
	e.name.p = (const uint8_t *)name;
	e.name.len = (uint32_t)strlen(name);
	e.num_children = n;
	e.converted = conv;
	e.scale = e.precision = e.field_id = -1;
	return e;
}

static struct sl_pq_schema_elem leaf(const char *name, int32_t rep, int32_t phys, int32_t conv)
{
	struct sl_pq_schema_elem e = group(name, rep, 0, conv);
	e.type = phys;
	return e;
}

struct tchunk {
	struct sl_buf pages;
	int64_t num_values;
	int32_t phys, codec;
	bool has_dict;      /* the first page is a dictionary page */
	struct sl_pq_stats stats;
};

static void chunk_init(struct tchunk *c, int32_t phys)
{
	memset(c, 0, sizeof(*c));
	sl_buf_init(&c->pages, SL_BUF_DEFAULT_MAX);
	c->phys = phys;
	c->stats.null_count = c->stats.distinct_count = -1;
	c->stats.is_min_exact = c->stats.is_max_exact = -1;
}

/* The RLE hybrid of n levels (no length prefix). */
static void rle(struct sl_buf *out, const int16_t *v, size_t n, int bw)
{
	struct sl_pq_rle_enc e;
	sl_pq_rle_enc_init(&e, out, bw);
	for (size_t i = 0; i < n; i++)
		sl_pq_rle_enc_put(&e, (uint64_t)v[i]);
	assert_int_equal(sl_pq_rle_enc_finish(&e, NULL), 0);
}

static void put_le32(struct sl_buf *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	assert_int_equal(sl_buf_append(b, x, 4), 0);
}

/* v1 levels: 4-byte length then the hybrid. */
static void levels_v1(struct sl_buf *body, const int16_t *v, size_t n, int max)
{
	if (!v)
		return;
	struct sl_buf tmp;
	sl_buf_init(&tmp, SL_BUF_DEFAULT_MAX);
	rle(&tmp, v, n, sl_pq_bit_width((uint64_t)max));
	put_le32(body, (uint32_t)tmp.len);
	assert_int_equal(sl_buf_append(body, tmp.data, tmp.len), 0);
	sl_buf_release(&tmp);
}

enum crc_mode { NO_CRC, GOOD_CRC, BAD_CRC };

static void page(struct tchunk *c, struct sl_pq_page_header *h, const struct sl_buf *body,
		 enum crc_mode crc)
{
	h->compressed_size = h->uncompressed_size = (int32_t)body->len;
	if (crc != NO_CRC) {
		h->has_crc = true;
		h->crc = (uint32_t)crc32(0, (const Bytef *)body->data, (uInt)body->len) ^
			 (crc == BAD_CRC);
	}
	assert_int_equal(sl_pq_page_header_encode(h, &c->pages, NULL), 0);
	assert_int_equal(sl_buf_append(&c->pages, body->data, body->len), 0);
}

/* A v1 data page: levels (NULL when the maximum is 0), then values already encoded. */
static void data_page(struct tchunk *c, size_t n, const int16_t *rep, int max_rep,
		      const int16_t *def, int max_def, int32_t enc, const void *vals, size_t len,
		      enum crc_mode crc)
{
	struct sl_buf body;
	sl_buf_init(&body, SL_BUF_DEFAULT_MAX);
	levels_v1(&body, rep, n, max_rep);
	levels_v1(&body, def, n, max_def);
	assert_int_equal(sl_buf_append(&body, vals, len), 0);
	struct sl_pq_page_header h;
	memset(&h, 0, sizeof(h));
	h.type = SL_PQ_DATA_PAGE;
	h.has_data = true;
	h.data.num_values = (int32_t)n;
	h.data.encoding = enc;
	h.data.def_encoding = h.data.rep_encoding = SL_PQ_ENC_RLE;
	h.data.stats.null_count = h.data.stats.distinct_count = -1;
	h.data.stats.is_min_exact = h.data.stats.is_max_exact = -1;
	page(c, &h, &body, crc);
	c->num_values += (int64_t)n;
	sl_buf_release(&body);
}

/* A v2 data page (uncompressed): levels without prefix, then values. */
static void data_page_v2(struct tchunk *c, size_t n, int32_t nulls, const int16_t *def,
			 int max_def, int32_t enc, const void *vals, size_t len)
{
	struct sl_buf body;
	sl_buf_init(&body, SL_BUF_DEFAULT_MAX);
	if (def)
		rle(&body, def, n, sl_pq_bit_width((uint64_t)max_def));
	size_t dl = body.len;
	assert_int_equal(sl_buf_append(&body, vals, len), 0);
	struct sl_pq_page_header h;
	memset(&h, 0, sizeof(h));
	h.type = SL_PQ_DATA_PAGE_V2;
	h.has_data_v2 = true;
	h.data_v2.num_values = (int32_t)n;
	h.data_v2.num_nulls = nulls;
	h.data_v2.num_rows = (int32_t)n;
	h.data_v2.encoding = enc;
	h.data_v2.def_levels_len = (int32_t)dl;
	h.data_v2.is_compressed = false;
	h.data_v2.stats.null_count = h.data_v2.stats.distinct_count = -1;
	h.data_v2.stats.is_min_exact = h.data_v2.stats.is_max_exact = -1;
	page(c, &h, &body, NO_CRC);
	c->num_values += (int64_t)n;
	sl_buf_release(&body);
}

static void dict_page(struct tchunk *c, int32_t n, const void *vals, size_t len, enum crc_mode crc)
{
	struct sl_buf body;
	sl_buf_init(&body, SL_BUF_DEFAULT_MAX);
	assert_int_equal(sl_buf_append(&body, vals, len), 0);
	struct sl_pq_page_header h;
	memset(&h, 0, sizeof(h));
	h.type = SL_PQ_DICTIONARY_PAGE;
	h.has_dict = true;
	h.dict.num_values = n;
	h.dict.encoding = SL_PQ_ENC_PLAIN;
	page(c, &h, &body, crc);
	c->has_dict = true;
	sl_buf_release(&body);
}

struct tfile {
	const struct sl_pq_schema_elem *el;
	size_t n_el;
	struct tchunk *chunks; /* row groups * columns, row group major */
	size_t n_cols, n_groups;
	int64_t rows[8];       /* per row group */
	const struct sl_pq_kv *kv;
	size_t n_kv;
};

/* The whole file into out. */
static void build(const struct tfile *f, struct sl_buf *out)
{
	sl_buf_init(out, SL_BUF_DEFAULT_MAX);
	assert_int_equal(sl_buf_append(out, "PAR1", 4), 0);
	struct sl_pq_row_group rg[8];
	struct sl_pq_column_chunk cc[64];
	int32_t encs[2] = {SL_PQ_ENC_PLAIN, SL_PQ_ENC_RLE};
	struct sl_pq_bytes path[64];
	assert_true(f->n_groups <= 8 && f->n_groups * f->n_cols <= 64);
	memset(rg, 0, sizeof(rg));
	memset(cc, 0, sizeof(cc));
	int64_t total = 0;
	for (size_t g = 0; g < f->n_groups; g++) {
		rg[g].columns = &cc[g * f->n_cols];
		rg[g].n_columns = f->n_cols;
		rg[g].num_rows = f->rows[g];
		rg[g].file_offset = rg[g].total_compressed_size = -1;
		rg[g].ordinal = -1;
		total += f->rows[g];
		for (size_t k = 0; k < f->n_cols; k++) {
			const struct tchunk *t = &f->chunks[g * f->n_cols + k];
			struct sl_pq_column_chunk *c = &cc[g * f->n_cols + k];
			struct sl_pq_column_meta *m = &c->meta;
			int64_t off = (int64_t)out->len;
			assert_int_equal(sl_buf_append(out, t->pages.data, t->pages.len), 0);
			c->file_offset = off;
			c->has_meta = true;
			c->offset_index_offset = c->column_index_offset = -1;
			c->offset_index_length = c->column_index_length = -1;
			m->type = t->phys;
			m->encodings = encs;
			m->n_encodings = 2;
			path[k].p = (const uint8_t *)"x";
			path[k].len = 1;
			m->path = &path[k];
			m->n_path = 1;
			m->codec = t->codec;
			m->num_values = t->num_values;
			m->total_compressed_size = m->total_uncompressed_size =
				(int64_t)t->pages.len;
			m->data_page_offset = off;
			m->dictionary_page_offset = t->has_dict ? off : -1;
			m->index_page_offset = m->bloom_filter_offset = -1;
			m->bloom_filter_length = -1;
			m->stats = t->stats;
		}
	}
	struct sl_pq_file_meta fm;
	memset(&fm, 0, sizeof(fm));
	fm.version = 1;
	fm.schema = (struct sl_pq_schema_elem *)f->el;
	fm.n_schema = f->n_el;
	fm.num_rows = total;
	fm.row_groups = rg;
	fm.n_row_groups = f->n_groups;
	fm.kv = (struct sl_pq_kv *)f->kv;
	fm.n_kv = f->n_kv;
	fm.created_by.p = (const uint8_t *)"test_pq_reader";
	fm.created_by.len = 14;
	size_t start = out->len;
	assert_int_equal(sl_pq_file_meta_encode(&fm, out, NULL), 0);
	put_le32(out, (uint32_t)(out->len - start));
	assert_int_equal(sl_buf_append(out, "PAR1", 4), 0);
}

static void tfile_release(struct tfile *f)
{
	for (size_t i = 0; i < f->n_cols * f->n_groups; i++)
		sl_buf_release(&f->chunks[i].pages);
}

/* Opens the image and reads every row: rc, and the rows (one per line) or the error. */
static int read_rows(const struct sl_buf *file, const struct sl_pq_read_opts *o,
		     const char *const *cols, size_t n_cols, struct sl_buf *out, struct sl_err *err)
{
	struct sl_pq_reader *r = NULL;
	struct sl_pq_rows *rows = NULL;
	sl_buf_init(out, SL_BUF_DEFAULT_MAX);
	memset(err, 0, sizeof(*err));
	int rc = sl_pq_reader_open_mem(file->data, file->len, "t.parquet", o, &r, err);
	if (rc == 0)
		rc = sl_pq_rows_open(r, cols, n_cols, NULL, 0, &rows, err);
	while (rc == 0) {
		int n = sl_pq_rows_next(rows, out, err);
		if (n <= 0) {
			rc = n;
			break;
		}
		assert_int_equal(sl_buf_append(out, "\n", 1), 0);
	}
	sl_pq_rows_close(rows);
	sl_pq_reader_close(r);
	if (rc)
		assert_true(err->msg[0] != '\0');
	return rc;
}

static void expect_rows(const struct sl_buf *file, const char *want)
{
	struct sl_buf out;
	struct sl_err err;
	int rc = read_rows(file, NULL, NULL, 0, &out, &err);
	if (rc)
		fail_msg("read: %s", err.msg);
	assert_string_equal(out.data ? out.data : "", want);
	sl_buf_release(&out);
}

static void expect_error(const struct sl_buf *file, const struct sl_pq_read_opts *o, int code,
			 const char *needle)
{
	struct sl_buf out;
	struct sl_err err;
	int rc = read_rows(file, o, NULL, 0, &out, &err);
	if (rc != code || !strstr(err.msg, needle))
		fail_msg("want %d '%s', got %d: %s", code, needle, rc, err.msg);
	sl_buf_release(&out);
}

/* ---- a flat file: required int64 id, optional string s ---------------------------------- */

static const int64_t ids[4] = {7, -1, 1LL << 40, 0};
static const int16_t s_def[4] = {1, 0, 1, 1};

static struct sl_pq_schema_elem flat_el[3];

static void flat_schema(void)
{
	flat_el[0] = group("schema", -1, 2, SL_PQ_CT_NONE);
	flat_el[1] = leaf("id", SL_PQ_REQUIRED, SL_PQ_INT64, SL_PQ_CT_NONE);
	flat_el[2] = leaf("s", SL_PQ_OPTIONAL, SL_PQ_BYTE_ARRAY, SL_PQ_CT_UTF8);
}

static void plain_strings(struct sl_buf *b, const char *const *v, size_t n)
{
	sl_buf_init(b, SL_BUF_DEFAULT_MAX);
	for (size_t i = 0; i < n; i++) {
		put_le32(b, (uint32_t)strlen(v[i]));
		assert_int_equal(sl_buf_puts(b, v[i]), 0);
	}
}

/* The flat file, its id chunk with the given CRC mode. */
static void flat_file(struct tfile *f, struct tchunk ch[2], struct sl_buf *out, enum crc_mode crc)
{
	flat_schema();
	chunk_init(&ch[0], SL_PQ_INT64);
	chunk_init(&ch[1], SL_PQ_BYTE_ARRAY);
	data_page(&ch[0], 4, NULL, 0, NULL, 0, SL_PQ_ENC_PLAIN, ids, sizeof(ids), crc);
	static const char *const s[] = {"a\"b", "", "\xc3\xa9t\xc3\xa9"};
	struct sl_buf sv;
	plain_strings(&sv, s, 3);
	data_page(&ch[1], 4, NULL, 0, s_def, 1, SL_PQ_ENC_PLAIN, sv.data, sv.len, GOOD_CRC);
	sl_buf_release(&sv);
	*f = (struct tfile){flat_el, 3, ch, 2, 1, {4}, NULL, 0};
	build(f, out);
}

static void test_flat_rows_and_batches(void **state)
{
	(void)state;
	struct tfile f;
	struct tchunk ch[2];
	struct sl_buf file;
	flat_file(&f, ch, &file, GOOD_CRC);
	expect_rows(&file,
		    "{\"id\":7,\"s\":\"a\\\"b\"}\n{\"id\":-1,\"s\":null}\n"
		    "{\"id\":1099511627776,\"s\":\"\"}\n{\"id\":0,\"s\":\"\xc3\xa9t\xc3\xa9\"}\n");
	/* the column API: levels for every entry, values densely */
	struct sl_pq_reader *r;
	struct sl_err err;
	assert_int_equal(sl_pq_reader_open_mem(file.data, file.len, "t", NULL, &r, &err), 0);
	assert_int_equal(sl_pq_reader_rows(r), 4);
	struct sl_pq_col *c;
	struct sl_pq_batch b;
	assert_int_equal(sl_pq_col_open(r, 0, 1, &c, &err), 0);
	assert_int_equal(sl_pq_col_next(c, &b, &err), 1);
	assert_int_equal(b.n_levels, 4);
	assert_int_equal(b.n_values, 3);
	assert_null(b.rep);
	assert_memory_equal(b.def, s_def, sizeof(s_def));
	assert_int_equal(b.barr[2].len, 5);
	assert_memory_equal(b.data + b.barr[2].off, "\xc3\xa9t\xc3\xa9", 5);
	assert_int_equal(sl_pq_col_next(c, &b, &err), 0);
	sl_pq_col_close(c);
	assert_int_equal(sl_pq_col_open(r, 0, 0, &c, &err), 0);
	assert_int_equal(sl_pq_col_next(c, &b, &err), 1);
	assert_null(b.def);
	assert_memory_equal(b.i64, ids, sizeof(ids));
	sl_pq_col_close(c);
	assert_int_equal(sl_pq_col_open(r, 1, 0, &c, &err), SL_EINVAL);
	sl_pq_reader_close(r);
	/* projection: only s */
	static const char *const cols[] = {"s"};
	struct sl_buf out;
	assert_int_equal(read_rows(&file, NULL, cols, 1, &out, &err), 0);
	assert_string_equal(out.data, "{\"s\":\"a\\\"b\"}\n{\"s\":null}\n{\"s\":\"\"}\n"
				      "{\"s\":\"\xc3\xa9t\xc3\xa9\"}\n");
	sl_buf_release(&out);
	static const char *const bad[] = {"nope"};
	assert_int_equal(read_rows(&file, NULL, bad, 1, &out, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "no column 'nope'"));
	sl_buf_release(&out);
	sl_buf_release(&file);
	tfile_release(&f);
}

static void test_crc(void **state)
{
	(void)state;
	struct tfile f;
	struct tchunk ch[2];
	struct sl_buf file;
	flat_file(&f, ch, &file, BAD_CRC);
	expect_error(&file, NULL, SL_ECORRUPT, "t.parquet: row group 0, column id, page 0 at "
					       "offset 4: CRC mismatch");
	struct sl_pq_read_opts o;
	sl_pq_read_opts_default(&o);
	o.verify_crc = false;
	struct sl_buf out;
	struct sl_err err;
	assert_int_equal(read_rows(&file, &o, NULL, 0, &out, &err), 0);
	sl_buf_release(&out);
	/* a projection that leaves the bad column out does not read it */
	static const char *const cols[] = {"s"};
	assert_int_equal(read_rows(&file, NULL, cols, 1, &out, &err), 0);
	sl_buf_release(&out);
	sl_buf_release(&file);
	tfile_release(&f);
}

/* The footer and the file around it. */
static void test_footer(void **state)
{
	(void)state;
	struct tfile f;
	struct tchunk ch[2];
	struct sl_buf file;
	flat_file(&f, ch, &file, GOOD_CRC);
	struct sl_pq_reader *r;
	struct sl_err err;
	char *img = malloc(file.len);
	assert_non_null(img);
	/* too small, wrong magic at either end */
	assert_int_equal(sl_pq_reader_open_mem("PAR1PAR1", 8, "t", NULL, &r, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "t: not a Parquet file"));
	memcpy(img, file.data, file.len);
	img[0] = 'X';
	assert_int_equal(sl_pq_reader_open_mem(img, file.len, "t", NULL, &r, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "no PAR1 magic at the start"));
	memcpy(img, file.data, file.len);
	memcpy(img + file.len - 4, "PARE", 4);
	assert_int_equal(sl_pq_reader_open_mem(img, file.len, "t", NULL, &r, &err), SL_EINVAL);
	assert_non_null(strstr(err.msg, "encrypted Parquet is not supported"));
	/* a footer length past the file, over the limit, or cutting the metadata */
	memcpy(img, file.data, file.len);
	uint8_t *len = (uint8_t *)img + file.len - 8;
	uint32_t flen = len[0] | len[1] << 8 | len[2] << 16 | (uint32_t)len[3] << 24;
	len[0] = 0xff, len[1] = 0xff, len[2] = 0xff, len[3] = 0x7f;
	assert_int_equal(sl_pq_reader_open_mem(img, file.len, "t", NULL, &r, &err), SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "does not fit"));
	struct sl_pq_read_opts o;
	sl_pq_read_opts_default(&o);
	o.max_footer = flen - 1;
	assert_int_equal(sl_pq_reader_open_mem(file.data, file.len, "t", &o, &r, &err), SL_ELIMIT);
	memcpy(img, file.data, file.len);
	len[0] = (uint8_t)(flen - 5);
	len[1] = (uint8_t)((flen - 5) >> 8);
	len[2] = len[3] = 0;
	assert_int_not_equal(sl_pq_reader_open_mem(img, file.len, "t", NULL, &r, &err), 0);
	assert_non_null(strstr(err.msg, "t: footer at offset"));
	/* every truncation fails cleanly */
	for (size_t n = 0; n < file.len; n++) {
		memcpy(img, file.data, n);
		if (sl_pq_reader_open_mem(img, n, "t", NULL, &r, &err) == 0)
			fail_msg("a file cut to %zu bytes opens", n);
		assert_true(err.msg[0] != '\0');
	}
	free(img);
	sl_buf_release(&file);
	tfile_release(&f);
}

/* Chunk bounds, page sizes and page limits. */
static void test_chunk_and_page_checks(void **state)
{
	(void)state;
	struct tfile f;
	struct tchunk ch[2];
	struct sl_buf file;
	flat_file(&f, ch, &file, NO_CRC);
	/* a page larger than max_page, a chunk larger than max_row_group */
	struct sl_pq_read_opts o;
	sl_pq_read_opts_default(&o);
	o.max_page = 16;
	expect_error(&file, &o, SL_ELIMIT, "exceeds the page limit (16)");
	o.max_page = 256;
	o.max_row_group = 16;
	expect_error(&file, &o, SL_ELIMIT, "exceeds the limit (16)");
	sl_buf_release(&file);
	tfile_release(&f);

	/* the chunk says more values than its pages hold */
	flat_file(&f, ch, &file, NO_CRC);
	sl_buf_release(&file);
	ch[0].num_values = 5;
	build(&f, &file);
	expect_error(&file, NULL, SL_ECORRUPT, "the chunk ends after 4 of its 5 values");
	sl_buf_release(&file);
	/* fewer: the page has more than the chunk's num_values */
	ch[0].num_values = 3;
	build(&f, &file);
	expect_error(&file, NULL, SL_ECORRUPT, "more values than the chunk's 3");
	sl_buf_release(&file);
	/* the row group says 5 rows, the columns hold 4 */
	ch[0].num_values = 4;
	f.rows[0] = 5;
	build(&f, &file);
	expect_error(&file, NULL, SL_ECORRUPT, "fewer rows than its row group");
	sl_buf_release(&file);
	/* 3 rows: a column has more */
	f.rows[0] = 3;
	build(&f, &file);
	expect_error(&file, NULL, SL_ECORRUPT, "more rows than its row group");
	sl_buf_release(&file);
	tfile_release(&f);

	/* a type that is not the schema's, a chunk outside the file */
	flat_file(&f, ch, &file, NO_CRC);
	sl_buf_release(&file);
	ch[0].phys = SL_PQ_INT32;
	build(&f, &file);
	struct sl_pq_reader *r;
	struct sl_err err;
	assert_int_equal(sl_pq_reader_open_mem(file.data, file.len, "t", NULL, &r, &err),
			 SL_ECORRUPT);
	assert_non_null(strstr(err.msg, "column id: type INT32, the schema says INT64"));
	sl_buf_release(&file);
	tfile_release(&f);

	/* a few bytes of levels that claim more entries than max_page / 8 */
	struct sl_pq_schema_elem el[2] = {group("schema", -1, 1, SL_PQ_CT_NONE),
					  leaf("v", SL_PQ_OPTIONAL, SL_PQ_INT32, SL_PQ_CT_NONE)};
	static int16_t nulls[1000];
	struct tchunk c1;
	chunk_init(&c1, SL_PQ_INT32);
	data_page(&c1, 1000, NULL, 0, nulls, 1, SL_PQ_ENC_PLAIN, "", 0, NO_CRC);
	f = (struct tfile){el, 2, &c1, 1, 1, {1000}, NULL, 0};
	build(&f, &file);
	o.max_page = 64;
	o.max_row_group = 1 << 20;
	expect_error(&file, &o, SL_ELIMIT, "1000 values exceed the limit of 8 per page");
	o.max_page = 1 << 20;
	struct sl_buf out;
	assert_int_equal(read_rows(&file, &o, NULL, 0, &out, &err), 0);
	sl_buf_release(&out);
	sl_buf_release(&file);
	tfile_release(&f);
}

/* A dictionary page and RLE_DICTIONARY indices; an index past the dictionary. */
static void test_dictionary(void **state)
{
	(void)state;
	struct sl_pq_schema_elem el[2] = {group("schema", -1, 1, SL_PQ_CT_NONE),
					  leaf("s", SL_PQ_OPTIONAL, SL_PQ_BYTE_ARRAY,
					       SL_PQ_CT_UTF8)};
	static const char *const words[] = {"red", "green"};
	static const int16_t def[5] = {1, 1, 0, 1, 1};
	for (int bad = 0; bad <= 1; bad++) {
		struct tchunk ch;
		chunk_init(&ch, SL_PQ_BYTE_ARRAY);
		struct sl_buf dv, idx;
		plain_strings(&dv, words, 2);
		dict_page(&ch, 2, dv.data, dv.len, GOOD_CRC);
		sl_buf_init(&idx, SL_BUF_DEFAULT_MAX);
		assert_int_equal(sl_buf_append(&idx, "\x02", 1), 0); /* bit width */
		static const int16_t ok_ix[4] = {1, 0, 0, 1}, bad_ix[4] = {1, 0, 3, 1};
		rle(&idx, bad ? bad_ix : ok_ix, 4, 2);
		data_page(&ch, 5, NULL, 0, def, 1, SL_PQ_ENC_RLE_DICTIONARY, idx.data, idx.len,
			  GOOD_CRC);
		struct tfile f = {el, 2, &ch, 1, 1, {5}, NULL, 0};
		struct sl_buf file;
		build(&f, &file);
		if (bad)
			expect_error(&file, NULL, SL_ECORRUPT,
				     "page 1 at offset 40: dictionary index 3 "
				     "out of a dictionary of 2");
		else
			expect_rows(&file, "{\"s\":\"green\"}\n{\"s\":\"red\"}\n{\"s\":null}\n"
					   "{\"s\":\"red\"}\n{\"s\":\"green\"}\n");
		sl_buf_release(&file);
		sl_buf_release(&dv);
		sl_buf_release(&idx);
		tfile_release(&f);
	}
}

/* v2 pages: levels outside the values; num_nulls must agree with the levels. */
static void test_v2_pages(void **state)
{
	(void)state;
	struct sl_pq_schema_elem el[2] = {group("schema", -1, 1, SL_PQ_CT_NONE),
					  leaf("v", SL_PQ_OPTIONAL, SL_PQ_INT32, SL_PQ_CT_NONE)};
	static const int16_t def[3] = {1, 0, 1};
	static const int32_t vals[2] = {10, -20};
	for (int nulls = 1; nulls <= 2; nulls++) {
		struct tchunk ch;
		chunk_init(&ch, SL_PQ_INT32);
		data_page_v2(&ch, 3, nulls, def, 1, SL_PQ_ENC_PLAIN, vals, sizeof(vals));
		struct tfile f = {el, 2, &ch, 1, 1, {3}, NULL, 0};
		struct sl_buf file;
		build(&f, &file);
		if (nulls == 1)
			expect_rows(&file, "{\"v\":10}\n{\"v\":null}\n{\"v\":-20}\n");
		else
			expect_error(&file, NULL, SL_ECORRUPT,
				     "2 nulls declared, the levels say 1");
		sl_buf_release(&file);
		tfile_release(&f);
	}
}

/* A list of optional ints: [1,null], [], null, [2]. */
static void test_nested_list(void **state)
{
	(void)state;
	struct sl_pq_schema_elem el[4] = {
		group("schema", -1, 1, SL_PQ_CT_NONE),
		group("l", SL_PQ_OPTIONAL, 1, SL_PQ_CT_LIST),
		group("list", SL_PQ_REPEATED, 1, SL_PQ_CT_NONE),
		leaf("element", SL_PQ_OPTIONAL, SL_PQ_INT32, SL_PQ_CT_NONE),
	};
	static const int16_t rep[5] = {0, 1, 0, 0, 0}, def[5] = {3, 2, 1, 0, 3};
	static const int32_t vals[2] = {1, 2};
	struct tchunk ch;
	chunk_init(&ch, SL_PQ_INT32);
	data_page(&ch, 5, rep, 1, def, 3, SL_PQ_ENC_PLAIN, vals, sizeof(vals), NO_CRC);
	struct tfile f = {el, 4, &ch, 1, 1, {4}, NULL, 0};
	struct sl_buf file;
	build(&f, &file);
	expect_rows(&file, "{\"l\":[1,null]}\n{\"l\":[]}\n{\"l\":null}\n{\"l\":[2]}\n");
	sl_buf_release(&file);
	tfile_release(&f);
	/* a row that starts with repetition level 1 */
	static const int16_t rep_bad[5] = {1, 1, 0, 0, 0};
	chunk_init(&ch, SL_PQ_INT32);
	data_page(&ch, 5, rep_bad, 1, def, 3, SL_PQ_ENC_PLAIN, vals, sizeof(vals), NO_CRC);
	build(&f, &file);
	expect_error(&file, NULL, SL_ECORRUPT,
		     "row 0: a row starts with a repetition level above 0");
	sl_buf_release(&file);
	tfile_release(&f);
	/* more defined levels than values */
	static const int16_t def_more[5] = {3, 3, 1, 0, 3};
	chunk_init(&ch, SL_PQ_INT32);
	data_page(&ch, 5, rep, 1, def_more, 3, SL_PQ_ENC_PLAIN, vals, sizeof(vals), NO_CRC);
	build(&f, &file);
	expect_error(&file, NULL, SL_ECORRUPT, "PLAIN values");
	sl_buf_release(&file);
	tfile_release(&f);
}

/* ---- the JSON form of each type ----------------------------------------------------------- */

static void check_value(struct sl_type *t, int32_t phys, int32_t tl, const void *v, size_t vlen,
			 const char *want)
{
	struct sl_pq_node n;
	memset(&n, 0, sizeof(n));
	n.name = "v";
	n.is_leaf = true;
	n.phys = phys;
	n.type_length = tl;
	n.type = t;
	struct sl_pq_bytes b = {v, (uint32_t)vlen};
	struct sl_buf out;
	sl_buf_init(&out, SL_BUF_DEFAULT_MAX);
	assert_int_equal(sl_pq_stat_json(&n, b, &out), 0);
	if (strcmp(out.data, want) != 0)
		fail_msg("got %s, want %s", out.data, want);
	sl_buf_release(&out);
	sl_type_free(t);
}

static struct sl_type *ty(enum sl_type_kind k)
{
	struct sl_type *t = sl_type_new(k, true);
	assert_non_null(t);
	return t;
}

static struct sl_type *dec(int p, int s)
{
	struct sl_type *t = ty(SL_T_DECIMAL);
	t->precision = (uint8_t)p;
	t->scale = (uint8_t)s;
	return t;
}

static struct sl_type *unit(enum sl_type_kind k, int u)
{
	struct sl_type *t = ty(k);
	t->unit = (uint8_t)u;
	return t;
}

static struct sl_type *uint_t(int bits)
{
	struct sl_type *t = ty(SL_T_INT);
	t->bits = (uint8_t)bits;
	t->is_unsigned = true;
	return t;
}

static void test_value_forms(void **state)
{
	(void)state;
	int32_t i32;
	int64_t i64;
	float f;
	double d;
	i32 = 1230;
	check_value(dec(4, 2), SL_PQ_INT32, 0, &i32, 4, "12.30");
	i32 = -5;
	check_value(dec(4, 2), SL_PQ_INT32, 0, &i32, 4, "-0.05");
	i64 = INT64_MIN;
	check_value(dec(18, 3), SL_PQ_INT64, 0, &i64, 8, "-9223372036854775.808");
	i64 = 0;
	check_value(dec(10, 2), SL_PQ_INT64, 0, &i64, 8, "0.00");
	/* FIXED_LEN_BYTE_ARRAY and BYTE_ARRAY, big-endian two's complement */
	static const uint8_t big[16] = {0x4b, 0x3b, 0x4c, 0xa8, 0x5a, 0x86, 0xc4, 0x7a,
					0x09, 0x8a, 0x22, 0x3f, 0xff, 0xff, 0xff, 0xff};
	check_value(dec(38, 0), SL_PQ_FIXED_LEN_BYTE_ARRAY, 16, big, 16,
		     "99999999999999999999999999999999999999");
	static const uint8_t neg[3] = {0xff, 0xfe, 0x0c};
	check_value(dec(5, 1), SL_PQ_BYTE_ARRAY, 0, neg, 3, "-50.0");
	check_value(dec(5, 1), SL_PQ_BYTE_ARRAY, 0, "\x80", 1, "-12.8");
	/* unsigned integers */
	i32 = -1;
	check_value(uint_t(32), SL_PQ_INT32, 0, &i32, 4, "4294967295");
	i64 = -1;
	check_value(uint_t(64), SL_PQ_INT64, 0, &i64, 8, "18446744073709551615");
	/* floats: shortest text, NaN and infinities as strings, -0 */
	f = 0.1f;
	check_value(ty(SL_T_FLOAT), SL_PQ_FLOAT, 0, &f, 4, "0.1");
	d = 0.1 + 0.2;
	check_value(ty(SL_T_DOUBLE), SL_PQ_DOUBLE, 0, &d, 8, "0.30000000000000004");
	d = NAN;
	check_value(ty(SL_T_DOUBLE), SL_PQ_DOUBLE, 0, &d, 8, "\"NaN\"");
	d = -INFINITY;
	check_value(ty(SL_T_DOUBLE), SL_PQ_DOUBLE, 0, &d, 8, "\"-Infinity\"");
	d = -0.0;
	check_value(ty(SL_T_DOUBLE), SL_PQ_DOUBLE, 0, &d, 8, "-0.0");
	d = 1e300;
	check_value(ty(SL_T_DOUBLE), SL_PQ_DOUBLE, 0, &d, 8, "1e+300");
	check_value(ty(SL_T_FLOAT), SL_PQ_FIXED_LEN_BYTE_ARRAY, 2, "\x00\xc0", 2, "-2");
	check_value(ty(SL_T_FLOAT), SL_PQ_FIXED_LEN_BYTE_ARRAY, 2, "\x01\x00", 2, "5.9604645e-08");
	check_value(ty(SL_T_FLOAT), SL_PQ_FIXED_LEN_BYTE_ARRAY, 2, "\x00\x7c", 2, "\"Infinity\"");
	/* dates, times, timestamps (every unit, before 1970, beyond 9999) */
	i32 = 0;
	check_value(ty(SL_T_DATE), SL_PQ_INT32, 0, &i32, 4, "\"1970-01-01\"");
	i32 = -719529;
	check_value(ty(SL_T_DATE), SL_PQ_INT32, 0, &i32, 4, "\"-0001-12-31\"");
	i32 = 2932897;
	check_value(ty(SL_T_DATE), SL_PQ_INT32, 0, &i32, 4, "\"+10000-01-01\"");
	i32 = 11045;
	check_value(ty(SL_T_DATE), SL_PQ_INT32, 0, &i32, 4, "\"2000-03-29\"");
	i32 = 45296789;
	check_value(unit(SL_T_TIME, SL_TU_MILLIS), SL_PQ_INT32, 0, &i32, 4, "\"12:34:56.789\"");
	i64 = 45296789012LL;
	check_value(unit(SL_T_TIME, SL_TU_MICROS), SL_PQ_INT64, 0, &i64, 8, "\"12:34:56.789012\"");
	i64 = -1;
	check_value(unit(SL_T_TIMESTAMP, SL_TU_MILLIS), SL_PQ_INT64, 0, &i64, 8,
		     "\"1969-12-31T23:59:59.999Z\"");
	i64 = 1700000000123456LL;
	check_value(unit(SL_T_TIMESTAMP, SL_TU_MICROS), SL_PQ_INT64, 0, &i64, 8,
		     "\"2023-11-14T22:13:20.123456Z\"");
	i64 = INT64_MAX;
	check_value(unit(SL_T_TIMESTAMP, SL_TU_NANOS), SL_PQ_INT64, 0, &i64, 8,
		     "\"2262-04-11T23:47:16.854775807Z\"");
	i64 = INT64_MIN;
	check_value(unit(SL_T_TIMESTAMP, SL_TU_MILLIS), SL_PQ_INT64, 0, &i64, 8,
		     "\"-292275055-05-16T16:47:04.192Z\"");
	/* INT96: nanoseconds of the day, then the Julian day (2440588 = 1970-01-01) */
	static const uint8_t i96[12] = {0x00, 0x36, 0xc3, 0x94, 0xb2, 0x00, 0x00, 0x00,
					0x8c, 0x3d, 0x25, 0x00};
	check_value(unit(SL_T_TIMESTAMP, SL_TU_MICROS), SL_PQ_INT96, 0, i96, 12,
		     "\"1970-01-01T00:12:47.000000Z\"");
	/* uuid, binary, strings, json */
	check_value(ty(SL_T_UUID), SL_PQ_FIXED_LEN_BYTE_ARRAY, 16,
		     "\x12\x34\x56\x78\x9a\xbc\xde\xf0\x01\x23\x45\x67\x89\xab\xcd\xef", 16,
		     "\"12345678-9abc-def0-0123-456789abcdef\"");
	check_value(ty(SL_T_BINARY), SL_PQ_BYTE_ARRAY, 0, "\x00\xff\x10\x20", 4, "\"AP8QIA==\"");
	check_value(ty(SL_T_BINARY), SL_PQ_BYTE_ARRAY, 0, "", 0, "\"\"");
	check_value(ty(SL_T_STRING), SL_PQ_BYTE_ARRAY, 0, "a\nb\xff", 4, "\"a\\nb\xef\xbf\xbd\"");
	check_value(ty(SL_T_JSON), SL_PQ_BYTE_ARRAY, 0, "{\"a\":\n[1, 2]}", 13, "{\"a\": [1, 2]}");
	check_value(ty(SL_T_JSON), SL_PQ_BYTE_ARRAY, 0, "{bad", 4, "\"{bad\"");
	/* a type that does not fit the column: its physical form */
	check_value(ty(SL_T_UUID), SL_PQ_BYTE_ARRAY, 0, "ab", 2, "\"YWI=\"");
	/* statistics of the wrong size are refused */
	struct sl_pq_node n;
	memset(&n, 0, sizeof(n));
	n.phys = SL_PQ_INT32;
	n.type = ty(SL_T_INT);
	struct sl_buf out;
	sl_buf_init(&out, 64);
	assert_int_equal(sl_pq_stat_json(&n, (struct sl_pq_bytes){(const uint8_t *)"abc", 3}, &out),
			 SL_EINVAL);
	sl_buf_release(&out);
	sl_type_free(n.type);
}

/* ---- the sluice.type entry ---------------------------------------------------------------- */

static void test_sluice_type(void **state)
{
	(void)state;
	struct sl_pq_schema_elem el[3] = {
		group("schema", -1, 2, SL_PQ_CT_NONE),
		leaf("u", SL_PQ_REQUIRED, SL_PQ_FIXED_LEN_BYTE_ARRAY, SL_PQ_CT_NONE),
		leaf("j", SL_PQ_OPTIONAL, SL_PQ_BYTE_ARRAY, SL_PQ_CT_NONE),
	};
	el[1].type_length = 16;
	struct tchunk ch[2];
	chunk_init(&ch[0], SL_PQ_FIXED_LEN_BYTE_ARRAY);
	chunk_init(&ch[1], SL_PQ_BYTE_ARRAY);
	static const uint8_t u[16] = {0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	data_page(&ch[0], 1, NULL, 0, NULL, 0, SL_PQ_ENC_PLAIN, u, 16, NO_CRC);
	static const int16_t def[1] = {1};
	static const char *const js[] = {"[1,{\"a\":null}]"};
	struct sl_buf jv;
	plain_strings(&jv, js, 1);
	data_page(&ch[1], 1, NULL, 0, def, 1, SL_PQ_ENC_PLAIN, jv.data, jv.len, NO_CRC);
	sl_buf_release(&jv);
	static const char ty_ok[] = "struct<u:uuid not null,j:json>";
	static const char ty_bad[] = "struct<u:uuid not null,j:int64>";
	struct sl_pq_kv kv = {{(const uint8_t *)"sluice.type", 11}, {(const uint8_t *)ty_ok,
								       sizeof(ty_ok) - 1}};
	struct tfile f = {el, 3, ch, 2, 1, {1}, &kv, 1};
	struct sl_buf file;
	build(&f, &file);
	expect_rows(&file,
		    "{\"u\":\"deadbeef-0000-0000-0000-000000000001\",\"j\":[1,{\"a\":null}]}\n");
	struct sl_pq_reader *r;
	struct sl_err err;
	assert_int_equal(sl_pq_reader_open_mem(file.data, file.len, "t", NULL, &r, &err), 0);
	assert_int_equal(sl_pq_reader_row_type(r)->fields[0].type->kind, SL_T_UUID);
	sl_pq_reader_close(r);
	sl_buf_release(&file);
	/* an entry that does not fit the schema is ignored: the schema's mapping reads */
	kv.value.p = (const uint8_t *)ty_bad;
	kv.value.len = sizeof(ty_bad) - 1;
	build(&f, &file);
	expect_rows(&file, "{\"u\":\"3q2+7wAAAAAAAAAAAAAAAQ==\",\"j\":\"WzEseyJhIjpudWxsfV0=\"}\n");
	sl_buf_release(&file);
	tfile_release(&f);
}

/* ---- row-group selection -------------------------------------------------------------------- */

static struct sl_pq_bytes le_bytes(const void *p, size_t n)
{
	return (struct sl_pq_bytes){p, (uint32_t)n};
}

static bool may(struct sl_pq_reader *r, size_t g, const char *col, enum sl_pq_op op,
		const char *v)
{
	struct sl_pq_pred p = {col, op, v};
	bool m;
	struct sl_err err;
	int rc = sl_pq_row_group_may_match(r, g, &p, 1, &m, &err);
	if (rc)
		fail_msg("%s", err.msg);
	return m;
}

static void test_row_group_selection(void **state)
{
	(void)state;
	struct sl_pq_schema_elem el[4] = {
		group("schema", -1, 3, SL_PQ_CT_NONE),
		leaf("n", SL_PQ_OPTIONAL, SL_PQ_INT64, SL_PQ_CT_NONE),
		leaf("s", SL_PQ_OPTIONAL, SL_PQ_BYTE_ARRAY, SL_PQ_CT_UTF8),
		leaf("u", SL_PQ_OPTIONAL, SL_PQ_INT32, SL_PQ_CT_UINT_32),
	};
	static const int64_t nmin = -10, nmax = 20, nv[2] = {-10, 20};
	static const int32_t umin = 5, umax = -2; /* unsigned: 5 .. 4294967294 */
	static const int32_t uv[2] = {5, -2};
	static const int16_t def[2] = {1, 1};
	struct tchunk ch[6];
	for (int g = 0; g < 2; g++) {
		struct tchunk *c = &ch[3 * g];
		chunk_init(&c[0], SL_PQ_INT64);
		chunk_init(&c[1], SL_PQ_BYTE_ARRAY);
		chunk_init(&c[2], SL_PQ_INT32);
		data_page(&c[0], 2, NULL, 0, def, 1, SL_PQ_ENC_PLAIN, nv, sizeof(nv), NO_CRC);
		static const char *const sv[] = {"apple", "melon"};
		struct sl_buf b;
		plain_strings(&b, sv, 2);
		data_page(&c[1], 2, NULL, 0, def, 1, SL_PQ_ENC_PLAIN, b.data, b.len, NO_CRC);
		sl_buf_release(&b);
		data_page(&c[2], 2, NULL, 0, def, 1, SL_PQ_ENC_PLAIN, uv, sizeof(uv), NO_CRC);
		for (int k = 0; k < 3; k++) {
			c[k].stats.present = true;
			c[k].stats.null_count = 0;
		}
		if (g == 0) { /* new statistics */
			c[0].stats.min_value = le_bytes(&nmin, 8);
			c[0].stats.max_value = le_bytes(&nmax, 8);
			c[1].stats.min_value = le_bytes("apple", 5);
			c[1].stats.max_value = le_bytes("melon", 5);
			c[2].stats.min_value = le_bytes(&umin, 4);
			c[2].stats.max_value = le_bytes(&umax, 4);
		} else { /* legacy only */
			c[0].stats.min = le_bytes(&nmin, 8);
			c[0].stats.max = le_bytes(&nmax, 8);
			c[1].stats.min = le_bytes("apple", 5);
			c[1].stats.max = le_bytes("melon", 5);
			c[2].stats.min = le_bytes(&umin, 4);
			c[2].stats.max = le_bytes(&umax, 4);
		}
	}
	struct tfile f = {el, 4, ch, 3, 2, {2, 2}, NULL, 0};
	struct sl_buf file;
	build(&f, &file);
	struct sl_pq_reader *r;
	struct sl_err err;
	assert_int_equal(sl_pq_reader_open_mem(file.data, file.len, "t", NULL, &r, &err), 0);
	for (size_t g = 0; g < 2; g++) {
		/* signed ints: both kinds of statistics are trusted */
		assert_true(may(r, g, "n", SL_PQ_EQ, "20"));
		assert_false(may(r, g, "n", SL_PQ_EQ, "21"));
		assert_false(may(r, g, "n", SL_PQ_LT, "-10"));
		assert_true(may(r, g, "n", SL_PQ_LE, "-10"));
		assert_false(may(r, g, "n", SL_PQ_GT, "20"));
		assert_true(may(r, g, "n", SL_PQ_GE, "20"));
		assert_false(may(r, g, "n", SL_PQ_IS_NULL, NULL));
		assert_true(may(r, g, "n", SL_PQ_NOT_NULL, NULL));
		/* a constant the column cannot hold exactly keeps the group */
		assert_true(may(r, g, "n", SL_PQ_EQ, "1.5"));
		assert_true(may(r, g, "nope", SL_PQ_EQ, "1"));
	}
	/* strings and unsigned ints: only the new statistics */
	assert_false(may(r, 0, "s", SL_PQ_EQ, "\"zebra\""));
	assert_false(may(r, 0, "s", SL_PQ_LT, "\"apple\""));
	assert_true(may(r, 0, "s", SL_PQ_EQ, "\"banana\""));
	assert_true(may(r, 1, "s", SL_PQ_EQ, "\"zebra\""));
	assert_true(may(r, 0, "u", SL_PQ_GT, "3000000000"));
	assert_false(may(r, 0, "u", SL_PQ_LT, "5"));
	assert_true(may(r, 1, "u", SL_PQ_LT, "5"));
	/* a value not of the column's form is a usage error */
	struct sl_pq_pred p = {"n", SL_PQ_EQ, "\"x\""};
	bool m;
	assert_int_equal(sl_pq_row_group_may_match(r, 0, &p, 1, &m, &err), SL_EINVAL);
	p.value = "{";
	assert_int_equal(sl_pq_row_group_may_match(r, 0, &p, 1, &m, &err), SL_EINVAL);
	sl_pq_reader_close(r);
	/* rows skip the groups ruled out */
	assert_int_equal(sl_pq_reader_open_mem(file.data, file.len, "t", NULL, &r, &err), 0);
	struct sl_pq_pred q = {"s", SL_PQ_EQ, "\"zebra\""};
	struct sl_pq_rows *rows;
	static const char *const cols[] = {"n"};
	assert_int_equal(sl_pq_rows_open(r, cols, 1, &q, 1, &rows, &err), 0);
	struct sl_buf out;
	sl_buf_init(&out, 1024);
	int n = 0;
	while (sl_pq_rows_next(rows, &out, &err) > 0)
		n++;
	assert_int_equal(n, 2); /* group 1 only: its legacy string statistics do not count */
	sl_buf_release(&out);
	sl_pq_rows_close(rows);
	sl_pq_reader_close(r);
	sl_buf_release(&file);
	tfile_release(&f);
}

/* DuckDB writes INT32 DELTA_BINARY_PACKED miniblocks up to 33 bits wide (deltas taken in
 * 64 bits); the reader decodes in 64 bits and wraps, and reads them (found by the
 * DuckDB interop test). tests/parquet/duckdb-int32-delta-33bit.parquet: 300 values of
 * a linear congruential sequence spanning the int32 range, written by DuckDB 1.5 with
 * PARQUET_VERSION V2. */
static void test_duckdb_int32_delta_33_bit_miniblocks(void **state)
{
	(void)state;
	char *repo = th_repo_dir(), *path = NULL;
	assert_true(asprintf(&path, "%s/tests/parquet/duckdb-int32-delta-33bit.parquet", repo) > 0);
	size_t len;
	char *img = th_read_file(path, &len);
	struct sl_buf file = {img, len, len, len}, out;
	struct sl_err err;
	assert_int_equal(read_rows(&file, NULL, NULL, 0, &out, &err), 0);
	int64_t sum = 0, n = 0, lo = INT64_MAX, hi = INT64_MIN;
	for (char *line = out.data; *line; n++) {
		char *nl = strchr(line, '\n');
		int64_t v = strtoll(line + 5, NULL, 10); /* {"v":N} */
		sum += v;
		lo = v < lo ? v : lo;
		hi = v > hi ? v : hi;
		line = nl + 1;
	}
	assert_int_equal(n, 300);
	static const char first[] = "{\"v\":-2147471303}\n{\"v\":-1043956058}\n";
	assert_memory_equal(out.data, first, sizeof(first) - 1);
	assert_true(sum == -2540677354LL && lo == -2147471303LL && hi == 2139901321LL);
	sl_buf_release(&out);
	free(img);
	free(path);
	free(repo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flat_rows_and_batches),
		cmocka_unit_test(test_crc),
		cmocka_unit_test(test_footer),
		cmocka_unit_test(test_chunk_and_page_checks),
		cmocka_unit_test(test_dictionary),
		cmocka_unit_test(test_v2_pages),
		cmocka_unit_test(test_nested_list),
		cmocka_unit_test(test_value_forms),
		cmocka_unit_test(test_sluice_type),
		cmocka_unit_test(test_row_group_selection),
		cmocka_unit_test(test_duckdb_int32_delta_33_bit_miniblocks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
