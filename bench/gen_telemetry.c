/*
 * gen_telemetry - writes realistic game-telemetry NDJSON, the input of the JSON benchmarks.
 *
 *   gen_telemetry OUT_FILE --bytes N [--seed S]      (OUT_FILE '-' is standard output)
 *
 * Writes whole records (one JSON object per line, LF-terminated) for as long as the next
 * one still fits in N bytes, then prints "records=R bytes=B avg=A" on standard error.
 * N takes an optional K, M or G suffix (powers of 1024).
 *
 * What it promises:
 *   1. Deterministic: the same seed and N give the same bytes, on every machine (no
 *      locale, clock or libc formatting is involved; all numbers are formatted here).
 *   2. Every line is one valid RFC 8259 JSON object in valid UTF-8.
 *   3. A record is about 550 bytes on average: an envelope (UUIDs, RFC 3339 timestamps
 *      with milliseconds, nested player/guild/device/position objects, an array of
 *      tags) plus a payload whose fields depend on one of 12 event types.
 *   4. The shape of real data, not of a fuzzer: players recur and keep their name, device
 *      and guild; doubles are nullable (null where the device or event has no value);
 *      about 3% of player names hold non-ASCII UTF-8 and a few use \u escapes (as
 *      serializers with ensure_ascii write them); chat texts and error reports sometimes
 *      hold \" \\ \n escapes. Overall about 3 records in 100 hold an escape and
 *      3 in 100 hold non-ASCII UTF-8.
 *   5. Fast (about 2 GB/s on one core) so that a 1 GiB input takes seconds: a
 *      record is assembled with memcpy of literals and hand-written number formatting.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* A string with its length, so that copying it needs no strlen. */
struct str {
	const char *s;
	size_t len;
};
#define S(x) { x, sizeof(x) - 1 }

/* Appends a string literal at p and yields the advanced pointer. */
#define LIT(p, x) (memcpy((p), (x), sizeof(x) - 1), (p) + sizeof(x) - 1)

/* ---- random numbers: splitmix64, one stream for the whole file ---- */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

struct rng {
	uint64_t state;
};

static inline uint64_t rng_next(struct rng *r)
{
	r->state += 0x9e3779b97f4a7c15ull;
	return mix64(r->state);
}

/* Uniform in [0, n) for n < 2^32 (multiply-shift; the bias is far below what matters). */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * n) >> 32);
}

/* True with probability per_10k / 10000. */
static inline int rng_chance(struct rng *r, uint32_t per_10k)
{
	return rng_below(r, 10000) < per_10k;
}

#define PICK(r, table) (&(table)[rng_below((r), (uint32_t)NELEM(table))])

/* ---- formatting ---- */

static const char digit_pairs[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

static inline char *put_str(char *p, const struct str *s)
{
	memcpy(p, s->s, s->len);
	return p + s->len;
}

/* A JSON string value: the text must already be JSON-escaped. */
static inline char *put_qstr(char *p, const struct str *s)
{
	*p++ = '"';
	p = put_str(p, s);
	*p++ = '"';
	return p;
}

static char *put_u64(char *p, uint64_t v)
{
	char tmp[20];
	char *t = tmp + sizeof(tmp);
	while (v >= 100) {
		unsigned d = (unsigned)(v % 100) * 2;
		v /= 100;
		*--t = digit_pairs[d + 1];
		*--t = digit_pairs[d];
	}
	if (v >= 10) {
		*--t = digit_pairs[v * 2 + 1];
		*--t = digit_pairs[v * 2];
	} else {
		*--t = (char)('0' + v);
	}
	size_t n = (size_t)(tmp + sizeof(tmp) - t);
	memcpy(p, t, n);
	return p + n;
}

/* Exactly two digits, zero-padded. */
static inline char *put_2d(char *p, unsigned v)
{
	p[0] = digit_pairs[v * 2];
	p[1] = digit_pairs[v * 2 + 1];
	return p + 2;
}

/* A double given as scaled / 10^frac_digits (frac_digits 1..6), written the way common
 * serializers write such a value: trailing zeros dropped but at least one fraction digit
 * kept ("12.5", "3.0", "-0.25"). Exact, so the output never depends on libc. */
static char *put_fixed(char *p, int64_t scaled, int frac_digits)
{
	static const uint64_t pow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};
	uint64_t mag = scaled < 0 ? (uint64_t)0 - (uint64_t)scaled : (uint64_t)scaled;
	uint64_t unit = pow10[frac_digits];
	uint64_t frac = mag % unit;
	int n = frac_digits;
	while (n > 1 && frac % 10 == 0) {
		frac /= 10;
		n--;
	}
	if (scaled < 0)
		*p++ = '-';
	p = put_u64(p, mag / unit);
	*p++ = '.';
	char tmp[8];
	for (int i = n - 1; i >= 0; i--) {
		tmp[i] = (char)('0' + frac % 10);
		frac /= 10;
	}
	memcpy(p, tmp, (size_t)n);
	return p + n;
}

static const char hex_digits[] = "0123456789abcdef";

