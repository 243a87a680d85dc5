/* SPDX-License-Identifier: ISC */
/*
 * The per-user record and its text form.  Parse and serialise only: no
 * I/O.  The format (documented in doc/odin-mfa.conf.5, "RECORD FORMAT"):
 *
 *   odin-mfa-record 1
 *   state enabled|pending
 *   secret BASE32 | enc1:HEX | -  ("-" only while pending; enc1: sealed, crypt.h)
 *   algorithm SHA1|SHA256|SHA512
 *   digits 6..8
 *   period 1..3600
 *   last_step N                  (0 = no code accepted yet)
 *   failures N
 *   lockout_until UNIXTIME       (0 = not locked)
 *   lockout_count N
 *   backup_kdf pbkdf2-sha256 ITERATIONS SALT_HEX | none
 *   backup HASH_HEX              (0..ODIN_BACKUP_MAX lines, unused codes only)
 *   created UNIXTIME
 *   updated UNIXTIME
 *   generation HEX16             (optional; files store: which login-state
 *                                 slots belong to this record, slots.h)
 *   bypass USES EXPIRES ISSUED SALT_HEX HASH_HEX
 *                                (optional, enabled only: a temporary bypass
 *                                 code, admin bypass; USES 1..ODIN_BYPASS_USES_MAX)
 *   enroll_token active EXPIRES ISSUED SALT_HEX HASH_HEX | enroll_token spent ISSUED
 *                                (optional, pending only: the enrollment token
 *                                 of admin force-enable --token; spent: it was
 *                                 used, a new one is needed to enroll)
 *   end
 *
 * One "key value" per line, single spaces, '\n' line ends, printable ASCII
 * only, at most ODIN_RECORD_LINE_MAX bytes a line, ODIN_RECORD_MAX in all.
 * Every key except "backup", "generation", "bypass" and "enroll_token"
 * must appear exactly once, those three at most once; "generation" (16 lower-case hex digits, not all zero) (in any order between
 * header and "end"; the formatter writes the order above); the first line
 * must be the header and the last "end", followed by nothing.  Numbers are
 * canonical decimals (no sign, no leading zero), non-negative and in range;
 * the secret is upper-case RFC 4648 base32 without padding, 10..64 bytes;
 * SALT_HEX and HASH_HEX are lower-case hex of exactly 16 and 32 bytes;
 * ITERATIONS is ODIN_BACKUP_ITER_MIN..ODIN_BACKUP_ITER_MAX.  "enabled"
 * needs a secret; "backup_kdf none" allows no "backup" line.  Anything
 * else -- unknown or duplicated key, missing key, bad number, trailing
 * data, NUL byte, CR, over-long line -- is ODIN_ECORRUPT, never a default.
 */
#ifndef ODIN_RECORD_H
#define ODIN_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "otp.h"

#define ODIN_RECORD_VERSION 1
#define ODIN_RECORD_MAX 8192	/* bytes; a larger file is refused unread */
#define ODIN_BACKUP_MAX 20
#define ODIN_BACKUP_HASH_LEN 32
#define ODIN_BACKUP_SALT_LEN 16
#define ODIN_RECORD_LINE_MAX 256	/* bytes per line, without the '\n' */
#define ODIN_BACKUP_ITER_MIN 1000	/* bounds accepted for backup_kdf's ITERATIONS */
#define ODIN_BACKUP_ITER_MAX 10000000

enum odin_state { ODIN_STATE_PENDING = 1, ODIN_STATE_ENABLED = 2 };

#define ODIN_BYPASS_USES_MAX 10

/* A one-time code stored as PBKDF2-HMAC-SHA256 under its own salt (onetime.h). */
struct odin_onetime {
	uint8_t salt[ODIN_BACKUP_SALT_LEN];
	uint8_t hash[ODIN_BACKUP_HASH_LEN];
};

enum odin_token_state { ODIN_TOKEN_NONE = 0, ODIN_TOKEN_ACTIVE = 1, ODIN_TOKEN_SPENT = 2 };

