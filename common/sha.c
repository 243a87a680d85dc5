/* SPDX-License-Identifier: ISC */
/* SHA-1, SHA-256, SHA-512, HMAC and PBKDF2-HMAC-SHA256 (sha.h). */
#include "autoconfig.h"

#include <string.h>

#include "err.h"
#include "secure.h"
#include "sha.h"

struct sha_ctx {
	enum odin_hash h;
	union {
		uint32_t w[8];
		uint64_t d[8];
	} s;
	uint64_t len;		/* bytes absorbed */
	size_t n;		/* bytes waiting in buf */
	uint8_t buf[128];
	union {			/* the message schedule (sha*_block's w) */
		uint32_t w[80];
		uint64_t d[80];
	} ws;
};

static const uint32_t k256[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
};

static const uint64_t k512[80] = {
	0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
	0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
	0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
	0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
	0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
	0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
	0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
	0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
	0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
	0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
	0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
	0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
	0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
	0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
	0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
	0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
	0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
	0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
	0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
	0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL
};

static uint32_t
rol32(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32 - n));
}

static uint32_t
ror32(uint32_t x, unsigned n)
{
	return (x >> n) | (x << (32 - n));
}

static uint64_t
ror64(uint64_t x, unsigned n)
{
	return (x >> n) | (x << (64 - n));
}

static uint32_t
be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint64_t
be64(const uint8_t *p)
{
	return (uint64_t)be32(p) << 32 | be32(p + 4);
}

static void
put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static void
put64(uint8_t *p, uint64_t v)
{
	put32(p, (uint32_t)(v >> 32));
	put32(p + 4, (uint32_t)v);
}

/*
 * The compression functions.  w is the caller's message-schedule space
 * (struct sha_ctx's, or pbkdf2's), wiped once by its owner rather than
 * after every block: PBKDF2 runs 40,000 of these per code checked.
 */
static void
sha1_block(uint32_t *s, const uint8_t *p, uint32_t *w)
{
	uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], t;
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = be32(p + 4 * i);
	for (; i < 80; i++)
		w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++) {
		if (i < 20)
			t = ((b & c) | (~b & d)) + 0x5a827999;
		else if (i < 40)
			t = (b ^ c ^ d) + 0x6ed9eba1;
		else if (i < 60)
			t = ((b & c) | (b & d) | (c & d)) + 0x8f1bbcdc;
		else
			t = (b ^ c ^ d) + 0xca62c1d6;
		t += rol32(a, 5) + e + w[i];
		e = d;
		d = c;
		c = rol32(b, 30);
		b = a;
		a = t;
	}
	s[0] += a;
	s[1] += b;
	s[2] += c;
	s[3] += d;
	s[4] += e;
}

/* One SHA-256 round; the caller renames the eight words instead of moving them. */
#define R256(a, b, c, d, e, f, g, h, i) do {					\
	uint32_t t1_ = (h) + (ror32((e), 6) ^ ror32((e), 11) ^ ror32((e), 25)) +	\
	    (((e) & (f)) ^ (~(e) & (g))) + k256[(i)] + w[(i)];			\
	uint32_t t2_ = (ror32((a), 2) ^ ror32((a), 13) ^ ror32((a), 22)) +	\
	    (((a) & (b)) ^ ((a) & (c)) ^ ((b) & (c)));				\
	(d) += t1_;								\
	(h) = t1_ + t2_;							\
} while (0)

static void
sha256_block(uint32_t *s, const uint8_t *p, uint32_t *w)
{
	uint32_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = be32(p + 4 * i);
	for (; i < 64; i++)
		w[i] = (ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ (w[i - 2] >> 10)) + w[i - 7] +
		    (ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ (w[i - 15] >> 3)) + w[i - 16];
	for (i = 0; i < 64; i += 8) {
		R256(a, b, c, d, e, f, g, h, i);
		R256(h, a, b, c, d, e, f, g, i + 1);
		R256(g, h, a, b, c, d, e, f, i + 2);
		R256(f, g, h, a, b, c, d, e, i + 3);
		R256(e, f, g, h, a, b, c, d, i + 4);
		R256(d, e, f, g, h, a, b, c, i + 5);
		R256(c, d, e, f, g, h, a, b, i + 6);
		R256(b, c, d, e, f, g, h, a, i + 7);
	}
	s[0] += a;
	s[1] += b;
	s[2] += c;
	s[3] += d;
	s[4] += e;
	s[5] += f;
	s[6] += g;
	s[7] += h;
}