static char *put_hex(char *p, uint64_t v, int n_digits)
{
	for (int i = n_digits - 1; i >= 0; i--) {
		p[i] = hex_digits[v & 15];
		v >>= 4;
	}
	return p + n_digits;
}

/* A quoted RFC 4122 version-4 UUID made from two 64-bit words. */
static char *put_uuid_words(char *p, uint64_t hi, uint64_t lo)
{
	hi = (hi & ~0xf000ull) | 0x4000ull;                     /* version 4 */
	lo = (lo & ~(3ull << 62)) | (2ull << 62);               /* variant 10 */
	*p++ = '"';
	p = put_hex(p, hi >> 32, 8);
	*p++ = '-';
	p = put_hex(p, (hi >> 16) & 0xffff, 4);
	*p++ = '-';
	p = put_hex(p, hi & 0xffff, 4);
	*p++ = '-';
	p = put_hex(p, lo >> 48, 4);
	*p++ = '-';
	p = put_hex(p, lo & 0xffffffffffffull, 12);
	*p++ = '"';
	return p;
}

static char *put_uuid(char *p, struct rng *r)
{
	uint64_t hi = rng_next(r);
	return put_uuid_words(p, hi, rng_next(r));
}

/* Civil date of a day count since 1970-01-01 (proleptic Gregorian calendar, days >= 0),
 * by counting 400-year eras of 146097 days and shifting the year to start in March so
 * that the leap day comes last. */
static void civil_from_days(int64_t days, int *year, unsigned *month, unsigned *day)
{
	int64_t z = days + 719468; /* days since 0000-03-01 */
	int64_t era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);                        /* [0, 146096] */
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);             /* [0, 365] */
	unsigned mp = (5 * doy + 2) / 153;                                  /* March = 0 */
	*day = doy - (153 * mp + 2) / 5 + 1;
	*month = mp < 10 ? mp + 3 : mp - 9;
	*year = (int)(yoe + era * 400) + (*month <= 2);
}

/* "YYYY-MM-DD" of the last day formatted: timestamps of neighbouring records share it. */
static int64_t cached_day = -1;
static char cached_date[10];

/* A quoted RFC 3339 UTC timestamp with milliseconds: "2024-03-01T13:05:59.123Z". */
static char *put_ts(char *p, int64_t ms)
{
	int64_t day = ms / 86400000;
	unsigned in_day = (unsigned)(ms % 86400000);
	if (day != cached_day) {
		int y;
		unsigned mo, d;
		civil_from_days(day, &y, &mo, &d);
		char *c = cached_date;
		c = put_2d(c, (unsigned)y / 100);
		c = put_2d(c, (unsigned)y % 100);
		*c++ = '-';
		c = put_2d(c, mo);
		*c++ = '-';
		put_2d(c, d);
		cached_day = day;
	}
	*p++ = '"';
	memcpy(p, cached_date, sizeof(cached_date));
	p += sizeof(cached_date);
	*p++ = 'T';
	unsigned msec = in_day % 1000, s = in_day / 1000;
	p = put_2d(p, s / 3600);
	*p++ = ':';
	p = put_2d(p, s / 60 % 60);
	*p++ = ':';
	p = put_2d(p, s % 60);
	*p++ = '.';
	*p++ = (char)('0' + msec / 100);
	p = put_2d(p, msec % 100);
	*p++ = 'Z';
	*p++ = '"';
	return p;
}

/* ---- vocabularies ---- */

static const struct str name_heads[] = {
	S("Shadow"), S("Pixel"), S("Nova"), S("Raven"), S("Blaze"), S("Frost"), S("Storm"),
	S("Viper"), S("Lunar"), S("Crimson"), S("Silent"), S("Iron"), S("Ghost"), S("Neon"),
	S("Atomic"), S("Turbo"), S("Cosmic"), S("Rogue"), S("Mystic"), S("Hyper"), S("Dark"),
	S("Golden"), S("Wild"), S("Lazy"), S("Captain"), S("Sir"), S("Lady"), S("xX"),
	S("Dr"), S("Mega"), S("Tiny"), S("Salty"),
};
static const struct str name_tails[] = {
	S("Hunter"), S("Fox"), S("Wolf"), S("Knight"), S("Sniper"), S("Panda"), S("Ninja"),
	S("Dragon"), S("Falcon"), S("Wizard"), S("Tiger"), S("Cat"), S("Queen"), S("King"),
	S("Slayer"), S("Bean"), S("Potato"), S("Reaper"), S("Spark"), S("Bolt"), S("Owl"),
	S("_Xx"), S("Toast"), S("Gamer"),
};
/* Names written by clients that keep UTF-8 as it is (2-, 3- and 4-byte sequences). */
static const struct str names_utf8[] = {
	S("Zoë"), S("Søren_77"), S("Łukasz"), S("Müller"), S("José_R"), S("Ærwyn"),
	S("Кирилл"), S("Наташа_K"), S("田中太郎"), S("小龙"), S("김민준"), S("Ναταλία"),
	S("Çağrı"), S("Ñandú"), S("🎮ProGamer"), S("Renée"), S("Đorđe"), S("สมชาย"),
};
/* The same kind of names from serializers that escape everything beyond ASCII, including
 * a surrogate pair for a character outside the BMP. */
