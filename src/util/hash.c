/* hash.c - see hash.h. */
#include "util/hash.h"

#include <stdio.h>

#include <openssl/evp.h>

#include "util/err.h"

int sl_hasher_init(struct sl_hasher *h)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		h->md = NULL;
		return SL_ENOMEM;
	}
	h->md = md;
	return 0;
}

void sl_hasher_update(struct sl_hasher *h, const void *data, size_t len)
{
	EVP_DigestUpdate(h->md, data, len);
}

void sl_hasher_final(struct sl_hasher *h, char out[SL_HASH_TEXT_MAX])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char dig[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_DigestFinal_ex(h->md, dig, &n);
	int off = snprintf(out, SL_HASH_TEXT_MAX, "sha256:");
	for (unsigned i = 0; i < n && off + 2 < SL_HASH_TEXT_MAX; i++) {
		out[off++] = hex[dig[i] >> 4];
		out[off++] = hex[dig[i] & 15];
	}
	out[off] = '\0';
	sl_hasher_release(h);
}

void sl_hasher_release(struct sl_hasher *h)
{
	EVP_MD_CTX_free(h->md);
	h->md = NULL;
}
