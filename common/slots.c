/* SPDX-License-Identifier: ISC */
/* A record's login state in two slots (slots.h): the codec and the rules. */
#include "autoconfig.h"

#include <string.h>

#include <openssl/evp.h>

#include "err.h"
#include "otp.h"
#include "secure.h"
#include "slots.h"

static const uint8_t slot_magic[4] = { 'O', 'd', 'S', '1' };

#define SLOT_DURABLE 0x1u
#define SLOT_CRC_AT 60

/* ---- the codec ------------------------------------------------------------ */

/* CRC-32C (Castagnoli, reflected, polynomial 0x82F63B78), bitwise: 60 bytes. */
static uint32_t
slot_crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;
	int k;

	while (n-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static void
put32(uint8_t *p, uint32_t v)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void
put64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t
get64(const uint8_t *p)
{
	return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32;
}

void
odin_slot_encode(const struct odin_login_state *s, uint8_t out[ODIN_SLOT_SIZE])
{
	memcpy(out, slot_magic, 4);
	put32(out + 4, s->durable ? SLOT_DURABLE : 0);
	put64(out + 8, s->seq);
	put64(out + 16, s->generation);
	put64(out + 24, (uint64_t)s->last_step);
	put64(out + 32, (uint64_t)s->lockout_until);
	put64(out + 40, (uint64_t)s->updated);
	put32(out + 48, s->failures);
	put32(out + 52, s->lockout_count);
	put32(out + 56, s->used);
	put32(out + SLOT_CRC_AT, slot_crc32c(out, SLOT_CRC_AT));
}

enum odin_slot_kind
odin_slot_decode(const uint8_t in[ODIN_SLOT_SIZE], struct odin_login_state *s)
{
	uint32_t flags;
	size_t i;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < ODIN_SLOT_SIZE && in[i] == 0; i++)
		;
	if (i == ODIN_SLOT_SIZE)
		return ODIN_SLOT_EMPTY;
	if (memcmp(in, slot_magic, 4) != 0 || get32(in + SLOT_CRC_AT) != slot_crc32c(in, SLOT_CRC_AT))
		return ODIN_SLOT_BAD;
	flags = get32(in + 4);
	s->durable = (flags & SLOT_DURABLE) != 0;
	s->seq = get64(in + 8);
	s->generation = get64(in + 16);
	s->last_step = (int64_t)get64(in + 24);
	s->lockout_until = (int64_t)get64(in + 32);
	s->updated = (int64_t)get64(in + 40);
	s->failures = get32(in + 48);
	s->lockout_count = get32(in + 52);
	s->used = get32(in + 56);
	/* a checksum that matches over values no writer makes: not ours */
	if ((flags & ~SLOT_DURABLE) != 0 || s->seq == 0 || s->last_step < 0 || s->lockout_until < 0 ||
	    s->updated < 0 || s->failures > 1000000 || s->lockout_count > 1000000 ||
	    (ODIN_BACKUP_MAX < 32 && (s->used >> ODIN_BACKUP_MAX) != 0)) {
		memset(s, 0, sizeof(*s));
		return ODIN_SLOT_BAD;
	}
	return ODIN_SLOT_VALID;
}

/* ---- which slot ------------------------------------------------------------- */

/* cur, durable and target from the kinds and slots, for generation. */
static void
slots_choose(struct odin_slots *sl, uint64_t generation)
{
	int i;

	sl->cur = sl->durable = -1;
	for (i = 0; i < 2; i++) {
		const struct odin_login_state *s = &sl->slot[i];

		if (sl->kind[i] != ODIN_SLOT_VALID || s->generation != generation)
			continue;
		if (sl->cur < 0 || s->seq > sl->slot[sl->cur].seq)
			sl->cur = i;
		if (s->durable && (sl->durable < 0 || s->seq > sl->slot[sl->durable].seq))
			sl->durable = i;
	}
	/*
	 * Never over the newest durable state; else keep the newest one; with
	 * neither, a bad slot first (so that it is not met again), then one
	 * that holds nothing of use.
	 */
	if (sl->durable >= 0)
		sl->target = 1 - sl->durable;
	else if (sl->cur >= 0)
		sl->target = 1 - sl->cur;
	else if (sl->kind[0] == ODIN_SLOT_BAD || sl->kind[1] == ODIN_SLOT_BAD)
		sl->target = sl->kind[0] == ODIN_SLOT_BAD ? 0 : 1;
	else
		sl->target = sl->kind[0] == ODIN_SLOT_VALID && sl->kind[1] != ODIN_SLOT_VALID ? 1 : 0;
}

uint64_t
odin_slots_generation(uint64_t random, uint64_t next_seq)
{
	return (random & ~ODIN_SLOTS_SEQ_MASK) | (next_seq & ODIN_SLOTS_SEQ_MASK);
}