static const struct str names_escaped[] = {
	S("Zo\\u00eb"), S("Ren\\u00e9e"), S("M\\u00fcller"), S("Jos\\u00e9_R"),
	S("\\u7530\\u4e2d"), S("\\ud83c\\udfaeProGamer"), S("S\\u00f8ren_77"),
};
static const struct str guild_names[] = {
	S("Night Owls"), S("The Last Stand"), S("Iron Legion"), S("Casual Friday"),
	S("Dragon Riders"), S("Lag Lords"), S("Nordic Wolves"), S("Team Rocket"),
	S("Les Invincibles"), S("Die Ritter"), S("Los Lobos"), S("Midnight Society"),
	S("Zero Ping Heroes"), S("Goose Squad"), S("Phoenix Rising"), S("Old Guard"),
};
struct platform {
	struct str os;
	const struct str *models;
	size_t n_models;
	const struct str *versions;
	size_t n_versions;
	int mobile; /* has a battery */
};
static const struct str android_models[] = {
	S("Pixel 7"), S("Pixel 8 Pro"), S("SM-S911B"), S("SM-A546E"), S("Redmi Note 12"),
	S("OnePlus 11"), S("moto g54"), S("CPH2451"),
};
static const struct str android_versions[] = { S("12"), S("13"), S("14") };
static const struct str ios_models[] = {
	S("iPhone14,5"), S("iPhone15,2"), S("iPhone15,3"), S("iPhone16,1"), S("iPad13,4"),
};
static const struct str ios_versions[] = { S("16.7.5"), S("17.3.1"), S("17.4") };
static const struct str pc_models[] = {
	S("Desktop (NVIDIA GeForce RTX 3060)"), S("Desktop (AMD Radeon RX 6700 XT)"),
	S("Laptop (Intel Iris Xe)"), S("Steam Deck"),
};
static const struct str pc_versions[] = { S("10.0.19045"), S("10.0.22631") };
static const struct str console_models[] = { S("PS5"), S("Xbox Series X") };
static const struct str console_versions[] = { S("8.40"), S("10.0.25398") };
static const struct platform platforms[] = {
	{ S("android"), android_models, NELEM(android_models), android_versions,
	  NELEM(android_versions), 1 },
	{ S("ios"), ios_models, NELEM(ios_models), ios_versions, NELEM(ios_versions), 1 },
	{ S("windows"), pc_models, NELEM(pc_models), pc_versions, NELEM(pc_versions), 0 },
	{ S("console"), console_models, NELEM(console_models), console_versions,
	  NELEM(console_versions), 0 },
};
/* Out of 100 players: 55 android, 30 ios, 10 windows, 5 console. */
static const struct platform *platform_of(uint32_t pct)
{
	return &platforms[pct < 55 ? 0 : pct < 85 ? 1 : pct < 95 ? 2 : 3];
}

static const struct str app_versions[] = {
	S("3.11.2"), S("3.12.0"), S("3.12.4"), S("3.12.4"), S("3.12.4"), S("3.13.0-beta.2"),
};
static const struct str tags[] = {
	S("ranked"), S("weekend"), S("season_12"), S("ab_test_b"), S("new_user"),
	S("returning"), S("spring_event"), S("beta"), S("cross_play"), S("vip"),
	S("low_end_device"), S("tutorial_done"),
};
static const struct str modes[] = { S("ranked"), S("casual"), S("battle_royale"),
				    S("team_deathmatch"), S("capture_the_flag"), S("coop_pve") };
static const struct str maps[] = { S("harbor"), S("desert_outpost"), S("frozen_peak"),
				   S("old_town"), S("skyline"), S("jungle_temple"),
				   S("reactor"), S("canyon") };
static const struct str items[] = {
	S("sword_of_embers"), S("oak_shield"), S("health_potion"), S("mana_potion"),
	S("plasma_rifle"), S("ghillie_suit"), S("grappling_hook"), S("frag_grenade"),
	S("speed_boots"), S("dragon_scale_armor"), S("ancient_coin"), S("lockpick"),
	S("skin_neon_tiger"), S("emote_dab"), S("banner_spring_24"), S("xp_boost_1h"),
};
static const struct str rarities[] = { S("common"), S("common"), S("common"), S("uncommon"),
				       S("uncommon"), S("rare"), S("epic"), S("legendary") };
static const struct str item_sources[] = { S("loot_box"), S("match_reward"), S("shop"),
					   S("quest"), S("crafting"), S("daily_login") };
static const struct str skus[] = { S("gems_100"), S("gems_550"), S("gems_1200"),
				   S("battle_pass_s12"), S("starter_bundle"),
				   S("skin_neon_tiger"), S("remove_ads") };
