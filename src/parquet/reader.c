/*
 * reader.c - the file side of the Parquet reader: the footer and its cross-checks,
 * column chunks read page by page (CRC, decompression, levels, every value encoding,
 * the dictionary), and row-group selection by statistics. Rows are reassembled from
 * the batches in assemble.c.
 *
 * Promises:
 *   1. Nothing outside the file and nothing outside a page's bytes is read. Every offset
 *      and size in the metadata is checked against the file before use.
 *   2. Memory follows the limits: a column chunk is at most opts.max_row_group bytes, a
 *      page at most opts.max_page bytes compressed and uncompressed, and a page holds at
 *      most max_page / 8 entries whose decoded values take at most max_page bytes, so a
 *      page that claims millions of values in a few bytes gets SL_ELIMIT, not memory.
 *   3. Counts agree or the chunk is corrupt: levels decoded = the page's num_values,
 *      values decoded = the levels that say "defined", entries in the chunk = its
 *      num_values, every dictionary index < the dictionary's size, v2 num_nulls = the
 *      levels that say "null".
 *   4. Errors name the file and, inside a chunk, the row group, the column's path, the
 *      page number and the page's byte offset in the file.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "json/json.h"
#include "parquet/codec.h"
#include "parquet/reader_int.h"
#include "util/calendar.h"

void sl_pq_read_opts_default(struct sl_pq_read_opts *o)
{
	o->max_footer = (size_t)64 << 20;
	o->max_page = (size_t)256 << 20;
	o->max_row_group = (size_t)1 << 30;
	o->verify_crc = true;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Reads len bytes at off (inside the file: the caller checked). */