#define R512(a, b, c, d, e, f, g, h, i) do {					\
	uint64_t t1_ = (h) + (ror64((e), 14) ^ ror64((e), 18) ^ ror64((e), 41)) +	\
	    (((e) & (f)) ^ (~(e) & (g))) + k512[(i)] + w[(i)];			\
	uint64_t t2_ = (ror64((a), 28) ^ ror64((a), 34) ^ ror64((a), 39)) +	\
	    (((a) & (b)) ^ ((a) & (c)) ^ ((b) & (c)));				\
	(d) += t1_;								\
	(h) = t1_ + t2_;							\
} while (0)

static void
sha512_block(uint64_t *s, const uint8_t *p, uint64_t *w)
{
	uint64_t a = s[0], b = s[1], c = s[2], d = s[3], e = s[4], f = s[5], g = s[6], h = s[7];
	unsigned i;

	for (i = 0; i < 16; i++)
		w[i] = be64(p + 8 * i);
	for (; i < 80; i++)
		w[i] = (ror64(w[i - 2], 19) ^ ror64(w[i - 2], 61) ^ (w[i - 2] >> 6)) + w[i - 7] +
		    (ror64(w[i - 15], 1) ^ ror64(w[i - 15], 8) ^ (w[i - 15] >> 7)) + w[i - 16];
	for (i = 0; i < 80; i += 8) {
		R512(a, b, c, d, e, f, g, h, i);
		R512(h, a, b, c, d, e, f, g, i + 1);
		R512(g, h, a, b, c, d, e, f, i + 2);
		R512(f, g, h, a, b, c, d, e, i + 3);
		R512(e, f, g, h, a, b, c, d, i + 4);
		R512(d, e, f, g, h, a, b, c, i + 5);
		R512(c, d, e, f, g, h, a, b, i + 6);
		R512(b, c, d, e, f, g, h, a, i + 7);
	}
	s[0] += a;
	s[1] += b;
	s[2] += c;
	s[3] += d;
	s[4] += e;
	s[5] += f;
	s[6] += g;
	s[7] += h;
}

static size_t
block_len(enum odin_hash h)
{
	return h == ODIN_SHA512 ? 128 : 64;
}

size_t
odin_hash_len(enum odin_hash h)
{
	switch (h) {
	case ODIN_SHA1:		return 20;
	case ODIN_SHA256:	return 32;
	case ODIN_SHA512:	return 64;
	}
	return 0;
}

static void
sha_init(struct sha_ctx *c, enum odin_hash h)
{
	static const uint32_t iv1[5] = {
		0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476, 0xc3d2e1f0
	};
	static const uint32_t iv256[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19
	};
	static const uint64_t iv512[8] = {
		0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
		0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
		0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL
	};

	memset(c, 0, sizeof(*c));
	c->h = h;
	if (h == ODIN_SHA1)
		memcpy(c->s.w, iv1, sizeof(iv1));
	else if (h == ODIN_SHA256)
		memcpy(c->s.w, iv256, sizeof(iv256));
	else
		memcpy(c->s.d, iv512, sizeof(iv512));
}

static void
sha_block(struct sha_ctx *c, const uint8_t *p)
{
	if (c->h == ODIN_SHA1)
		sha1_block(c->s.w, p, c->ws.w);
	else if (c->h == ODIN_SHA256)
		sha256_block(c->s.w, p, c->ws.w);
	else
		sha512_block(c->s.d, p, c->ws.d);
}

