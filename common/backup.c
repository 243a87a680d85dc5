/* SPDX-License-Identifier: ISC */
/*
 * Backup codes (see backup.h) and the classification of what a user typed
 * at the prompt (odin_input_classify, declared in otp.h: it needs to know
 * what a backup code looks like, and that knowledge lives here).
 */
#include "autoconfig.h"

#include <string.h>

#include "backup.h"
#include "err.h"
#include "onetime.h"
#include "otp.h"
#include "secure.h"
#include "sha.h"

/* Crockford's base32, lower case: no i, l, o, u. */
static const char bk_alphabet[32] = "0123456789abcdefghjkmnpqrstvwxyz";

#define BK_PLAIN_MIN 6
#define BK_PLAIN_MAX 16
#define BK_GA_SCRATCH_LEN 8	/* google-authenticator scratch codes: 8 digits */

static int
bk_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* The common normal form of every code that gets hashed (onetime.h: odin_code_fold). */
static int
bk_norm(const char *in, char *out)
{
	return odin_code_fold(in, out, BK_PLAIN_MAX);
}

/* A normalised generated code: 10 alphabet characters, at least one letter. */
static int
bk_is_generated(const char *s, size_t n)
{
	size_t i;
	int letter = 0;

	if (n != ODIN_BACKUP_CODE_LEN)
		return 0;
	for (i = 0; i < n; i++) {
		if (memchr(bk_alphabet, s[i], sizeof(bk_alphabet)) == NULL)
			return 0;
		letter |= !bk_is_digit(s[i]);
	}
	return letter;
}

