/* SPDX-License-Identifier: ISC */
/*
 * common/slots.c: the login-state slot codec and its rules, without I/O.
 * The CRC-32C is checked against the RFC 3720 (iSCSI) test vector through
 * a slot whose bytes are laid out by hand; the rest: every single-bit
 * flip caught, empty vs bad, which slot is current and which is written,
 * the fence, and telling a login's change from a replacement.
 * check_store has the same on real files (torn, garbage, other generation).
 */
#include "autoconfig.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "record.h"
#include "slots.h"

static struct odin_login_state
state(uint64_t seq, uint64_t gen, int durable, int64_t last_step)
{
	struct odin_login_state s;

	memset(&s, 0, sizeof(s));
	s.seq = seq;
	s.generation = gen;
	s.durable = durable;
	s.last_step = last_step;
	s.lockout_until = 1700000300;
	s.updated = 1700000000;
	s.failures = 2;
	s.lockout_count = 1;
	s.used = 0x5;
	return s;
}

START_TEST(round_trip_and_layout)
{
	struct odin_login_state s = state(7, 0x1122334455667788ULL, 1, 56666666), back;
	uint8_t b[ODIN_SLOT_SIZE];

	odin_slot_encode(&s, b);
	ck_assert_mem_eq(b, "OdS1", 4);
	ck_assert_uint_eq(b[4], 1);			/* durable */
	ck_assert_uint_eq(b[8], 7);			/* seq, little-endian */
	ck_assert_uint_eq(b[16], 0x88);		/* generation */
	ck_assert_uint_eq(b[23], 0x11);
	ck_assert_int_eq(odin_slot_decode(b, &back), ODIN_SLOT_VALID);
	ck_assert_mem_eq(&back, &s, sizeof(s));
}
END_TEST

/* CRC-32C of 32 zero bytes is 0x8A9136AA (RFC 3720, B.4): bytes 0..59 of a slot checked the same way. */
START_TEST(crc_is_crc32c)
{
	static const uint8_t rfc[32];
	struct odin_login_state s = state(1, 1, 0, 0), back;
	uint8_t b[ODIN_SLOT_SIZE];
	uint32_t crc = 0xffffffffu;
	unsigned i, k;

	/* the same bitwise CRC as slots.c, over the RFC vector: the reference value */
	for (i = 0; i < sizeof(rfc); i++) {
		crc ^= rfc[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	ck_assert_uint_eq(~crc, 0x8a9136aau);
	/* and a slot's bytes 60..63 are that CRC of bytes 0..59 */
	odin_slot_encode(&s, b);
	crc = 0xffffffffu;
	for (i = 0; i < 60; i++) {
		crc ^= b[i];
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1u)));
	}
	crc = ~crc;
	ck_assert_uint_eq(b[60] | b[61] << 8 | b[62] << 16 | (uint32_t)b[63] << 24, crc);
	ck_assert_int_eq(odin_slot_decode(b, &back), ODIN_SLOT_VALID);
}
END_TEST

START_TEST(every_bit_flip_is_bad)
{
	struct odin_login_state s = state(9, 42, 1, 56666666), back;
	uint8_t b[ODIN_SLOT_SIZE], c[ODIN_SLOT_SIZE];
	unsigned i;

	odin_slot_encode(&s, b);
	for (i = 0; i < 8 * ODIN_SLOT_SIZE; i++) {
		memcpy(c, b, sizeof(c));
		c[i / 8] ^= (uint8_t)(1u << (i % 8));
		ck_assert_int_eq(odin_slot_decode(c, &back), ODIN_SLOT_BAD);
	}
	/* half a slot written over an older one (a torn write) */
	s.seq = 10;
	s.last_step = 56666667;
	odin_slot_encode(&s, c);
	memcpy(c + 32, b + 32, 32);
	ck_assert_int_eq(odin_slot_decode(c, &back), ODIN_SLOT_BAD);
}
END_TEST

START_TEST(empty_and_nonsense)
{
	uint8_t b[ODIN_SLOT_SIZE];
	struct odin_login_state s = state(1, 1, 0, 0), back;

	memset(b, 0, sizeof(b));
	ck_assert_int_eq(odin_slot_decode(b, &back), ODIN_SLOT_EMPTY);
	b[63] = 1;
	ck_assert_int_eq(odin_slot_decode(b, &back), ODIN_SLOT_BAD);
	/* a checksum over values no writer makes: not ours */
	s.seq = 0;
	odin_slot_encode(&s, b);
	ck_assert_int_eq(odin_slot_decode(b, &back), ODIN_SLOT_BAD);
	s = state(1, 1, 0, -5);
	odin_slot_encode(&s, b);
	ck_assert_int_eq(odin_slot_decode(b, &back), ODIN_SLOT_BAD);
	s = state(1, 1, 0, 0);
	s.used = 1u << ODIN_BACKUP_MAX;
	odin_slot_encode(&s, b);
	ck_assert_int_eq(odin_slot_decode(b, &back), ODIN_SLOT_BAD);
	/*
	 * ... but counts as high as a record holds are a writer's: years of
	 * one-second lockouts take lockout_count past a million, and a slot
	 * that then read as bad voided the backup codes at every login.
	 */
	s = state(1, 1, 0, 0);
	s.failures = UINT32_MAX;
	s.lockout_count = UINT32_MAX;
	odin_slot_encode(&s, b);
	ck_assert_int_eq(odin_slot_decode(b, &back), ODIN_SLOT_VALID);
	ck_assert_mem_eq(&back, &s, sizeof(s));
}
END_TEST

