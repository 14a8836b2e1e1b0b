/*
 * json.h - the JSON engine: a strict RFC 8259 parser, fast enough to be the pipeline's
 * hot path, and the framing that turns a stream (NDJSON, one JSON array of records, one
 * document; plain, gzip or zstd) into records.
 *
 * A record is parsed into a tape: a flat array of tokens in document order, which the
 * validator and the Parquet shredder walk directly (no tree per record). A small tree
 * (sl_json_node) exists for schemas and configuration.
 *
 * Strictness: no trailing commas, comments, NaN/Infinity, leading zeros, lone
 * surrogates, control characters in strings or invalid UTF-8; duplicate keys are
 * accepted but flagged (SL_JSON_F_DUPKEY, doc->dup_keys) for the caller to judge.
 * Integers that fit int64 are exact; larger ones are kept as their decimal text;
 * doubles are correctly rounded, independently of the locale.
 *
 * Stage 1 has a portable scalar implementation and AVX2 and AVX-512 ones; the fastest the
 * CPU has is chosen at run time, and all give identical tapes and errors.
 */
#ifndef SL_JSON_H
#define SL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

enum sl_json_type {
	SL_JSON_NULL = 1,
	SL_JSON_FALSE,
	SL_JSON_TRUE,
	SL_JSON_INT,    /* v.i; the number's text is text[off .. off+len) */
	SL_JSON_BIGINT, /* an integer beyond int64: only its text (text[off .. off+len)) */
	SL_JSON_DOUBLE, /* v.d (a number with a fraction or exponent); text as for INT */
	SL_JSON_STRING, /* v.s, len: unescaped UTF-8 (\u0000 gives a NUL byte) */
	SL_JSON_KEY,    /* an object member's name (v.s, len); its value's tokens follow */
	SL_JSON_OBJECT, /* begin; len = number of members, v.end = index of its END token */
	SL_JSON_ARRAY,  /* begin; len = number of elements, v.end = index of its END token */
	SL_JSON_END,    /* end of the innermost open object or array */
};

#define SL_JSON_F_DUPKEY 1  /* on a KEY: an earlier member of the same object has it */
#define SL_JSON_F_ESCAPED 2 /* on a STRING or KEY: had escapes, v.s is a decoded copy */

struct sl_json_tok {
	uint8_t type;  /* enum sl_json_type */
	uint8_t flags; /* SL_JSON_F_* */
	uint16_t depth; /* nesting depth: 0 for the record's top value */
	uint32_t len;
	uint32_t off; /* byte offset of the token's first byte in the record text */
	uint32_t reserved;
	union {
		int64_t i;
		double d;
		const char *s;
		uint32_t end;
	} v;
};

/* Where a record is, for error messages: line and column are 1-based; the column counts
 * characters (UTF-8 sequences), not bytes. */
struct sl_json_pos {
	int64_t record; /* 0-based index in the stream */
	int64_t line;
	int64_t column;
	int64_t offset; /* byte offset in the (decompressed) stream */
};

struct sl_json_error {
	int code; /* SL_ECORRUPT (bad JSON), SL_ELIMIT (a limit), SL_EIO, SL_ENOMEM, ... */
	bool fatal; /* the stream cannot go on (I/O, broken compression); else the next
		     * record can be read */
	struct sl_json_pos pos;
	char msg[256];
};

struct sl_json_doc {
	const struct sl_json_tok *tok; /* borrowed: valid until the next parse */
	size_t n_tok;
	const char *text; /* the record's bytes (borrowed) */
	size_t len;
	struct sl_json_pos pos; /* of its first byte */
	bool dup_keys; /* some object has a repeated key (see SL_JSON_F_DUPKEY) */
	int max_depth; /* deepest nesting reached (0 = a scalar record) */
};

struct sl_json_limits {
	uint32_t max_depth;  /* default 512 */
	size_t max_record;   /* bytes; default 64 MiB */
	size_t max_string;   /* bytes of one string or key; default 16 MiB */
	size_t max_number;   /* characters of one number; default 1000 */
};

void sl_json_limits_default(struct sl_json_limits *lim);

enum sl_json_impl {
	SL_JSON_IMPL_AUTO,
	SL_JSON_IMPL_SCALAR,
	SL_JSON_IMPL_AVX2,
	SL_JSON_IMPL_AVX512
};

/* ---- one record -------------------------------------------------------------------- */

struct sl_json_parser;

/* lim NULL = defaults. */
struct sl_json_parser *sl_json_parser_new(const struct sl_json_limits *lim);
void sl_json_parser_free(struct sl_json_parser *p);
/* Forces an implementation (tests, benchmarks); SL_EINVAL if the CPU lacks it. */
int sl_json_parser_set_impl(struct sl_json_parser *p, enum sl_json_impl impl);
const char *sl_json_parser_impl_name(const struct sl_json_parser *p);

