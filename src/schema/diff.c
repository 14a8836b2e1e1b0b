/*
 * diff.c - a readable structural diff of two schema versions, by JSON pointer.
 *
 * Objects are compared member by member (in key order), arrays of scalars as sets (the
 * order of "required" or "enum" means nothing to a validator), other arrays element by
 * element. Everything else that differs is one "~ POINTER: OLD -> NEW" line. At most
 * MAX_LINES lines are written; the count of the rest follows.
 */
#include <stdlib.h>
#include <string.h>

#include "schema/registry_int.h"

#define MAX_LINES 10000
#define VALUE_MAX 120

typedef struct sl_json_node node;

struct diff {
	struct sl_buf *out;
	size_t lines;
	char ptr[512];
};

static void emit_line(struct diff *d, char op, const node *a, const node *b)
{
	d->lines++;
	if (d->lines > MAX_LINES)
		return;
	sl_buf_printf(d->out, "%c %s: ", op, d->ptr[0] ? d->ptr : "(root)");
	sl_json_render(a, d->out, VALUE_MAX);
	if (b) {
		sl_buf_puts(d->out, " -> ");
		sl_json_render(b, d->out, VALUE_MAX);
	}
	sl_buf_puts(d->out, "\n");
}

static void push_index(struct diff *d, size_t i)
{
	char idx[24];
	int n = snprintf(idx, sizeof(idx), "%zu", i);
	sl_pointer_push(d->ptr, sizeof(d->ptr), idx, (size_t)n);
}

static bool is_container(const node *n)
{
	return n->type == SL_JSON_OBJECT || n->type == SL_JSON_ARRAY;
}

static bool all_scalars(const node *arr)
{
	for (size_t i = 0; i < arr->u.c.n; i++)
		if (is_container(arr->u.c.items[i]))
			return false;
	return true;
}

static bool contains(const node *arr, const node *v)
{
	for (size_t i = 0; i < arr->u.c.n; i++)
		if (sl_json_equal(arr->u.c.items[i], v))
			return true;
	return false;
}

struct member {
	const char *key;
	size_t len;
	const node *value;
};

static int member_cmp(const void *x, const void *y)
{
	const struct member *a = x, *b = y;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->key, b->key, n);
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

/* The members of an object sorted by name (names may hold NUL bytes: lengths count). */
static struct member *sorted_members(const node *obj)
{
	struct member *m = malloc((obj->u.c.n ? obj->u.c.n : 1) * sizeof(*m));
	if (!m)
		return NULL;
	for (size_t i = 0; i < obj->u.c.n; i++)
		m[i] = (struct member){obj->u.c.keys[i], obj->u.c.key_lens[i], obj->u.c.items[i]};
	qsort(m, obj->u.c.n, sizeof(*m), member_cmp);
	return m;
}

static void diff(struct diff *d, const node *a, const node *b)
{
	size_t at = strlen(d->ptr);
	if (sl_json_equal(a, b))
		return;
	if (a->type == SL_JSON_OBJECT && b->type == SL_JSON_OBJECT) {
		struct member *ma = sorted_members(a), *mb = sorted_members(b);
		size_t i = 0, j = 0;
		while (ma && mb && (i < a->u.c.n || j < b->u.c.n)) {
			int c = i >= a->u.c.n	? 1
				: j >= b->u.c.n ? -1
						: member_cmp(&ma[i], &mb[j]);
			const struct member *k = c <= 0 ? &ma[i] : &mb[j];
			sl_pointer_push(d->ptr, sizeof(d->ptr), k->key, k->len);
			if (c < 0)
				emit_line(d, '-', ma[i].value, NULL);
			else if (c > 0)
				emit_line(d, '+', mb[j].value, NULL);
			else
				diff(d, ma[i].value, mb[j].value);
			d->ptr[at] = '\0';
			i += c <= 0;
			j += c >= 0;
		}
		if (!ma || !mb)
			emit_line(d, '~', a, b); /* out of memory: say it changed */
		free(ma);
		free(mb);
		return;
	}
	if (a->type == SL_JSON_ARRAY && b->type == SL_JSON_ARRAY) {
		if (all_scalars(a) && all_scalars(b)) {
			size_t before = d->lines;
			for (size_t i = 0; i < a->u.c.n; i++) {
				if (contains(b, a->u.c.items[i]))
					continue;
				push_index(d, i);
				emit_line(d, '-', a->u.c.items[i], NULL);
				d->ptr[at] = '\0';
			}
			for (size_t i = 0; i < b->u.c.n; i++) {
				if (contains(a, b->u.c.items[i]))
					continue;
				push_index(d, i);
				emit_line(d, '+', b->u.c.items[i], NULL);
				d->ptr[at] = '\0';
			}
			if (d->lines == before) /* same elements, other order or repeats */
				emit_line(d, '~', a, b);
			return;
		}
		size_t n = a->u.c.n < b->u.c.n ? a->u.c.n : b->u.c.n;
		for (size_t i = 0; i < a->u.c.n || i < b->u.c.n; i++) {
			push_index(d, i);
			if (i < n)
				diff(d, a->u.c.items[i], b->u.c.items[i]);
			else if (i < a->u.c.n)
				emit_line(d, '-', a->u.c.items[i], NULL);
			else
				emit_line(d, '+', b->u.c.items[i], NULL);
			d->ptr[at] = '\0';
		}
		return;
	}
	emit_line(d, '~', a, b);
}

size_t sl_schema_diff(const struct sl_json_node *a, const struct sl_json_node *b,
		      struct sl_buf *out)
{
	struct diff d = {.out = out};
	diff(&d, a, b);
	if (d.lines > MAX_LINES)
		sl_buf_printf(out, "... and %zu more differences\n", d.lines - MAX_LINES);
	return d.lines;
}
