/*
 * format.c - the "format" checkers of format.h: hand-written recognisers of the RFC
 * grammars, called by the validator once per string that has a format, so on the hot
 * path.
 *
 * What every checker promises:
 *   1. It reads only s[0 .. len): no terminating NUL is assumed, and a NUL byte inside
 *      the string is an ordinary byte that no format allows.
 *   2. It allocates nothing, calls nothing that allocates, and runs in time linear in
 *      len (most formats have a fixed or bounded length and look at each byte once).
 *   3. It accepts exactly the grammar of its RFC, in ASCII: any byte >= 0x80 makes a
 *      string invalid (the idn- and iri formats, which allow more, are separate), except
 *      in json-pointer, whose tokens may hold any Unicode character (the bytes must then
 *      be valid UTF-8).
 *
 * Formats beyond the ones format.h lists (cheap, and checked against the same suite):
 * uri-reference (RFC 3986 URI-reference), json-pointer (RFC 6901) and duration
 * (RFC 3339 appendix A).
 */
#include "schema/format.h"

#include <stdint.h>
#include <string.h>

#include "util/utf8.h"

/* ---- characters ------------------------------------------------------------------------ */

static inline bool is_digit(unsigned char c)
{
	return (unsigned)c - '0' < 10u;
}

static inline bool is_alpha(unsigned char c)
{
	return (unsigned)(c | 0x20) - 'a' < 26u;
}

/* Two ASCII digits as a number, or -1. */
static inline int two_digits(const unsigned char *s)
{
	unsigned a = (unsigned)s[0] - '0', b = (unsigned)s[1] - '0';
	return a < 10u && b < 10u ? (int)(a * 10 + b) : -1;
}

/* The classes of RFC 3986's characters, as bits of one table computed at compile time. */
#define U_UNRES 1u  /* unreserved: ALPHA DIGIT - . _ ~ */
#define U_SUB 2u    /* sub-delims: ! $ & ' ( ) * + , ; = */
#define U_COLON 4u  /* : */
#define U_AT 8u     /* @ */
#define U_SLASH 16u /* / */
#define U_QMARK 32u /* ? */
#define U_HEX 64u   /* HEXDIG, either case (not a URI class: the checkers' table lookup) */

#define U_IS_ALNUM(c) (((c) >= 'a' && (c) <= 'z') || ((c) >= 'A' && (c) <= 'Z') || \
		       ((c) >= '0' && (c) <= '9'))
#define U_CLS(c)                                                                         \
	((U_IS_ALNUM(c) || (c) == '-' || (c) == '.' || (c) == '_' || (c) == '~' ? U_UNRES  \
										  : 0u) |    \
	 ((c) == '!' || (c) == '$' || (c) == '&' || (c) == '\'' || (c) == '(' ||          \
		  (c) == ')' || (c) == '*' || (c) == '+' || (c) == ',' || (c) == ';' ||    \
		  (c) == '='                                                               \
	      ? U_SUB                                                                      \
	      : 0u) |                                                                      \
	 ((c) == ':' ? U_COLON : 0u) | ((c) == '@' ? U_AT : 0u) |                          \
	 ((c) == '/' ? U_SLASH : 0u) | ((c) == '?' ? U_QMARK : 0u) |                       \
	 (((c) >= '0' && (c) <= '9') || ((c) >= 'a' && (c) <= 'f') ||                     \
		  ((c) >= 'A' && (c) <= 'F')                                               \
	      ? U_HEX                                                                      \
	      : 0u))
#define U_R4(b) U_CLS(b), U_CLS((b) + 1), U_CLS((b) + 2), U_CLS((b) + 3)
#define U_R16(b) U_R4(b), U_R4((b) + 4), U_R4((b) + 8), U_R4((b) + 12)
#define U_R64(b) U_R16(b), U_R16((b) + 16), U_R16((b) + 32), U_R16((b) + 48)
static const uint8_t uri_cls[256] = {U_R64(0), U_R64(64), U_R64(128), U_R64(192)};

/* A table lookup rather than comparisons: hex digits mix digits and letters
 * unpredictably, and comparisons mispredict. */
static inline bool is_hex(unsigned char c)
{
	return uri_cls[c] & U_HEX;
}