struct odin_record {
	enum odin_state state;
	uint8_t secret[ODIN_SECRET_MAX];
	size_t secret_len;		/* 0 only when pending */
	enum odin_alg alg;
	unsigned digits;
	unsigned period;
	int64_t last_step;
	unsigned failures;
	int64_t lockout_until;
	unsigned lockout_count;
	unsigned backup_iter;		/* 0: no backup codes ("backup_kdf none") */
	uint8_t backup_salt[ODIN_BACKUP_SALT_LEN];
	unsigned nbackup;
	uint8_t backup[ODIN_BACKUP_MAX][ODIN_BACKUP_HASH_LEN];
	int64_t created;
	int64_t updated;
	uint64_t generation;		/* 0: none (slots.h; only the files store sets it) */
	/* a temporary bypass code (admin bypass); enabled records only */
	unsigned bypass_uses;		/* uses left; 0: none */
	int64_t bypass_expires;
	int64_t bypass_issued;
	struct odin_onetime bypass;
	/* the enrollment token (admin force-enable --token); pending records only */
	enum odin_token_state token;
	int64_t token_expires;		/* ODIN_TOKEN_ACTIVE only */
	int64_t token_issued;
	struct odin_onetime token_hash;
};

/* A pending record with defaults (SHA1, 6 digits, 30 s, no secret), created = updated = now. */
void odin_record_init(struct odin_record *r, int64_t now);

/*
 * Parses len bytes of buf (need not be NUL-terminated) into r.  Returns
 * ODIN_OK or ODIN_ECORRUPT (r wiped).  Never logs the content.
 */
int odin_record_parse(const char *buf, size_t len, struct odin_record *r);

/*
 * The same, where a sealed secret ("enc1:...", crypt.h) is opened with
 * key for user.  A sealed secret without a key, or one that does not open
 * (wrong key, another user's row, tampering), is ODIN_ECRYPTO; a secret in
 * clear is accepted with or without a key (it is sealed on the next save).
 */
struct odin_key;
int odin_record_parse_key(const char *buf, size_t len, struct odin_record *r,
    const struct odin_key *key, const char *user);

/*
 * Serialises r.  *out is text of *outlen bytes (also NUL-terminated) in
 * memory kept out of core dumps and swap (odin_secure_alloc); the caller
 * frees it with odin_record_text_free().  Returns ODIN_OK, ODIN_EINVAL (r
 * not consistent, e.g. enabled without secret) or ODIN_ENOMEM.
 */
int odin_record_format(const struct odin_record *r, char **out, size_t *outlen);

/* The same, with the secret sealed for user when key is not NULL. */
int odin_record_format_key(const struct odin_record *r, const struct odin_key *key,
    const char *user, char **out, size_t *outlen);

/* The same, with generation in place of r->generation (the files store's new one). */
int odin_record_format_gen(const struct odin_record *r, uint64_t generation,
    const struct odin_key *key, const char *user, char **out, size_t *outlen);

/*
 * The values of r's "bypass" and "enroll_token" lines as the formatter
 * writes them (without the key), or "" when r has none: for a store that
 * keeps them in columns of their own (store_pg.c).
 */
void odin_record_bypass_value(const struct odin_record *r, char out[ODIN_RECORD_LINE_MAX]);
void odin_record_token_value(const struct odin_record *r, char out[ODIN_RECORD_LINE_MAX]);

/* Wipes and frees text from odin_record_format*(); NULL is fine. */
void odin_record_text_free(char *text);

/*
 * 1 if a and b hold the same record (every field; the secret compared in
 * constant time), else 0.  What "the record did not change meanwhile" means.
 */
int odin_record_same(const struct odin_record *a, const struct odin_record *b);

/*
 * 1 if a and b hold the same bypass code and enrollment token (the fields
 * no login-state slot holds, beyond the secret and parameters).
 */
int odin_record_extras_same(const struct odin_record *a, const struct odin_record *b);
/* Each half of it: the bypass code alone, the enrollment token alone. */
int odin_record_bypass_same(const struct odin_record *a, const struct odin_record *b);
int odin_record_token_same(const struct odin_record *a, const struct odin_record *b);

/* Wipes every byte of r. */
void odin_record_wipe(struct odin_record *r);

/* "pending" / "enabled". */
const char *odin_state_name(enum odin_state s);

#endif
