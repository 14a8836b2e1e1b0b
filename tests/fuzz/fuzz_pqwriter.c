/*
 * fuzz_pqwriter.c - libFuzzer harness for the Parquet writer's shredder. The input's
 * first line is a row type in the text form (a fixed nested type when it does not
 * parse to a struct the writer takes), the other lines are records. With tiny pages,
 * dictionaries and row groups, so that every cut happens:
 *   1. any records: never a crash, a leak or a hang; each is written or refused
 *      (SL_EINVAL), nothing else;
 *   2. a refused record leaves no trace (writer.h invariant 2): the file written from
 *      all the lines is byte for byte the file written from the accepted ones alone;
 *   3. the footer decodes and counts the accepted records.
 * Any broken promise aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parquet/format.h"
#include "parquet/schema.h"
#include "parquet/writer.h"
#include "types/types.h"

static const char fallback[] =
	"struct<a:int64,b:string not null,c:list<struct<d:double,e:list<int8>>>,"
	"m:map<string,decimal(20,3)>,t:timestamp(ms),u:uuid,j:json,f:binary(2),"
	"g:struct<h:boolean,i:date,k:time(us)>,n:uint16 not null,x:float>";

static void die(const char *why, const char *detail)
{
	fprintf(stderr, "fuzz_pqwriter: %s: %s\n", why, detail);
	abort();
}

/* Writes the lines (only those with keep[i], when keep is given) into out; fills
 * accepted[i]. Returns the accepted count, or -1 when the writer cannot take the type. */
static long write_all(const struct sl_type *t, const struct sl_pq_write_opts *o,
		      const char *const *lines, const size_t *lens, size_t n, const bool *keep,
		      bool *accepted, struct sl_buf *out)
{
	struct sl_err err = {0};
	struct sl_pq_sink sink;
	sl_pq_sink_buf(&sink, out);
	struct sl_pq_writer *w;
	if (sl_pq_writer_open(t, o, &sink, &w, &err) != 0)
		return -1;
	long ok = 0;
	for (size_t i = 0; i < n; i++) {
		if (keep && !keep[i])
			continue;
		int rc = sl_pq_writer_put_json_text(w, lines[i], lens[i], &err);
		if (rc != 0 && rc != SL_EINVAL)
			die("put failed", err.msg);
		if (accepted)
			accepted[i] = rc == 0;
		ok += rc == 0;
	}
	if (sl_pq_writer_close(w, &err) != 0)
		die("close failed", err.msg);
	sl_pq_writer_free(w);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nl = memchr(text, '\n', size);
	size_t tlen = nl ? (size_t)(nl - text) : size;
	struct sl_err err = {0};
	struct sl_type *t = sl_type_parse(text, tlen, &err);
	if (!t || t->kind != SL_T_STRUCT) {
		sl_type_free(t);
		t = sl_type_parse(fallback, sizeof(fallback) - 1, &err);
		if (!t)
			die("fallback type", err.msg);
	}
	size_t cap = 16, n = 0;
	const char **lines = malloc(cap * sizeof(*lines));
	size_t *lens = malloc(cap * sizeof(*lens));
	for (size_t at = nl ? tlen + 1 : size; at < size;) {
		const char *e = memchr(text + at, '\n', size - at);
		size_t len = e ? (size_t)(e - (text + at)) : size - at;
		if (n == cap) {
			cap *= 2;
			lines = realloc(lines, cap * sizeof(*lines));
			lens = realloc(lens, cap * sizeof(*lens));
		}
		lines[n] = text + at;
		lens[n++] = len;
		at += len + 1;
	}
	struct sl_pq_write_opts o;
	sl_pq_write_opts_default(&o);
	o.page_bytes = 256;
	o.dict_max_bytes = 128;
	o.row_group_rows = 7;
	o.page_version = (size & 1) ? 2 : 1;
	o.codec = sl_pq_codec_by_name((size & 2) ? "snappy" : "none");
	bool *accepted = calloc(n + 1, sizeof(*accepted));
	struct sl_buf all, kept;
	sl_buf_init(&all, (size_t)256 << 20);
	sl_buf_init(&kept, (size_t)256 << 20);
	long ok = write_all(t, &o, lines, lens, n, NULL, accepted, &all);
	if (ok >= 0) {
		if (write_all(t, &o, lines, lens, n, accepted, NULL, &kept) != ok)
			die("rollback", "the accepted records were not all accepted again");
		if (all.len != kept.len || memcmp(all.data, kept.data, all.len) != 0)
			die("rollback", "refused records changed the file");
		uint32_t flen;
		memcpy(&flen, all.data + all.len - 8, 4);
		struct sl_pq_file_meta m;
		if (flen > all.len - 12 ||
		    sl_pq_file_meta_decode(all.data + all.len - 8 - flen, flen, &m, &err) != 0)
			die("footer", err.msg);
		if (m.num_rows != ok)
			die("footer", "num_rows is not the accepted count");
		sl_pq_file_meta_release(&m);
	}
	sl_buf_release(&all);
	sl_buf_release(&kept);
	free(accepted);
	free(lines);
	free(lens);
	sl_type_free(t);
	return 0;
}
