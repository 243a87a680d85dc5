/* SPDX-License-Identifier: ISC */
/* A record's login state in two slots (slots.h): the codec and the rules. */
#include "autoconfig.h"

#include <string.h>

#include "err.h"
#include "otp.h"
#include "secure.h"
#include "slots.h"

static const uint8_t slot_magic[4] = { 'O', 'd', 'S', '1' };

#define SLOT_DURABLE 0x1u
#define SLOT_CRC_AT 60

/* ---- the codec ------------------------------------------------------------ */

/* CRC-32C (Castagnoli, reflected, polynomial 0x82F63B78), a byte at a time. */
static const uint32_t slot_crc_table[256] = {
	0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u, 0xc79a971fu, 0x35f1141cu,
	0x26a1e7e8u, 0xd4ca64ebu, 0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu,
	0x4d43cfd0u, 0xbf284cd3u, 0xac78bf27u, 0x5e133c24u, 0x105ec76fu, 0xe235446cu,
	0xf165b798u, 0x030e349bu, 0xd7c45070u, 0x25afd373u, 0x36ff2087u, 0xc494a384u,
	0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u, 0x5d1d08bfu, 0xaf768bbcu,
	0xbc267848u, 0x4e4dfb4bu, 0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u, 0x33ed7d2au,
	0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u, 0xaa64d611u, 0x580f5512u,
	0x4b5fa6e6u, 0xb93425e5u, 0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau,
	0x30e349b1u, 0xc288cab2u, 0xd1d83946u, 0x23b3ba45u, 0xf779deaeu, 0x05125dadu,
	0x1642ae59u, 0xe4292d5au, 0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au,
	0x7da08661u, 0x8fcb0562u, 0x9c9bf696u, 0x6ef07595u, 0x417b1dbcu, 0xb3109ebfu,
	0xa0406d4bu, 0x522bee48u, 0x86e18aa3u, 0x748a09a0u, 0x67dafa54u, 0x95b17957u,
	0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u, 0x0c38d26cu, 0xfe53516fu,
	0xed03a29bu, 0x1f682198u, 0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
	0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u, 0xdbfc821cu, 0x2997011fu,
	0x3ac7f2ebu, 0xc8ac71e8u, 0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u,
	0x61c69362u, 0x93ad1061u, 0x80fde395u, 0x72966096u, 0xa65c047du, 0x5437877eu,
	0x4767748au, 0xb50cf789u, 0xeb1fcbadu, 0x197448aeu, 0x0a24bb5au, 0xf84f3859u,
	0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u, 0x7198540du, 0x83f3d70eu,
	0x90a324fau, 0x62c8a7f9u, 0xb602c312u, 0x44694011u, 0x5739b3e5u, 0xa55230e6u,
	0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u, 0x3cdb9bddu, 0xceb018deu,
	0xdde0eb2au, 0x2f8b6829u, 0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu,
	0x456cac67u, 0xb7072f64u, 0xa457dc90u, 0x563c5f93u, 0x082f63b7u, 0xfa44e0b4u,
	0xe9141340u, 0x1b7f9043u, 0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu,
	0x92a8fc17u, 0x60c37f14u, 0x73938ce0u, 0x81f80fe3u, 0x55326b08u, 0xa759e80bu,
	0xb4091bffu, 0x466298fcu, 0x1871a4d8u, 0xea1a27dbu, 0xf94ad42fu, 0x0b21572cu,
	0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u, 0xa24bb5a6u, 0x502036a5u,
	0x4370c551u, 0xb11b4652u, 0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
	0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du, 0xef087a76u, 0x1d63f975u,
	0x0e330a81u, 0xfc588982u, 0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du,
	0x758fe5d6u, 0x87e466d5u, 0x94b49521u, 0x66df1622u, 0x38cc2a06u, 0xcaa7a905u,
	0xd9f75af1u, 0x2b9cd9f2u, 0xff56bd19u, 0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu,
	0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u, 0x0417b1dbu, 0xf67c32d8u,
	0xe52cc12cu, 0x1747422fu, 0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu, 0x5a048dffu,
	0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u, 0xd3d3e1abu, 0x21b862a8u,
	0x32e8915cu, 0xc083125fu, 0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u,
	0x590ab964u, 0xab613a67u, 0xb831c993u, 0x4a5a4a90u, 0x9e902e7bu, 0x6cfbad78u,
	0x7fab5e8cu, 0x8dc0dd8fu, 0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu,
	0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u, 0x37faccf1u, 0x69e9f0d5u, 0x9b8273d6u,
	0x88d28022u, 0x7ab90321u, 0xae7367cau, 0x5c18e4c9u, 0x4f48173du, 0xbd23943eu,
	0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u, 0x34f4f86au, 0xc69f7b69u,
	0xd5cf889du, 0x27a40b9eu, 0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
	0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u
};

static uint32_t
slot_crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	while (n-- > 0)
		crc = (crc >> 8) ^ slot_crc_table[(crc ^ *p++) & 0xffu];
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
	/*
	 * A checksum that matches over values no writer makes: not ours.  The
	 * counts are whatever a record may hold (odin_auth_fail() stops them
	 * at UINT32_MAX): a slot a writer made must read back.
	 */
	if ((flags & ~SLOT_DURABLE) != 0 || s->seq == 0 || s->last_step < 0 || s->lockout_until < 0 ||
	    s->updated < 0 || (ODIN_BACKUP_MAX < 32 && (s->used >> ODIN_BACKUP_MAX) != 0)) {
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

int
odin_slots_base(const struct odin_record *r, uint64_t generation, struct odin_slots_base *b)
{
	b->rec = *r;
	b->rec.generation = generation;
	return ODIN_OK;
}

/* 1 if a and b agree in everything a slot does not hold (the secret compared in constant time). */
static int
slots_same_record(const struct odin_record *a, const struct odin_record *b)
{
	return a->state == b->state && a->secret_len == b->secret_len &&
	    a->secret_len <= sizeof(a->secret) && a->alg == b->alg && a->digits == b->digits &&
	    a->period == b->period && a->backup_iter == b->backup_iter && a->created == b->created &&
	    odin_ct_equal(a->secret, b->secret, a->secret_len) &&
	    memcmp(a->backup_salt, b->backup_salt, sizeof(a->backup_salt)) == 0 &&
	    odin_record_extras_same(a, b);
}

int
odin_slots_diff(const struct odin_slots_base *b, const struct odin_record *next,
    struct odin_login_state *s)
{
	const struct odin_record *base = &b->rec;
	unsigned i, j = 0;

	memset(s, 0, sizeof(*s));
	/* next->generation is the store's tag, not the caller's to change: not compared */
	if (!slots_same_record(base, next) || base->nbackup > ODIN_BACKUP_MAX ||
	    next->nbackup > ODIN_BACKUP_MAX)
		return 0;
	/* next's codes: the record's, in order, some of them gone */
	for (i = 0; i < base->nbackup; i++) {
		if (j < next->nbackup && memcmp(base->backup[i], next->backup[j], ODIN_BACKUP_HASH_LEN) == 0)
			j++;
		else
			s->used |= 1u << i;
	}
	if (j != next->nbackup)
		return 0;
	s->generation = base->generation;
	s->last_step = next->last_step;
	s->lockout_until = next->lockout_until;
	s->updated = next->updated;
	s->failures = next->failures;
	s->lockout_count = next->lockout_count;
	return 1;
}