static void
sha_update(struct sha_ctx *c, const void *msg, size_t len)
{
	const uint8_t *p = msg;
	size_t bl = block_len(c->h), k;

	c->len += len;
	while (len > 0) {
		if (c->n == 0 && len >= bl) {
			sha_block(c, p);
			p += bl;
			len -= bl;
			continue;
		}
		k = bl - c->n < len ? bl - c->n : len;
		memcpy(c->buf + c->n, p, k);
		c->n += k;
		p += k;
		len -= k;
		if (c->n == bl) {
			sha_block(c, c->buf);
			c->n = 0;
		}
	}
}

/* Pads, writes the digest to out (odin_hash_len bytes) and wipes c. */
static void
sha_final(struct sha_ctx *c, uint8_t *out)
{
	size_t bl = block_len(c->h), lenbytes = c->h == ODIN_SHA512 ? 16 : 8, i;
	uint64_t bits = c->len << 3;

	c->buf[c->n++] = 0x80;
	if (c->n > bl - lenbytes) {
		memset(c->buf + c->n, 0, bl - c->n);
		sha_block(c, c->buf);
		c->n = 0;
	}
	memset(c->buf + c->n, 0, bl - c->n);
	if (c->h == ODIN_SHA512)
		put64(c->buf + bl - 16, c->len >> 61);
	put64(c->buf + bl - 8, bits);
	sha_block(c, c->buf);
	if (c->h == ODIN_SHA512)
		for (i = 0; i < 8; i++)
			put64(out + 8 * i, c->s.d[i]);
	else
		for (i = 0; i < odin_hash_len(c->h) / 4; i++)
			put32(out + 4 * i, c->s.w[i]);
	odin_wipe(c, sizeof(*c));
}

int
odin_hash(enum odin_hash h, const void *msg, size_t len, uint8_t *out)
{
	struct sha_ctx c;

	if (odin_hash_len(h) == 0 || out == NULL || (msg == NULL && len > 0))
		return ODIN_EINVAL;
	sha_init(&c, h);
	sha_update(&c, msg, len);
	sha_final(&c, out);
	return ODIN_OK;
}

/* The two contexts of an HMAC key, each having absorbed its padded key block. */
struct hmac_ctx {
	struct sha_ctx in, out;
};

static void
hmac_key(struct hmac_ctx *m, enum odin_hash h, const void *key, size_t keylen)
{
	uint8_t k[128], pad[128];
	size_t bl = block_len(h), i;

	memset(k, 0, sizeof(k));
	if (keylen > bl)
		(void)odin_hash(h, key, keylen, k);
	else if (keylen > 0)
		memcpy(k, key, keylen);
	for (i = 0; i < bl; i++)
		pad[i] = k[i] ^ 0x36;
	sha_init(&m->in, h);
	sha_update(&m->in, pad, bl);
	for (i = 0; i < bl; i++)
		pad[i] = k[i] ^ 0x5c;
	sha_init(&m->out, h);
	sha_update(&m->out, pad, bl);
	odin_wipe(k, sizeof(k));
	odin_wipe(pad, sizeof(pad));
}

/* HMAC of msg with a keyed m (left as it was) into out (which may be msg). */
static void
hmac_run(const struct hmac_ctx *m, const void *msg, size_t len, uint8_t *out)
{
	struct sha_ctx c;
	uint8_t inner[ODIN_HASH_MAX];
	size_t dl = odin_hash_len(m->in.h);

	c = m->in;
	sha_update(&c, msg, len);
	sha_final(&c, inner);
	c = m->out;
	sha_update(&c, inner, dl);
	sha_final(&c, out);
	odin_wipe(inner, sizeof(inner));
}

int
odin_hmac(enum odin_hash h, const void *key, size_t keylen, const void *msg,
    size_t msglen, uint8_t *out)
{
	struct hmac_ctx m;

	if (odin_hash_len(h) == 0 || out == NULL || (key == NULL && keylen > 0) ||
	    (msg == NULL && msglen > 0))
		return ODIN_EINVAL;
	hmac_key(&m, h, key, keylen);
	hmac_run(&m, msg, msglen, out);
	odin_wipe(&m, sizeof(m));
	return ODIN_OK;
}