/* The sets the grammar's rules allow (a percent-encoding is allowed in all of them). */
#define U_PCHAR (U_UNRES | U_SUB | U_COLON | U_AT)
#define U_PATH (U_PCHAR | U_SLASH)
#define U_QUERY (U_PCHAR | U_SLASH | U_QMARK) /* query and fragment */
#define U_USERINFO (U_UNRES | U_SUB | U_COLON)
#define U_REGNAME (U_UNRES | U_SUB)
#define U_NOSCHEME (U_UNRES | U_SUB | U_AT) /* segment-nz-nc: pchar without ':' */

#define SCAN_BAD SIZE_MAX

/* The index of the first byte at or after i that is neither in one of the classes of
 * want nor the start of a percent-encoding ("%" HEXDIG HEXDIG); SCAN_BAD when a '%' is
 * not followed by two hex digits. */
static size_t uri_scan(const unsigned char *s, size_t i, size_t len, unsigned want)
{
	while (i < len) {
		if (uri_cls[s[i]] & want) {
			i++;
		} else if (s[i] == '%') {
			if (len - i < 3 || !is_hex(s[i + 1]) || !is_hex(s[i + 2]))
				return SCAN_BAD;
			i += 3;
		} else {
			break;
		}
	}
	return i;
}

/* ---- dates and times (RFC 3339 section 5.6) ---------------------------------------------- */

static inline bool leap_year(unsigned y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* full-date = date-fullyear "-" date-month "-" date-mday, exactly 10 bytes at s. */
static bool full_date(const unsigned char *s)
{
	static const uint8_t mdays[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y1 = two_digits(s), y2 = two_digits(s + 2);
	int m = two_digits(s + 5), d = two_digits(s + 8);
	if (y1 < 0 || y2 < 0 || s[4] != '-' || s[7] != '-' || m < 1 || m > 12 || d < 1)
		return false;
	if (d > mdays[m])
		return false;
	return m != 2 || d < 29 || leap_year((unsigned)(y1 * 100 + y2));
}

/* full-time = partial-time time-offset, the whole of s[0 .. len). A leap second (60) is
 * allowed only when the time, moved to UTC by its offset, is 23:59:60: the last second
 * of a UTC day, where leap seconds are inserted. */
static bool full_time(const unsigned char *s, size_t len)
{
	if (len < 9) /* "hh:mm:ssZ" */
		return false;
	int h = two_digits(s), m = two_digits(s + 3), sec = two_digits(s + 6);
	if (h < 0 || h > 23 || s[2] != ':' || m < 0 || m > 59 || s[5] != ':' || sec < 0 ||
	    sec > 60)
		return false;
	size_t i = 8;
	if (s[i] == '.') { /* time-secfrac = "." 1*DIGIT */
		size_t first = ++i;
		while (i < len && is_digit(s[i]))
			i++;
		if (i == first || i == len)
			return false;
	}
	int offset_min; /* local time - UTC, in minutes */
	if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
		offset_min = 0;
	} else if ((s[i] == '+' || s[i] == '-') && len - i == 6) {
		int oh = two_digits(s + i + 1), om = two_digits(s + i + 4);
		if (oh < 0 || oh > 23 || s[i + 3] != ':' || om < 0 || om > 59)
			return false;
		offset_min = (s[i] == '-' ? -1 : 1) * (oh * 60 + om);
	} else {
		return false;
	}
	if (sec == 60) {
		int utc = ((h * 60 + m - offset_min) % 1440 + 1440) % 1440;
		if (utc != 23 * 60 + 59)
			return false;
	}
	return true;
}

static bool fmt_date(const char *str, size_t len)
{
	return len == 10 && full_date((const unsigned char *)str);
}

static bool fmt_time(const char *str, size_t len)
{
	return full_time((const unsigned char *)str, len);
}

/* date-time = full-date "T" full-time; "t" and "z" are allowed as RFC 3339 5.6 notes. */
static bool fmt_date_time(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	return len >= 20 && full_date(s) && (s[10] == 'T' || s[10] == 't') &&
	       full_time(s + 11, len - 11);
}

/* ---- uuid (RFC 4122 section 3) --------------------------------------------------------- */

/* Whether all 8 bytes of x are ASCII hex digits, 8 at a time (SWAR): for a byte b below
 * 0x80, b + (0x80 - lo) has its high bit set exactly when b >= lo, and no sum carries
 * into the next byte; a byte from 0x80 up fails the first test before it matters. */
static inline bool all_hex8(uint64_t x)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t lower = x | ones * 0x20; /* 'A'-'F' -> 'a'-'f' */
	uint64_t digit = (x + ones * (0x80 - '0')) & ~(x + ones * (0x80 - ('9' + 1)));
	uint64_t alpha = (lower + ones * (0x80 - 'a')) & ~(lower + ones * (0x80 - ('f' + 1)));
	return (x & high) == 0 && ((digit | alpha) & high) == high;
}

