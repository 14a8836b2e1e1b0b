/*
 * reader.c - framing: a stream of bytes (plain, gzip or zstd) into records.
 *
 * Promises:
 *   1. Memory is bounded by the largest record (max_record) plus two read chunks,
 *      whatever the size of the stream.
 *   2. A bad record (bad JSON, over a limit) is reported with its record index, line,
 *      column and byte offset, and reading goes on with the next record; only a broken
 *      stream (I/O error, corrupt compression, an unclosed top-level array) ends it.
 *   3. Lines are counted in the decompressed stream: LF ends a line, a CR before it is
 *      dropped, lines of nothing but whitespace are skipped, a UTF-8 BOM at the start is
 *      ignored.
 */
#include "json/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "json/codec.h"
#include "json/internal.h"

#define CHUNK ((size_t)1 << 20)

enum array_state { A_BEFORE, A_FIRST, A_NEXT, A_DONE };

struct sl_json_reader {
	int fd;
	char *name;
	enum sl_json_framing framing;
	struct sl_json_limits lim;
	struct sl_json_parser *parser;
	const struct sl_codec_ops *codec;
	void *codec_state;

	unsigned char *raw; /* input as read from fd */
	size_t raw_len, raw_pos;
	int raw_eof;

	char *buf; /* decoded bytes; [start, end) not consumed yet */
	size_t cap, start, end;
	int eof;           /* everything decoded is in buf */
	int64_t buf_off;   /* stream offset of buf[0] */
	int64_t line, col; /* position of buf[start] */
	int64_t record;    /* index of the next record */
	int64_t raw_total;
	int dead;          /* a fatal error happened: only errors from now on */
	struct sl_json_error dead_err;

	int skipping; /* NDJSON: discarding the rest of an over-long line */
	/* the bytes of the last record returned or rejected: buf[rec_from, +rec_len) */
	size_t rec_from, rec_len;
	int rec_held;
	struct sl_json_pos rec_pos;
	enum array_state astate;
	/* array splitter state, kept across refills */
	size_t scan;      /* how far the current element has been scanned (offset from start) */
	size_t last;      /* offset from start just past its last non-blank byte so far */
	size_t dropped;   /* bytes of an over-long element already thrown away */
	int depth, in_str, esc;
	int64_t scan_line, scan_col;
};