static const int64_t sku_cents[] = { 99, 499, 999, 999, 299, 1499, 399 };
static const struct str currencies[] = { S("USD"), S("USD"), S("EUR"), S("GBP"), S("BRL"),
					 S("JPY"), S("KRW") };
static const struct str stores[] = { S("google_play"), S("app_store"), S("steam"),
				     S("playstation_store"), S("web") };
static const struct str achievements[] = {
	S("first_blood"), S("sharpshooter"), S("untouchable"), S("globetrotter"),
	S("collector_ii"), S("marathon"), S("team_player"), S("big_spender"),
	S("night_owl"), S("perfectionist"),
};
static const struct str channels[] = { S("global"), S("team"), S("team"), S("guild"),
				       S("whisper") };
/* Chat lines as a JSON serializer writes them (already escaped). Most are plain; a few
 * hold quotes, backslashes, newlines, \u escapes or raw UTF-8. */
static const struct str chat_texts[] = {
	S("gg"), S("gg wp"), S("nice shot!"), S("anyone up for another round?"), S("lol"),
	S("push mid"), S("need healer"), S("brb 5 min"), S("ok"), S("thx"), S("wp all"),
	S("who wants to join the guild raid tonight at 9?"), S("lag again..."), S("ez"),
	S("go go go"), S("rematch?"), S("sorry my bad"), S("cover me, reloading"),
	S("that was close"), S("anyone selling dragon scale armor?"), S("lmao"),
	S("follow me"), S("B site"), S("let's gooo"), S("report the afk guy pls"),
	S("wait for the others"), S("gl hf"), S("one more?"), S("boss at 20%"),
	S("he said \\\"trust me\\\" and jumped off the cliff"),
	S("path is C:\\\\Games\\\\Sluice\\\\logs, check there"),
	S("line one\\nline two"),
	S("caf\\u00e9 break, back soon"),
	S("très bien joué 👏"),
	S("¿alguien para jugar?"),
};
static const struct str graphics_presets[] = { S("low"), S("medium"), S("high"), S("ultra") };
static const struct str quit_reasons[] = { S("user_quit"), S("user_quit"), S("backgrounded"),
					   S("timeout"), S("crash"), S("kicked") };
static const struct str launch_reasons[] = { S("cold"), S("cold"), S("warm"),
					     S("push_notification"), S("deep_link") };
static const struct str results[] = { S("win"), S("loss"), S("loss"), S("win"), S("draw"),
				      S("abandoned") };
static const struct str ad_networks[] = { S("admob"), S("applovin"), S("unity_ads"),
					  S("ironsource") };
static const struct str placements[] = { S("rewarded_video"), S("interstitial"), S("banner"),
					 S("offerwall") };
static const struct str rewards[] = { S("gold"), S("gems"), S("xp_boost"), S("loot_box"),
				      S("skin_shard") };
static const struct str error_codes[] = { S("E_NET_TIMEOUT"), S("E_ASSET_MISSING"),
					  S("E_OOM"), S("E_AUTH_EXPIRED"), S("E_DESYNC"),
					  S("E_SHADER_COMPILE") };
/* Error messages as written into JSON; stack-trace style ones hold \n and quoted names. */
static const struct str error_messages[] = {
	S("connection timed out after 30000 ms"),
	S("asset bundle \\\"maps/harbor_lod2\\\" not found"),
	S("allocation of 268435456 bytes failed"),
	S("session token expired, re-authenticating"),
	S("state hash mismatch at tick 18342"),
	S("shader compile failed:\\n  error C1008: undefined variable \\\"fogColor\\\"\\n  at line 212"),
	S("could not open C:\\\\ProgramData\\\\Sluice\\\\cache\\\\index.bin"),
	S("retry 3/3 failed"),
};
static const struct str stack_frames[] = {
	S("NetClient::poll+0x1a4"), S("AssetLoader::load+0x88"), S("Renderer::draw+0x3c0"),
	S("GameLoop::tick+0x52"), S("main+0x1d"), S("libc.so.6+0x29d90"),
	S("ShaderCache::get+0x110"), S("Session::refresh+0x64"),
};
static const struct str quests[] = {
	S("q_tutorial_01"), S("q_harbor_smugglers"), S("q_lost_relic"), S("q_daily_wins"),
	S("q_weekly_collector"), S("q_spring_event_3"), S("q_guild_raid"),
};

/* ---- records ---- */

enum event {
	EV_SESSION_START,
	EV_SESSION_END,
	EV_MATCH_START,
	EV_MATCH_END,
	EV_LEVEL_UP,
	EV_PURCHASE,
	EV_ITEM_ACQUIRED,
	EV_ACHIEVEMENT,
	EV_CHAT_MESSAGE,
	EV_QUEST_COMPLETE,
	EV_ERROR_REPORT,
	EV_AD_IMPRESSION,
	EV_COUNT
};
static const struct str event_names[EV_COUNT] = {
	S("session_start"), S("session_end"), S("match_start"), S("match_end"), S("level_up"),
	S("purchase"), S("item_acquired"), S("achievement_unlocked"), S("chat_message"),
	S("quest_complete"), S("error_report"), S("ad_impression"),
};
/* How often each event occurs, per 1000 records. */
static const uint16_t event_weights[EV_COUNT] = {
	90, 85, 110, 110, 60, 35, 180, 50, 90, 70, 30, 90,
};

