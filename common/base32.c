/* SPDX-License-Identifier: ISC */
/*
 * RFC 4648 section 6 base32.  The decoder is what a person pasting a key
 * needs (any case, spaces, padding or none) and nothing more: a key that
 * decodes only because we guessed what a stray character meant is a key
 * that will not match the phone, so everything else is refused.
 *
 * Secrets pass through here, so the character mapping avoids table
 * lookups and data-dependent branches.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>

#include "base32.h"
#include "err.h"
#include "secure.h"

/* 0..31 -> 'A'..'Z','2'..'7' without a branch on the value. */
static char
b32_enc_char(unsigned v)
{
	/* mask is all ones when v >= 26 (a digit), else 0 */
	unsigned mask = 0u - ((25u - v) >> 31);

	return (char)(('A' + v) ^ (mask & (('A' + v) ^ ('2' + v - 26))));
}

/* Returns 1 if x is in [lo, hi], else 0, without a branch. */
static unsigned
b32_in_range(unsigned x, unsigned lo, unsigned hi)
{
	return (((x - lo) | (hi - x)) >> 31) ^ 1u;
}

/*
 * Maps one character to its 5-bit value, or returns -1 if it is not in the
 * alphabet (either case).  Branch-free on the character.
 */
static int
b32_dec_char(unsigned char ch)
{
	unsigned c = ch;
	unsigned up = b32_in_range(c, 'A', 'Z');
	unsigned lo = b32_in_range(c, 'a', 'z');
	unsigned dg = b32_in_range(c, '2', '7');
	unsigned val = ((0u - up) & (c - 'A')) |
	    ((0u - lo) & (c - 'a')) |
	    ((0u - dg) & (c - '2' + 26));
	unsigned ok = up | lo | dg;

	return (int)((0u - ok) & val) | -(int)(ok ^ 1u);
}

size_t
odin_base32_enclen(size_t n)
{
	/* 5 bytes -> 8 characters; a tail of r bytes needs ceil(8r/5). */
	return n / 5 * 8 + (n % 5 * 8 + 4) / 5;
}

int
odin_base32_encode(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	size_t len, o = 0, i;
	uint32_t acc = 0;
	unsigned bits = 0;

	if (out == NULL || (in == NULL && n > 0) || n > SIZE_MAX / 2)
		return ODIN_EINVAL;
	len = odin_base32_enclen(n);
	if (outsz < len + 1)
		return ODIN_EINVAL;
	for (i = 0; i < n; i++) {
		acc = (acc << 8) | in[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			out[o++] = b32_enc_char((acc >> bits) & 31u);
		}
		acc &= (1u << bits) - 1u;
	}
	if (bits > 0)
		out[o++] = b32_enc_char((acc << (5 - bits)) & 31u);
	out[o] = '\0';
	odin_wipe(&acc, sizeof(acc));	/* not "acc = 0": a dead store is elided */
	return ODIN_OK;
}

int
odin_base32_grouped(const uint8_t *in, size_t n, char *out, size_t outsz)
{
	size_t len, need, i, o;
	int rc;

	if (out == NULL || (in == NULL && n > 0) || n > SIZE_MAX / 4)
		return ODIN_EINVAL;
	len = odin_base32_enclen(n);
	need = len + len / 4 + 1;
	if (outsz < need)
		return ODIN_EINVAL;
	/* Encode at the tail, then move groups forward with spaces between. */
	rc = odin_base32_encode(in, n, out + (need - len - 1), len + 1);
	if (rc != ODIN_OK)
		return rc;
	for (i = 0, o = 0; i < len; i++) {
		if (i > 0 && i % 4 == 0)
			out[o++] = ' ';
		out[o++] = out[need - len - 1 + i];
	}
	out[o] = '\0';
	if (o + 1 < need)	/* wipe the leftover tail copy */
		odin_wipe(out + o + 1, need - o - 1);
	return ODIN_OK;
}

/* Data characters left over after whole 8-character blocks -> padding. */
static int
b32_pad_for(size_t rem)
{
	switch (rem) {
	case 0: return 0;
	case 2: return 6;
	case 4: return 4;
	case 5: return 3;
	case 7: return 1;
	}
	return -1;	/* 1, 3 or 6 leftover characters cannot come from bytes */
}

int
odin_base32_decode(const char *in, uint8_t *out, size_t outsz, size_t *outlen)
{
	const unsigned char *p;
	size_t ndata = 0, npad = 0, need, o = 0;
	uint32_t acc = 0;
	unsigned bits = 0, bad = 0;
	int rc = ODIN_EINVAL;

	if (outlen != NULL)
		*outlen = 0;
	if (in == NULL || outlen == NULL || (out == NULL && outsz > 0))
		return ODIN_EINVAL;

	/* Pass 1: shape only.  Data, then optional '=' run, spaces anywhere. */
	for (p = (const unsigned char *)in; *p != '\0'; p++) {
		if (*p == ' ')
			continue;
		if (*p == '=') {
			npad++;
			continue;
		}
		if (npad > 0)		/* data after padding */
			goto fail;
		bad |= (unsigned)b32_dec_char(*p) >> 31;
		ndata++;
	}
	if (bad)
		goto fail;
	if (b32_pad_for(ndata % 8) < 0)
		goto fail;
	if (npad > 0 && (size_t)b32_pad_for(ndata % 8) != npad)
		goto fail;
	need = ndata / 8 * 5 + ndata % 8 * 5 / 8;
	if (need > outsz) {
		rc = ODIN_ETOOBIG;
		goto fail;
	}

	/* Pass 2: the bits. */
	for (p = (const unsigned char *)in; *p != '\0' && *p != '='; p++) {
		if (*p == ' ')
			continue;
		acc = (acc << 5) | (uint32_t)b32_dec_char(*p);
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
		acc &= (1u << bits) - 1u;
	}
	/* The bits that did not fill a byte must be zero (canonical form). */
	if (acc != 0 || o != need)
		goto fail;
	*outlen = o;
	return ODIN_OK;
fail:
	odin_wipe(&acc, sizeof(acc));	/* partial secret bits; see encode */
	if (out != NULL)
		odin_wipe(out, outsz);
	return rc;
}

void
odin_base16_encode(const uint8_t *in, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = digits[in[i] >> 4];
		out[2 * i + 1] = digits[in[i] & 0xf];
	}
	out[2 * n] = '\0';
}

int
odin_base16_decode(const char *in, size_t len, uint8_t *out, size_t n)
{
	size_t i;

	if (in == NULL || len != 2 * n)
		return ODIN_EINVAL;
	for (i = 0; i < len; i++) {
		char c = in[i];
		unsigned v;

		if (c >= '0' && c <= '9')
			v = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = (unsigned)(c - 'a' + 10);
		else
			return ODIN_EINVAL;
		if (i % 2 == 0)
			out[i / 2] = (uint8_t)(v << 4);
		else
			out[i / 2] |= (uint8_t)v;
	}
	return ODIN_OK;
}
