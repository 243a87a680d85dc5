/* SPDX-License-Identifier: ISC */
/*
 * Backup (recovery) codes: 10 characters of Crockford's base32 alphabet
 * (0-9 a-z without i l o u), 50 bits each, always containing at least one
 * letter so that none can be mistaken for a TOTP code; shown as
 * "xxxxx-xxxxx".  Stored only as PBKDF2-HMAC-SHA256 hashes under a
 * per-record random salt.  Input is normalised: case, spaces and dashes
 * ignored; 'o' read as '0', 'i' and 'l' as '1'.
 */
#ifndef ODIN_BACKUP_H
#define ODIN_BACKUP_H

#include <stddef.h>

#include "record.h"

#define ODIN_BACKUP_CODE_LEN 10		/* characters, without the dash */
#define ODIN_BACKUP_SHOWN_LEN 11	/* "xxxxx-xxxxx" */
#define ODIN_BACKUP_DEFAULT_COUNT 10
#define ODIN_BACKUP_ITER 20000		/* PBKDF2 iterations for new sets */

/* One displayable code, "xxxxx-xxxxx" + NUL. */
struct odin_backup_code { char s[ODIN_BACKUP_SHOWN_LEN + 1]; };

/*
 * Generates n (1..ODIN_BACKUP_MAX) fresh codes into codes[] and replaces
 * every backup hash in r with theirs (new salt, old codes die).  The caller
 * shows codes[] once and then wipes them.  Returns ODIN_OK, ODIN_EINVAL,
 * ODIN_ECRYPTO.  On failure r is unchanged.
 */
int odin_backup_generate(struct odin_record *r, unsigned n, struct odin_backup_code *codes);

/*
 * Hashes existing plain codes (e.g. imported google-authenticator scratch
 * codes, any 6..16 alphanumerics) into r, replacing the set.  Same returns.
 */
int odin_backup_set_plain(struct odin_record *r, const char *const *codes, unsigned n);

/*
 * Normalises typed input into out (outsz >= ODIN_BACKUP_CODE_LEN + 1).
 * Returns ODIN_OK if it is a well-formed generated code, else ODIN_EINVAL.
 */
int odin_backup_normalise(const char *in, char *out, size_t outsz);

/*
 * Checks a normalised code against r's hashes: one KDF, then a
 * constant-time comparison with every stored hash.  On a match the hash is
 * removed from r (the caller then saves r under the same lock: that is the
 * atomic consume).  Returns ODIN_OK (consumed), ODIN_ENOMATCH, ODIN_EINVAL,
 * ODIN_ECRYPTO.
 */
int odin_backup_consume(struct odin_record *r, const char *normalised);

/*
 * The same check without changing r: on a match *idx is the slot and
 * hash (may be NULL) the stored hash -- what a store that consumes a code
 * with one conditional delete needs (store.h, odin_store_consume_backup).
 * Returns ODIN_OK, ODIN_ENOMATCH, ODIN_EINVAL, ODIN_ECRYPTO.
 */
int odin_backup_find(const struct odin_record *r, const char *normalised,
    unsigned *idx, uint8_t hash[ODIN_BACKUP_HASH_LEN]);

/* Removes backup hash idx from r (wiped); ODIN_OK or ODIN_EINVAL. */
int odin_backup_remove(struct odin_record *r, unsigned idx);

/*
 * The stored hash of a normalised code under r's salt and iterations
 * (what odin_backup_consume compares against), for stores that consume a
 * code with one conditional delete (store.h, odin_store_consume_backup).
 * Returns ODIN_OK, ODIN_EINVAL (r has no backup codes, bad code), ODIN_ECRYPTO.
 */
int odin_backup_hash(const struct odin_record *r, const char *normalised,
    uint8_t out[ODIN_BACKUP_HASH_LEN]);

enum odin_input_kind {
	ODIN_INPUT_INVALID = 0, ODIN_INPUT_TOTP = 1, ODIN_INPUT_BACKUP = 2, ODIN_INPUT_BYPASS = 3
};

/*
 * Normalises what a user typed at the prompt: ASCII spaces, tabs and '-'
 * are dropped, letters lower-cased.  The result goes to out (NUL-terminated;
 * outsz >= 32 recommended).  Returns
 *   ODIN_INPUT_TOTP    exactly `digits` digits (out: those digits);
 *   ODIN_INPUT_BYPASS  a bypass code per odin_onetime_normalise() (12
 *                      characters; out: its normal form);
 *   ODIN_INPUT_BACKUP  a generated backup code per odin_backup_normalise()
 *                      (out: its normal form), or -- when `digits` is not
 *                      8 -- exactly 8 digits, the length of an imported
 *                      google-authenticator scratch code (out: the digits).
 *                      With 8-digit TOTP, 8 digits are always TOTP, so
 *                      scratch codes cannot be typed: regenerate codes;
 *   ODIN_INPUT_INVALID anything else (other characters, wrong length, or
 *                      more than 16 characters after normalising: it stops
 *                      reading there); out is then "".
 * out is ready for odin_totp_verify() or odin_backup_consume().  in may be
 * any bytes up to its NUL; never reads past it.
 */
enum odin_input_kind odin_input_classify(const char *in, unsigned digits,
    char *out, size_t outsz);

#endif
