/*
 * sl-gen - writes realistic sample data for the demo, the tests and the benchmarks.
 *
 *   sl-gen tree DIR [--days N] [--files-per-day N] [--records N] [--seed S]
 *       table families as Hive-partitioned NDJSON files:
 *         DIR/orders/dt=YYYY-MM-DD/orders-NNNN.ndjson
 *         DIR/clicks/dt=YYYY-MM-DD/clicks-NNNN.ndjson
 *         DIR/customers/customers.json         (one JSON array)
 *       about one record in 200 is deliberately bad (wrong type, missing field, broken
 *       JSON) so that later stages have something to quarantine.
 *   sl-gen events FILE --bytes N [--seed S]
 *       one NDJSON file of click events of about N bytes (benchmark input).
 *
 * Deterministic for a given seed.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static unsigned pick(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static const char *const countries[] = {"DE", "FR", "US", "GB", "JP", "BR", "IN", "ES", "NL", "SE"};
static const char *const products[] = {"espresso-beans", "grinder", "kettle", "filter-papers",
				       "mug", "scale", "dripper", "tamper"};
static const char *const pages[] = {"/", "/shop", "/shop/grinder", "/cart", "/checkout",
				    "/blog/how-to-brew", "/account", "/search?q=kettle"};
static const char *const agents[] = {"Mozilla/5.0 (X11; Linux x86_64)", "Mozilla/5.0 (iPhone)",
				     "curl/8.5.0", "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"};
static const char *const names[] = {"Ada Lovelace", "Grace Hopper", "Jörg Müller", "Zoë Saldaña",
				    "李小龍", "Ólafur Arnalds", "Amélie Poulain", "Nikola Tesla"};

static void uuid(char out[37])
{
	uint64_t a = rnd(), b = rnd();
	snprintf(out, 37, "%08" PRIx64 "-%04" PRIx64 "-4%03" PRIx64 "-a%03" PRIx64 "-%012" PRIx64,
		 a >> 32, (a >> 16) & 0xffff, a & 0xfff, b >> 52, b & (uint64_t)0xffffffffffff);
}

static int mkdirs(const char *path)
{
	char buf[4096];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p == '/') {
			*p = '\0';
			if (mkdir(buf, 0755) != 0 && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	return mkdir(buf, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

static void order(FILE *f, int day, long n)
{
	char id[37], cust[37];
	uuid(id);
	uuid(cust);
	unsigned bad = pick(200);
	int items = 1 + (int)pick(3);
	fprintf(f, "{\"order_id\":\"%s\",\"customer_id\":\"%s\",\"ts\":\"2026-11-%02dT%02u:%02u:%02u.%03uZ\","
		   "\"country\":\"%s\",",
		id, cust, day, pick(24), pick(60), pick(60), pick(1000), countries[pick(10)]);
	if (bad == 0)
		fprintf(f, "\"total\":\"12.50 EUR\",");       /* wrong type */
	else if (bad != 1)
		fprintf(f, "\"total\":%u.%02u,", 5 + pick(200), pick(100));
	/* bad == 1: total missing */
	fprintf(f, "\"items\":[");
	for (int i = 0; i < items; i++)
		fprintf(f, "%s{\"sku\":\"%s\",\"qty\":%u}", i ? "," : "", products[pick(8)], 1 + pick(4));
	fprintf(f, "],\"paid\":%s,\"seq\":%ld}", pick(10) ? "true" : "false", n);
	if (bad == 2)
		fprintf(f, ",");                               /* broken JSON */
	fputc('\n', f);
}