static inline uint64_t load8(const unsigned char *s)
{
	uint64_t v;
	memcpy(&v, s, 8);
	return v;
}

static inline uint64_t load4x2(const unsigned char *a, const unsigned char *b)
{
	uint32_t x, y;
	memcpy(&x, a, 4);
	memcpy(&y, b, 4);
	return (uint64_t)x | (uint64_t)y << 32;
}

/* 8-4-4-4-12 hex digits, either case, any version and variant. The 32 digits are tested
 * as four 8-byte words: records are full of UUIDs, and a byte-by-byte loop was the
 * slowest of the checkers. */
static bool fmt_uuid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	if (len != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-')
		return false;
	return all_hex8(load8(s)) && all_hex8(load4x2(s + 9, s + 14)) &&
	       all_hex8(load4x2(s + 19, s + 24)) && all_hex8(load8(s + 28));
}

/* ---- IP addresses ---------------------------------------------------------------------- */

/* dotted-quad (RFC 3986's IPv4address): four decimal octets 0-255 without leading
 * zeros, the whole of s[0 .. len). */
static bool ipv4(const unsigned char *s, size_t len)
{
	size_t i = 0;
	for (int part = 0; part < 4; part++) {
		if (part) {
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
		size_t first = i;
		unsigned v = 0;
		while (i < len && is_digit(s[i]) && i - first < 3)
			v = v * 10 + (s[i++] - '0');
		size_t n = i - first;
		if (n == 0 || v > 255 || (n > 1 && s[first] == '0'))
			return false;
	}
	return i == len;
}

/* RFC 4291 section 2.2 text forms (RFC 3986's IPv6address): eight groups of 1-4 hex
 * digits, one "::" standing for one or more zero groups, and an IPv4 dotted quad in
 * place of the last two groups. No zone id, prefix length or brackets. */
static bool ipv6(const unsigned char *s, size_t len)
{
	size_t i = 0;
	int groups = 0;
	bool elided = false;
	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		elided = true;
		i = 2;
		if (i == len)
			return true;
	}
	for (;;) {
		size_t first = i;
		while (i < len && is_hex(s[i]) && i - first < 5)
			i++;
		if (i < len && s[i] == '.') { /* the IPv4 tail: always last */
			if (!ipv4(s + first, len - first))
				return false;
			groups += 2;
			break;
		}
		if (i == first || i - first > 4)
			return false;
		groups++;
		if (groups > 8)
			return false;
		if (i == len)
			break;
		if (s[i] != ':')
			return false;
		i++;
		if (i < len && s[i] == ':') {
			if (elided)
				return false;
			elided = true;
			i++;
			if (i == len)
				break;
		} else if (i == len) {
			return false; /* a trailing single ':' */
		}
	}
	return elided ? groups <= 7 : groups == 8;
}

static bool fmt_ipv4(const char *s, size_t len)
{
	return ipv4((const unsigned char *)s, len);
}

static bool fmt_ipv6(const char *s, size_t len)
{
	return ipv6((const unsigned char *)s, len);
}

/* ---- email (RFC 5321 section 4.1.2 Mailbox, ASCII) ------------------------------------- */

/* atext of RFC 5322: ALPHA DIGIT and ! # $ % & ' * + - / = ? ^ _ ` { | } ~ */
static inline bool is_atext(unsigned char c)
{
	if (U_IS_ALNUM(c))
		return true;
	switch (c) {
	case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
	case '-': case '/': case '=': case '?': case '^': case '_': case '`': case '{':
	case '|': case '}': case '~':
		return true;
	default:
		return false;
	}
}

/* Domain = sub-domain *("." sub-domain); sub-domain = Let-dig [Ldh-str]: labels of
 * letters, digits and inner hyphens, at most 63 bytes each (RFC 1035) and 255 in all
 * (RFC 5321 4.5.3.1.2). */
static bool domain(const unsigned char *s, size_t len)
{
	if (len == 0 || len > 255)
		return false;
	size_t i = 0;
	for (;;) {
		size_t first = i;
		while (i < len && (U_IS_ALNUM(s[i]) || s[i] == '-'))
			i++;
		if (i == first || i - first > 63 || s[first] == '-' || s[i - 1] == '-')
			return false;
		if (i == len)
			return true;
		if (s[i] != '.')
			return false;
		i++;
	}
}

