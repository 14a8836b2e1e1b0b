/*
 * stage1_avx2.c - structural indexing 64 bytes at a time with AVX2 and carry-less
 * multiplication, after the two-stage design published by Langdale and Lemire: classify
 * the bytes of a block into bit masks, find which quotes are escaped, turn quote bits into
 * an "inside a string" mask with a prefix XOR (one CLMUL), and emit the positions of the
 * structural bits. UTF-8 is checked only for blocks that hold non-ASCII bytes.
 * Gives exactly what stage1_scalar.c gives.
 */
#include "json/internal.h"
#include "json/stage1_blocks.h"

#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx2,pclmul,bmi,bmi2,popcnt")))

int sl_json_cpu_has_avx2(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("pclmul") &&
	       __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("popcnt");
}

TARGET static inline uint64_t eq_mask(__m256i lo, __m256i hi, char c)
{
	__m256i v = _mm256_set1_epi8(c);
	uint32_t a = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, v));
	uint32_t b = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, v));
	return (uint64_t)a | ((uint64_t)b << 32);
}

/* The class bits of 32 bytes (see lo_tab/hi_tab): a byte's class is
 * lo_tab[low nibble] & hi_tab[high nibble]. */
TARGET static inline __m256i classify32(__m256i x, __m256i lo_tab, __m256i hi_tab)
{
	__m256i nib = _mm256_set1_epi8(0x0f);
	__m256i lo = _mm256_shuffle_epi8(lo_tab, _mm256_and_si256(x, nib));
	__m256i hi = _mm256_shuffle_epi8(hi_tab, _mm256_and_si256(_mm256_srli_epi16(x, 4), nib));
	return _mm256_and_si256(lo, hi);
}

/* Bit i set when byte i of the 64 has any of the class bits in `bits`. */
TARGET static inline uint64_t has_class(__m256i a, __m256i b, char bits)
{
	__m256i m = _mm256_set1_epi8(bits), z = _mm256_setzero_si256();
	uint32_t x = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(a, m), z));
	uint32_t y = (uint32_t)_mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_and_si256(b, m), z));
	return ~((uint64_t)x | ((uint64_t)y << 32));
}

TARGET static inline uint64_t prefix_xor(uint64_t x)
{
	__m128i v = _mm_set_epi64x(0, (long long)x);
	__m128i ones = _mm_set1_epi8((char)0xFF);
	return (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(v, ones, 0));
}

TARGET void sl_json_stage1_avx2(const char *buf, size_t len, struct sl_stage1 *out)
{
	/* One nibble lookup classifies both sets: bits 0-2 mark {}[]:, (0x7b 0x7d 0x5b 0x5d
	 * 0x3a 0x2c), bits 3-4 mark whitespace (0x20 0x09 0x0a 0x0d). */
	const __m256i lo_tab = _mm256_setr_epi8(8, 0, 0, 0, 0, 0, 0, 0, 0, 16, 18, 1, 4, 17, 0, 0,
						8, 0, 0, 0, 0, 0, 0, 0, 0, 16, 18, 1, 4, 17, 0, 0);
	const __m256i hi_tab = _mm256_setr_epi8(16, 0, 12, 2, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0,
						16, 0, 12, 2, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m256i ctrl_max = _mm256_set1_epi8(0x1f);
	struct sl_blocks b;
	char tail[64];
	sl_blocks_init(&b, buf, len, out);

	for (size_t base = 0; base < len; base += 64) {
		const char *p = buf + base;
		size_t left = len - base;
		uint64_t valid = ~0ull;
		if (left < 64) {
			valid = (1ull << left) - 1;
			if (!out->padded) {
				/* pad with spaces: neither structural nor part of a scalar */
				memset(tail, ' ', sizeof(tail));
				memcpy(tail, p, left);
				p = tail;
			}
			/* else read past the end (the caller made it readable) and mask: bits
			 * above len cannot change those below (every carry runs upwards) */
		}
		__m256i lo = _mm256_loadu_si256((const __m256i *)p);
		__m256i hi = _mm256_loadu_si256((const __m256i *)(p + 32));
		sl_blocks_utf8(&b, base,
			       ((uint64_t)(uint32_t)_mm256_movemask_epi8(lo) |
				((uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32)) &
				       valid);
		uint64_t quote = sl_blocks_quotes(&b, base, eq_mask(lo, hi, '"') & valid,
						  eq_mask(lo, hi, '\\') & valid);
		uint64_t in_string = sl_blocks_in_string(&b, prefix_xor(quote));
		__m256i cls_lo = classify32(lo, lo_tab, hi_tab), cls_hi = classify32(hi, lo_tab, hi_tab);
		uint64_t ctrl =
			(uint64_t)(uint32_t)_mm256_movemask_epi8(
				_mm256_cmpeq_epi8(_mm256_max_epu8(lo, ctrl_max), ctrl_max)) |
			((uint64_t)(uint32_t)_mm256_movemask_epi8(
				 _mm256_cmpeq_epi8(_mm256_max_epu8(hi, ctrl_max), ctrl_max))
			 << 32);
		uint64_t s = sl_blocks_structurals(&b, base, valid, quote, in_string,
						   has_class(cls_lo, cls_hi, 0x07),
						   has_class(cls_lo, cls_hi, 0x18), ctrl);
		SL_BLOCKS_FLATTEN(&b, base, s);
	}
	sl_blocks_finish(&b);
}

#else
int sl_json_cpu_has_avx2(void)
{
	return 0;
}

void sl_json_stage1_avx2(const char *buf, size_t len, struct sl_stage1 *out)
{
	sl_json_stage1_scalar(buf, len, out);
}
#endif