int sl_json_reader_open(int fd, const char *name, enum sl_json_framing framing,
			const struct sl_json_limits *lim, struct sl_json_reader **out,
			struct sl_err *err)
{
	struct sl_json_reader *r = calloc(1, sizeof(*r));
	if (!r)
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	r->fd = fd;
	r->framing = framing;
	r->line = r->col = 1;
	if (lim)
		r->lim = *lim;
	else
		sl_json_limits_default(&r->lim);
	r->name = strdup(name ? name : "-");
	r->parser = sl_json_parser_new(&r->lim);
	r->raw = malloc(CHUNK);
	r->cap = 2 * CHUNK;
	r->buf = malloc(r->cap + SL_JSON_PADDING);
	if (!r->name || !r->parser || !r->raw || !r->buf) {
		sl_json_reader_close(r);
		return sl_err_set(err, SL_ENOMEM, "out of memory");
	}
	/* sniff the codec from the first bytes */
	while (r->raw_len < 4 && !r->raw_eof) {
		ssize_t n = read(fd, r->raw + r->raw_len, CHUNK - r->raw_len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int rc = sl_err_errno(err, errno, "%s: read", r->name);
			sl_json_reader_close(r);
			return rc;
		}
		if (n == 0)
			r->raw_eof = 1;
		r->raw_len += (size_t)n;
		r->raw_total += n;
	}
	r->codec = sl_codec_sniff(r->raw, r->raw_len);
	int rc = r->codec->open(&r->codec_state, err);
	if (rc) {
		sl_json_reader_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void sl_json_reader_close(struct sl_json_reader *r)
{
	if (!r)
		return;
	if (r->codec)
		r->codec->close(r->codec_state);
	sl_json_parser_free(r->parser);
	free(r->raw);
	free(r->buf);
	free(r->name);
	free(r);
}

bool sl_json_reader_record_text(const struct sl_json_reader *r, const char **text, size_t *len,
				struct sl_json_pos *pos)
{
	if (pos)
		*pos = r->rec_held ? r->rec_pos : (struct sl_json_pos){0, 0, 0, 0};
	*text = r->rec_held ? r->buf + r->rec_from : NULL;
	*len = r->rec_held ? r->rec_len : 0;
	return r->rec_held != 0;
}

enum sl_json_framing sl_json_reader_framing(const struct sl_json_reader *r)
{
	return r->framing;
}

struct sl_json_parser *sl_json_reader_parser(struct sl_json_reader *r)
{
	return r->parser;
}

void sl_json_reader_bytes(const struct sl_json_reader *r, int64_t *decoded, int64_t *raw)
{
	if (decoded)
		*decoded = r->buf_off + (int64_t)r->start;
	if (raw)
		*raw = r->raw_total;
}

static int fatal(struct sl_json_reader *r, struct sl_json_error *e, int code, int64_t line,
		 int64_t col, int64_t offset, const char *fmt, ...)
	__attribute__((format(printf, 7, 8)));

static int fatal(struct sl_json_reader *r, struct sl_json_error *e, int code, int64_t line,
		 int64_t col, int64_t offset, const char *fmt, ...)
{
	struct sl_json_error *d = &r->dead_err;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
	d->code = code;
	d->fatal = true;
	d->pos.record = r->record;
	d->pos.line = line;
	d->pos.column = col;
	d->pos.offset = offset;
	r->dead = 1;
	if (e)
		*e = *d;
	return code;
}

/* Decodes more input into buf after end, first moving the unconsumed bytes to the front
 * and, if the window is full, growing it up to the record limit. Returns bytes added;
 * 0 at the end of the stream; < 0 on error (fatal, e filled). */
static long fill(struct sl_json_reader *r, struct sl_json_error *e)
{
	if (r->eof)
		return 0;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->buf_off += (int64_t)r->start;
		r->end -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < CHUNK / 2) {
		size_t ncap = r->cap * 2;
		if (ncap > r->lim.max_record + 2 * CHUNK)
			ncap = r->lim.max_record + 2 * CHUNK;
		if (ncap > r->cap) {
			char *nb = realloc(r->buf, ncap + SL_JSON_PADDING);
			if (!nb)
				return fatal(r, e, SL_ENOMEM, r->line, r->col, r->buf_off, "out of memory");
			r->buf = nb;
			r->cap = ncap;
		}
	}
	size_t before = r->end;
	while (r->end < r->cap) {
		if (r->codec == &sl_codec_plain && r->raw_pos == r->raw_len && !r->raw_eof) {
			/* plain input: read straight into the window, no copy through raw */
			ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return fatal(r, e, SL_EIO, r->line, r->col, r->buf_off + (int64_t)r->end,
					     "read: %s", strerror(errno));
			r->raw_total += n;
			r->end += (size_t)n;
			if (n == 0) {
				r->raw_eof = 1;
				r->eof = 1;
				break;
			}
			if (r->end - before >= CHUNK / 2)
				break;
			continue;
		}
		if (r->raw_pos == r->raw_len && !r->raw_eof) {
			ssize_t n = read(r->fd, r->raw, CHUNK);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return fatal(r, e, SL_EIO, r->line, r->col, r->buf_off + (int64_t)r->end,
					     "read: %s", strerror(errno));
			r->raw_pos = 0;
			r->raw_len = (size_t)n;
			r->raw_total += n;
			if (n == 0)
				r->raw_eof = 1;
		}
		size_t used, made;
		struct sl_err cerr = {0};
		int at_eof = r->raw_eof && r->raw_pos == r->raw_len;
		if (r->codec->decode(r->codec_state, r->raw + r->raw_pos, r->raw_len - r->raw_pos,
				     &used, r->buf + r->end, r->cap - r->end, &made, at_eof,
				     &cerr) != 0)
			return fatal(r, e, cerr.code, r->line, r->col, r->buf_off + (int64_t)r->end,
				     "%s", cerr.msg);
		r->raw_pos += used;
		r->end += made;
		if (at_eof && made == 0) {
			r->eof = 1;
			break;
		}
		if (r->end - before >= CHUNK / 2)
			break; /* enough for now */
	}
	/* the parser reads up to SL_JSON_PADDING bytes past a record: keep them defined */
	memset(r->buf + r->end, ' ', SL_JSON_PADDING);
	if (r->buf_off == 0 && before == 0 && r->start == 0 && r->end >= 3 &&
	    memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0)
		r->start = 3; /* a UTF-8 BOM at the start of the stream */
	return (long)(r->end - before);
}

/* Parses buf[from, to) as the next record, which starts at line/col. */
static int emit(struct sl_json_reader *r, size_t from, size_t to, int64_t line, int64_t col,
		struct sl_json_doc *doc, struct sl_json_error *e)
{
	int64_t index = r->record++;
	int64_t offset = r->buf_off + (int64_t)from;
	struct sl_json_error pe;
	r->rec_from = from;
	r->rec_len = to - from;
	r->rec_held = 1;
	r->rec_pos = (struct sl_json_pos){index, line, col, offset};
	if (sl_json_parse_padded(r->parser, r->buf + from, to - from, doc, &pe) != 0) {
		if (e) {
			*e = pe;
			e->pos.record = index;
			e->pos.column = pe.pos.line == 1 ? col + pe.pos.column - 1 : pe.pos.column;
			e->pos.line = line + pe.pos.line - 1;
			e->pos.offset = offset + pe.pos.offset;
		}
		return pe.code;
	}
	doc->pos.record = index;
	doc->pos.line = line;
	doc->pos.column = col;
	doc->pos.offset = offset;
	return 1;
}

static int only_ws(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!sl_json_is_ws((unsigned char)s[i]))
			return 0;
	return 1;
}

