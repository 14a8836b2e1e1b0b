/*
 * fuzz_config.c - libFuzzer harness for sluice.yaml loading: any bytes must give a valid
 * configuration or an error with a message, never a crash, a leak or a hang. Also checks
 * that a file that loads round-trips through sl_config_show to the same values.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"

static char path[64], path2[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0]) {
		snprintf(path, sizeof(path), "/tmp/sluice-fuzz-config-%d.yaml", (int)getpid());
		snprintf(path2, sizeof(path2), "/tmp/sluice-fuzz-config-%d.show.yaml", (int)getpid());
	}
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	fwrite(data, 1, size, f);
	fclose(f);
	struct sl_config cfg, again;
	struct sl_err err = {0};
	int rc = sl_config_load(path, &cfg, &err);
	if (rc != 0) {
		if (err.msg[0] == '\0')
			abort(); /* every refusal explains itself */
		return 0;
	}
	f = fopen(path2, "w");
	if (!f)
		abort();
	sl_config_show(&cfg, f);
	fclose(f);
	if (sl_config_load(path2, &again, &err) != 0 || memcmp(&cfg, &again, sizeof(cfg)) != 0)
		abort(); /* what show prints must load back to the same values */
	return 0;
}