static enum event pick_event(struct rng *r)
{
	uint32_t x = rng_below(r, 1000);
	for (int e = 0; e < EV_COUNT; e++) {
		if (x < event_weights[e])
			return (enum event)e;
		x -= event_weights[e];
	}
	return EV_ITEM_ACQUIRED;
}

#define N_PLAYERS 200000u

/* A player's lasting attributes, all drawn from a hash of the player id so that a player
 * keeps them across records without a table. */
struct player {
	uint64_t id;
	uint64_t h; /* the hash the rest is drawn from */
	const struct platform *plat;
};

static uint64_t seed_salt;

static void player_of(struct player *pl, uint64_t id)
{
	pl->id = id;
	pl->h = mix64(id ^ seed_salt);
	pl->plat = platform_of((uint32_t)(pl->h % 100));
}

static char *put_player_name(char *p, const struct player *pl)
{
	uint64_t h = mix64(pl->h + 1);
	uint32_t kind = (uint32_t)(h % 1000);
	*p++ = '"';
	if (kind < 25) {
		p = put_str(p, &names_utf8[(h >> 10) % NELEM(names_utf8)]);
	} else if (kind < 30) {
		p = put_str(p, &names_escaped[(h >> 10) % NELEM(names_escaped)]);
	} else {
		p = put_str(p, &name_heads[(h >> 10) % NELEM(name_heads)]);
		p = put_str(p, &name_tails[(h >> 20) % NELEM(name_tails)]);
		if ((h >> 30) % 3 != 0)
			p = put_u64(p, (h >> 32) % 1000);
	}
	*p++ = '"';
	return p;
}

static char *put_string_array(char *p, struct rng *r, const struct str *table, size_t n_table,
			      unsigned n)
{
	*p++ = '[';
	for (unsigned i = 0; i < n; i++) {
		if (i)
			*p++ = ',';
		p = put_qstr(p, &table[rng_below(r, (uint32_t)n_table)]);
	}
	*p++ = ']';
	return p;
}

/* A double with frac_digits decimals, uniform in [lo, hi) (lo and hi already scaled). */
static inline char *put_rand_fixed(char *p, struct rng *r, int64_t lo, int64_t hi,
				   int frac_digits)
{
	return put_fixed(p, lo + (int64_t)rng_below(r, (uint32_t)(hi - lo)), frac_digits);
}

/* Same, or null with probability null_per_10k / 10000. */
static inline char *put_nullable_fixed(char *p, struct rng *r, uint32_t null_per_10k,
				       int64_t lo, int64_t hi, int frac_digits)
{
	if (rng_chance(r, null_per_10k))
		return LIT(p, "null");
	return put_rand_fixed(p, r, lo, hi, frac_digits);
}

static char *put_match_id(char *p, int64_t now_ms, const struct player *pl)
{
	/* players of a match share its id: one match per 6-minute slot and server shard */
	uint64_t slot = (uint64_t)now_ms / 360000;
	uint64_t a = mix64(slot * 31 + (pl->h >> 8) % 16 + seed_salt);
	return put_uuid_words(p, a, mix64(a));
}

