/*
 * stage1_avx512.c - structural indexing with AVX-512 (F + BW): the same algorithm as
 * stage1_avx2.c on one 64-byte register per block, where every classification is a
 * single mask-producing compare or test, and the last partial block is a masked load (no
 * copy, no padding needed). Gives exactly what stage1_scalar.c gives.
 */
#include "json/internal.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,pclmul,bmi,bmi2,popcnt")))

int sl_json_cpu_has_avx512(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	       sl_json_cpu_has_avx2();
}

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

TARGET void sl_json_stage1_avx512(const char *buf, size_t len, struct sl_stage1 *out)
{
	/* class bits as in stage1_avx2.c: 0-2 {}[]:, 3-4 whitespace; tables per 128-bit lane */
	const __m512i lo_tab = _mm512_broadcast_i32x4(
		_mm_setr_epi8(8, 0, 0, 0, 0, 0, 0, 0, 0, 16, 18, 1, 4, 17, 0, 0));
	const __m512i hi_tab = _mm512_broadcast_i32x4(
		_mm_setr_epi8(16, 0, 12, 2, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0));
	const __m512i nib = _mm512_set1_epi8(0x0f), quote_c = _mm512_set1_epi8('"'),
		      bs_c = _mm512_set1_epi8('\\'), ctrl_max = _mm512_set1_epi8(0x1f),
		      op_bits = _mm512_set1_epi8(0x07), ws_bits = _mm512_set1_epi8(0x18);
	const __m128i ones = _mm_set1_epi8((char)0xFF);
	uint32_t *idx = out->idx;
	size_t n = 0, nb = 0, utf8_done = 0, bad;
	uint64_t esc_carry = 0, in_string_carry = 0, scalar_carry = 0;
	out->ctrl_at = SIZE_MAX;
	out->utf8_at = SIZE_MAX;

	for (size_t base = 0; base < len; base += 64) {
		size_t left = len - base;
		uint64_t valid = left < 64 ? (1ull << left) - 1 : ~0ull;
		/* masked-off bytes read as 0: not structural, and masked out below */
		__m512i v = left < 64 ? _mm512_maskz_loadu_epi8(valid, buf + base)
				      : _mm512_loadu_si512((const void *)(buf + base));

		uint64_t high = _mm512_movepi8_mask(v);
		if (high && out->utf8_at == SIZE_MAX) {
			size_t from = base > utf8_done ? base : utf8_done;
			size_t to = base + (left < 64 ? left : 64);
			if (from < to) {
				utf8_done = sl_json_utf8_check(buf, len, from, to, &bad);
				if (utf8_done == SIZE_MAX)
					out->utf8_at = bad;
			}
		}
		uint64_t quote = _mm512_cmpeq_epi8_mask(v, quote_c);
		uint64_t bs = _mm512_cmpeq_epi8_mask(v, bs_c);
		if (bs | esc_carry) {
			quote &= ~escaped_bits(bs, &esc_carry);
			for (uint64_t b = bs; b; b &= b - 1)
				out->bs[nb++] = (uint32_t)base + (uint32_t)__builtin_ctzll(b);
		}
		uint64_t in_string = (uint64_t)_mm_cvtsi128_si64(
			_mm_clmulepi64_si128(_mm_set_epi64x(0, (long long)quote), ones, 0));
		in_string ^= in_string_carry;
		in_string_carry = (uint64_t)((int64_t)in_string >> 63);

		__m512i cls = _mm512_and_si512(
			_mm512_shuffle_epi8(lo_tab, _mm512_and_si512(v, nib)),
			_mm512_shuffle_epi8(hi_tab, _mm512_and_si512(_mm512_srli_epi16(v, 4), nib)));
		uint64_t op = _mm512_test_epi8_mask(cls, op_bits);
		uint64_t ws = _mm512_test_epi8_mask(cls, ws_bits);
		uint64_t ctrl = _mm512_cmple_epu8_mask(v, ctrl_max) & in_string & valid;
		if (ctrl && out->ctrl_at == SIZE_MAX)
			out->ctrl_at = base + (size_t)__builtin_ctzll(ctrl);

		uint64_t scalar = ~in_string & ~op & ~ws & ~quote;
		uint64_t starts = scalar & ~((scalar << 1) | scalar_carry);
		scalar_carry = scalar >> 63;
		uint64_t s = ((op & ~in_string) | quote | starts) & valid;

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
int sl_json_cpu_has_avx512(void)
{
	return 0;
}

void sl_json_stage1_avx512(const char *buf, size_t len, struct sl_stage1 *out)
{
	sl_json_stage1_scalar(buf, len, out);
}
#endif