/* file: slot 0 then slot 1, each a state or NULL (zeros) or "bad" (garbage) */
static void
file_of(uint8_t f[ODIN_SLOTS_SIZE], const struct odin_login_state *a, int abad,
    const struct odin_login_state *b, int bbad)
{
	memset(f, 0, ODIN_SLOTS_SIZE);
	if (a != NULL)
		odin_slot_encode(a, f);
	if (b != NULL)
		odin_slot_encode(b, f + ODIN_SLOT_SIZE);
	if (abad)
		memset(f, 0x5a, ODIN_SLOT_SIZE);
	if (bbad)
		memset(f + ODIN_SLOT_SIZE, 0xa5, ODIN_SLOT_SIZE);
}

START_TEST(which_slot)
{
	const uint64_t g77 = odin_slots_generation(UINT64_C(77) << 40, 1);
	const uint64_t g78 = odin_slots_generation(UINT64_C(78) << 40, 10);	/* made when next seq was 10 */
	struct odin_login_state d5 = state(5, g77, 1, 500), n6 = state(6, g77, 0, 500),
	    d7 = state(7, g77, 1, 700), stale = state(9, UINT64_C(66) << 40 | 1, 1, 900);
	uint8_t f[ODIN_SLOTS_SIZE];
	struct odin_slots sl;

	/* an empty file: the record's own state, write slot 0 */
	file_of(f, NULL, 0, NULL, 0);
	ck_assert_int_eq(odin_slots_read(f, 0, g77, &sl), ODIN_OK);
	ck_assert_int_eq(sl.cur, -1);
	ck_assert_int_eq(sl.target, 0);
	ck_assert_uint_eq(sl.next_seq, 1);
	/* durable 5 and an attempt 6 after it: state 6; the attempt slot is rewritten, never 5's */
	file_of(f, &d5, 0, &n6, 0);
	ck_assert_int_eq(odin_slots_read(f, sizeof(f), g77, &sl), ODIN_OK);
	ck_assert_int_eq(sl.cur, 1);
	ck_assert_int_eq(sl.durable, 0);
	ck_assert_int_eq(sl.target, 1);
	ck_assert_uint_eq(sl.next_seq, 7);
	/* a durable 7 written there: now slot 0 may go */
	odin_slots_wrote(&sl, &d7);
	ck_assert_int_eq(sl.cur, 1);
	ck_assert_int_eq(sl.durable, 1);
	ck_assert_int_eq(sl.target, 0);
	ck_assert_uint_eq(sl.next_seq, 8);
	/* an earlier record's slots (seq below the generation's 10) are stale: the record's state */
	file_of(f, &stale, 0, &d5, 0);
	ck_assert_int_eq(odin_slots_read(f, sizeof(f), g78, &sl), ODIN_OK);
	ck_assert_int_eq(sl.cur, -1);
	ck_assert_int_eq(sl.bad, 0);
	ck_assert_uint_eq(sl.next_seq, 10);
	/* ... but one written after it, of another record, is not ours: bad (fenced) */
	stale.seq = 11;
	file_of(f, &stale, 0, &d5, 0);
	ck_assert_int_eq(odin_slots_read(f, sizeof(f), g78, &sl), ODIN_OK);
	ck_assert_int_eq(sl.kind[0], ODIN_SLOT_BAD);
	ck_assert_int_eq(sl.bad, 1);
	ck_assert_uint_eq(sl.next_seq, 12);
	/* and a slot of this record from before it was made: bad too */
	d5.generation = g78;
	file_of(f, &d5, 0, NULL, 0);
	ck_assert_int_eq(odin_slots_read(f, sizeof(f), g78, &sl), ODIN_OK);
	ck_assert_int_eq(sl.kind[0], ODIN_SLOT_BAD);
	d5.generation = g77;
	/* one bad slot: the other is used, and the bad one is written next */
	file_of(f, &d5, 0, NULL, 1);
	ck_assert_int_eq(odin_slots_read(f, sizeof(f), g77, &sl), ODIN_OK);
	ck_assert_int_eq(sl.cur, 0);
	ck_assert_int_eq(sl.bad, 1);
	ck_assert_int_eq(sl.target, 1);
	/* a bad slot and nothing of this generation: still the bad one is written first */
	file_of(f, NULL, 1, NULL, 0);
	ck_assert_int_eq(odin_slots_read(f, sizeof(f), g77, &sl), ODIN_OK);
	ck_assert_int_eq(sl.cur, -1);
	ck_assert_int_eq(sl.target, 0);
	file_of(f, NULL, 0, NULL, 1);
	ck_assert_int_eq(odin_slots_read(f, sizeof(f), g77, &sl), ODIN_OK);
	ck_assert_int_eq(sl.target, 1);
	/* two bad slots: fail closed */
	file_of(f, NULL, 1, NULL, 1);
	ck_assert_int_eq(odin_slots_read(f, sizeof(f), g77, &sl), ODIN_ECORRUPT);
	/* a file cut short inside slot 1: that slot is bad, not empty */
	file_of(f, &d5, 0, &d7, 0);
	ck_assert_int_eq(odin_slots_read(f, ODIN_SLOT_SIZE + 20, g77, &sl), ODIN_OK);
	ck_assert_int_eq(sl.cur, 0);
	ck_assert_int_eq(sl.bad, 1);
}
END_TEST

