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

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vbmi2,pclmul,bmi,bmi2,popcnt")))

int sl_json_cpu_has_avx512(void)
{
	__builtin_cpu_init();
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
	       __builtin_cpu_supports("avx512vbmi2") && sl_json_cpu_has_avx2();
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
	const __m512i iota = _mm512_set_epi8(
		63, 62, 61, 60, 59, 58, 57, 56, 55, 54, 53, 52, 51, 50, 49, 48, 47, 46, 45, 44, 43,
		42, 41, 40, 39, 38, 37, 36, 35, 34, 33, 32, 31, 30, 29, 28, 27, 26, 25, 24, 23, 22,
		21, 20, 19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0);
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
		/* the positions: byte numbers of the set bits, packed, widened, plus base;
		 * entries past the count are junk the next block overwrites */
		__m512i packed = _mm512_maskz_compress_epi8(s, iota);
		__m512i basev = _mm512_set1_epi32((int)base);
		uint32_t *w = out->idx + b.n;
		size_t cnt = (size_t)__builtin_popcountll(s);
		_mm512_storeu_si512(w, _mm512_add_epi32(
			_mm512_cvtepu8_epi32(_mm512_castsi512_si128(packed)), basev));
		if (cnt > 16)
			_mm512_storeu_si512(w + 16, _mm512_add_epi32(_mm512_cvtepu8_epi32(
				_mm512_extracti32x4_epi32(packed, 1)), basev));
		if (cnt > 32)
			_mm512_storeu_si512(w + 32, _mm512_add_epi32(_mm512_cvtepu8_epi32(
				_mm512_extracti32x4_epi32(packed, 2)), basev));
		if (cnt > 48)
			_mm512_storeu_si512(w + 48, _mm512_add_epi32(_mm512_cvtepu8_epi32(
				_mm512_extracti32x4_epi32(packed, 3)), basev));
		b.n += cnt;
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