static char *put_payload(char *p, struct rng *r, enum event ev, const struct player *pl,
			 int64_t now_ms)
{
	p = LIT(p, "\"payload\":{");
	switch (ev) {
	case EV_SESSION_START:
		p = LIT(p, "\"launch_reason\":");
		p = put_qstr(p, PICK(r, launch_reasons));
		p = LIT(p, ",\"cold_start_ms\":");
		p = put_u64(p, 800 + rng_below(r, 9000));
		p = LIT(p, ",\"fps_cap\":");
		p = put_u64(p, pl->plat->mobile ? 60 : 144);
		p = LIT(p, ",\"graphics\":");
		p = put_qstr(p, PICK(r, graphics_presets));
		p = LIT(p, ",\"resumed\":");
		p = rng_chance(r, 2000) ? LIT(p, "true") : LIT(p, "false");
		break;
	case EV_SESSION_END:
		p = LIT(p, "\"reason\":");
		p = put_qstr(p, PICK(r, quit_reasons));
		p = LIT(p, ",\"duration_s\":");
		p = put_rand_fixed(p, r, 300, 3600000, 3);
		p = LIT(p, ",\"matches_played\":");
		p = put_u64(p, rng_below(r, 12));
		p = LIT(p, ",\"avg_fps\":");
		p = put_nullable_fixed(p, r, 1500, 2500, 14400, 2);
		p = LIT(p, ",\"gems_spent\":");
		p = put_u64(p, rng_chance(r, 8000) ? 0 : rng_below(r, 2000));
		break;
	case EV_MATCH_START:
		p = LIT(p, "\"match_id\":");
		p = put_match_id(p, now_ms, pl);
		p = LIT(p, ",\"mode\":");
		p = put_qstr(p, PICK(r, modes));
		p = LIT(p, ",\"map\":");
		p = put_qstr(p, PICK(r, maps));
		p = LIT(p, ",\"team_size\":");
		p = put_u64(p, 1 + rng_below(r, 5));
		p = LIT(p, ",\"queue_s\":");
		p = put_rand_fixed(p, r, 5, 18000, 2);
		p = LIT(p, ",\"loadout\":");
		p = put_string_array(p, r, items, NELEM(items), 1 + rng_below(r, 4));
		break;
	case EV_MATCH_END:
		p = LIT(p, "\"match_id\":");
		p = put_match_id(p, now_ms, pl);
		p = LIT(p, ",\"mode\":");
		p = put_qstr(p, PICK(r, modes));
		p = LIT(p, ",\"result\":");
		p = put_qstr(p, PICK(r, results));
		p = LIT(p, ",\"kills\":");
		p = put_u64(p, rng_below(r, 25));
		p = LIT(p, ",\"deaths\":");
		p = put_u64(p, rng_below(r, 15));
		p = LIT(p, ",\"assists\":");
		p = put_u64(p, rng_below(r, 20));
		p = LIT(p, ",\"score\":");
		p = put_rand_fixed(p, r, 0, 500000, 1);
		p = LIT(p, ",\"accuracy\":");
		p = put_nullable_fixed(p, r, 2000, 50, 9500, 4);
		p = LIT(p, ",\"mvp\":");
		p = rng_chance(r, 1000) ? LIT(p, "true") : LIT(p, "false");
		p = LIT(p, ",\"items_used\":");
		p = put_string_array(p, r, items, NELEM(items), rng_below(r, 4));
		break;
	case EV_LEVEL_UP: {
		unsigned to = 2 + (unsigned)(pl->h >> 40) % 79;
		p = LIT(p, "\"from\":");
		p = put_u64(p, to - 1);
		p = LIT(p, ",\"to\":");
		p = put_u64(p, to);
		p = LIT(p, ",\"xp_total\":");
		p = put_u64(p, (uint64_t)to * to * 137 + rng_below(r, 1000));
		p = LIT(p, ",\"unlocks\":");
		p = put_string_array(p, r, items, NELEM(items), rng_below(r, 3));
		p = LIT(p, ",\"time_to_level_s\":");
		p = put_rand_fixed(p, r, 6000, 9000000, 2);
		break;
	}
	case EV_PURCHASE: {
		uint32_t k = rng_below(r, (uint32_t)NELEM(skus));
		p = LIT(p, "\"order_id\":");
		p = put_uuid(p, r);
		p = LIT(p, ",\"sku\":");
		p = put_qstr(p, &skus[k]);
		p = LIT(p, ",\"price\":");
		p = put_fixed(p, sku_cents[k], 2);
		p = LIT(p, ",\"currency\":");
		p = put_qstr(p, PICK(r, currencies));
		p = LIT(p, ",\"quantity\":");
		p = put_u64(p, rng_chance(r, 9000) ? 1 : 2 + rng_below(r, 4));
		p = LIT(p, ",\"store\":");
		p = put_qstr(p, PICK(r, stores));
		p = LIT(p, ",\"discount\":");
		p = rng_chance(r, 7000) ? LIT(p, "null") : put_fixed(p, 5 * (1 + rng_below(r, 10)), 2);
		p = LIT(p, ",\"first_purchase\":");
		p = rng_chance(r, 1500) ? LIT(p, "true") : LIT(p, "false");
		break;
	}
	case EV_ITEM_ACQUIRED:
		p = LIT(p, "\"item_id\":");
		p = put_qstr(p, PICK(r, items));
		p = LIT(p, ",\"rarity\":");
		p = put_qstr(p, PICK(r, rarities));
		p = LIT(p, ",\"source\":");
		p = put_qstr(p, PICK(r, item_sources));
		p = LIT(p, ",\"count\":");
		p = put_u64(p, rng_chance(r, 8000) ? 1 : 2 + rng_below(r, 98));
		p = LIT(p, ",\"value\":");
		p = put_nullable_fixed(p, r, 3000, 1, 1000000, 2);
		break;
	case EV_ACHIEVEMENT:
		p = LIT(p, "\"achievement\":");
		p = put_qstr(p, PICK(r, achievements));
		p = LIT(p, ",\"points\":");
		p = put_u64(p, 5 * (1 + rng_below(r, 20)));
		p = LIT(p, ",\"hidden\":");
		p = rng_chance(r, 1000) ? LIT(p, "true") : LIT(p, "false");
		p = LIT(p, ",\"rarity_pct\":");
		p = put_rand_fixed(p, r, 1, 10000, 2);
		break;
	case EV_CHAT_MESSAGE: {
		const struct str *text = PICK(r, chat_texts);
		p = LIT(p, "\"channel\":");
		p = put_qstr(p, PICK(r, channels));
		p = LIT(p, ",\"text\":");
		p = put_qstr(p, text);
		p = LIT(p, ",\"mentions\":");
		if (rng_chance(r, 8500)) {
			p = LIT(p, "[]");
		} else {
			struct player other;
			player_of(&other, rng_below(r, N_PLAYERS));
			*p++ = '[';
			p = put_player_name(p, &other);
			*p++ = ']';
		}
		p = LIT(p, ",\"flagged\":");
		p = rng_chance(r, 200) ? LIT(p, "true") : LIT(p, "false");
		break;
	}
	case EV_QUEST_COMPLETE:
		p = LIT(p, "\"quest_id\":");
		p = put_qstr(p, PICK(r, quests));
		p = LIT(p, ",\"chapter\":");
		p = put_u64(p, 1 + rng_below(r, 8));
		p = LIT(p, ",\"time_s\":");
		p = put_rand_fixed(p, r, 3000, 720000, 1);
		p = LIT(p, ",\"retries\":");
		p = put_u64(p, rng_chance(r, 7000) ? 0 : rng_below(r, 6));
		p = LIT(p, ",\"rewards\":");
		p = put_string_array(p, r, rewards, NELEM(rewards), 1 + rng_below(r, 3));
		break;
	case EV_ERROR_REPORT:
		p = LIT(p, "\"code\":");
		p = put_qstr(p, PICK(r, error_codes));
		p = LIT(p, ",\"message\":");
		p = put_qstr(p, PICK(r, error_messages));
		p = LIT(p, ",\"fatal\":");
		p = rng_chance(r, 1500) ? LIT(p, "true") : LIT(p, "false");
		p = LIT(p, ",\"stack\":");
		p = put_string_array(p, r, stack_frames, NELEM(stack_frames), 2 + rng_below(r, 4));
		p = LIT(p, ",\"mem_free_mb\":");
		p = put_nullable_fixed(p, r, 2500, 100, 40000, 1);
		break;
	case EV_AD_IMPRESSION:
		p = LIT(p, "\"ad_network\":");
		p = put_qstr(p, PICK(r, ad_networks));
		p = LIT(p, ",\"placement\":");
		p = put_qstr(p, PICK(r, placements));
		p = LIT(p, ",\"watched_s\":");
		p = put_nullable_fixed(p, r, 3000, 0, 3000, 1);
		p = LIT(p, ",\"reward\":");
		p = rng_chance(r, 4000) ? LIT(p, "null") : put_qstr(p, PICK(r, rewards));
		p = LIT(p, ",\"ecpm_usd\":");
		p = put_nullable_fixed(p, r, 2000, 50, 40000, 3);
		break;
	case EV_COUNT:
		break;
	}
	*p++ = '}';
	return p;
}