static int next_ndjson(struct sl_json_reader *r, struct sl_json_doc *doc, struct sl_json_error *e)
{
	size_t scanned = 0; /* bytes after start known to hold no newline */
	for (;;) {
		char *nl = memchr(r->buf + r->start + scanned, '\n', r->end - r->start - scanned);
		size_t stop;
		if (nl) {
			stop = (size_t)(nl - r->buf);
		} else {
			size_t have = r->end - r->start;
			/* one byte of slack: a CR may still come before the LF */
			if (r->skipping || have > r->lim.max_record + 1) {
				if (!r->skipping) {
					r->skipping = 1;
					int64_t index = r->record++;
					if (e) {
						e->code = SL_ELIMIT;
						e->fatal = false;
						e->pos = (struct sl_json_pos){index, r->line, 1,
									     r->buf_off + (int64_t)r->start};
						snprintf(e->msg, sizeof(e->msg),
							 "record longer than the limit of %zu bytes",
							 r->lim.max_record);
					}
					r->start = r->end;
					return SL_ELIMIT;
				}
				r->start = r->end; /* drop the rest of the over-long line */
				scanned = 0;
			} else {
				scanned = have;
			}
			long got = fill(r, e);
			if (got < 0)
				return (int)got;
			if (got > 0)
				continue;
			/* end of stream: a last line without a newline */
			if (r->start == r->end || r->skipping)
				return 0;
			stop = r->end;
		}
		size_t from = r->start, to = stop;
		int64_t line = r->line;
		r->start = stop < r->end ? stop + 1 : stop;
		r->line++;
		scanned = 0;
		if (r->skipping) {
			r->skipping = 0;
			continue;
		}
		if (to > from && r->buf[to - 1] == '\r')
			to--;
		if (to - from > r->lim.max_record) {
			int64_t index = r->record++;
			if (e) {
				e->code = SL_ELIMIT;
				e->fatal = false;
				e->pos = (struct sl_json_pos){index, line, 1, r->buf_off + (int64_t)from};
				snprintf(e->msg, sizeof(e->msg), "record of %zu bytes, over the limit of %zu",
					 to - from, r->lim.max_record);
			}
			return SL_ELIMIT;
		}
		if (only_ws(r->buf + from, to - from))
			continue;
		return emit(r, from, to, line, 1, doc, e);
	}
}

/* Skips whitespace from start, keeping line/col; returns 1 when a byte is available. */
static int skip_ws(struct sl_json_reader *r, struct sl_json_error *e, int *err)
{
	for (;;) {
		while (r->start < r->end && sl_json_is_ws((unsigned char)r->buf[r->start])) {
			if (r->buf[r->start] == '\n') {
				r->line++;
				r->col = 1;
			} else {
				r->col++;
			}
			r->start++;
		}
		if (r->start < r->end)
			return 1;
		long got = fill(r, e);
		if (got < 0) {
			*err = (int)got;
			return 0;
		}
		if (got == 0)
			return 0;
	}
}

