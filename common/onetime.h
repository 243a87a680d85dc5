/* SPDX-License-Identifier: ISC */
/*
 * One-time codes that an administrator hands out and a person types once,
 * for account.c: temporary bypass codes (admin bypass, accepted at the code
 * prompt like a backup code) and enrollment tokens (admin force-enable
 * --token, asked before a new secret is shown).  Crockford's base32 in
 * groups of four ("k7q2-m9xa-4tcv"); a bypass code has 12 characters (60
 * bits), a token 16 (80 bits).  Stored only as PBKDF2-HMAC-SHA256 under a
 * random salt of their own (struct odin_onetime, record.h), compared in
 * constant time.  Input is normalised as backup codes are: case, spaces
 * and dashes ignored; 'o' read as '0', 'i' and 'l' as '1'.
 */
#ifndef ODIN_ONETIME_H
#define ODIN_ONETIME_H

#include <stddef.h>

#include "record.h"

#define ODIN_BYPASS_LEN 12
#define ODIN_TOKEN_LEN 16
#define ODIN_ONETIME_SHOWN_MAX 20	/* "xxxx-xxxx-xxxx-xxxx" + NUL */
#define ODIN_ONETIME_ITER 20000

/*
 * Makes a fresh code of len (ODIN_BYPASS_LEN or ODIN_TOKEN_LEN) characters:
 * its salted hash into *o, its display form into shown (the caller shows
 * it once and wipes it).  Returns ODIN_OK, ODIN_EINVAL, ODIN_ECRYPTO.
 */
int odin_onetime_make(size_t len, struct odin_onetime *o, char shown[ODIN_ONETIME_SHOWN_MAX]);

/*
 * The folding every typed code gets (backup codes too, backup.c): ASCII
 * spaces, tabs and '-' dropped, letters lower-cased, 'o' read as '0', 'i'
 * and 'l' as '1'; only [0-9a-z] allowed, at most max characters.  Returns
 * the length (out NUL-terminated, max + 1 bytes), or -1 (out wiped).
 */
int odin_code_fold(const char *in, char *out, size_t max);

/*
 * Normalises typed input into out (outsz > len).  Returns ODIN_OK when it
 * is a well-formed code of exactly len characters, else ODIN_EINVAL.
 */
int odin_onetime_normalise(const char *in, size_t len, char *out, size_t outsz);

/* Checks a normalised code against *o: ODIN_OK, ODIN_ENOMATCH, ODIN_EINVAL, ODIN_ECRYPTO. */
int odin_onetime_check(const struct odin_onetime *o, const char *normalised);

/*
 * The hash a normalised code has under o's salt (what a store that checks
 * codes itself compares: store.h, odin_store_verify).  ODIN_OK,
 * ODIN_EINVAL, ODIN_ECRYPTO.
 */
int odin_onetime_hash(const struct odin_onetime *o, const char *normalised,
    uint8_t out[ODIN_BACKUP_HASH_LEN]);

#endif