int
odin_slots_read(const uint8_t *buf, size_t len, uint64_t generation, struct odin_slots *sl)
{
	const uint64_t base = generation & ODIN_SLOTS_SEQ_MASK;
	uint8_t raw[ODIN_SLOTS_SIZE];
	int i;

	memset(sl, 0, sizeof(*sl));
	memset(raw, 0, sizeof(raw));
	if (len > sizeof(raw))
		len = sizeof(raw);
	if (len > 0)
		memcpy(raw, buf, len);
	sl->next_seq = base > 1 ? base : 1;
	for (i = 0; i < 2; i++) {
		sl->kind[i] = odin_slot_decode(raw + i * ODIN_SLOT_SIZE, &sl->slot[i]);
		if (sl->kind[i] == ODIN_SLOT_VALID && sl->slot[i].seq >= sl->next_seq)
			sl->next_seq = sl->slot[i].seq + 1;
		/* this record's slots come after it, an earlier record's before: else not ours */
		if (sl->kind[i] == ODIN_SLOT_VALID && generation != 0 &&
		    (sl->slot[i].generation == generation) != (sl->slot[i].seq >= base))
			sl->kind[i] = ODIN_SLOT_BAD;
		if (sl->kind[i] == ODIN_SLOT_BAD)
			sl->bad++;
	}
	slots_choose(sl, generation);
	return sl->bad == 2 ? ODIN_ECORRUPT : ODIN_OK;
}

void
odin_slots_wrote(struct odin_slots *sl, const struct odin_login_state *s)
{
	int t = sl->target;

	sl->kind[t] = ODIN_SLOT_VALID;
	sl->slot[t] = *s;
	if (s->seq >= sl->next_seq)
		sl->next_seq = s->seq + 1;
	sl->bad = (sl->kind[0] == ODIN_SLOT_BAD) + (sl->kind[1] == ODIN_SLOT_BAD);
	slots_choose(sl, s->generation);
}

void
odin_slots_use(struct odin_slots *sl, uint64_t generation)
{
	slots_choose(sl, generation);
}

int64_t
odin_slots_fence(int64_t mtime, unsigned period)
{
	if (mtime < 0 || period == 0)
		return 0;
	return mtime / (int64_t)period + ODIN_WINDOW_MAX;
}

/* ---- slots and records -------------------------------------------------------- */

int
odin_slots_apply(const struct odin_login_state *s, struct odin_record *r)
{
	unsigned i, n = 0;

	if (r->nbackup < 32 && (s->used >> r->nbackup) != 0)
		return ODIN_ECORRUPT;
	r->last_step = s->last_step;
	r->failures = s->failures;
	r->lockout_until = s->lockout_until;
	r->lockout_count = s->lockout_count;
	r->updated = s->updated;
	for (i = 0; i < r->nbackup; i++) {
		if ((s->used >> i) & 1u)
			continue;
		if (n != i)
			memcpy(r->backup[n], r->backup[i], ODIN_BACKUP_HASH_LEN);
		n++;
	}
	for (i = n; i < r->nbackup; i++)
		odin_wipe(r->backup[i], ODIN_BACKUP_HASH_LEN);
	r->nbackup = n;
	return ODIN_OK;
}

/* SHA-256 of everything in r that a slot does not hold. */
static int
slots_digest(const struct odin_record *r, uint64_t generation, uint8_t out[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t num[8 * 8];
	unsigned len = 0;
	int ok;

	if (ctx == NULL)
		return ODIN_ECRYPTO;
	put64(num, (uint64_t)r->state);
	put64(num + 8, (uint64_t)r->secret_len);
	put64(num + 16, (uint64_t)r->alg);
	put64(num + 24, (uint64_t)r->digits);
	put64(num + 32, (uint64_t)r->period);
	put64(num + 40, (uint64_t)r->backup_iter);
	put64(num + 48, (uint64_t)r->created);
	put64(num + 56, generation);
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, num, sizeof(num)) == 1 &&
	    EVP_DigestUpdate(ctx, r->secret, r->secret_len <= sizeof(r->secret) ? r->secret_len : 0) == 1 &&
	    EVP_DigestUpdate(ctx, r->backup_salt, sizeof(r->backup_salt)) == 1 &&
	    EVP_DigestFinal_ex(ctx, out, &len) == 1 && len == 32;
	EVP_MD_CTX_free(ctx);
	return ok ? ODIN_OK : ODIN_ECRYPTO;
}

int
odin_slots_base(const struct odin_record *r, uint64_t generation, struct odin_slots_base *b)
{
	memset(b, 0, sizeof(*b));
	b->generation = generation;
	b->nbackup = r->nbackup <= ODIN_BACKUP_MAX ? r->nbackup : ODIN_BACKUP_MAX;
	memcpy(b->backup, r->backup, sizeof(b->backup));
	return slots_digest(r, generation, b->digest);
}

int
odin_slots_diff(const struct odin_slots_base *b, const struct odin_record *next,
    struct odin_login_state *s)
{
	uint8_t d[32];
	unsigned i, j = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	/* next->generation is the store's tag, not the caller's to change: not compared */
	if ((rc = slots_digest(next, b->generation, d)) != ODIN_OK)
		return rc;
	if (!odin_ct_equal(d, b->digest, sizeof(d)))
		return 0;
	/* next's codes: the record's, in order, some of them gone */
	for (i = 0; i < b->nbackup; i++) {
		if (j < next->nbackup && memcmp(b->backup[i], next->backup[j], ODIN_BACKUP_HASH_LEN) == 0)
			j++;
		else
			s->used |= 1u << i;
	}
	if (j != next->nbackup)
		return 0;
	s->generation = b->generation;
	s->last_step = next->last_step;
	s->lockout_until = next->lockout_until;
	s->updated = next->updated;
	s->failures = next->failures;
	s->lockout_count = next->lockout_count;
	return 1;
}