START_TEST(generation)
{
	ck_assert(odin_slots_generation(UINT64_C(0xabcdef0123456789), 5) == UINT64_C(0xabcdef0000000005));
	ck_assert((odin_slots_generation(0, 1) & ODIN_SLOTS_SEQ_MASK) == 1);
}
END_TEST

START_TEST(fence)
{
	/* a write at 1700000000 (step 56666666 of 30 s) took at most step 56666666 + 10 */
	ck_assert_int_eq(odin_slots_fence(1700000000, 30), 56666666 + 10);
	ck_assert_int_eq(odin_slots_fence(1700000000, 60), 28333333 + 10);
	ck_assert_int_eq(odin_slots_fence(-1, 30), 0);
	ck_assert_int_eq(odin_slots_fence(100, 0), 0);
}
END_TEST

static void
record(struct odin_record *r)
{
	unsigned i;

	odin_record_init(r, 1690000000);
	r->state = ODIN_STATE_ENABLED;
	memcpy(r->secret, "12345678901234567890", 20);
	r->secret_len = 20;
	r->backup_iter = 1000;
	r->nbackup = 4;
	for (i = 0; i < 4; i++)
		memset(r->backup[i], 0x10 + (int)i, ODIN_BACKUP_HASH_LEN);
	r->generation = 99;
}

START_TEST(diff_and_apply)
{
	struct odin_record r, next, back;
	struct odin_slots_base b;
	struct odin_login_state s;

	record(&r);
	ck_assert_int_eq(odin_slots_base(&r, r.generation, &b), ODIN_OK);
	/* a login: last step, counts, one backup code used */
	next = r;
	next.last_step = 56666666;
	next.failures = 3;
	next.lockout_until = 1700000300;
	next.lockout_count = 2;
	next.updated = 1700000000;
	memmove(next.backup[1], next.backup[2], 2 * ODIN_BACKUP_HASH_LEN);
	memset(next.backup[3], 0, ODIN_BACKUP_HASH_LEN);
	next.nbackup = 3;
	ck_assert_int_eq(odin_slots_diff(&b, &next, &s), 1);
	ck_assert_uint_eq(s.used, 0x2);
	ck_assert_uint_eq(s.generation, 99);
	ck_assert_int_eq(s.last_step, 56666666);
	/* applied to the record as stored, it gives next back */
	back = r;
	s.seq = 1;
	ck_assert_int_eq(odin_slots_apply(&s, &back), ODIN_OK);
	ck_assert_mem_eq(&back, &next, sizeof(back));
	/* a used bit the record has no line for: corrupt */
	s.used = 1u << 4;
	back = r;
	ck_assert_int_eq(odin_slots_apply(&s, &back), ODIN_ECORRUPT);

	/* anything else replaces the record */
	next = r;
	next.secret[0] ^= 1;
	ck_assert_int_eq(odin_slots_diff(&b, &next, &s), 0);
	next = r;
	next.period = 60;
	ck_assert_int_eq(odin_slots_diff(&b, &next, &s), 0);
	next = r;
	next.state = ODIN_STATE_PENDING;
	ck_assert_int_eq(odin_slots_diff(&b, &next, &s), 0);
	next = r;
	memset(next.backup[3], 0x77, ODIN_BACKUP_HASH_LEN);	/* a code the record does not have */
	ck_assert_int_eq(odin_slots_diff(&b, &next, &s), 0);
	next = r;
	next.nbackup = 5;
	memset(next.backup[4], 0x14, ODIN_BACKUP_HASH_LEN);
	ck_assert_int_eq(odin_slots_diff(&b, &next, &s), 0);
	next = r;
	next.created++;
	ck_assert_int_eq(odin_slots_diff(&b, &next, &s), 0);
	/* the caller's generation field is the store's tag: not a change */
	next = r;
	next.generation = 5;
	ck_assert_int_eq(odin_slots_diff(&b, &next, &s), 1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("slots");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, round_trip_and_layout);
	tcase_add_test(tc, crc_is_crc32c);
	tcase_add_test(tc, every_bit_flip_is_bad);
	tcase_add_test(tc, empty_and_nonsense);
	tcase_add_test(tc, which_slot);
	tcase_add_test(tc, generation);
	tcase_add_test(tc, fence);
	tcase_add_test(tc, diff_and_apply);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
