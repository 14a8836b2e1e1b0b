/*
 * fuzz_compat.c - libFuzzer harness for the registry's handling of untrusted schema
 * text: the canonical form (sl_schema_canonical), the compatibility checker
 * (sl_compat_check_text) and the structural diff. The input is two schema texts
 * separated by the first NUL byte (old, then new).
 *
 * Must never crash, hang or leak, and must keep its promises: a canonical form is a
 * fixed point and parses to the same JSON document as its source; every violation has a
 * rule, a pointer that is "" or starts with '/', and a one-line reason; the report keeps
 * at most SL_COMPAT_REPORT_MAX violations; a schema differs from itself nowhere.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schema/registry.h"
#include "schema/registry_int.h"

/* Canonical form of text, checked; NULL if refused. */
static char *canonical(const char *text, size_t len)
{
	struct sl_buf a, b;
	sl_buf_init(&a, 0);
	sl_buf_init(&b, 0);
	if (sl_schema_canonical(text, len, &a, NULL) != 0) {
		sl_buf_release(&a);
		return NULL;
	}
	if (sl_schema_canonical(a.data, a.len, &b, NULL) != 0 || a.len != b.len ||
	    memcmp(a.data, b.data, a.len) != 0)
		abort(); /* not a fixed point */
	struct sl_json_node *t1, *t2;
	sl_schema_skip_bom(&text, &len); /* as sl_schema_canonical does; the tree takes JSON */
	if (sl_schema_tree(text, len, &t1, NULL) != 0 || sl_schema_tree(a.data, a.len, &t2, NULL) != 0)
		abort();
	if (!sl_json_equal(t1, t2))
		abort(); /* the canonical form is another document */
	struct sl_buf d;
	sl_buf_init(&d, 0);
	if (sl_schema_diff(t1, t2, &d) != 0)
		abort();
	sl_buf_release(&d);
	sl_json_tree_free(t1);
	sl_json_tree_free(t2);
	sl_buf_release(&b);
	return a.data; /* owned by the caller */
}

static void check_report(const struct sl_compat_report *rep)
{
	if (rep->n > SL_COMPAT_REPORT_MAX || rep->n > rep->total)
		abort();
	for (size_t i = 0; i < rep->n; i++) {
		const struct sl_compat_violation *v = &rep->v[i];
		if (!v->rule || !v->direction || (v->pointer[0] && v->pointer[0] != '/') ||
		    !memchr(v->reason, '\0', sizeof(v->reason)) || strchr(v->reason, '\n') ||
		    !v->reason[0])
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t old_len = nul ? (size_t)(nul - text) : size;
	const char *new_text = nul ? nul + 1 : text;
	size_t new_len = nul ? size - old_len - 1 : size;
	char *c1 = canonical(text, old_len);
	char *c2 = canonical(new_text, new_len);
	if (c1 && c2) {
		struct sl_compat_report rep;
		memset(&rep, 0, sizeof(rep));
		if (sl_compat_check_text(c1, strlen(c1), c2, strlen(c2), SL_COMPAT_FULL, 1, &rep,
					 NULL) < 0)
			abort(); /* both texts were accepted above */
		check_report(&rep);
		struct sl_json_node *t1, *t2;
		if (sl_schema_tree(c1, strlen(c1), &t1, NULL) == 0) {
			if (sl_schema_tree(c2, strlen(c2), &t2, NULL) == 0) {
				struct sl_buf d;
				sl_buf_init(&d, 0);
				sl_schema_diff(t1, t2, &d);
				sl_buf_release(&d);
				sl_json_tree_free(t2);
			}
			sl_json_tree_free(t1);
		}
	}
	free(c1);
	free(c2);
	return 0;
}