/* Mailbox = Local-part "@" ( Domain / address-literal ). The local part is a Dot-string
 * (atoms joined by single dots) or a Quoted-string (printable ASCII, with backslash
 * pairs), at most 64 bytes (RFC 5321 4.5.3.1.1). Address literals are IPv4 and IPv6
 * ("[IPv6:...]"); RFC 5321's General-address-literal needs a tag registered with IANA,
 * and none is, so it is refused. */
static bool fmt_email(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	if (len == 0)
		return false;
	if (s[0] == '"') {
		for (i = 1;; i++) {
			if (i >= len)
				return false;
			if (s[i] == '"')
				break;
			if (s[i] == '\\') { /* quoted-pairSMTP = "\" %d32-126 */
				i++;
				if (i >= len || s[i] < 32 || s[i] > 126)
					return false;
			} else if (s[i] < 32 || s[i] > 126) { /* qtextSMTP and the space */
				return false;
			}
		}
		i++;
	} else {
		for (;;) {
			size_t first = i;
			while (i < len && is_atext(s[i]))
				i++;
			if (i == first || i == len)
				return false;
			if (s[i] != '.')
				break;
			i++;
		}
	}
	if (i > 64 || i >= len || s[i] != '@')
		return false;
	const unsigned char *d = s + i + 1;
	size_t n = len - i - 1;
	if (n >= 2 && d[0] == '[' && d[n - 1] == ']') {
		d++;
		n -= 2;
		/* the tag "IPv6:", in any case as ABNF strings are */
		if (n >= 5 && (d[0] | 0x20) == 'i' && (d[1] | 0x20) == 'p' &&
		    (d[2] | 0x20) == 'v' && d[3] == '6' && d[4] == ':')
			return ipv6(d + 5, n - 5);
		return ipv4(d, n);
	}
	return domain(d, n);
}

/* ---- URIs (RFC 3986) ------------------------------------------------------------------- */

/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ), followed by ':'. Returns the
 * index of the ':' or 0 when s does not start with a scheme. */
static size_t uri_scheme(const unsigned char *s, size_t len)
{
	if (len == 0 || !is_alpha(s[0]))
		return 0;
	size_t i = 1;
	while (i < len && (is_alpha(s[i]) || is_digit(s[i]) || s[i] == '+' || s[i] == '-' ||
			   s[i] == '.'))
		i++;
	return i < len && s[i] == ':' ? i : 0;
}

/* authority = [ userinfo "@" ] host [ ":" port ], the whole of s[0 .. len); host =
 * IP-literal / IPv4address / reg-name, where an IPv4address is also a reg-name. */
static bool uri_authority(const unsigned char *s, size_t len)
{
	size_t i = 0;
	const unsigned char *at = memchr(s, '@', len);
	if (at) {
		size_t n = (size_t)(at - s);
		if (uri_scan(s, 0, n, U_USERINFO) != n)
			return false;
		i = n + 1;
	}
	if (i < len && s[i] == '[') {
		const unsigned char *rb = memchr(s + i, ']', len - i);
		if (!rb)
			return false;
		const unsigned char *lit = s + i + 1;
		size_t n = (size_t)(rb - lit);
		if (n > 0 && (lit[0] == 'v' || lit[0] == 'V')) {
			/* IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" ) */
			size_t k = 1;
			while (k < n && is_hex(lit[k]))
				k++;
			if (k == 1 || k >= n || lit[k] != '.' || k + 1 == n)
				return false;
			for (k++; k < n; k++)
				if (!(uri_cls[lit[k]] & (U_UNRES | U_SUB | U_COLON)))
					return false;
		} else if (!ipv6(lit, n)) {
			return false;
		}
		i = (size_t)(rb - s) + 1;
	} else {
		i = uri_scan(s, i, len, U_REGNAME);
		if (i == SCAN_BAD)
			return false;
	}
	if (i == len)
		return true;
	if (s[i] != ':') /* port = *DIGIT */
		return false;
	for (i++; i < len; i++)
		if (!is_digit(s[i]))
			return false;
	return true;
}

/* What follows a URI's "scheme:", or the whole of a relative reference (relative is
 * true): ( "//" authority path-abempty / a path ) [ "?" query ] [ "#" fragment ]. A
 * relative reference's path cannot have a ':' in its first segment (path-noscheme). */