static int read_at(const struct sl_pq_reader *r, uint64_t off, size_t len, uint8_t *dst,
		   struct sl_err *err)
{
	if (r->mem) {
		memcpy(dst, r->mem + off, len);
		return 0;
	}
	size_t done = 0;
	while (done < len) {
		ssize_t n = pread(r->fd, dst + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sl_err_errno(err, errno, "%s: read at offset %" PRIu64, r->name,
					    off + done);
		if (n == 0)
			return sl_err_set(err, SL_EIO, "%s: the file ends at offset %" PRIu64
					  " (it shrank while being read)", r->name, off + done);
		done += (size_t)n;
	}
	return 0;
}

/* A chunk's growable buffers. A closed column gives them to its reader, and the next
 * chunk of the same leaf takes them: reading row group after row group then costs no
 * allocation (nor the page faults of fresh memory) once the first is read. */
struct col_mem {
	uint8_t *chunk;      /* the chunk read from the file */
	uint8_t *dict_vals;  /* dict_n * width */
	uint8_t *dict_buf;   /* the decompressed dictionary page */
	uint8_t *page;       /* a decompressed data page */
	int16_t *def, *rep;
	uint32_t *scratch;   /* levels, indices, RLE booleans as decoded */
	uint8_t *vals;       /* a page's values, decoded */
	int64_t *wide;       /* DELTA_BINARY_PACKED of INT32; DELTA_BYTE_ARRAY of FLBA */
	size_t chunk_cap, dict_vals_cap, dict_buf_cap, page_cap, def_cap, rep_cap,
		scratch_cap, vals_cap, wide_cap;
	struct sl_buf dba;   /* DELTA_BYTE_ARRAY values */
};

static void col_mem_free(struct col_mem *m)
{
	free(m->chunk);
	free(m->dict_vals);
	free(m->dict_buf);
	free(m->page);
	free(m->def);
	free(m->rep);
	free(m->scratch);
	free(m->vals);
	free(m->wide);
	sl_buf_release(&m->dba);
	memset(m, 0, sizeof(*m));
}

/* ---- open ------------------------------------------------------------------------------ */

static const char *leaf_path(const struct sl_pq_node *leaf, char *buf, size_t cap)
{
	struct sl_buf b;
	sl_buf_init(&b, 4096);
	if (sl_pq_node_path(leaf, &b) != 0 || b.len == 0)
		snprintf(buf, cap, "%s", leaf->name ? leaf->name : "?");
	else
		snprintf(buf, cap, "%s", b.data);
	sl_buf_release(&b);
	return buf;
}

/* Where a chunk's pages are: from the dictionary page when there is one (an offset of 0
 * is what some writers put for "none"), else from the first data page. */
static void chunk_range(const struct sl_pq_column_meta *cm, int64_t *start, int64_t *len)
{
	*start = cm->data_page_offset;
	if (cm->dictionary_page_offset > 0 && cm->dictionary_page_offset < *start)
		*start = cm->dictionary_page_offset;
	*len = cm->total_compressed_size;
}

/* parquet-mr up to 1.2.8 left the dictionary page header out of a chunk's
 * total_compressed_size (PARQUET-816, IMPALA-694): its chunks can be that header (at
 * most CHUNK_SLACK bytes) longer than they say. True for such a created_by, including
 * the bare "parquet-mr" of those versions. */
#define CHUNK_SLACK 100
static bool short_chunks(const struct sl_pq_bytes *cb)
{
	static const char mr[] = "parquet-mr";
	if (!cb->p || cb->len < sizeof(mr) - 1 || memcmp(cb->p, mr, sizeof(mr) - 1) != 0)
		return false;
	char v[64];
	snprintf(v, sizeof(v), "%.*s", (int)(cb->len < 63 ? cb->len : 63), (const char *)cb->p);
	int a = 0, b = 0, c = 0;
	if (sscanf(v, "parquet-mr version %d.%d.%d", &a, &b, &c) < 1)
		return strcmp(v, mr) == 0;
	return a < 1 || (a == 1 && (b < 2 || (b == 2 && c <= 8)));
}

/* One chunk's metadata against its leaf and the file. */
static int check_chunk(const struct sl_pq_reader *r, size_t g, const struct sl_pq_column_chunk *cc,
		       const struct sl_pq_node *leaf, struct sl_err *err)
{
	char path[256];
	const struct sl_pq_column_meta *cm = &cc->meta;
	const char *what = NULL;
	if (cc->encrypted)
		return 0; /* refused when read; its metadata may be hidden */
	leaf_path(leaf, path, sizeof(path));
	if (!cc->has_meta)
		what = "no column metadata";
	else if (cm->type != leaf->phys)
		return sl_err_set(err, SL_ECORRUPT, "%s: row group %zu, column %s: type %s, the "
				  "schema says %s", r->name, g, path, sl_pq_type_name(cm->type),
				  sl_pq_type_name(leaf->phys));
	else if (cm->num_values < 0)
		what = "a negative num_values";
	if (what)
		return sl_err_set(err, SL_ECORRUPT, "%s: row group %zu, column %s: %s", r->name, g,
				  path, what);
	if (cc->file_path.p || cm->num_values == 0)
		return 0; /* in another file (refused when read), or nothing to read (zero-row
			   * files may leave the offsets at 0) */
	int64_t start, len;
	chunk_range(cm, &start, &len);
	if (start < 4 || len < 0 || (uint64_t)start > r->data_end ||
	    (uint64_t)len > r->data_end - (uint64_t)start)
		return sl_err_set(err, SL_ECORRUPT, "%s: row group %zu, column %s: chunk at offset "
				  "%" PRId64 " of %" PRId64 " bytes is outside the data (4 .. %"
				  PRIu64 ")", r->name, g, path, start, len, r->data_end);
	return 0;
}

static int check_meta(struct sl_pq_reader *r, struct sl_err *err)
{
	const struct sl_pq_file_meta *m = &r->meta;
	const struct sl_pq_schema *s = r->schema;
	r->rows = 0;
	for (size_t i = 0; i < m->n_row_groups; i++) {
		const struct sl_pq_row_group *g = &m->row_groups[i];
		if (g->num_rows < 0 || g->num_rows > INT64_MAX - r->rows)
			return sl_err_set(err, SL_ECORRUPT, "%s: row group %zu: bad row count %"
					  PRId64, r->name, i, g->num_rows);
		r->rows += g->num_rows;
		if (g->n_columns != s->n_leaves)
			return sl_err_set(err, SL_ECORRUPT,
					  "%s: row group %zu has %zu columns, the schema %zu",
					  r->name, i, g->n_columns, s->n_leaves);
		for (size_t j = 0; j < g->n_columns; j++) {
			int rc = check_chunk(r, i, &g->columns[j], s->leaves[j], err);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int reader_load(struct sl_pq_reader *r, struct sl_err *err)
{
	uint8_t head[4], tail[8];
	int rc;
	if (r->size < 12)
		return sl_err_set(err, SL_ECORRUPT, "%s: not a Parquet file (%" PRIu64 " bytes)",
				  r->name, r->size);
	if ((rc = read_at(r, 0, 4, head, err)) != 0 ||
	    (rc = read_at(r, r->size - 8, 8, tail, err)) != 0)
		return rc;
	if (memcmp(tail + 4, "PARE", 4) == 0)
		return sl_err_set(err, SL_EINVAL, "%s: encrypted Parquet is not supported "
				  "(the footer is encrypted)", r->name);
	if (memcmp(tail + 4, "PAR1", 4) != 0 || memcmp(head, "PAR1", 4) != 0)
		return sl_err_set(err, SL_ECORRUPT, "%s: not a Parquet file (no PAR1 magic at "
				  "the %s)", r->name, memcmp(head, "PAR1", 4) ? "start" : "end");
	uint32_t flen = le32(tail);
	if (flen > r->size - 12)
		return sl_err_set(err, SL_ECORRUPT, "%s: footer length %" PRIu32 " does not fit "
				  "a file of %" PRIu64 " bytes", r->name, flen, r->size);
	if (flen > r->opts.max_footer)
		return sl_err_set(err, SL_ELIMIT, "%s: footer of %" PRIu32 " bytes exceeds the "
				  "limit (%zu)", r->name, flen, r->opts.max_footer);
	r->data_end = r->size - 8 - flen;
	const uint8_t *footer;
	if (r->mem) {
		footer = r->mem + r->data_end;
	} else {
		r->footer = malloc(flen ? flen : 1);
		if (!r->footer)
			return sl_err_set(err, SL_ENOMEM, "%s: out of memory for the footer",
					  r->name);
		if ((rc = read_at(r, r->data_end, flen, r->footer, err)) != 0)
			return rc;
		footer = r->footer;
	}
	if ((rc = sl_pq_file_meta_decode(footer, flen, &r->meta, err)) != 0) {
		sl_err_prefix(err, "%s: footer at offset %" PRIu64, r->name, r->data_end);
		return rc;
	}
	r->have_meta = true;
	if ((rc = sl_pq_schema_from_elems(r->meta.schema, r->meta.n_schema, &r->schema,
					  err)) != 0) {
		sl_err_prefix(err, "%s: schema", r->name);
		return rc;
	}
	if ((rc = check_meta(r, err)) != 0)
		return rc;
	/* no cache is no error: chunks then allocate their own */
	r->spare = calloc(r->schema->n_leaves + 1, sizeof(*r->spare));
	return sl_pq_reader_refine_types(r, err);
}

static int reader_new(const char *name, const struct sl_pq_read_opts *opts,
		      struct sl_pq_reader **out, struct sl_err *err)
{
	struct sl_pq_reader *r = calloc(1, sizeof(*r));
	if (!r || !(r->name = strdup(name ? name : "parquet"))) {
		free(r);
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	}
	if (opts)
		r->opts = *opts;
	else
		sl_pq_read_opts_default(&r->opts);
	r->fd = -1;
	*out = r;
	return 0;
}

int sl_pq_reader_open(int fd, const char *name, const struct sl_pq_read_opts *opts,
		      struct sl_pq_reader **out, struct sl_err *err)
{
	struct sl_pq_reader *r = NULL;
	struct stat st;
	int rc;
	*out = NULL;
	if ((rc = reader_new(name, opts, &r, err)) != 0)
		return rc;
	if (fstat(fd, &st) != 0) {
		rc = sl_err_errno(err, errno, "%s", r->name);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = sl_err_set(err, SL_EINVAL, "%s: not a regular file", r->name);
		goto fail;
	}
	r->fd = fd;
	r->size = (uint64_t)st.st_size;
	if ((rc = reader_load(r, err)) != 0)
		goto fail;
	*out = r;
	return 0;
fail:
	sl_pq_reader_close(r);
	return rc;
}

int sl_pq_reader_open_mem(const void *p, size_t len, const char *name,
			  const struct sl_pq_read_opts *opts, struct sl_pq_reader **out,
			  struct sl_err *err)
{
	struct sl_pq_reader *r = NULL;
	int rc;
	*out = NULL;
	if ((rc = reader_new(name, opts, &r, err)) != 0)
		return rc;
	static const uint8_t empty[1];
	r->mem = p ? p : empty;
	r->size = len;
	if ((rc = reader_load(r, err)) != 0)
		goto fail;
	*out = r;
	return 0;
fail:
	sl_pq_reader_close(r);
	return rc;
}

void sl_pq_reader_close(struct sl_pq_reader *r)
{
	if (!r)
		return;
	for (size_t i = 0; r->spare && i < r->schema->n_leaves; i++)
		col_mem_free(&r->spare[i]);
	free(r->spare);
	sl_pq_schema_free(r->schema);
	if (r->have_meta)
		sl_pq_file_meta_release(&r->meta);
	sl_type_free(r->sluice_type);
	free(r->leaf_types);
	free(r->footer);
	free(r->name);
	free(r);
}

const struct sl_pq_file_meta *sl_pq_reader_meta(const struct sl_pq_reader *r)
{
	return &r->meta;
}

const struct sl_pq_schema *sl_pq_reader_schema(const struct sl_pq_reader *r)
{
	return r->schema;
}

int64_t sl_pq_reader_rows(const struct sl_pq_reader *r)
{
	return r->rows;
}

const struct sl_type *sl_pq_reader_row_type(const struct sl_pq_reader *r)
{
	return r->sluice_type ? r->sluice_type : r->schema->root->type;
}

/* ---- column chunks --------------------------------------------------------------------- */

struct sl_pq_col {
	struct sl_pq_reader *r;
	size_t rg;
	const struct sl_pq_node *leaf;
	const struct sl_pq_column_meta *cm;
	const struct sl_pq_codec *codec; /* NULL: uncompressed */
	char path[256];
	const uint8_t *chunk; /* the chunk's bytes (into the image, or m.chunk) */
	size_t chunk_len;
	uint64_t chunk_off;
	size_t pos;          /* next page header in chunk */
	int64_t page_no;     /* of the page being decoded, counting dictionary pages */
	int64_t n_headers;   /* page headers decoded */
	uint64_t page_off;   /* its offset in the file */
	int64_t seen;        /* entries delivered */
	int64_t data_pages;
	size_t width;        /* bytes per decoded value */
	size_t max_entries;  /* per page */
	/* the dictionary */
	bool have_dict;
	size_t dict_n;
	const uint8_t *dict_data; /* BYTE_ARRAY: what dict barr offsets point into */
	const uint8_t *direct; /* this page's PLAIN values where they lie, or NULL (m.vals) */
	struct col_mem m;
};

/* Formats "NAME: row group R, column PATH, page P at offset O: " before the message. */
__attribute__((format(printf, 4, 5))) static int col_fail(const struct sl_pq_col *c,
							   struct sl_err *err, int code,
							   const char *fmt, ...)
{
	char msg[SL_ERR_MSG_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sl_err_set(err, code, "%s: row group %zu, column %s, page %" PRId64 " at offset %"
			  PRIu64 ": %s", c->r->name, c->rg, c->path, c->page_no, c->page_off, msg);
}

/* Prefixes an error that a decoder (encoding.h, codec.h) filled. */
static int col_prefix(const struct sl_pq_col *c, struct sl_err *err, int rc, const char *what)
{
	if (err)
		sl_err_prefix(err, "%s: row group %zu, column %s, page %" PRId64 " at offset %"
			      PRIu64 ": %s", c->r->name, c->rg, c->path, c->page_no, c->page_off,
			      what);
	return rc;
}

static size_t phys_width(const struct sl_pq_node *leaf)
{
	switch (leaf->phys) {
	case SL_PQ_BOOLEAN: return 1;
	case SL_PQ_INT32: case SL_PQ_FLOAT: return 4;
	case SL_PQ_INT64: case SL_PQ_DOUBLE: return 8;
	case SL_PQ_INT96: return 12;
	case SL_PQ_BYTE_ARRAY: return sizeof(struct sl_pq_barr);
	case SL_PQ_FIXED_LEN_BYTE_ARRAY:
		return leaf->type_length > 0 ? (size_t)leaf->type_length : 0;
	default: return 0;
	}
}

/* Makes *p hold at least n elements of size elem (n * elem is bounded by the caller). */
static int grow(void *pp, size_t *cap, size_t n, size_t elem, struct sl_err *err)
{
	void **p = pp;
	if (n <= *cap && *p)
		return 0;
	size_t want = n > *cap * 2 ? n : *cap * 2;
	if (want < 64)
		want = 64;
	void *q = realloc(*p, want * elem);
	if (!q)
		return sl_err_set(err, SL_ENOMEM, "out of memory (%zu bytes)", want * elem);
	*p = q;
	*cap = want;
	return 0;
}

int sl_pq_col_open(struct sl_pq_reader *r, size_t row_group, size_t leaf_i,
		   struct sl_pq_col **out, struct sl_err *err)
{
	struct sl_pq_col *c = NULL;
	int rc;
	*out = NULL;
	if (row_group >= r->meta.n_row_groups || leaf_i >= r->schema->n_leaves)
		return sl_err_set(err, SL_EINVAL, "%s: no row group %zu / column %zu", r->name,
				  row_group, leaf_i);
	const struct sl_pq_column_chunk *cc = &r->meta.row_groups[row_group].columns[leaf_i];
	if (!(c = calloc(1, sizeof(*c))))
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	c->r = r;
	c->rg = row_group;
	c->leaf = r->schema->leaves[leaf_i];
	c->cm = &cc->meta;
	leaf_path(c->leaf, c->path, sizeof(c->path));
	if (r->spare) { /* the buffers the leaf's last chunk left */
		c->m = r->spare[leaf_i];
		memset(&r->spare[leaf_i], 0, sizeof(r->spare[leaf_i]));
	}
	if (!c->m.dba.max)
		sl_buf_init(&c->m.dba, r->opts.max_page);
	if (cc->encrypted) {
		rc = sl_err_set(err, SL_EINVAL, "%s: row group %zu, column %s: the column is "
				"encrypted (encrypted Parquet is not supported)", r->name,
				row_group, c->path);
		goto fail;
	}
	if (cc->file_path.p) {
		rc = sl_err_set(err, SL_EINVAL, "%s: row group %zu, column %s: the chunk is in "
				"another file (%.*s), which is not supported", r->name, row_group,
				c->path, (int)(cc->file_path.len > 200 ? 200 : cc->file_path.len),
				(const char *)cc->file_path.p);
		goto fail;
	}
	if (c->cm->codec != SL_PQ_UNCOMPRESSED && !(c->codec = sl_pq_codec_by_id(c->cm->codec))) {
		rc = sl_err_set(err, SL_EINVAL, "%s: row group %zu, column %s: codec %s is not "
				"supported", r->name, row_group, c->path,
				sl_pq_codec_name(c->cm->codec));
		goto fail;
	}
	if (!(c->width = phys_width(c->leaf))) {
		rc = sl_err_set(err, SL_ECORRUPT, "%s: column %s: no value width", r->name,
				c->path);
		goto fail;
	}
	c->max_entries = r->opts.max_page / 8;
	int64_t start, len;
	chunk_range(c->cm, &start, &len);
	if (c->cm->num_values == 0)
		start = len = 0; /* no pages are read: see check_meta */
	else if (short_chunks(&r->meta.created_by))
		len += (int64_t)r->data_end - (start + len) < CHUNK_SLACK
			       ? (int64_t)r->data_end - (start + len) : CHUNK_SLACK;
	if ((uint64_t)len > r->opts.max_row_group) {
		rc = sl_err_set(err, SL_ELIMIT, "%s: row group %zu, column %s: chunk of %" PRId64
				" bytes exceeds the limit (%zu)", r->name, row_group, c->path, len,
				r->opts.max_row_group);
		goto fail;
	}
	c->chunk_off = (uint64_t)start;
	c->chunk_len = (size_t)len;
	c->page_off = c->chunk_off;
	if (r->mem) {
		c->chunk = r->mem + start;
	} else if (c->chunk_len) {
		if ((rc = grow(&c->m.chunk, &c->m.chunk_cap, c->chunk_len, 1, err)) != 0)
			goto fail;
		if ((rc = read_at(r, c->chunk_off, c->chunk_len, c->m.chunk, err)) != 0)
			goto fail;
		c->chunk = c->m.chunk;
	}
	*out = c;
	return 0;
fail:
	sl_pq_col_close(c);
	return rc;
}

void sl_pq_col_close(struct sl_pq_col *c)
{
	if (!c)
		return;
	size_t leaf = (size_t)c->leaf->leaf_index;
	struct sl_pq_reader *r = c->r;
	if (r->spare && leaf < r->schema->n_leaves && !r->spare[leaf].dba.max)
		r->spare[leaf] = c->m;
	else
		col_mem_free(&c->m);
	free(c);
}

/* The page's bytes after decompression: *out points into the chunk (uncompressed) or
 * into buf (which is grown). */
static int page_bytes(struct sl_pq_col *c, const uint8_t *src, size_t src_len, size_t dst_len,
		      bool compressed, uint8_t **buf, size_t *cap, const uint8_t **out,
		      struct sl_err *err)
{
	if (!compressed || !c->codec) {
		if (src_len != dst_len)
			return col_fail(c, err, SL_ECORRUPT, "uncompressed page of %zu bytes says "
					"%zu", src_len, dst_len);
		*out = src;
		return 0;
	}
	if (dst_len == 0) {
		/* nothing to decompress: some writers store no bytes at all, others an
		 * empty stream; neither is worth a call to the codec */
		*out = src;
		return 0;
	}
	int rc = grow(buf, cap, dst_len, 1, err);
	if (rc == 0)
		rc = c->codec->decompress(src, src_len, *buf, dst_len, err);
	if (rc != 0)
		return col_prefix(c, err, rc, c->codec->name);
	*out = *buf;
	return 0;
}

/* PLAIN values into dst (n * width bytes); *data gets the byte arrays' data area. */
static int decode_plain(struct sl_pq_col *c, const uint8_t *p, size_t len, size_t n,
			uint8_t *dst, const uint8_t **data, struct sl_err *err)
{
	int rc;
	switch (c->leaf->phys) {
	case SL_PQ_BOOLEAN:
		rc = sl_pq_plain_get_bools(p, len, dst, n, err);
		break;
	case SL_PQ_BYTE_ARRAY: {
		size_t used;
		rc = sl_pq_plain_get_barrs(p, len, (struct sl_pq_barr *)(void *)dst, n, &used, err);
		*data = p;
		break;
	}
	default:
		if (n > len / c->width)
			return col_fail(c, err, SL_ECORRUPT, "%zu PLAIN values of %zu bytes in %zu "
					"bytes", n, c->width, len);
		if (n)
			memcpy(dst, p, n * c->width);
		return 0;
	}
	return rc ? col_prefix(c, err, rc, "PLAIN") : 0;
}

static int read_dict(struct sl_pq_col *c, const struct sl_pq_page_header *h,
		     const uint8_t *body, struct sl_err *err)
{
	if (c->have_dict)
		return col_fail(c, err, SL_ECORRUPT, "a second dictionary page");
	if (c->data_pages)
		return col_fail(c, err, SL_ECORRUPT, "a dictionary page after data pages");
	if (!h->has_dict)
		return col_fail(c, err, SL_ECORRUPT, "dictionary page without its header");
	int32_t n = h->dict.num_values;
	if (n < 0)
		return col_fail(c, err, SL_ECORRUPT, "dictionary of %" PRId32 " values", n);
	if (h->dict.encoding != SL_PQ_ENC_PLAIN && h->dict.encoding != SL_PQ_ENC_PLAIN_DICTIONARY)
		return col_fail(c, err, SL_ECORRUPT, "dictionary page encoded %s",
				sl_pq_encoding_name(h->dict.encoding));
	const uint8_t *p;
	int rc = page_bytes(c, body, (size_t)h->compressed_size, (size_t)h->uncompressed_size,
			    true, &c->m.dict_buf, &c->m.dict_buf_cap, &p, err);
	if (rc)
		return rc;
	size_t len = (size_t)h->uncompressed_size;
	/* every PLAIN value takes at least a bit (booleans), 4 bytes (byte arrays: the
	 * length) or its width: more values than that is corrupt, and it bounds the
	 * allocation below by a few times the page */
	size_t most = c->leaf->phys == SL_PQ_BOOLEAN ? len * 8
		      : len / (c->leaf->phys == SL_PQ_BYTE_ARRAY ? 4 : c->width);
	if ((size_t)n > most)
		return col_fail(c, err, SL_ECORRUPT, "dictionary of %" PRId32 " values in %zu "
				"bytes", n, len);
	if ((rc = grow(&c->m.dict_vals, &c->m.dict_vals_cap, (size_t)n * c->width + 1, 1, err)))
		return rc;
	if ((rc = decode_plain(c, p, len, (size_t)n, c->m.dict_vals, &c->dict_data, err)) != 0)
		return rc;
	c->dict_n = (size_t)n;
	c->have_dict = true;
	return 0;
}

/* Levels of a v1 page in the legacy BIT_PACKED encoding (most significant bit first);
 * returns the bytes used through *used. */
static int levels_bitpacked(struct sl_pq_col *c, const uint8_t *p, size_t len, int max,
			    size_t n, int16_t *out, size_t *used, struct sl_err *err)
{
	int bw = sl_pq_bit_width((uint64_t)max);
	size_t bytes = (n * (size_t)bw + 7) / 8;
	if (bytes > len)
		return col_fail(c, err, SL_ECORRUPT, "BIT_PACKED levels need %zu bytes, %zu left",
				bytes, len);
	size_t bit = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned v = 0;
		for (int k = 0; k < bw; k++, bit++)
			v = v << 1 | ((p[bit >> 3] >> (7 - (bit & 7))) & 1u);
		if (v > (unsigned)max)
			return col_fail(c, err, SL_ECORRUPT, "level %u above the maximum %d", v,
					max);
		out[i] = (int16_t)v;
	}
	*used = bytes;
	return 0;
}

/* n values of the RLE/bit-packing hybrid (no length prefix) from p[0..len) into
 * c->m.scratch; fewer than n is corrupt. */
static int hybrid(struct sl_pq_col *c, const uint8_t *p, size_t len, int bw, size_t n,
		  const char *what, struct sl_err *err)
{
	struct sl_pq_rle_dec d;
	int rc = sl_pq_rle_dec_init(&d, p, len, bw, err);
	if (rc == 0)
		rc = grow(&c->m.scratch, &c->m.scratch_cap, n, sizeof(uint32_t), err);
	if (rc)
		return col_prefix(c, err, rc, what);
	int64_t got = sl_pq_rle_dec_u32(&d, c->m.scratch, n, err);
	if (got < 0)
		return col_prefix(c, err, (int)got, what);
	if ((size_t)got != n)
		return col_fail(c, err, SL_ECORRUPT, "%s: %" PRId64 " of %zu decoded", what, got,
				n);
	return 0;
}

/* n levels in the hybrid, each checked against max. */
static int levels_rle(struct sl_pq_col *c, const uint8_t *p, size_t len, int max, size_t n,
		      int16_t *out, const char *what, struct sl_err *err)
{
	int rc = hybrid(c, p, len, sl_pq_bit_width((uint64_t)max), n, what, err);
	if (rc)
		return rc;
	uint32_t bad = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t v = c->m.scratch[i];
		bad |= v > (uint32_t)max ? v : 0;
		out[i] = (int16_t)v;
	}
	if (bad)
		return col_fail(c, err, SL_ECORRUPT, "%s: level above the maximum %d", what, max);
	return 0;
}

/* v1 levels: RLE with a 4-byte length, or BIT_PACKED; advances *p and *len. */
static int levels_v1(struct sl_pq_col *c, int32_t enc, const uint8_t **p, size_t *len,
		     int max, size_t n, int16_t *out, const char *what, struct sl_err *err)
{
	size_t used = 0;
	int rc;
	if (enc == SL_PQ_ENC_BIT_PACKED) {
		if ((rc = levels_bitpacked(c, *p, *len, max, n, out, &used, err)) != 0)
			return rc;
	} else if (enc == SL_PQ_ENC_RLE) {
		if (*len < 4)
			return col_fail(c, err, SL_ECORRUPT, "%s: no room for their length", what);
		uint32_t l = le32(*p);
		if (l > *len - 4)
			return col_fail(c, err, SL_ECORRUPT, "%s: %" PRIu32 " bytes, %zu left",
					what, l, *len - 4);
		if ((rc = levels_rle(c, *p + 4, l, max, n, out, what, err)) != 0)
			return rc;
		used = 4 + (size_t)l;
	} else {
		return col_fail(c, err, SL_ECORRUPT, "%s encoded %s", what,
				sl_pq_encoding_name(enc));
	}
	*p += used;
	*len -= used;
	return 0;
}

/* Dictionary indices (bit width byte, then the hybrid) gathered into c->m.vals. */
static int dict_gather(struct sl_pq_col *c, const uint8_t *p, size_t len, size_t nn,
		       struct sl_pq_batch *b, struct sl_err *err)
{
	if (!c->have_dict)
		return col_fail(c, err, SL_ECORRUPT,
				"dictionary-encoded page without a dictionary");
	b->data = c->dict_data;
	if (nn == 0)
		return 0;
	if (len < 1 || p[0] > 32)
		return col_fail(c, err, SL_ECORRUPT, "bad dictionary index bit width");
	int rc = hybrid(c, p + 1, len - 1, p[0], nn, "dictionary indices", err);
	if (rc)
		return rc;
	const uint32_t *ix = c->m.scratch;
	uint32_t top = 0;
	for (size_t i = 0; i < nn; i++)
		top = ix[i] > top ? ix[i] : top;
	if (top >= c->dict_n)
		return col_fail(c, err, SL_ECORRUPT, "dictionary index %" PRIu32 " out of a "
				"dictionary of %zu", top, c->dict_n);
	/* one tight loop per width (the hot path of dictionary-encoded columns); memcpy of
	 * a constant size is a single move, and keeps the values' types out of it */
	const uint8_t *s = c->m.dict_vals;
	uint8_t *o = c->m.vals;
#define GATHER(w)                                                                          \
	for (size_t i = 0; i < nn; i++)                                                    \
		memcpy(o + i * (w), s + (size_t)ix[i] * (w), (w))
	switch (c->width) {
	case 1: GATHER(1); break;
	case 2: GATHER(2); break;
	case 4: GATHER(4); break;
	case 8: GATHER(8); break;
	case 12: GATHER(12); break;
	case 16: GATHER(16); break;
	default: GATHER(c->width); break;
	}
#undef GATHER
	return 0;
}

static int decode_values(struct sl_pq_col *c, int32_t enc, const uint8_t *p, size_t len,
			 size_t nn, struct sl_pq_batch *b, struct sl_err *err)
{
	int32_t phys = c->leaf->phys;
	size_t got = 0, used;
	int rc = 0;
	if (nn > c->r->opts.max_page / c->width)
		return col_fail(c, err, SL_ELIMIT, "%zu values of %zu bytes exceed the page limit "
				"(%zu)", nn, c->width, c->r->opts.max_page);
	if (enc == SL_PQ_ENC_PLAIN && phys != SL_PQ_BOOLEAN && phys != SL_PQ_BYTE_ARRAY) {
		/* fixed-width PLAIN values are used where they lie when their alignment
		 * allows (always for byte strings): no copy */
		size_t align =
			phys == SL_PQ_INT96 || phys == SL_PQ_FIXED_LEN_BYTE_ARRAY ? 1 : c->width;
		if (nn > len / c->width)
			return col_fail(c, err, SL_ECORRUPT, "%zu PLAIN values of %zu bytes in %zu "
					"bytes", nn, c->width, len);
		if ((uintptr_t)p % align == 0) {
			c->direct = p;
			return 0;
		}
	}
	if ((rc = grow(&c->m.vals, &c->m.vals_cap, nn * c->width + 1, 1, err)) != 0)
		return rc;
	switch (enc) {
	case SL_PQ_ENC_PLAIN:
		return decode_plain(c, p, len, nn, c->m.vals, &b->data, err);
	case SL_PQ_ENC_PLAIN_DICTIONARY:
	case SL_PQ_ENC_RLE_DICTIONARY:
		return dict_gather(c, p, len, nn, b, err);
	case SL_PQ_ENC_RLE: {
		if (phys != SL_PQ_BOOLEAN)
			break;
		if (len < 4 || le32(p) > len - 4)
			return col_fail(c, err, SL_ECORRUPT, "RLE booleans: bad length prefix");
		if ((rc = hybrid(c, p + 4, le32(p), 1, nn, "RLE booleans", err)) != 0)
			return rc;
		for (size_t i = 0; i < nn; i++)
			c->m.vals[i] = (uint8_t)(c->m.scratch[i] & 1);
		return 0;
	}
	case SL_PQ_ENC_DELTA_BINARY_PACKED:
		if (phys == SL_PQ_INT64) {
			rc = sl_pq_delta_get(p, len, (int64_t *)(void *)c->m.vals, nn, false, &got,
					     &used, err);
		} else if (phys == SL_PQ_INT32) {
			if ((rc = grow(&c->m.wide, &c->m.wide_cap, nn, sizeof(int64_t), err)) != 0)
				return rc;
			/* decoded in 64 bits, then wrapped: the same values for writers that
			 * keep INT32 deltas in 32 bits, and it reads DuckDB's, whose INT32
			 * miniblocks can be 33 bits wide */
			rc = sl_pq_delta_get(p, len, c->m.wide, nn, false, &got, &used, err);
			int32_t *o = (int32_t *)(void *)c->m.vals;
			for (size_t i = 0; rc == 0 && i < got; i++)
				o[i] = (int32_t)(uint32_t)(uint64_t)c->m.wide[i];
		} else {
			break;
		}
		if (rc)
			return col_prefix(c, err, rc, "DELTA_BINARY_PACKED");
		goto counted;
	case SL_PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
		if (phys != SL_PQ_BYTE_ARRAY)
			break;
		rc = sl_pq_dlba_get(p, len, (struct sl_pq_barr *)(void *)c->m.vals, nn, &got, err);
		if (rc)
			return col_prefix(c, err, rc, "DELTA_LENGTH_BYTE_ARRAY");
		b->data = p;
		goto counted;
	case SL_PQ_ENC_DELTA_BYTE_ARRAY: {
		if (phys != SL_PQ_BYTE_ARRAY && phys != SL_PQ_FIXED_LEN_BYTE_ARRAY)
			break;
		struct sl_pq_barr *ba = (struct sl_pq_barr *)(void *)c->m.vals;
		if (phys == SL_PQ_FIXED_LEN_BYTE_ARRAY) {
			if ((rc = grow(&c->m.wide, &c->m.wide_cap, nn, sizeof(int64_t), err)) != 0)
				return rc;
			ba = (struct sl_pq_barr *)(void *)c->m.wide;
		}
		sl_buf_reset(&c->m.dba);
		rc = sl_pq_dba_get(p, len, ba, nn, &c->m.dba, &got, err);
		if (rc)
			return col_prefix(c, err, rc, "DELTA_BYTE_ARRAY");
		b->data = (const uint8_t *)c->m.dba.data;
		if (phys == SL_PQ_FIXED_LEN_BYTE_ARRAY) {
			for (size_t i = 0; i < got; i++) {
				if (ba[i].len != c->width)
					return col_fail(c, err, SL_ECORRUPT,
							"DELTA_BYTE_ARRAY value of "
							"%" PRIu32 " bytes in a column of %zu",
							ba[i].len, c->width);
				memcpy(c->m.vals + i * c->width, b->data + ba[i].off, c->width);
			}
		}
		goto counted;
	}
	case SL_PQ_ENC_BYTE_STREAM_SPLIT:
		if (phys == SL_PQ_BOOLEAN || phys == SL_PQ_BYTE_ARRAY || phys == SL_PQ_INT96)
			break;
		rc = sl_pq_bss_get(p, len, c->width, c->m.vals, nn, err);
		return rc ? col_prefix(c, err, rc, "BYTE_STREAM_SPLIT") : 0;
	default:
		return col_fail(c, err, SL_EINVAL, "encoding %s (%" PRId32 ") is not supported",
				sl_pq_encoding_name(enc), enc);
	}
	return col_fail(c, err, SL_ECORRUPT, "encoding %s for a %s column",
			sl_pq_encoding_name(enc), sl_pq_type_name(phys));
counted:
	if (got != nn)
		return col_fail(c, err, SL_ECORRUPT, "%zu values decoded, the levels say %zu", got,
				nn);
	return 0;
}

/* Levels arrays for n entries, checked against the per-page limit and the chunk's
 * num_values. */
static int page_entries(struct sl_pq_col *c, int64_t n, struct sl_err *err)
{
	if (n < 0)
		return col_fail(c, err, SL_ECORRUPT, "%" PRId64 " values", n);
	if ((uint64_t)n > c->max_entries)
		return col_fail(c, err, SL_ELIMIT, "%" PRId64 " values exceed the limit of %zu per "
				"page", n, c->max_entries);
	if (n > c->cm->num_values - c->seen)
		return col_fail(c, err, SL_ECORRUPT, "%" PRId64 " more values than the chunk's %"
				PRId64, n - (c->cm->num_values - c->seen), c->cm->num_values);
	int rc = 0;
	if (c->leaf->max_def > 0)
		rc = grow(&c->m.def, &c->m.def_cap, (size_t)n, sizeof(int16_t), err);
	if (rc == 0 && c->leaf->max_rep > 0)
		rc = grow(&c->m.rep, &c->m.rep_cap, (size_t)n, sizeof(int16_t), err);
	return rc;
}

/* Entries whose definition level is the maximum: the values present. */
static size_t count_defined(const struct sl_pq_col *c, size_t n)
{
	if (c->leaf->max_def == 0)
		return n;
	size_t nn = 0;
	int16_t max = c->leaf->max_def;
	for (size_t i = 0; i < n; i++)
		nn += c->m.def[i] == max;
	return nn;
}

static void fill_batch(struct sl_pq_col *c, size_t n, size_t nn, struct sl_pq_batch *b)
{
	b->n_levels = n;
	b->def = c->leaf->max_def > 0 ? c->m.def : NULL;
	b->rep = c->leaf->max_rep > 0 ? c->m.rep : NULL;
	b->n_values = nn;
	b->phys = c->leaf->phys;
	b->bools = NULL;
	b->i32 = NULL;
	b->i64 = NULL;
	b->f32 = NULL;
	b->f64 = NULL;
	b->fixed = NULL;
	b->barr = NULL;
	const void *v = c->direct ? c->direct : c->m.vals;
	c->direct = NULL;
	switch (b->phys) {
	case SL_PQ_BOOLEAN: b->bools = v; break;
	case SL_PQ_INT32: b->i32 = v; break;
	case SL_PQ_INT64: b->i64 = v; break;
	case SL_PQ_FLOAT: b->f32 = v; break;
	case SL_PQ_DOUBLE: b->f64 = v; break;
	case SL_PQ_BYTE_ARRAY: b->barr = v; break;
	default: b->fixed = v; break;
	}
	c->seen += (int64_t)n;
	c->data_pages++;
}

static int data_v1(struct sl_pq_col *c, const struct sl_pq_page_header *h, const uint8_t *body,
		   struct sl_pq_batch *b, struct sl_err *err)
{
	if (!h->has_data)
		return col_fail(c, err, SL_ECORRUPT, "data page without its header");
	int rc = page_entries(c, h->data.num_values, err);
	if (rc)
		return rc;
	size_t n = (size_t)h->data.num_values;
	const uint8_t *p;
	if ((rc = page_bytes(c, body, (size_t)h->compressed_size, (size_t)h->uncompressed_size,
			     true, &c->m.page, &c->m.page_cap, &p, err)) != 0)
		return rc;
	size_t len = (size_t)h->uncompressed_size;
	if (c->leaf->max_rep > 0 &&
	    (rc = levels_v1(c, h->data.rep_encoding, &p, &len, c->leaf->max_rep, n, c->m.rep,
			    "repetition levels", err)) != 0)
		return rc;
	if (c->leaf->max_def > 0 &&
	    (rc = levels_v1(c, h->data.def_encoding, &p, &len, c->leaf->max_def, n, c->m.def,
			    "definition levels", err)) != 0)
		return rc;
	size_t nn = count_defined(c, n);
	b->data = NULL;
	if ((rc = decode_values(c, h->data.encoding, p, len, nn, b, err)) != 0)
		return rc;
	fill_batch(c, n, nn, b);
	return 0;
}

static int data_v2(struct sl_pq_col *c, const struct sl_pq_page_header *h, const uint8_t *body,
		   struct sl_pq_batch *b, struct sl_err *err)
{
	if (!h->has_data_v2)
		return col_fail(c, err, SL_ECORRUPT, "v2 data page without its header");
	const struct sl_pq_data_page_header_v2 *v = &h->data_v2;
	int rc = page_entries(c, v->num_values, err);
	if (rc)
		return rc;
	size_t n = (size_t)v->num_values;
	if (v->rep_levels_len < 0 || v->def_levels_len < 0 || v->num_nulls < 0 ||
	    (int64_t)v->rep_levels_len + v->def_levels_len > h->compressed_size ||
	    (int64_t)v->rep_levels_len + v->def_levels_len > h->uncompressed_size)
		return col_fail(c, err, SL_ECORRUPT, "levels of %" PRId32 " + %" PRId32 " bytes in "
				"a page of %" PRId32, v->rep_levels_len, v->def_levels_len,
				h->compressed_size);
	size_t rl = (size_t)v->rep_levels_len, dl = (size_t)v->def_levels_len;
	if (c->leaf->max_rep > 0 &&
	    (rc = levels_rle(c, body, rl, c->leaf->max_rep, n, c->m.rep, "repetition levels",
			     err)) != 0)
		return rc;
	if (c->leaf->max_def > 0 &&
	    (rc = levels_rle(c, body + rl, dl, c->leaf->max_def, n, c->m.def, "definition levels",
			     err)) != 0)
		return rc;
	size_t nn = count_defined(c, n);
	if ((int64_t)nn != (int64_t)n - v->num_nulls)
		return col_fail(c, err, SL_ECORRUPT, "%" PRId32 " nulls declared, the levels say "
				"%zu", v->num_nulls, n - nn);
	const uint8_t *p;
	size_t len = (size_t)h->uncompressed_size - rl - dl;
	if ((rc = page_bytes(c, body + rl + dl, (size_t)h->compressed_size - rl - dl, len,
			     v->is_compressed, &c->m.page, &c->m.page_cap, &p, err)) != 0)
		return rc;
	b->data = NULL;
	if ((rc = decode_values(c, v->encoding, p, len, nn, b, err)) != 0)
		return rc;
	fill_batch(c, n, nn, b);
	return 0;
}

int sl_pq_col_next(struct sl_pq_col *c, struct sl_pq_batch *b, struct sl_err *err)
{
	const struct sl_pq_read_opts *o = &c->r->opts;
	for (;;) {
		/* the chunk's num_values ends it: bytes after that (padding, an index
		 * page some writers leave) are not looked at */
		if (c->seen >= c->cm->num_values)
			return 0;
		c->page_no = c->n_headers;
		c->page_off = c->chunk_off + c->pos;
		if (c->pos >= c->chunk_len)
			return col_fail(c, err, SL_ECORRUPT,
					"the chunk ends after %" PRId64 " of its %" PRId64
					" values",
					c->seen, c->cm->num_values);
		struct sl_pq_page_header h;
		size_t used = 0;
		int rc = sl_pq_page_header_decode(c->chunk + c->pos, c->chunk_len - c->pos, &h,
						  &used, err);
		if (rc)
			return col_prefix(c, err, rc, "page header");
		if (used == 0 || used > c->chunk_len - c->pos)
			return col_fail(c, err, SL_ECORRUPT, "page header of %zu bytes", used);
		c->pos += used;
		c->n_headers++;
		if (h.compressed_size < 0 || h.uncompressed_size < 0)
			return col_fail(c, err, SL_ECORRUPT,
					"page of %" PRId32 " / %" PRId32 " bytes",
					h.compressed_size, h.uncompressed_size);
		if ((size_t)h.compressed_size > c->chunk_len - c->pos)
			return col_fail(c, err, SL_ECORRUPT,
					"page of %" PRId32 " bytes, the chunk has %zu"
					" left",
					h.compressed_size, c->chunk_len - c->pos);
		if ((size_t)h.compressed_size > o->max_page ||
		    (size_t)h.uncompressed_size > o->max_page)
			return col_fail(c, err, SL_ELIMIT, "page of %" PRId32 " bytes (%" PRId32
					" uncompressed) exceeds the page limit (%zu)",
					h.compressed_size, h.uncompressed_size, o->max_page);
		const uint8_t *body = c->chunk + c->pos;
		c->pos += (size_t)h.compressed_size;
		if (h.has_crc && o->verify_crc) {
			uint32_t crc = (uint32_t)crc32_z(crc32_z(0, Z_NULL, 0), body,
							 (size_t)h.compressed_size);
			if (crc != h.crc)
				return col_fail(c, err, SL_ECORRUPT,
						"CRC mismatch (page says %08" PRIx32
						", bytes give %08" PRIx32 ")",
						h.crc, crc);
		}
		switch (h.type) {
		case SL_PQ_DICTIONARY_PAGE:
			if ((rc = read_dict(c, &h, body, err)) != 0)
				return rc;
			continue;
		case SL_PQ_DATA_PAGE:
			rc = data_v1(c, &h, body, b, err);
			break;
		case SL_PQ_DATA_PAGE_V2:
			rc = data_v2(c, &h, body, b, err);
			break;
		default:
			continue; /* index pages and unknown kinds carry no values */
		}
		if (rc)
			return rc;
		if (b->n_levels)
			return 1;
	}
}

/* ---- row-group selection by statistics --------------------------------------------------
 * A statistic is used only where its order is certain:
 *   - min_value/max_value (written with the column's own sort order), unless the file's
 *     column_orders give this leaf an order other than TYPE_ORDER;
 *   - the legacy min/max only for INT32/INT64 read as signed numbers, FLOAT/DOUBLE and
 *     BOOLEAN, whose order old writers got right; never for byte arrays (old writers
 *     compared them as signed bytes), unsigned integers, decimals in bytes or FLOAT16;
 *   - never for INT96 nor for a min or max that is NaN.
 * Anything else keeps the row group. */

__extension__ typedef __int128 sl_i128;

enum stat_order { ORD_NONE, ORD_BOOL, ORD_SIGNED, ORD_UNSIGNED, ORD_FLOAT, ORD_BYTES, ORD_DECBE };

struct key {
	bool b;
	sl_i128 i;  /* SIGNED (int64 range), DECBE */
	uint64_t u; /* UNSIGNED */
	double d;   /* FLOAT */
	const uint8_t *p; /* BYTES */
	size_t len;
};

static enum stat_order leaf_order(const struct sl_pq_node *leaf, const struct sl_type *t)
{
	switch (leaf->phys) {
	case SL_PQ_BOOLEAN: return ORD_BOOL;
	case SL_PQ_INT32: case SL_PQ_INT64:
		return t->kind == SL_T_INT && t->is_unsigned ? ORD_UNSIGNED : ORD_SIGNED;
	case SL_PQ_FLOAT: case SL_PQ_DOUBLE: return ORD_FLOAT;
	case SL_PQ_FIXED_LEN_BYTE_ARRAY:
		if (leaf->logical.kind == SL_PQ_LT_FLOAT16)
			return leaf->type_length == 2 ? ORD_FLOAT : ORD_NONE;
		if (leaf->converted == SL_PQ_CT_INTERVAL)
			return ORD_NONE;
		/* fall through */
	case SL_PQ_BYTE_ARRAY:
		return t->kind == SL_T_DECIMAL ? ORD_DECBE : ORD_BYTES;
	default: return ORD_NONE;
	}
}

static int cmp_key(enum stat_order o, const struct key *a, const struct key *b)
{
	switch (o) {
	case ORD_BOOL: return (int)a->b - (int)b->b;
	case ORD_SIGNED: case ORD_DECBE: return a->i < b->i ? -1 : a->i > b->i;
	case ORD_UNSIGNED: return a->u < b->u ? -1 : a->u > b->u;
	case ORD_FLOAT: return a->d < b->d ? -1 : a->d > b->d;
	default: {
		size_t n = a->len < b->len ? a->len : b->len;
		int c = n ? memcmp(a->p, b->p, n) : 0;
		return c ? c : (a->len < b->len ? -1 : a->len > b->len);
	}
	}
}

/* A statistic's bytes as a key; false when they do not fit the type (ignored then). */
static bool stat_key(const struct sl_pq_node *leaf, enum stat_order o, struct sl_pq_bytes v,
		     struct key *k)
{
	const uint8_t *p = v.p;
	if (!p)
		return false;
	memset(k, 0, sizeof(*k));
	switch (o) {
	case ORD_BOOL:
		if (v.len < 1)
			return false;
		k->b = p[0] & 1;
		return true;
	case ORD_SIGNED: case ORD_UNSIGNED:
		if (leaf->phys == SL_PQ_INT32) {
			if (v.len != 4)
				return false;
			uint32_t x = le32(p);
			k->i = (int32_t)x;
			k->u = x;
		} else {
			if (v.len != 8)
				return false;
			uint64_t x = (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
			k->i = (int64_t)x;
			k->u = x;
		}
		return true;
	case ORD_FLOAT:
		if (leaf->phys == SL_PQ_FLOAT && v.len == 4) {
			uint32_t x = le32(p);
			float f;
			memcpy(&f, &x, 4);
			k->d = f;
		} else if (leaf->phys == SL_PQ_DOUBLE && v.len == 8) {
			uint64_t x = (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
			memcpy(&k->d, &x, 8);
		} else if (leaf->phys == SL_PQ_FIXED_LEN_BYTE_ARRAY && v.len == 2) {
			k->d = sl_pq_half_to_float((uint16_t)(p[0] | p[1] << 8));
		} else {
			return false;
		}
		return !isnan(k->d);
	case ORD_DECBE: {
		if (v.len == 0 || v.len > 16)
			return false;
		sl_i128 x = (int8_t)p[0]; /* sign-extended */
		for (size_t i = 1; i < v.len; i++)
			x = x * 256 + p[i];
		k->i = x;
		return true;
	}
	case ORD_BYTES:
		k->p = p;
		k->len = v.len;
		return true;
	default:
		return false;
	}
}

/* Decimal text ("-12.5", "1e3") to an unscaled integer at scale; false when it is not
 * exactly representable (more decimals than scale) or too long. */
static bool parse_decimal(const char *s, size_t len, int scale, sl_i128 *out)
{
	size_t i = 0;
	bool neg = false, any = false;
	int frac = 0, exp = 0;
	sl_i128 v = 0;
	int digits = 0;
	if (i < len && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	for (bool dot = false; i < len; i++) {
		if (s[i] == '.' && !dot) {
			dot = true;
			continue;
		}
		if (s[i] < '0' || s[i] > '9')
			break;
		any = true;
		if (v == 0 && s[i] == '0') {
			frac += dot;
			continue;
		}
		if (++digits > 38)
			return false;
		v = v * 10 + (s[i] - '0');
		frac += dot;
	}
	if (!any)
		return false;
	if (i < len && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		bool eneg = false;
		if (i < len && (s[i] == '-' || s[i] == '+'))
			eneg = s[i++] == '-';
		if (i == len)
			return false;
		for (; i < len && s[i] >= '0' && s[i] <= '9'; i++)
			if ((exp = exp * 10 + (s[i] - '0')) > 100)
				return false;
		exp = eneg ? -exp : exp;
	}
	if (i != len)
		return false;
	int shift = scale - frac + exp; /* multiply by 10^shift */
	for (; shift > 0; shift--) {
		if (v != 0 && ++digits > 38)
			return false;
		v *= 10;
	}
	for (; shift < 0; shift++) {
		if (v % 10 != 0)
			return false;
		v /= 10;
	}
	*out = neg ? -v : v;
	return true;
}

/* "YYYY-MM-DD" at s; returns the characters used, 0 on error. */
static size_t parse_date(const char *s, size_t len, int64_t *days)
{
	int64_t y = 0;
	unsigned mo = 0, d = 0;
	size_t i = 0;
	bool neg = i < len && s[i] == '-';
	i += neg || (i < len && s[i] == '+');
	size_t y0 = i;
	while (i < len && s[i] >= '0' && s[i] <= '9' && i - y0 < 9)
		y = y * 10 + (s[i++] - '0');
	if (i - y0 < 4 || i + 6 > len || s[i] != '-' || s[i + 3] != '-')
		return 0;
	for (int k = 1; k <= 2; k++) {
		if (s[i + k] < '0' || s[i + k] > '9' || s[i + 3 + k] < '0' || s[i + 3 + k] > '9')
			return 0;
		mo = mo * 10 + (unsigned)(s[i + k] - '0');
		d = d * 10 + (unsigned)(s[i + 3 + k] - '0');
	}
	if (!sl_civil_to_days(neg ? -y : y, (int)mo, (int)d, days))
		return 0;
	return i + 6;
}

/* "HH:MM:SS[.frac]" at s in units per second (1000, 10^6, 10^9); returns the characters
 * used, 0 on error or when the fraction has more digits than the unit keeps. */
static size_t parse_tod(const char *s, size_t len, int64_t per_sec, int64_t *out)
{
	if (len < 8 || s[2] != ':' || s[5] != ':')
		return 0;
	int f[3];
	for (int k = 0; k < 3; k++) {
		const char *q = s + 3 * k;
		if (q[0] < '0' || q[0] > '9' || q[1] < '0' || q[1] > '9')
			return 0;
		f[k] = (q[0] - '0') * 10 + (q[1] - '0');
	}
	if (f[0] > 23 || f[1] > 59 || f[2] > 60)
		return 0;
	int64_t v = ((int64_t)f[0] * 3600 + f[1] * 60 + f[2]) * per_sec;
	size_t i = 8;
	if (i < len && s[i] == '.') {
		int64_t scale = per_sec, frac = 0;
		for (i++; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
			if (scale == 1) {
				if (s[i] != '0')
					return 0;
				continue;
			}
			scale /= 10;
			frac += (s[i] - '0') * scale;
		}
		v += frac;
	}
	*out = v;
	return i;
}

static int64_t unit_per_sec(uint8_t unit)
{
	return unit == SL_TU_MILLIS ? 1000 : unit == SL_TU_MICROS ? 1000000 : 1000000000;
}

/* RFC 3339 to units since the epoch; false when malformed or out of range. */
static bool parse_timestamp(const char *s, size_t len, uint8_t unit, sl_i128 *out)
{
	int64_t days, tod, per = unit_per_sec(unit);
	size_t i = parse_date(s, len, &days);
	if (!i || i >= len || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
		return false;
	size_t j = parse_tod(s + i + 1, len - i - 1, per, &tod);
	if (!j)
		return false;
	i += 1 + j;
	int64_t off = 0;
	if (i < len && (s[i] == 'Z' || s[i] == 'z')) {
		i++;
	} else if (i + 6 == len && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
		int h = (s[i + 1] - '0') * 10 + (s[i + 2] - '0');
		int m = (s[i + 4] - '0') * 10 + (s[i + 5] - '0');
		if (h < 0 || h > 23 || m < 0 || m > 59)
			return false;
		off = (s[i] == '-' ? -1 : 1) * ((int64_t)h * 3600 + m * 60);
		i += 6;
	} else {
		return false;
	}
	if (i != len)
		return false;
	*out = (sl_i128)days * 86400 * per + tod - (sl_i128)off * per;
	return true;
}

/* The predicate's constant as a key of the leaf's order; *usable false when it cannot
 * be compared exactly (the predicate then keeps the group). */
static int const_key(const struct sl_pq_node *leaf, const struct sl_type *t, enum stat_order o,
		     const struct sl_json_node *v, struct key *k, uint8_t *tmp, bool *usable,
		     struct sl_err *err)
{
	memset(k, 0, sizeof(*k));
	*usable = false;
	bool is_str = v->type == SL_JSON_STRING;
	const char *s = is_str ? v->u.str.s : NULL;
	size_t sl = is_str ? v->u.str.len : 0;
	switch (o) {
	case ORD_BOOL:
		if (v->type != SL_JSON_TRUE && v->type != SL_JSON_FALSE)
			goto type;
		k->b = v->type == SL_JSON_TRUE;
		break;
	case ORD_SIGNED: case ORD_UNSIGNED:
		if (t->kind == SL_T_DATE) {
			int64_t days;
			if (!is_str || parse_date(s, sl, &days) != sl)
				goto type;
			k->i = days;
		} else if (t->kind == SL_T_TIMESTAMP) {
			if (!is_str)
				goto type;
			if (!parse_timestamp(s, sl, t->unit, &k->i))
				return 0;
		} else if (t->kind == SL_T_TIME) {
			int64_t x;
			if (!is_str)
				goto type;
			if (parse_tod(s, sl, unit_per_sec(t->unit), &x) != sl)
				return 0;
			k->i = x;
		} else if (t->kind == SL_T_DECIMAL) {
			return 0; /* the caller parses decimals from the number's text */
		} else if (v->type == SL_JSON_INT) {
			if (o == ORD_UNSIGNED && v->u.i < 0)
				return 0;
			k->i = v->u.i;
			k->u = (uint64_t)v->u.i;
		} else if (v->type == SL_JSON_BIGINT && o == ORD_UNSIGNED) {
			errno = 0;
			char *end;
			unsigned long long x = strtoull(v->u.str.s, &end, 10);
			if (errno || *end)
				return 0;
			k->u = x;
		} else if (v->type == SL_JSON_DOUBLE || v->type == SL_JSON_BIGINT) {
			return 0; /* not an integer of the column's range: keep */
		} else {
			goto type;
		}
		break;
	case ORD_FLOAT:
		if (v->type == SL_JSON_INT)
			k->d = (double)v->u.i;
		else if (v->type == SL_JSON_DOUBLE)
			k->d = v->u.d;
		else if (is_str && strcmp(s, "Infinity") == 0)
			k->d = INFINITY;
		else if (is_str && strcmp(s, "-Infinity") == 0)
			k->d = -INFINITY;
		else if (is_str && strcmp(s, "NaN") == 0)
			return 0;
		else
			goto type;
		/* a constant between two floats (a FLOAT value's printed text, read as a
		 * double, usually is one) cannot be compared exactly */
		if (leaf->phys != SL_PQ_DOUBLE && (double)(float)k->d != k->d)
			return 0;
		break;
	case ORD_BYTES:
		if (!is_str)
			goto type;
		if (t->kind == SL_T_STRING) {
			k->p = (const uint8_t *)s;
			k->len = sl;
		} else if (t->kind == SL_T_UUID) {
			size_t n = 0;
			for (size_t i = 0; i < sl && n < 32; i++) {
				char ch = s[i];
				int x = ch >= '0' && ch <= '9' ? ch - '0'
					: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
					: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
				if (ch == '-')
					continue;
				if (x < 0)
					goto type;
				tmp[n / 2] = (uint8_t)(n % 2 ? tmp[n / 2] | x : x << 4);
				n++;
			}
			if (n != 32)
				goto type;
			k->p = tmp;
			k->len = 16;
		} else {
			return 0; /* binary (base64), json: not compared */
		}
		break;
	default:
		return 0;
	}
	*usable = true;
	return 0;
type:
	return sl_err_set(err, SL_EINVAL, "predicate on %s: the value does not have the "
			  "column's JSON form", leaf->name);
}

static bool op_may(enum sl_pq_op op, enum stat_order o, const struct key *c, const struct key *mn,
		   const struct key *mx)
{
	switch (op) {
	case SL_PQ_EQ:
		return !(mn && cmp_key(o, c, mn) < 0) && !(mx && cmp_key(o, c, mx) > 0);
	case SL_PQ_LT: return !mn || cmp_key(o, mn, c) < 0;
	case SL_PQ_LE: return !mn || cmp_key(o, mn, c) <= 0;
	case SL_PQ_GT: return !mx || cmp_key(o, mx, c) > 0;
	case SL_PQ_GE: return !mx || cmp_key(o, mx, c) >= 0;
	default: return true;
	}
}

/* The order a leaf's statistics can be compared in: ORD_NONE when they cannot be used
 * (the type has no certain order, or the file's column_orders say another one). */
static enum stat_order stat_order_of(const struct sl_pq_reader *r, size_t li)
{
	const struct sl_pq_node *leaf = r->schema->leaves[li];
	if (r->meta.n_column_orders == r->schema->n_leaves && !r->meta.column_orders_typed[li])
		return ORD_NONE;
	return leaf_order(leaf, r->leaf_types[li]);
}

/* A chunk's min and max as stored: min_value/max_value, else the legacy fields where their
 * order is certain (see above); p NULL where there is none. */
static void stat_bounds(const struct sl_pq_reader *r, size_t li, enum stat_order o,
			const struct sl_pq_stats *st, struct sl_pq_bytes *smin,
			struct sl_pq_bytes *smax)
{
	const struct sl_pq_node *leaf = r->schema->leaves[li];
	const struct sl_type *t = r->leaf_types[li];
	*smin = st->min_value;
	*smax = st->max_value;
	bool legacy_ok = (o == ORD_SIGNED && t->kind != SL_T_DECIMAL) ||
			 (o == ORD_FLOAT && leaf->phys != SL_PQ_FIXED_LEN_BYTE_ARRAY) ||
			 o == ORD_BOOL;
	if (!smin->p && !smax->p && legacy_ok) {
		*smin = st->min;
		*smax = st->max;
	}
}

static int pred_may(struct sl_pq_reader *r, size_t rg, const struct sl_pq_pred *pr, bool *may,
		    struct sl_err *err)
{
	*may = true;
	const struct sl_pq_node *leaf = sl_pq_schema_find(r->schema, pr->column);
	if (!leaf || !leaf->is_leaf || leaf->leaf_index < 0 ||
	    (size_t)leaf->leaf_index >= r->schema->n_leaves)
		return 0;
	size_t li = (size_t)leaf->leaf_index;
	const struct sl_pq_column_chunk *cc = &r->meta.row_groups[rg].columns[li];
	if (!cc->has_meta || cc->encrypted)
		return 0;
	const struct sl_pq_column_meta *cm = &cc->meta;
	const struct sl_pq_stats *st = &cm->stats;
	bool flat = leaf->max_rep == 0;
	if (!st->present)
		return 0;
	bool all_null = flat && st->null_count >= 0 && st->null_count == cm->num_values;
	if (pr->op == SL_PQ_IS_NULL) {
		*may = st->null_count != 0;
		return 0;
	}
	if (all_null) {
		*may = false; /* NOT_NULL and comparisons are false on nulls */
		return 0;
	}
	if (pr->op == SL_PQ_NOT_NULL)
		return 0;
	const struct sl_type *t = r->leaf_types[li];
	enum stat_order o = stat_order_of(r, li);
	if (o == ORD_NONE)
		return 0;
	struct sl_pq_bytes smin, smax;
	stat_bounds(r, li, o, st, &smin, &smax);
	struct key kmin, kmax, kc;
	bool hmin = stat_key(leaf, o, smin, &kmin), hmax = stat_key(leaf, o, smax, &kmax);
	if (o == ORD_FLOAT && ((smin.p && !hmin) || (smax.p && !hmax)))
		return 0; /* a NaN bound says nothing about the others */
	if (!hmin && !hmax)
		return 0;
	struct sl_json_error je;
	const char *text = pr->value ? pr->value : "";
	struct sl_json_node *v = sl_json_tree_parse(text, strlen(text), NULL, &je);
	if (!v)
		return sl_err_set(err, SL_EINVAL, "predicate on %s: the value is not JSON: %s",
				  pr->column, je.msg);
	uint8_t tmp[16];
	bool usable = false;
	int rc = 0;
	if (t->kind == SL_T_DECIMAL) {
		const char *s = NULL;
		size_t sl = 0;
		if (v->type == SL_JSON_STRING || v->type == SL_JSON_BIGINT) {
			s = v->u.str.s;
			sl = v->u.str.len;
		} else if (v->type == SL_JSON_INT || v->type == SL_JSON_DOUBLE) {
			s = text + v->off;
			sl = strspn(s, "+-0123456789.eE");
		} else {
			rc = sl_err_set(err, SL_EINVAL, "predicate on %s: expected a number",
					pr->column);
		}
		usable = s && parse_decimal(s, sl, t->scale, &kc.i);
	} else {
		rc = const_key(leaf, t, o, v, &kc, tmp, &usable, err);
	}
	if (rc == 0 && usable)
		*may = op_may(pr->op, o, &kc, hmin ? &kmin : NULL, hmax ? &kmax : NULL);
	sl_json_tree_free(v);
	return rc;
}

int sl_pq_row_group_may_match(struct sl_pq_reader *r, size_t row_group,
			      const struct sl_pq_pred *preds, size_t n_preds, bool *may,
			      struct sl_err *err)
{
	*may = true;
	if (row_group >= r->meta.n_row_groups)
		return sl_err_set(err, SL_EINVAL, "%s: no row group %zu", r->name, row_group);
	if (r->meta.row_groups[row_group].num_rows == 0) {
		*may = false;
		return 0;
	}
	for (size_t i = 0; i < n_preds && *may; i++) {
		int rc = pred_may(r, row_group, &preds[i], may, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- file-level statistics (the catalog's data file rows) ------------------------------ */

/* Longest min or max kept (bytes as stored): longer ones say little and would make the
 * catalog row as large as a hostile footer wants. */
#define STAT_VALUE_MAX 1024

static int leaf_stats(struct sl_pq_reader *r, size_t li, bool first, struct sl_buf *out)
{
	const struct sl_pq_node *leaf = r->schema->leaves[li];
	enum stat_order o = stat_order_of(r, li);
	bool have_nulls = true, have_mm = o != ORD_NONE, any = false;
	int64_t nulls = 0;
	struct key lo = {0}, hi = {0};
	struct sl_pq_bytes blo = {0}, bhi = {0};
	int rc = 0;

	for (size_t g = 0; g < r->meta.n_row_groups; g++) {
		const struct sl_pq_row_group *rg = &r->meta.row_groups[g];
		const struct sl_pq_column_chunk *cc = &rg->columns[li];
		if (rg->num_rows == 0)
			continue;
		if (!cc->has_meta || cc->encrypted || !cc->meta.stats.present) {
			have_nulls = have_mm = false;
			break;
		}
		const struct sl_pq_stats *st = &cc->meta.stats;
		if (st->null_count < 0 || nulls > INT64_MAX - st->null_count)
			have_nulls = false;
		else
			nulls += st->null_count;
		if (!have_mm)
			continue;
		/* a flat chunk of nulls only has no bounds to give */
		if (leaf->max_rep == 0 && st->null_count >= 0 &&
		    st->null_count == cc->meta.num_values)
			continue;
		struct sl_pq_bytes smin, smax;
		struct key kmin, kmax;
		stat_bounds(r, li, o, st, &smin, &smax);
		if (smin.len > STAT_VALUE_MAX || smax.len > STAT_VALUE_MAX ||
		    !stat_key(leaf, o, smin, &kmin) || !stat_key(leaf, o, smax, &kmax)) {
			have_mm = false;
			continue;
		}
		if (!any || cmp_key(o, &kmin, &lo) < 0) {
			lo = kmin;
			blo = smin;
		}
		if (!any || cmp_key(o, &kmax, &hi) > 0) {
			hi = kmax;
			bhi = smax;
		}
		any = true;
	}
	struct sl_buf path;
	sl_buf_init(&path, 1 << 20);
	rc |= sl_pq_node_path(leaf, &path);
	rc |= sl_buf_puts(out, first ? "" : ",");
	rc |= sl_buf_json_str(out, path.data ? path.data : "", path.len);
	sl_buf_release(&path);
	rc |= sl_buf_puts(out, ":{");
	bool sep = false;
	if (have_mm && any) {
		size_t mark = out->len;
		int vrc = sl_buf_puts(out, "\"min\":");
		if (vrc == 0)
			vrc = sl_pq_stat_json(leaf, blo, out);
		if (vrc == 0)
			vrc = sl_buf_puts(out, ",\"max\":");
		if (vrc == 0)
			vrc = sl_pq_stat_json(leaf, bhi, out);
		if (vrc == SL_ENOMEM || vrc == SL_ELIMIT)
			return vrc;
		if (vrc) { /* a value that does not fit its type: no bounds */
			out->len = mark;
			out->data[mark] = '\0';
		} else {
			sep = true;
		}
	}
	if (have_nulls)
		rc |= sl_buf_printf(out, "%s\"nulls\":%" PRId64, sep ? "," : "", nulls);
	rc |= sl_buf_puts(out, "}");
	return rc ? SL_ELIMIT : 0;
}

int sl_pq_reader_stats_json(struct sl_pq_reader *r, struct sl_buf *out, struct sl_err *err)
{
	int rc = sl_buf_puts(out, "{");
	for (size_t li = 0; rc == 0 && li < r->schema->n_leaves; li++)
		rc = leaf_stats(r, li, li == 0, out);
	if (rc == 0)
		rc = sl_buf_puts(out, "}");
	if (rc)
		return sl_err_set(err, rc == SL_ELIMIT ? SL_ELIMIT : SL_ENOMEM,
				  "%s: the column statistics do not fit in %zu bytes", r->name,
				  out->max);
	return 0;
}