int
odin_hmac_counters(enum odin_hash h, const void *key, size_t keylen, uint64_t first,
    size_t n, uint8_t *out)
{
	struct hmac_ctx m;
	uint8_t msg[8];
	size_t dl = odin_hash_len(h), i;
	uint64_t c;
	int k;

	if (dl == 0 || out == NULL || n == 0 || (key == NULL && keylen > 0))
		return ODIN_EINVAL;
	hmac_key(&m, h, key, keylen);
	for (i = 0; i < n; i++) {
		c = first + (uint64_t)i;
		for (k = 7; k >= 0; k--) {
			msg[k] = (uint8_t)(c & 0xffu);
			c >>= 8;
		}
		hmac_run(&m, msg, sizeof(msg), out + i * dl);
	}
	odin_wipe(&m, sizeof(m));
	odin_wipe(msg, sizeof(msg));
	return ODIN_OK;
}

/* The 8 state words as the 32 bytes of a digest. */
static void
put256(uint8_t *p, const uint32_t *s)
{
	unsigned i;

	for (i = 0; i < 8; i++)
		put32(p + 4 * i, s[i]);
}

int
odin_pbkdf2_sha256(const void *pw, size_t pwlen, const uint8_t *salt, size_t saltlen,
    unsigned iter, uint8_t *out, size_t outlen)
{
	struct hmac_ctx m;
	struct sha_ctx c, salted;
	uint32_t st[8], w[64];
	uint8_t u[32], t[32], ctr[4], blk[64];
	uint32_t block;
	size_t done, k, i;
	unsigned j;

	if (out == NULL || outlen == 0 || outlen > 1024 || iter < 1 ||
	    (pw == NULL && pwlen > 0) || (salt == NULL && saltlen > 0)) {
		if (out != NULL && outlen > 0 && outlen <= 1024)
			odin_wipe(out, outlen);
		return ODIN_EINVAL;
	}
	hmac_key(&m, ODIN_SHA256, pw, pwlen);
	/* the salt read once, before any of out is written (out may overlap it) */
	salted = m.in;
	sha_update(&salted, salt, saltlen);
	/*
	 * After the first, each HMAC is of a 32-byte message: one block each
	 * for the inner and the outer hash, padded here once (0x80, zeros,
	 * the bit length of key block + 32 bytes), from the keyed states.
	 */
	memset(blk, 0, sizeof(blk));
	blk[32] = 0x80;
	put64(blk + 56, (64 + 32) * 8);
	for (block = 1, done = 0; done < outlen; block++, done += k) {
		put32(ctr, block);
		c = salted;
		sha_update(&c, ctr, sizeof(ctr));
		sha_final(&c, u);
		c = m.out;
		sha_update(&c, u, sizeof(u));
		sha_final(&c, u);
		memcpy(t, u, sizeof(t));
		for (j = 1; j < iter; j++) {
			memcpy(blk, u, sizeof(u));
			memcpy(st, m.in.s.w, sizeof(st));
			sha256_block(st, blk, w);
			put256(blk, st);
			memcpy(st, m.out.s.w, sizeof(st));
			sha256_block(st, blk, w);
			put256(u, st);
			for (i = 0; i < sizeof(t); i++)
				t[i] ^= u[i];
		}
		k = outlen - done < sizeof(t) ? outlen - done : sizeof(t);
		memcpy(out + done, t, k);
	}
	odin_wipe(&m, sizeof(m));
	odin_wipe(&salted, sizeof(salted));
	odin_wipe(st, sizeof(st));
	odin_wipe(w, sizeof(w));
	odin_wipe(u, sizeof(u));
	odin_wipe(t, sizeof(t));
	odin_wipe(blk, sizeof(blk));
	return ODIN_OK;
}