/* Parses one complete JSON text of len bytes (surrounding whitespace allowed). On
 * success fills doc (tokens valid until the next call on p). On failure fills e with
 * a message and the position (relative to buf: record 0, line 1, unless the caller sets
 * e->pos before... see sl_json_reader for stream positions). */
int sl_json_parse(struct sl_json_parser *p, const char *buf, size_t len,
		  struct sl_json_doc *doc, struct sl_json_error *e);

/* The same, for a caller that guarantees SL_JSON_PADDING readable bytes after buf[len]
 * (any contents): the parser may then read whole 64-byte blocks at the end. */
#define SL_JSON_PADDING 64
int sl_json_parse_padded(struct sl_json_parser *p, const char *buf, size_t len,
			 struct sl_json_doc *doc, struct sl_json_error *e);

/* ---- a stream of records ------------------------------------------------------------- */

enum sl_json_framing {
	SL_JSON_FRAME_NDJSON,   /* one record per line (LF or CRLF); blank lines skipped */
	SL_JSON_FRAME_ARRAY,    /* one top-level array; each element is a record */
	SL_JSON_FRAME_DOCUMENT, /* the whole stream is one record */
	SL_JSON_FRAME_AUTO,     /* ARRAY if the first non-blank byte is '[', else NDJSON */
};

struct sl_json_reader;

/* Reads fd (borrowed; not closed) in bounded chunks; gzip and zstd are recognised by
 * their magic bytes and decompressed while streaming; a UTF-8 BOM at the start is
 * skipped. name is used in messages. */
int sl_json_reader_open(int fd, const char *name, enum sl_json_framing framing,
			const struct sl_json_limits *lim, struct sl_json_reader **out,
			struct sl_err *err);
/* 1: a record in doc; 0: end of stream; < 0: an error in e (e->fatal says whether
 * reading may go on with the next record). */
int sl_json_reader_next(struct sl_json_reader *r, struct sl_json_doc *doc,
			struct sl_json_error *e);
/* Counts the records left, to the end of the stream, adding them to *records, without
 * handing them out: NDJSON lines that hold a byte other than whitespace are counted
 * without being parsed (so a bad line counts as a record; this is a newline scan, as
 * fast as the bytes can be decoded); other framings read each record as
 * sl_json_reader_next does and stop at the first error, returned with e filled (records
 * before it counted). 0 at the end of the stream. */
int sl_json_reader_count_rest(struct sl_json_reader *r, int64_t *records,
			      struct sl_json_error *e);
/* Bytes consumed so far (decompressed and compressed). */
void sl_json_reader_bytes(const struct sl_json_reader *r, int64_t *decoded, int64_t *raw);
struct sl_json_parser *sl_json_reader_parser(struct sl_json_reader *r);
/* The bytes of the record the last sl_json_reader_next returned, or rejected as invalid
 * (borrowed, valid until the next call; NDJSON without the line end, ARRAY without the
 * separators), and where it starts (pos: as doc->pos). False when they are not held: a record over max_record (dropped while
 * reading), end of stream, or a fatal error. */
bool sl_json_reader_record_text(const struct sl_json_reader *r, const char **text,
				size_t *len, struct sl_json_pos *pos /* may be NULL */);
/* The framing in use; AUTO becomes ARRAY or NDJSON at the first sl_json_reader_next. */
enum sl_json_framing sl_json_reader_framing(const struct sl_json_reader *r);
void sl_json_reader_close(struct sl_json_reader *r);

/* ---- a small tree, for schemas and configuration ----------------------------------- */

struct sl_json_node {
	enum sl_json_type type; /* never KEY or END */
	union {
		int64_t i;
		double d;
		struct {
			char *s; /* NUL-terminated copy (may also contain NULs: use len) */
			size_t len;
		} str;         /* STRING, and BIGINT's text */
		struct {
			struct sl_json_node **items;
			char **keys; /* OBJECT only: NUL-terminated member names */
			size_t *key_lens;
			size_t n;
		} c;
	} u;
	uint32_t off; /* byte offset of the value in the parsed text */
};

/* Builds a tree from a parsed record (copies everything it needs). NULL if out of
 * memory. Duplicate keys: the tree keeps every member; sl_json_get returns the last. */
struct sl_json_node *sl_json_tree(const struct sl_json_doc *doc);
/* Parses and builds in one; NULL on error (e filled). */
struct sl_json_node *sl_json_tree_parse(const char *buf, size_t len,
					const struct sl_json_limits *lim,
					struct sl_json_error *e);
const struct sl_json_node *sl_json_get(const struct sl_json_node *obj, const char *key);
void sl_json_tree_free(struct sl_json_node *n);

#endif