/* A normalised code acceptable to the KDF: 6..16 of [0-9a-z]. */
static int
bk_is_plain(const char *s)
{
	size_t i, n = strlen(s);

	if (n < BK_PLAIN_MIN || n > BK_PLAIN_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (!bk_is_digit(s[i]) && !(s[i] >= 'a' && s[i] <= 'z'))
			return 0;
	return 1;
}

int
odin_backup_normalise(const char *in, char *out, size_t outsz)
{
	char tmp[BK_PLAIN_MAX + 1];
	int n;

	if (out == NULL || outsz == 0)
		return ODIN_EINVAL;
	out[0] = '\0';
	if (in == NULL || outsz < ODIN_BACKUP_CODE_LEN + 1)
		return ODIN_EINVAL;
	n = bk_norm(in, tmp);
	if (n < 0 || !bk_is_generated(tmp, (size_t)n)) {
		odin_wipe(tmp, sizeof(tmp));
		return ODIN_EINVAL;
	}
	memcpy(out, tmp, (size_t)n + 1);
	odin_wipe(tmp, sizeof(tmp));
	return ODIN_OK;
}

enum odin_input_kind
odin_input_classify(const char *in, unsigned digits, char *out, size_t outsz)
{
	char raw[BK_PLAIN_MAX + 1], norm[BK_PLAIN_MAX + 1];
	enum odin_input_kind kind = ODIN_INPUT_INVALID;
	size_t n = 0, i;
	int alldigits = 1;

	if (out == NULL || outsz == 0)
		return ODIN_INPUT_INVALID;
	out[0] = '\0';
	if (in == NULL)
		return ODIN_INPUT_INVALID;
	/* Pass 1: drop separators, lower-case; bounded, never past the NUL. */
	for (; *in != '\0'; in++) {
		char c = *in;

		if (c == ' ' || c == '\t' || c == '-')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (n >= BK_PLAIN_MAX)
			goto done;
		raw[n++] = c;
	}
	raw[n] = '\0';
	for (i = 0; i < n; i++)
		alldigits &= bk_is_digit(raw[i]);

	if (alldigits && n == digits && digits >= ODIN_DIGITS_MIN && digits <= ODIN_DIGITS_MAX) {
		if (n + 1 <= outsz) {
			memcpy(out, raw, n + 1);
			kind = ODIN_INPUT_TOTP;
		}
	} else if (alldigits && n == BK_GA_SCRATCH_LEN) {
		/* An imported google-authenticator scratch code. */
		if (n + 1 <= outsz) {
			memcpy(out, raw, n + 1);
			kind = ODIN_INPUT_BACKUP;
		}
	} else if (odin_backup_normalise(raw, norm, sizeof(norm)) == ODIN_OK) {
		if (strlen(norm) + 1 <= outsz) {
			memcpy(out, norm, strlen(norm) + 1);
			kind = ODIN_INPUT_BACKUP;
		}
	} else if (odin_onetime_normalise(raw, ODIN_BYPASS_LEN, norm, sizeof(norm)) == ODIN_OK) {
		if (strlen(norm) + 1 <= outsz) {
			memcpy(out, norm, strlen(norm) + 1);
			kind = ODIN_INPUT_BYPASS;
		}
	}
done:
	odin_wipe(raw, sizeof(raw));
	odin_wipe(norm, sizeof(norm));
	return kind;
}

/* PBKDF2-HMAC-SHA256 of a normalised code. */
static int
bk_hash(const char *code, const uint8_t *salt, unsigned iter, uint8_t *out)
{
	if (iter < 1 || iter > ODIN_BACKUP_ITER_MAX)
		return ODIN_EINVAL;
	if (odin_pbkdf2_sha256(code, strlen(code), salt, ODIN_BACKUP_SALT_LEN,
	    iter, out, ODIN_BACKUP_HASH_LEN) != ODIN_OK) {
		odin_wipe(out, ODIN_BACKUP_HASH_LEN);
		return ODIN_ECRYPTO;
	}
	return ODIN_OK;
}

/* One code of 10 alphabet characters from 50 random bits: 5 bits each, no bias. */
static int
bk_random_code(char *out)
{
	uint8_t rnd[7];
	uint64_t bits = 0;
	size_t i;
	int rc;

	if ((rc = odin_random(rnd, sizeof(rnd))) != ODIN_OK)
		return rc;
	for (i = 0; i < sizeof(rnd); i++)
		bits = (bits << 8) | rnd[i];
	for (i = 0; i < ODIN_BACKUP_CODE_LEN; i++)
		out[i] = bk_alphabet[(bits >> (5 * i)) & 31];
	out[ODIN_BACKUP_CODE_LEN] = '\0';
	odin_wipe(rnd, sizeof(rnd));
	odin_wipe(&bits, sizeof(bits));	/* a plain "bits = 0" is a dead store the compiler drops */
	return ODIN_OK;
}

/* Installs a new salt and the hashes of n normalised codes; r unchanged on failure. */
static int
bk_install(struct odin_record *r, char (*norm)[BK_PLAIN_MAX + 1], unsigned n)
{
	uint8_t salt[ODIN_BACKUP_SALT_LEN];
	uint8_t hashes[ODIN_BACKUP_MAX][ODIN_BACKUP_HASH_LEN];
	unsigned i;
	int rc;

	if ((rc = odin_random(salt, sizeof(salt))) != ODIN_OK)
		goto out;
	for (i = 0; i < n; i++)
		if ((rc = bk_hash(norm[i], salt, ODIN_BACKUP_ITER, hashes[i])) != ODIN_OK)
			goto out;
	odin_wipe(r->backup, sizeof(r->backup));
	memcpy(r->backup_salt, salt, sizeof(salt));
	memcpy(r->backup, hashes, (size_t)n * ODIN_BACKUP_HASH_LEN);
	r->nbackup = n;
	r->backup_iter = ODIN_BACKUP_ITER;
out:
	odin_wipe(salt, sizeof(salt));
	odin_wipe(hashes, sizeof(hashes));
	return rc;
}

int
odin_backup_generate(struct odin_record *r, unsigned n, struct odin_backup_code *codes)
{
	char norm[ODIN_BACKUP_MAX][BK_PLAIN_MAX + 1];
	unsigned i, j;
	int rc = ODIN_OK;

	if (r == NULL || codes == NULL || n < 1 || n > ODIN_BACKUP_MAX)
		return ODIN_EINVAL;
	memset(norm, 0, sizeof(norm));
	for (i = 0; i < n; i++) {
		int again;

		do {
			if ((rc = bk_random_code(norm[i])) != ODIN_OK)
				goto out;
			/* All digits could be taken for a TOTP code; a repeat is pointless. */
			again = !bk_is_generated(norm[i], ODIN_BACKUP_CODE_LEN);
			for (j = 0; j < i && !again; j++)
				again = strcmp(norm[i], norm[j]) == 0;
		} while (again);
	}
	if ((rc = bk_install(r, norm, n)) != ODIN_OK)
		goto out;
	for (i = 0; i < n; i++) {
		memcpy(codes[i].s, norm[i], 5);
		codes[i].s[5] = '-';
		memcpy(codes[i].s + 6, norm[i] + 5, 5);
		codes[i].s[ODIN_BACKUP_SHOWN_LEN] = '\0';
	}
out:
	odin_wipe(norm, sizeof(norm));
	return rc;
}

int
odin_backup_set_plain(struct odin_record *r, const char *const *codes, unsigned n)
{
	char norm[ODIN_BACKUP_MAX][BK_PLAIN_MAX + 1];
	unsigned i;
	int rc = ODIN_EINVAL;

	if (r == NULL || codes == NULL || n < 1 || n > ODIN_BACKUP_MAX)
		return ODIN_EINVAL;
	memset(norm, 0, sizeof(norm));
	for (i = 0; i < n; i++)
		if (codes[i] == NULL || bk_norm(codes[i], norm[i]) < BK_PLAIN_MIN)
			goto out;
	rc = bk_install(r, norm, n);
out:
	odin_wipe(norm, sizeof(norm));
	return rc;
}

int
odin_backup_hash(const struct odin_record *r, const char *normalised,
    uint8_t out[ODIN_BACKUP_HASH_LEN])
{
	if (r == NULL || normalised == NULL || out == NULL || !bk_is_plain(normalised) ||
	    r->backup_iter == 0)
		return ODIN_EINVAL;
	return bk_hash(normalised, r->backup_salt, r->backup_iter, out);
}

int
odin_backup_find(const struct odin_record *r, const char *normalised,
    unsigned *idx_out, uint8_t hash[ODIN_BACKUP_HASH_LEN])
{
	static const uint8_t nosalt[ODIN_BACKUP_SALT_LEN];
	uint8_t h[ODIN_BACKUP_HASH_LEN];
	unsigned i, found = 0, idx = 0, have;
	int rc;

	if (r == NULL || normalised == NULL || idx_out == NULL || !bk_is_plain(normalised) ||
	    r->nbackup > ODIN_BACKUP_MAX)
		return ODIN_EINVAL;
	/* Without codes, still pay for one KDF: a failure costs the same either way. */
	have = r->backup_iter != 0 && r->nbackup > 0;
	rc = bk_hash(normalised, have ? r->backup_salt : nosalt,
	    have ? r->backup_iter : ODIN_BACKUP_ITER, h);
	if (rc != ODIN_OK)
		return rc;
	/* Compare with every slot, no early exit; remember the match branch-free. */
	for (i = 0; i < r->nbackup; i++) {
		unsigned eq = (unsigned)odin_ct_equal(h, r->backup[i], sizeof(h));
		unsigned take = (0u - eq) & (0u - (found ^ 1u));

		idx = (idx & ~take) | (i & take);
		found |= eq;
	}
	if (have && found) {
		*idx_out = idx;
		if (hash != NULL)
			memcpy(hash, h, sizeof(h));
	}
	odin_wipe(h, sizeof(h));
	return have && found ? ODIN_OK : ODIN_ENOMATCH;
}

int
odin_backup_remove(struct odin_record *r, unsigned idx)
{
	if (r == NULL || r->nbackup > ODIN_BACKUP_MAX || idx >= r->nbackup)
		return ODIN_EINVAL;
	memmove(r->backup[idx], r->backup[idx + 1],
	    (size_t)(r->nbackup - idx - 1) * ODIN_BACKUP_HASH_LEN);
	r->nbackup--;
	odin_wipe(r->backup[r->nbackup], ODIN_BACKUP_HASH_LEN);
	return ODIN_OK;
}

int
odin_backup_consume(struct odin_record *r, const char *normalised)
{
	unsigned idx = 0;
	int rc = odin_backup_find(r, normalised, &idx, NULL);

	return rc == ODIN_OK ? odin_backup_remove(r, idx) : rc;
}