/* Events that carry a position in the game world. */
static int has_position(enum event ev)
{
	return ev == EV_MATCH_START || ev == EV_MATCH_END || ev == EV_ITEM_ACQUIRED ||
	       ev == EV_LEVEL_UP || ev == EV_ACHIEVEMENT || ev == EV_QUEST_COMPLETE ||
	       ev == EV_CHAT_MESSAGE;
}

/* Writes one record (with its newline) at p; returns the end. At most MAX_RECORD bytes. */
#define MAX_RECORD 4096

static char *put_record(char *p, struct rng *r, int64_t now_ms)
{
	enum event ev = pick_event(r);
	struct player pl;
	/* a few players are far more active than the rest */
	uint64_t pid = rng_chance(r, 3000) ? rng_below(r, 2000) : rng_below(r, N_PLAYERS);
	player_of(&pl, pid);
	uint64_t h = pl.h;

	p = LIT(p, "{\"event_id\":");
	p = put_uuid(p, r);
	p = LIT(p, ",\"event\":");
	p = put_qstr(p, &event_names[ev]);
	p = LIT(p, ",\"ts\":");
	p = put_ts(p, now_ms - (int64_t)rng_below(r, rng_chance(r, 9500) ? 2000 : 600000));
	p = LIT(p, ",\"session_id\":");
	{
		/* a session lasts an hour-long slot per player */
		uint64_t a = mix64(h ^ (uint64_t)(now_ms / 3600000));
		p = put_uuid_words(p, a, mix64(a + 7));
	}

	p = LIT(p, ",\"player\":{\"id\":");
	p = put_u64(p, 10000000 + pl.id);
	p = LIT(p, ",\"name\":");
	p = put_player_name(p, &pl);
	p = LIT(p, ",\"level\":");
	p = put_u64(p, 1 + (h >> 40) % 80);
	p = LIT(p, ",\"guild\":");
	if ((h >> 44) % 100 < 35) {
		p = LIT(p, "null");
	} else {
		uint64_t g = (h >> 24) % 4000;
		p = LIT(p, "{\"id\":");
		p = put_u64(p, 500 + g);
		p = LIT(p, ",\"name\":");
		p = put_qstr(p, &guild_names[g % NELEM(guild_names)]);
		*p++ = '}';
	}
	*p++ = '}';

	const struct platform *plat = pl.plat;
	p = LIT(p, ",\"device\":{\"os\":");
	p = put_qstr(p, &plat->os);
	p = LIT(p, ",\"os_version\":");
	p = put_qstr(p, &plat->versions[(h >> 12) % plat->n_versions]);
	p = LIT(p, ",\"model\":");
	p = put_qstr(p, &plat->models[(h >> 16) % plat->n_models]);
	p = LIT(p, ",\"app_version\":");
	p = put_qstr(p, &app_versions[(h >> 20) % NELEM(app_versions)]);
	p = LIT(p, ",\"battery\":");
	p = plat->mobile ? put_rand_fixed(p, r, 3, 101, 2) : LIT(p, "null");
	p = LIT(p, ",\"ping_ms\":");
	p = put_nullable_fixed(p, r, 800, 80, 2500, 1);
	*p++ = '}';

	p = LIT(p, ",\"pos\":");
	if (has_position(ev)) {
		p = LIT(p, "{\"x\":");
		p = put_rand_fixed(p, r, -200000, 200000, 2);
		p = LIT(p, ",\"y\":");
		p = put_rand_fixed(p, r, -200000, 200000, 2);
		p = LIT(p, ",\"z\":");
		p = put_rand_fixed(p, r, -500, 12000, 2);
		*p++ = '}';
	} else {
		p = LIT(p, "null");
	}

	p = LIT(p, ",\"tags\":");
	p = put_string_array(p, r, tags, NELEM(tags), rng_below(r, 4));
	*p++ = ',';
	p = put_payload(p, r, ev, &pl, now_ms);
	*p++ = '}';
	*p++ = '\n';
	return p;
}

