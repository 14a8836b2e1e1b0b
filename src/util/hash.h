/* hash.h - the content checksum of objects: SHA-256 (OpenSSL's libcrypto), written as
 * "sha256:<64 hex digits>". */
#ifndef SL_HASH_H
#define SL_HASH_H

#include <stddef.h>

#define SL_HASH_TEXT_MAX 72

struct sl_hasher {
	void *md; /* EVP_MD_CTX */
};

int sl_hasher_init(struct sl_hasher *h);  /* SL_ENOMEM on failure */
void sl_hasher_update(struct sl_hasher *h, const void *data, size_t len);
/* Writes the checksum text and releases the hasher. */
void sl_hasher_final(struct sl_hasher *h, char out[SL_HASH_TEXT_MAX]);
void sl_hasher_release(struct sl_hasher *h); /* without a result; accepts a finished one */

#endif
