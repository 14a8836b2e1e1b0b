/*
 * stage1_avx2.c - structural indexing 64 bytes at a time with AVX2 and carry-less
 * multiplication, after the two-stage design published by Langdale and Lemire: classify
 * the bytes of a block into bit masks, find which quotes are escaped, turn quote bits into
 * an "inside a string" mask with a prefix XOR (one CLMUL), and emit the positions of the
 * structural bits. UTF-8 is checked only for blocks that hold non-ASCII bytes.
 * Gives exactly what stage1_scalar.c gives.
 */
#include "json/internal.h"

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

/* Which bytes follow an unescaped backslash. Backslashes are rare in real data, so the
 * blocks that have any take a short loop over their bits. */
static inline uint64_t escaped_bits(uint64_t bs, uint64_t *carry)
{
	uint64_t esc = *carry;
	*carry = 0;
	while (bs) {
		int i = __builtin_ctzll(bs);
		bs &= bs - 1;
		if ((esc >> i) & 1)
			continue; /* an escaped backslash escapes nothing */
		if (i == 63)
			*carry = 1;
		else
			esc |= 1ull << (i + 1);
	}
	return esc;
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
	uint32_t *idx = out->idx;
	size_t n = 0, utf8_done = 0, bad;
	uint64_t esc_carry = 0, in_string_carry = 0, scalar_carry = 0;
	size_t nb = 0;
	char tail[64];
	out->ctrl_at = SIZE_MAX;
	out->utf8_at = SIZE_MAX;

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

		uint64_t high = ((uint64_t)(uint32_t)_mm256_movemask_epi8(lo) |
				 ((uint64_t)(uint32_t)_mm256_movemask_epi8(hi) << 32)) &
				valid;
		if (high && out->utf8_at == SIZE_MAX) {
			size_t from = base > utf8_done ? base : utf8_done;
			size_t to = base + (left < 64 ? left : 64);
			if (from < to) {
				utf8_done = sl_json_utf8_check(buf, len, from, to, &bad);
				if (utf8_done == SIZE_MAX)
					out->utf8_at = bad;
			}
		}

		uint64_t quote = eq_mask(lo, hi, '"') & valid;
		uint64_t bs = eq_mask(lo, hi, '\\') & valid;
		if (bs | esc_carry) {
			quote &= ~escaped_bits(bs, &esc_carry);
			for (uint64_t b = bs; b; b &= b - 1)
				out->bs[nb++] = (uint32_t)base + (uint32_t)__builtin_ctzll(b);
		}
		uint64_t in_string = prefix_xor(quote) ^ in_string_carry;
		in_string_carry = (uint64_t)((int64_t)in_string >> 63);

		__m256i cls_lo = classify32(lo, lo_tab, hi_tab), cls_hi = classify32(hi, lo_tab, hi_tab);
		uint64_t op = has_class(cls_lo, cls_hi, 0x07);
		uint64_t ws = has_class(cls_lo, cls_hi, 0x18);
		uint64_t ctrl =
			(uint64_t)(uint32_t)_mm256_movemask_epi8(
				_mm256_cmpeq_epi8(_mm256_max_epu8(lo, ctrl_max), ctrl_max)) |
			((uint64_t)(uint32_t)_mm256_movemask_epi8(
				 _mm256_cmpeq_epi8(_mm256_max_epu8(hi, ctrl_max), ctrl_max))
			 << 32);
		ctrl &= in_string & valid;
		if (ctrl && out->ctrl_at == SIZE_MAX)
			out->ctrl_at = base + (size_t)__builtin_ctzll(ctrl);

		uint64_t scalar = ~in_string & ~op & ~ws & ~quote;
		uint64_t starts = scalar & ~((scalar << 1) | scalar_carry);
		scalar_carry = scalar >> 63;
		uint64_t s = ((op & ~in_string) | quote | starts) & valid;

		/* write eight positions at a time (tzcnt of 0 is 64: harmless extra entries past
		 * the count, overwritten by the next block): cheaper than a branch per bit */
		uint32_t cnt = (uint32_t)__builtin_popcountll(s);
		uint32_t *w = idx + n;
		uint32_t b32 = (uint32_t)base;
		while (s) {
#define SL_FLATTEN_ONE(k)                                                                     \
	w[k] = b32 + (uint32_t)_tzcnt_u64(s);                                                 \
	s = _blsr_u64(s);
			SL_FLATTEN_ONE(0) SL_FLATTEN_ONE(1) SL_FLATTEN_ONE(2) SL_FLATTEN_ONE(3)
			SL_FLATTEN_ONE(4) SL_FLATTEN_ONE(5) SL_FLATTEN_ONE(6) SL_FLATTEN_ONE(7)
#undef SL_FLATTEN_ONE
			w += 8;
		}
		n += cnt;
	}
	idx[n] = (uint32_t)len;
	out->n = n;
	out->bs[nb] = UINT32_MAX;
	out->n_bs = nb;
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