static int next_array(struct sl_json_reader *r, struct sl_json_doc *doc, struct sl_json_error *e)
{
	int err = 0;
	for (;;) {
		int more = skip_ws(r, e, &err);
		if (err)
			return err;
		int64_t off = r->buf_off + (int64_t)r->start;
		if (r->astate == A_DONE) {
			if (!more)
				return 0;
			return fatal(r, e, SL_ECORRUPT, r->line, r->col, off,
				     "unexpected data after the array of records");
		}
		if (!more)
			return fatal(r, e, SL_ECORRUPT, r->line, r->col, off,
				     r->astate == A_BEFORE ? "empty input: expected '['"
							   : "unexpected end: the array of records is "
							     "not closed");
		char c = r->buf[r->start];
		if (r->astate == A_BEFORE) {
			if (c != '[')
				return fatal(r, e, SL_ECORRUPT, r->line, r->col, off,
					     "expected '[' (a JSON array of records)");
			r->start++;
			r->col++;
			r->astate = A_FIRST;
			continue;
		}
		if (r->astate == A_FIRST && c == ']') {
			r->start++;
			r->col++;
			r->astate = A_DONE;
			continue;
		}
		/* an element: find its end, the ',' or ']' at depth 0 outside strings */
		int64_t line = r->line, col = r->col;
		r->scan = r->last = r->dropped = 0;
		r->depth = r->in_str = r->esc = 0;
		r->scan_line = line;
		r->scan_col = col;
		for (;;) {
			const unsigned char *s = (const unsigned char *)r->buf + r->start;
			size_t n = r->end - r->start, i = r->scan, last = r->last;
			int depth = r->depth, in_str = r->in_str, esc = r->esc, found = 0;
			int64_t ln = r->scan_line, cl = r->scan_col;
			for (; i < n; i++) {
				unsigned char b = s[i];
				if (in_str) {
					if (esc)
						esc = 0;
					else if (b == '\\')
						esc = 1;
					else if (b == '"')
						in_str = 0;
				} else if (b == '"') {
					in_str = 1;
				} else if (b == '{' || b == '[') {
					depth++;
				} else if (b == '}' || b == ']') {
					if (depth == 0) {
						found = 1;
						break;
					}
					depth--;
				} else if (b == ',' && depth == 0) {
					found = 1;
					break;
				}
				if (in_str || !sl_json_is_ws(b))
					last = i + 1;
				if (b == '\n') {
					ln++;
					cl = 1;
				} else if ((b & 0xC0) != 0x80) {
					cl++;
				}
			}
			r->scan = i;
			r->last = last;
			r->depth = depth;
			r->in_str = in_str;
			r->esc = esc;
			r->scan_line = ln;
			r->scan_col = cl;
			if (found)
				break;
			if (r->dropped + last > r->lim.max_record) {
				/* over the limit: keep scanning (the state above is all that is needed
				 * to find its end) but let its bytes go */
				r->dropped += r->scan;
				r->start += r->scan;
				r->last = r->scan = 0;
			}
			long got = fill(r, e);
			if (got < 0)
				return (int)got;
			if (got == 0)
				return fatal(r, e, SL_ECORRUPT, r->scan_line, r->scan_col,
					     r->buf_off + (int64_t)r->end,
					     "unexpected end: the array of records is not closed");
		}
		size_t from = r->start, to = r->start + r->scan;
		char delim = r->buf[to];
		size_t content = r->dropped + r->last;
		r->start = to + 1;
		r->line = r->scan_line;
		r->col = r->scan_col + 1;
		if (delim == '}')
			return fatal(r, e, SL_ECORRUPT, r->scan_line, r->scan_col,
				     r->buf_off + (int64_t)to, "unexpected '}' in the array of records");
		if (content > r->lim.max_record) {
			r->astate = delim == ']' ? A_DONE : A_NEXT;
			int64_t index = r->record++;
			if (e) {
				e->code = SL_ELIMIT;
				e->fatal = false;
				e->pos = (struct sl_json_pos){index, line, col, off};
				snprintf(e->msg, sizeof(e->msg),
					 "record of %zu bytes, over the limit of %zu", content,
					 r->lim.max_record);
			}
			return SL_ELIMIT;
		}
		r->astate = delim == ']' ? A_DONE : A_NEXT;
		size_t trimmed = to;
		while (trimmed > from && sl_json_is_ws((unsigned char)r->buf[trimmed - 1]))
			trimmed--;
		if (trimmed == from) {
			int64_t index = r->record++;
			r->rec_from = from; /* a missing element: held, and empty */
			r->rec_len = 0;
			r->rec_held = 1;
			r->rec_pos = (struct sl_json_pos){index, r->scan_line, r->scan_col,
							  r->buf_off + (int64_t)to};
			if (e) {
				e->code = SL_ECORRUPT;
				e->fatal = false;
				e->pos = (struct sl_json_pos){index, r->scan_line, r->scan_col,
							     r->buf_off + (int64_t)to};
				snprintf(e->msg, sizeof(e->msg), "expected a record before '%c'", delim);
			}
			return SL_ECORRUPT;
		}
		return emit(r, from, trimmed, line, col, doc, e);
	}
}

