/* SPDX-License-Identifier: ISC */
/*
 * A record's login state in the files store, for store_files.c only.
 *
 * What a login changes -- the last step, the failure count, the lockout,
 * which backup codes are used -- is kept apart from the record (which only
 * enrollment, import, disable, new backup codes and admin changes write,
 * by replacing it) in the user's state file, STORE/locks/NAME (the file
 * that is also locked), as two fixed-size slots written in place.  This
 * file encodes and decodes slots and holds the rules for which slot is
 * current and which one is written next; it does no I/O.
 *
 * A slot is ODIN_SLOT_SIZE bytes, integers little-endian:
 *
 *    0  magic "OdS1"
 *    4  u32 flags: bit 0 "durable" (a success: synced before it is reported)
 *    8  u64 seq: one more than the highest seq in the file when written
 *   16  u64 generation: the record's (record.h)
 *   24  i64 last_step
 *   32  i64 lockout_until
 *   40  i64 updated
 *   48  u32 failures
 *   52  u32 lockout_count
 *   56  u32 used: bit i set = the record's i-th "backup" line is used
 *   60  u32 CRC-32C of bytes 0..59
 *
 * A record's generation (16 hex digits in its text) is made when the
 * record is written: 24 random bits, then in the low 40 bits the state
 * file's next seq at that moment.  So every slot written for this record
 * has a seq >= those 40 bits, and every slot left from an earlier record
 * a lower one.
 *
 * Slot 0 is at offset 0, slot 1 at ODIN_SLOT_SIZE.  The rules:
 *  - the state is the valid slot of the record's generation with the
 *    highest seq; with none, the record's own fields (a new generation
 *    starts from the state written into the record); a slot of an
 *    earlier record (lower seq) is stale and ignored;
 *  - a slot that breaks the seq rule (this generation, a lower seq;
 *    another generation, not lower) was not written for this record by
 *    this store: it counts as bad;
 *  - a write never touches the slot holding the newest durable state of
 *    this generation, so whatever a crash tears, the last success that
 *    was reported is still there;
 *  - a slot that is neither empty (all zero, or past the end of the file)
 *    nor valid is bad: it is skipped, with a fence (odin_slots_fence)
 *    that refuses every code a lost write could have accepted; two bad
 *    slots are ODIN_ECORRUPT (fail closed).
 */
#ifndef ODIN_SLOTS_H
#define ODIN_SLOTS_H

#include <stddef.h>
#include <stdint.h>

#include "record.h"

#define ODIN_SLOT_SIZE 64
#define ODIN_SLOTS_SIZE (2 * ODIN_SLOT_SIZE)
#define ODIN_SLOTS_SEQ_MASK ((UINT64_C(1) << 40) - 1)

/* A new record's generation: random's high 24 bits, and next_seq (>= 1) in the low 40. */
uint64_t odin_slots_generation(uint64_t random, uint64_t next_seq);

struct odin_login_state {
	uint64_t seq;
	uint64_t generation;
	int durable;
	int64_t last_step;
	int64_t lockout_until;
	int64_t updated;
	unsigned failures;
	unsigned lockout_count;
	uint32_t used;
};

enum odin_slot_kind { ODIN_SLOT_EMPTY = 0, ODIN_SLOT_VALID = 1, ODIN_SLOT_BAD = 2 };

/* s as a slot. */
void odin_slot_encode(const struct odin_login_state *s, uint8_t out[ODIN_SLOT_SIZE]);

/* What the ODIN_SLOT_SIZE bytes at in hold; *s is filled when valid. */
enum odin_slot_kind odin_slot_decode(const uint8_t in[ODIN_SLOT_SIZE], struct odin_login_state *s);

/* The two slots of a state file, read for one generation. */
struct odin_slots {
	enum odin_slot_kind kind[2];
	struct odin_login_state slot[2];
	int cur;		/* the slot that holds the state, -1: the record's own */
	int durable;		/* the slot of the newest durable state, -1: none */
	int target;		/* the slot the next write goes to */
	uint64_t next_seq;
	int bad;		/* how many slots are bad */
};

/*
 * Reads the first len bytes of a state file (buf, len <= ODIN_SLOTS_SIZE;
 * what is missing counts as empty) for generation.  Returns ODIN_OK or
 * ODIN_ECORRUPT (both slots bad).
 */
int odin_slots_read(const uint8_t *buf, size_t len, uint64_t generation, struct odin_slots *sl);

/* After a slot was written with s to sl->target: the new cur, durable, target and next_seq. */
void odin_slots_wrote(struct odin_slots *sl, const struct odin_login_state *s);

/*
 * The lowest last_step a state may have after a bad slot was skipped: a
 * lost write made at mtime (the state file's) accepted no code of a later
 * step than mtime / period + ODIN_WINDOW_MAX.  Costs the user at most the
 * codes of the minutes around a crash; never lets one be used twice.
 */
int64_t odin_slots_fence(int64_t mtime, unsigned period);

/*
 * The record as the slot s says: its login fields, and the backup lines
 * whose bit is set in s->used removed (in order).  ODIN_ECORRUPT if
 * s->used names a line r does not have.
 */
int odin_slots_apply(const struct odin_login_state *s, struct odin_record *r);

/*
 * What a record was when read, for telling a login's change from a
 * replacement: the record as stored (it holds the secret: keep it where
 * secrets go, odin_secure_alloc).
 */
struct odin_slots_base {
	struct odin_record rec;
};

/*
 * b for the record r as stored (before any slot was applied), under
 * generation (r's own, or the one it is being written with).  ODIN_OK.
 */
int odin_slots_base(const struct odin_record *r, uint64_t generation, struct odin_slots_base *b);

/* Chooses cur, durable and target again for generation (after the record was replaced). */
void odin_slots_use(struct odin_slots *sl, uint64_t generation);

/*
 * Whether next differs from the record b was made of only in what a slot
 * holds: returns 1 and fills *s (seq and durable left for the caller), or
 * 0 when next must replace the record (another secret, other parameters
 * or state, a backup code the record does not have).
 */
int odin_slots_diff(const struct odin_slots_base *b, const struct odin_record *next,
    struct odin_login_state *s);

#endif
