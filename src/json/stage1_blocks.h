/*
 * stage1_blocks.h - the part of stage 1 that every SIMD implementation shares: given the
 * 64-bit masks of one 64-byte block (quotes, backslashes, {}[]:, whitespace, control
 * bytes, non-ASCII bytes), find escaped quotes, carry state to the next block, check
 * UTF-8 where needed and write out the structural positions. The implementations differ
 * only in how they compute the masks (and the prefix XOR, which needs CLMUL).
 * Included by stage1_avx2.c and stage1_avx512.c only; inlined into their target code.
 */
#ifndef SL_JSON_STAGE1_BLOCKS_H
#define SL_JSON_STAGE1_BLOCKS_H

#include "json/internal.h"

struct sl_blocks {
	const char *buf;
	size_t len;
	struct sl_stage1 *out;
	size_t n, nb, utf8_done;
	uint64_t esc_carry, in_string_carry, scalar_carry;
};

static inline void sl_blocks_init(struct sl_blocks *b, const char *buf, size_t len,
				  struct sl_stage1 *out)
{
	*b = (struct sl_blocks){.buf = buf, .len = len, .out = out};
	out->ctrl_at = SIZE_MAX;
	out->utf8_at = SIZE_MAX;
}

/* UTF-8 is checked (by the scalar routine) only in blocks that have non-ASCII bytes. */
static inline void sl_blocks_utf8(struct sl_blocks *b, size_t base, uint64_t high)
{
	if (!high || b->out->utf8_at != SIZE_MAX)
		return;
	size_t from = base > b->utf8_done ? base : b->utf8_done, bad;
	size_t to = base + (b->len - base < 64 ? b->len - base : 64);
	if (from < to) {
		b->utf8_done = sl_json_utf8_check(b->buf, b->len, from, to, &bad);
		if (b->utf8_done == SIZE_MAX)
			b->out->utf8_at = bad;
	}
}

/* Drops escaped quotes and records the backslashes. Backslashes are rare in real data,
 * so the blocks that have any take a short loop over their bits. */
static inline uint64_t sl_blocks_quotes(struct sl_blocks *b, size_t base, uint64_t quote,
					uint64_t bs)
{
	if (!(bs | b->esc_carry))
		return quote;
	uint64_t esc = b->esc_carry;
	b->esc_carry = 0;
	for (uint64_t x = bs; x; x &= x - 1) {
		int i = __builtin_ctzll(x);
		b->out->bs[b->nb++] = (uint32_t)(base + (size_t)i);
		if ((esc >> i) & 1)
			continue; /* an escaped backslash escapes nothing */
		if (i == 63)
			b->esc_carry = 1;
		else
			esc |= 1ull << (i + 1);
	}
	return quote & ~esc;
}

/* prefix = the block's quotes XOR-prefixed (bit i = parity of quotes at or below i). */
static inline uint64_t sl_blocks_in_string(struct sl_blocks *b, uint64_t prefix)
{
	uint64_t in_string = prefix ^ b->in_string_carry;
	b->in_string_carry = (uint64_t)((int64_t)in_string >> 63);
	return in_string;
}

/* Returns the block's structural bits; the caller writes them out with
 * SL_BLOCKS_FLATTEN (BMI instructions, so it must be expanded in target code). */
static inline uint64_t sl_blocks_structurals(struct sl_blocks *b, size_t base, uint64_t valid,
					     uint64_t quote, uint64_t in_string, uint64_t op,
					     uint64_t ws, uint64_t ctrl)
{
	ctrl &= in_string & valid;
	if (ctrl && b->out->ctrl_at == SIZE_MAX)
		b->out->ctrl_at = base + (size_t)__builtin_ctzll(ctrl);
	uint64_t scalar = ~in_string & ~op & ~ws & ~quote;
	uint64_t starts = scalar & ~((scalar << 1) | b->scalar_carry);
	b->scalar_carry = scalar >> 63;
	return ((op & ~in_string) | quote | starts) & valid;
}

/* Writes the positions of the bits of s, eight at a time (cheaper than a branch per
 * bit): past the count the entries are junk (tzcnt of 0 is 64) that the next block
 * overwrites, and idx has room for 64 more. */
#define SL_BLOCKS_FLATTEN(b, base, s)                                                         \
	do {                                                                                  \
		uint64_t bits_ = (s);                                                         \
		uint32_t *w_ = (b)->out->idx + (b)->n, b32_ = (uint32_t)(base);              \
		(b)->n += (size_t)__builtin_popcountll(bits_);                                \
		while (bits_) {                                                               \
			SL_BLOCKS_ONE(0) SL_BLOCKS_ONE(1) SL_BLOCKS_ONE(2) SL_BLOCKS_ONE(3)    \
			SL_BLOCKS_ONE(4) SL_BLOCKS_ONE(5) SL_BLOCKS_ONE(6) SL_BLOCKS_ONE(7)    \
			w_ += 8;                                                              \
		}                                                                             \
	} while (0)
#define SL_BLOCKS_ONE(k)                                                                      \
	w_[k] = b32_ + (uint32_t)_tzcnt_u64(bits_);                                           \
	bits_ = _blsr_u64(bits_);

static inline void sl_blocks_finish(struct sl_blocks *b)
{
	b->out->idx[b->n] = (uint32_t)b->len;
	b->out->n = b->n;
	b->out->bs[b->nb] = UINT32_MAX;
	b->out->n_bs = b->nb;
}

#endif