/* ---- main ---- */

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	int shift = 0;
	switch (*end) {
	case 'K': case 'k': shift = 10; end++; break;
	case 'M': case 'm': shift = 20; end++; break;
	case 'G': case 'g': shift = 30; end++; break;
	default: break;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)v << shift;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: gen_telemetry OUT_FILE --bytes N [--seed S]\n"
			"  writes game-telemetry NDJSON of at most N bytes (K/M/G suffix allowed);\n"
			"  OUT_FILE '-' is standard output; the default seed is 42\n");
}

int main(int argc, char **argv)
{
	const char *out_path = NULL;
	uint64_t max_bytes = 0, seed = 42;
	int have_bytes = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--bytes") == 0 && i + 1 < argc) {
			if (parse_size(argv[++i], &max_bytes) != 0) {
				fprintf(stderr, "gen_telemetry: bad --bytes '%s'\n", argv[i]);
				return 2;
			}
			have_bytes = 1;
		} else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc) {
			if (parse_size(argv[++i], &seed) != 0) {
				fprintf(stderr, "gen_telemetry: bad --seed '%s'\n", argv[i]);
				return 2;
			}
		} else if (!out_path && (argv[i][0] != '-' || strcmp(argv[i], "-") == 0)) {
			out_path = argv[i];
		} else {
			usage();
			return 2;
		}
	}
	if (!out_path || !have_bytes) {
		usage();
		return 2;
	}

	FILE *out = strcmp(out_path, "-") == 0 ? stdout : fopen(out_path, "wb");
	if (!out) {
		fprintf(stderr, "gen_telemetry: %s: %s\n", out_path, strerror(errno));
		return 1;
	}
	/* Records are built in one buffer and written in large blocks. */
	enum { BLOCK = 1 << 20 };
	char *buf = malloc(BLOCK + MAX_RECORD);
	if (!buf) {
		fprintf(stderr, "gen_telemetry: out of memory\n");
		return 1;
	}

	struct rng r = { mix64(seed ^ 0x5eed5eed5eedull) };
	seed_salt = mix64(seed + 0x9e3779b97f4a7c15ull);
	int64_t now_ms = 1709251200000; /* 2024-03-01T00:00:00Z */
	uint64_t written = 0, n_records = 0;
	char *p = buf;
	int failed = 0;
	for (;;) {
		char *end = put_record(p, &r, now_ms);
		if (written + (uint64_t)(end - buf) > max_bytes)
			break; /* the record does not fit: drop it and stop */
		p = end;
		n_records++;
		now_ms += 1 + rng_below(&r, 40); /* about 50 events a second, evenly */
		if (p - buf >= BLOCK) {
			size_t n = (size_t)(p - buf);
			if (fwrite(buf, 1, n, out) != n) {
				failed = 1;
				break;
			}
			written += n;
			p = buf;
		}
	}
	if (!failed && p > buf) {
		size_t n = (size_t)(p - buf);
		failed = fwrite(buf, 1, n, out) != n;
		written += n;
	}
	if (out == stdout ? fflush(out) != 0 : fclose(out) != 0)
		failed = 1;
	free(buf);
	if (failed) {
		fprintf(stderr, "gen_telemetry: %s: write failed: %s\n", out_path, strerror(errno));
		return 1;
	}
	fprintf(stderr, "records=%llu bytes=%llu avg=%.1f\n", (unsigned long long)n_records,
		(unsigned long long)written,
		n_records ? (double)written / (double)n_records : 0.0);
	return 0;
}
