/*
 * stage1_avx512.c - structural indexing with AVX-512 (F + BW): the same algorithm as
 * stage1_avx2.c on one 64-byte register per block, where every classification is a
 * single mask-producing compare or test, and the last partial block is a masked load (no
 * copy, no padding needed). Gives exactly what stage1_scalar.c gives.
 */
#include "json/internal.h"
#include "json/stage1_blocks.h"

#if defined(__x86_64__)
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,pclmul,bmi,bmi2,popcnt")))

int sl_json_cpu_has_avx512(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	       sl_json_cpu_has_avx2();
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
	struct sl_blocks b;
	sl_blocks_init(&b, buf, len, out);

	for (size_t base = 0; base < len; base += 64) {
		size_t left = len - base;
		uint64_t valid = left < 64 ? (1ull << left) - 1 : ~0ull;
		/* the last partial block is a masked load (bytes past the end read as 0, then
		 * masked out); a masked load of every block was slower on the machine measured */
		__m512i v = left < 64 ? _mm512_maskz_loadu_epi8(valid, buf + base)
				      : _mm512_loadu_si512((const void *)(buf + base));
		sl_blocks_utf8(&b, base, _mm512_movepi8_mask(v));
		uint64_t quote = sl_blocks_quotes(&b, base, _mm512_cmpeq_epi8_mask(v, quote_c),
						  _mm512_cmpeq_epi8_mask(v, bs_c));
		uint64_t in_string = sl_blocks_in_string(
			&b, (uint64_t)_mm_cvtsi128_si64(_mm_clmulepi64_si128(
				    _mm_set_epi64x(0, (long long)quote), ones, 0)));
		__m512i cls = _mm512_and_si512(
			_mm512_shuffle_epi8(lo_tab, _mm512_and_si512(v, nib)),
			_mm512_shuffle_epi8(hi_tab, _mm512_and_si512(_mm512_srli_epi16(v, 4), nib)));
		uint64_t s = sl_blocks_structurals(&b, base, valid, quote, in_string,
						   _mm512_test_epi8_mask(cls, op_bits),
						   _mm512_test_epi8_mask(cls, ws_bits),
						   _mm512_cmple_epu8_mask(v, ctrl_max));
		SL_BLOCKS_FLATTEN(&b, base, s);
	}
	sl_blocks_finish(&b);
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