static void click(FILE *f, int day, long n)
{
	char sid[37];
	uuid(sid);
	fprintf(f, "{\"event\":\"page_view\",\"session_id\":\"%s\",\"user_id\":%u,"
		   "\"ts\":\"2026-11-%02dT%02u:%02u:%02u.%03uZ\",\"page\":\"%s\","
		   "\"referrer\":%s,\"user_agent\":\"%s\",\"duration_ms\":%u,"
		   "\"geo\":{\"country\":\"%s\",\"lat\":%.4f,\"lon\":%.4f},\"n\":%ld}\n",
		sid, pick(100000), day, pick(24), pick(60), pick(60), pick(1000), pages[pick(8)],
		pick(3) ? "null" : "\"https://example.org/\"", agents[pick(4)], pick(60000),
		countries[pick(10)], (double)pick(180000) / 1000 - 90, (double)pick(360000) / 1000 - 180, n);
}

static int tree(const char *dir, int days, int files, long records)
{
	char path[4096];
	long n = 0;
	for (int d = 0; d < days; d++) {
		int day = 24 - days + 1 + d;
		for (int fam = 0; fam < 2; fam++) {
			const char *name = fam ? "clicks" : "orders";
			snprintf(path, sizeof(path), "%s/%s/dt=2026-11-%02d", dir, name, day);
			if (mkdirs(path) != 0)
				return -1;
			for (int i = 0; i < files; i++) {
				snprintf(path, sizeof(path), "%s/%s/dt=2026-11-%02d/%s-%04d.ndjson", dir,
					 name, day, name, i + 1);
				FILE *f = fopen(path, "w");
				if (!f)
					return -1;
				for (long r = 0; r < records; r++)
					fam ? click(f, day, n++) : order(f, day, n++);
				if (fclose(f) != 0)
					return -1;
			}
		}
	}
	snprintf(path, sizeof(path), "%s/customers", dir);
	if (mkdirs(path) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/customers/customers.json", dir);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fputs("[\n", f);
	for (int i = 0; i < 50; i++) {
		char id[37];
		uuid(id);
		fprintf(f, "%s  {\"customer_id\":\"%s\",\"name\":\"%s\",\"country\":\"%s\","
			   "\"signup\":\"2026-%02u-%02u\",\"vip\":%s}",
			i ? ",\n" : "", id, names[pick(8)], countries[pick(10)], 1 + pick(11),
			1 + pick(28), pick(5) ? "false" : "true");
	}
	fputs("\n]\n", f);
	return fclose(f);
}

static int events(const char *file, long long bytes)
{
	FILE *f = fopen(file, "w");
	if (!f)
		return -1;
	long n = 0;
	while (ftell(f) < bytes)
		click(f, 1 + (int)(n % 24), n), n++;
	return fclose(f);
}

static void usage(void)
{
	fputs("usage: sl-gen tree DIR [--days N] [--files-per-day N] [--records N] [--seed S]\n"
	      "       sl-gen events FILE --bytes N [--seed S]\n",
	      stderr);
}

int main(int argc, char **argv)
{
	int days = 3, files = 4;
	long records = 250;
	long long bytes = 0;
	if (argc < 3) {
		usage();
		return 1;
	}
	for (int i = 3; i < argc; i++) {
		if (i + 1 >= argc) {
			usage();
			return 1;
		}
		const char *o = argv[i], *v = argv[++i];
		if (strcmp(o, "--days") == 0)
			days = atoi(v);
		else if (strcmp(o, "--files-per-day") == 0)
			files = atoi(v);
		else if (strcmp(o, "--records") == 0)
			records = atol(v);
		else if (strcmp(o, "--bytes") == 0)
			bytes = atoll(v);
		else if (strcmp(o, "--seed") == 0)
			rng_state ^= strtoull(v, NULL, 10) * 0x9E3779B97F4A7C15ull + 1;
		else {
			usage();
			return 1;
		}
	}
	if (days < 1 || days > 24 || files < 1 || records < 1) {
		usage();
		return 1;
	}
	int rc = strcmp(argv[1], "tree") == 0     ? tree(argv[2], days, files, records)
		 : strcmp(argv[1], "events") == 0 ? events(argv[2], bytes)
						  : (usage(), -1);
	if (rc != 0) {
		fprintf(stderr, "sl-gen: %s: %s\n", argv[2], strerror(errno));
		return 2;
	}
	return 0;
}
