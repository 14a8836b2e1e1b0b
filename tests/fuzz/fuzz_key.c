/*
 * fuzz_key.c - libFuzzer harness for object keys: sl_key_check and sl_zone_key_split
 * must never crash, and a key they accept must be a safe relative path (no NUL, no
 * leading '/', no '.' or '..' segment, valid UTF-8, at most 1024 bytes).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "store/store.h"
#include "util/utf8.h"

static void assert_safe(const char *key)
{
	size_t len = strlen(key);
	if (len == 0 || len > SL_KEY_MAX || key[0] == '/' || key[len - 1] == '/' ||
	    !sl_utf8_valid(key, len, NULL))
		abort();
	for (const char *seg = key; seg;) {
		const char *slash = strchr(seg, '/');
		size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
		if (n == 0 || (n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			abort();
		seg = slash ? slash + 1 : NULL;
	}
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)key[i] < 0x20 || key[i] == 0x7f)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	struct sl_err err = {0};
	if (sl_key_check(s, &err) == 0)
		assert_safe(s);
	else if (!err.msg[0])
		abort();
	char zone[SL_ZONE_MAX];
	const char *key;
	if (sl_zone_key_split(s, zone, sizeof(zone), &key, true, &err) == 0) {
		if (sl_zone_from_name(zone) < 0)
			abort();
		assert_safe(key);
	}
	free(s);
	return 0;
}
