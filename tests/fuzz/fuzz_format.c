/*
 * fuzz_format.c - libFuzzer harness for the format checkers (src/schema/format.c). The
 * input is given to every checker as it is (libFuzzer's buffer has exactly its size, so
 * a read past the end is caught), and the verdicts must agree with each other:
 *   1. a string any checker accepts is ASCII without NUL bytes (json-pointer excepted:
 *      its tokens may hold any valid UTF-8, NUL included);
 *   2. a date-time is a date, "T" or "t", and a time; the uuid checker (8 bytes at a
 *      time) agrees with a plain byte-by-byte one;
 *   3. a uri is a uri-reference;
 *   4. an ipv4 address is an ipv6 address's tail ("::ffff:" + it) and an e-mail address
 *      literal ("a@[" + it + "]"); an ipv6 address is a URI host ("x://[" + it + "]")
 *      and an e-mail address literal ("a@[IPv6:" + it + "]").
 * Any disagreement aborts. Never a crash, a leak or a hang.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema/format.h"

static const char *const names[] = {"date-time", "date", "time", "email", "uuid",
				    "ipv4", "ipv6", "uri", "uri-reference",
				    "json-pointer", "duration"};
enum { N_FORMATS = sizeof(names) / sizeof(names[0]) };
static sl_format_fn *fns[N_FORMATS];

/* The uuid grammar, one byte at a time. */
static bool uuid_ref(const uint8_t *s, size_t len)
{
	if (len != 36)
		return false;
	for (size_t i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		bool hex = (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
			   (s[i] >= 'A' && s[i] <= 'F');
		if (dash ? s[i] != '-' : !hex)
			return false;
	}
	return true;
}

static void die(const char *format, const char *why, const uint8_t *data, size_t size)
{
	fprintf(stderr, "fuzz_format: %s: %s (%zu bytes: \"", format, why, size);
	for (size_t i = 0; i < size && i < 200; i++)
		fprintf(stderr, data[i] >= 0x20 && data[i] < 0x7f ? "%c" : "\\x%02x", data[i]);
	fprintf(stderr, "\")\n");
	abort();
}

static sl_format_fn *fn_of(const char *name)
{
	for (int k = 0; k < N_FORMATS; k++)
		if (strcmp(names[k], name) == 0)
			return fns[k];
	abort();
}

/* Calls a checker on head + data + tail, in a heap block of exactly that size. */
static bool wrapped(const char *name, const char *head, const uint8_t *data, size_t size,
		    const char *tail)
{
	size_t h = strlen(head), t = strlen(tail), n = h + size + t;
	char *buf = malloc(n);
	if (!buf)
		abort();
	memcpy(buf, head, h);
	if (size)
		memcpy(buf + h, data, size);
	memcpy(buf + h + size, tail, t);
	bool ok = fn_of(name)(buf, n);
	free(buf);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!fns[0])
		for (int k = 0; k < N_FORMATS; k++)
			if (!(fns[k] = sl_format_lookup(names[k])))
				die(names[k], "no checker", data, 0);
	const char *s = (const char *)data;
	bool ok[N_FORMATS];
	bool plain = true; /* ASCII without NUL */
	for (size_t i = 0; i < size; i++)
		plain &= data[i] != 0 && data[i] < 0x80;
	for (int k = 0; k < N_FORMATS; k++) {
		ok[k] = fns[k](s, size);
		if (ok[k] && !plain && strcmp(names[k], "json-pointer") != 0)
			die(names[k], "accepted a NUL or non-ASCII byte", data, size);
	}
	if (ok[0]) { /* date-time */
		if (!fn_of("date")(s, 10) || (s[10] != 'T' && s[10] != 't') ||
		    !fn_of("time")(s + 11, size - 11))
			die("date-time", "not a date, T and a time", data, size);
	}
	if (ok[4] != uuid_ref(data, size))
		die("uuid", "disagrees with the byte-by-byte check", data, size);
	if (ok[7] && !ok[8])
		die("uri", "not a uri-reference", data, size);
	if (ok[5]) {
		if (!wrapped("ipv6", "::ffff:", data, size, ""))
			die("ipv4", "not an IPv6 tail", data, size);
		if (!wrapped("email", "a@[", data, size, "]"))
			die("ipv4", "not an e-mail address literal", data, size);
	}
	if (ok[6]) {
		if (!wrapped("uri", "x://[", data, size, "]"))
			die("ipv6", "not a URI host", data, size);
		if (!wrapped("email", "a@[IPv6:", data, size, "]"))
			die("ipv6", "not an e-mail address literal", data, size);
	}
	return 0;
}
