/*
 * key.c - object keys and zones.
 *
 * A key follows S3's rules (1 to 1024 bytes of valid UTF-8) and, because keys become
 * paths, these too: no leading or trailing '/', no empty, "." or ".." segment, no
 * control character (U+0000-U+001F, U+007F-U+009F), no segment longer than 255 bytes.
 * Together with the backend's no-symlink walk (fs.c), a valid key can name nothing
 * outside its zone.
 */
#include "store/store.h"

#include <string.h>

#include "util/utf8.h"

const char *const sl_zone_names[SL_ZONE_COUNT] = {"landing", "raw", "deadletter", "curated"};

int sl_zone_from_name(const char *name)
{
	for (int i = 0; i < SL_ZONE_COUNT; i++)
		if (strcmp(name, sl_zone_names[i]) == 0)
			return i;
	return -1;
}

int sl_key_check(const char *key, struct sl_err *err)
{
	size_t len = strlen(key), bad;
	if (len == 0)
		return sl_err_set(err, SL_EKEY, "invalid key: empty");
	if (len > SL_KEY_MAX)
		return sl_err_set(err, SL_EKEY, "invalid key: %zu bytes, at most %d allowed", len,
				  SL_KEY_MAX);
	if (!sl_utf8_valid(key, len, &bad))
		return sl_err_set(err, SL_EKEY, "invalid key: not valid UTF-8 at byte %zu", bad);
	if (key[0] == '/')
		return sl_err_set(err, SL_EKEY, "invalid key '%s': starts with '/'", key);
	if (key[len - 1] == '/')
		return sl_err_set(err, SL_EKEY, "invalid key '%s': ends with '/'", key);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)key[i];
		bool ctl = c < 0x20 || c == 0x7F ||
			   (c == 0xC2 && i + 1 < len && (unsigned char)key[i + 1] >= 0x80 &&
			    (unsigned char)key[i + 1] <= 0x9F);
		if (ctl)
			return sl_err_set(err, SL_EKEY,
					  "invalid key: control character at byte %zu", i);
	}
	const char *seg = key;
	while (seg) {
		const char *slash = strchr(seg, '/');
		size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
		if (n == 0)
			return sl_err_set(err, SL_EKEY, "invalid key '%s': empty segment ('//')", key);
		if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return sl_err_set(err, SL_EKEY, "invalid key '%s': '%.*s' segment", key,
					  (int)n, seg);
		if (n > 255)
			return sl_err_set(err, SL_EKEY,
					  "invalid key: segment of %zu bytes, at most 255 allowed", n);
		seg = slash ? slash + 1 : NULL;
	}
	return 0;
}

int sl_zone_key_split(const char *arg, char *zone, size_t zone_cap, const char **key,
		      bool require_key, struct sl_err *err)
{
	const char *slash = strchr(arg, '/');
	size_t n = slash ? (size_t)(slash - arg) : strlen(arg);
	if (n == 0 || n >= zone_cap)
		return sl_err_set(err, SL_EKEY, "'%s': expected ZONE/KEY (zones: landing, raw, "
				  "deadletter, curated)", arg);
	memcpy(zone, arg, n);
	zone[n] = '\0';
	if (sl_zone_from_name(zone) < 0)
		return sl_err_set(err, SL_EKEY,
				  "unknown zone '%s' (zones: landing, raw, deadletter, curated)", zone);
	*key = slash ? slash + 1 : "";
	if (require_key)
		return sl_key_check(*key, err);
	return 0;
}

static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && memcmp(s + len - n, suffix, n) == 0;
}

const char *sl_content_type_guess(const char *key)
{
	static const struct {
		const char *ext, *type;
	} map[] = {
		{".ndjson", "application/x-ndjson"}, {".jsonl", "application/x-ndjson"},
		{".json", "application/json"},       {".csv", "text/csv"},
		{".parquet", "application/vnd.apache.parquet"},
		{".gz", "application/gzip"},         {".zst", "application/zstd"},
		{".txt", "text/plain"},              {".yaml", "application/yaml"},
		{".avro", "application/avro"},
	};
	size_t len = strlen(key);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (ends_with(key, len, map[i].ext))
			return map[i].type;
	return "application/octet-stream";
}