static bool uri_rest(const unsigned char *s, size_t i, size_t len, bool relative)
{
	if (len - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
		size_t a = i + 2, end = a;
		while (end < len && s[end] != '/' && s[end] != '?' && s[end] != '#')
			end++;
		if (!uri_authority(s + a, end - a))
			return false;
		i = end;
	} else if (relative) {
		i = uri_scan(s, i, len, U_NOSCHEME);
		if (i == SCAN_BAD || (i < len && s[i] == ':'))
			return false;
	}
	i = uri_scan(s, i, len, U_PATH);
	if (i != SCAN_BAD && i < len && s[i] == '?')
		i = uri_scan(s, i + 1, len, U_QUERY);
	if (i != SCAN_BAD && i < len && s[i] == '#')
		i = uri_scan(s, i + 1, len, U_QUERY);
	return i == len;
}

/* URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ]: absolute, with a scheme. */
static bool fmt_uri(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t colon = uri_scheme(s, len);
	return colon && uri_rest(s, colon + 1, len, false);
}

/* URI-reference = URI / relative-ref. A string that starts with a scheme and ':' can only
 * be a URI: as a relative-ref its first segment would hold a ':'. */
static bool fmt_uri_reference(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t colon = uri_scheme(s, len);
	return colon ? uri_rest(s, colon + 1, len, false) : uri_rest(s, 0, len, true);
}

/* ---- json-pointer (RFC 6901) ----------------------------------------------------------- */

/* *( "/" reference-token ), where '~' must be followed by '0' or '1'; any other
 * character (NUL included) is allowed, as valid UTF-8. */
static bool fmt_json_pointer(const char *s, size_t len)
{
	if (len == 0)
		return true;
	if (s[0] != '/')
		return false;
	for (size_t i = 1; i < len; i++) {
		if (s[i] == '~') {
			if (i + 1 == len || (s[i + 1] != '0' && s[i + 1] != '1'))
				return false;
			i++;
		}
	}
	return sl_utf8_valid(s, len, NULL);
}

/* ---- duration (RFC 3339 appendix A, ISO 8601 designators in upper case) ----------------- */

/* Reads components "1*DIGIT unit" whose units are consecutive letters of units, in
 * order ("YMD": Y, YM, YMD, M, MD or D). Returns how many were read, -1 for a component
 * out of order or without a unit. Stops before anything that does not start with a
 * digit. */
static int dur_components(const unsigned char *s, size_t *i, size_t len, const char *units)
{
	int n = 0, next = 0; /* next: the first unit the next component may have */
	while (*i < len && is_digit(s[*i])) {
		while (*i < len && is_digit(s[*i]))
			(*i)++;
		if (*i == len)
			return -1;
		const char *u = s[*i] ? strchr(units + next, s[*i]) : NULL;
		if (!u || (n > 0 && u != units + next))
			return -1;
		next = (int)(u - units) + 1;
		(*i)++;
		n++;
	}
	return n;
}

/* duration = "P" ( dur-date / dur-time / dur-week ); dur-date = the date components
 * [dur-time]; dur-time = "T" the time components; dur-week = 1*DIGIT "W". */
static bool fmt_duration(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	if (len < 3 || s[0] != 'P')
		return false;
	size_t i = 1;
	while (i < len && is_digit(s[i]))
		i++;
	if (i > 1 && i + 1 == len && s[i] == 'W')
		return true;
	i = 1;
	int n_date = dur_components(s, &i, len, "YMD");
	if (n_date < 0)
		return false;
	if (i < len && s[i] == 'T') {
		i++;
		int n_time = dur_components(s, &i, len, "HMS");
		if (n_time <= 0)
			return false;
	} else if (n_date == 0) {
		return false;
	}
	return i == len;
}

/* ---- lookup ---------------------------------------------------------------------------- */

static const struct {
	const char *name;
	sl_format_fn *fn;
} formats[] = {
	{"date-time", fmt_date_time},
	{"date", fmt_date},
	{"time", fmt_time},
	{"email", fmt_email},
	{"uuid", fmt_uuid},
	{"ipv4", fmt_ipv4},
	{"ipv6", fmt_ipv6},
	{"uri", fmt_uri},
	{"uri-reference", fmt_uri_reference},
	{"json-pointer", fmt_json_pointer},
	{"duration", fmt_duration},
};

sl_format_fn *sl_format_lookup(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		if (strcmp(name, formats[i].name) == 0)
			return formats[i].fn;
	return NULL;
}