static int next_document(struct sl_json_reader *r, struct sl_json_doc *doc,
			 struct sl_json_error *e)
{
	if (r->astate == A_DONE)
		return 0;
	for (;;) {
		if (r->end - r->start > r->lim.max_record)
			return fatal(r, e, SL_ELIMIT, 1, 1, 0,
				     "document larger than the record limit of %zu bytes",
				     r->lim.max_record);
		long got = fill(r, e);
		if (got < 0)
			return (int)got;
		if (got == 0)
			break;
	}
	r->astate = A_DONE;
	return emit(r, r->start, r->end, 1, 1, doc, e);
}

/* AUTO becomes ARRAY or NDJSON: looks at the first non-blank byte without consuming
 * anything, so that NDJSON lines and columns come out as with --ndjson. */
static int resolve_auto(struct sl_json_reader *r, struct sl_json_error *e)
{
	size_t i = 0;
	if (r->framing != SL_JSON_FRAME_AUTO)
		return 0;
	for (;;) {
		while (r->start + i < r->end && sl_json_is_ws((unsigned char)r->buf[r->start + i]))
			i++;
		if (r->start + i < r->end)
			break;
		long got = fill(r, e);
		if (got < 0)
			return (int)got;
		if (got == 0)
			break;
	}
	r->framing = r->start + i < r->end && r->buf[r->start + i] == '[' ? SL_JSON_FRAME_ARRAY
									   : SL_JSON_FRAME_NDJSON;
	return 0;
}

int sl_json_reader_next(struct sl_json_reader *r, struct sl_json_doc *doc,
			struct sl_json_error *e)
{
	r->rec_held = 0;
	if (r->dead) {
		if (e)
			*e = r->dead_err;
		return r->dead_err.code;
	}
	int rc = resolve_auto(r, e);
	if (rc)
		return rc;
	switch (r->framing) {
	case SL_JSON_FRAME_ARRAY:
		return next_array(r, doc, e);
	case SL_JSON_FRAME_DOCUMENT:
		return next_document(r, doc, e);
	default:
		return next_ndjson(r, doc, e);
	}
}

/* NDJSON: one pass of memchr over the decoded window per line; a line is a record when
 * a byte other than whitespace comes before its LF. Nothing is parsed, so the cost is the
 * decoding and one scan of the bytes (the crawler's count past its sample rides on it). */
static int count_ndjson(struct sl_json_reader *r, int64_t *records, struct sl_json_error *e)
{
	int64_t n = 0, lines = 0;
	bool counted = r->skipping != 0; /* the rest of an over-long line was counted */
	for (;;) {
		const char *s = r->buf + r->start, *end = r->buf + r->end;
		while (s < end) {
			if (!counted) {
				while (s < end && *s != '\n' && sl_json_is_ws((unsigned char)*s))
					s++;
				if (s == end)
					break;
				if (*s == '\n') {
					s++;
					lines++;
					continue;
				}
				n++;
				counted = true;
			}
			const char *nl = memchr(s, '\n', (size_t)(end - s));
			if (!nl) {
				s = end;
				break;
			}
			s = nl + 1;
			lines++;
			counted = false;
		}
		r->start = r->end;
		long got = fill(r, e);
		if (got < 0)
			return (int)got;
		if (got == 0)
			break;
	}
	r->skipping = 0;
	r->record += n;
	r->line += lines;
	r->col = 1;
	*records += n;
	return 0;
}

int sl_json_reader_count_rest(struct sl_json_reader *r, int64_t *records,
			      struct sl_json_error *e)
{
	r->rec_held = 0;
	if (r->dead) {
		if (e)
			*e = r->dead_err;
		return r->dead_err.code;
	}
	int rc = resolve_auto(r, e);
	if (rc)
		return rc;
	if (r->framing == SL_JSON_FRAME_NDJSON)
		return count_ndjson(r, records, e);
	for (;;) {
		struct sl_json_doc doc;
		int got = sl_json_reader_next(r, &doc, e);
		if (got <= 0)
			return got;
		(*records)++;
	}
}
