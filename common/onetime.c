/* SPDX-License-Identifier: ISC */
/* One-time codes: bypass codes and enrollment tokens (onetime.h). */
#include "autoconfig.h"

#include <string.h>

#include "err.h"
#include "onetime.h"
#include "secure.h"
#include "sha.h"

/* Crockford's base32, lower case: no i, l, o, u (as backup.c). */
static const char ot_alphabet[32] = "0123456789abcdefghjkmnpqrstvwxyz";

static int
ot_hash(const char *code, const uint8_t *salt, uint8_t *out)
{
	if (odin_pbkdf2_sha256(code, strlen(code), salt, ODIN_BACKUP_SALT_LEN,
	    ODIN_ONETIME_ITER, out, ODIN_BACKUP_HASH_LEN) != ODIN_OK) {
		odin_wipe(out, ODIN_BACKUP_HASH_LEN);
		return ODIN_ECRYPTO;
	}
	return ODIN_OK;
}

int
odin_onetime_make(size_t len, struct odin_onetime *o, char shown[ODIN_ONETIME_SHOWN_MAX])
{
	uint8_t rnd[ODIN_TOKEN_LEN];
	char code[ODIN_TOKEN_LEN + 1];
	size_t i, j = 0;
	int rc;

	if ((len != ODIN_BYPASS_LEN && len != ODIN_TOKEN_LEN) || o == NULL || shown == NULL)
		return ODIN_EINVAL;
	/* one random byte per character, its low 5 bits: no bias (256 = 8 x 32) */
	if ((rc = odin_random(rnd, len)) != ODIN_OK)
		return rc;
	for (i = 0; i < len; i++)
		code[i] = ot_alphabet[rnd[i] & 31];
	code[len] = '\0';
	odin_wipe(rnd, sizeof(rnd));
	if ((rc = odin_random(o->salt, sizeof(o->salt))) != ODIN_OK ||
	    (rc = ot_hash(code, o->salt, o->hash)) != ODIN_OK) {
		odin_wipe(code, sizeof(code));
		odin_wipe(o, sizeof(*o));
		return rc;
	}
	for (i = 0; i < len; i++) {
		if (i > 0 && i % 4 == 0)
			shown[j++] = '-';
		shown[j++] = code[i];
	}
	shown[j] = '\0';
	odin_wipe(code, sizeof(code));
	return ODIN_OK;
}

int
odin_code_fold(const char *in, char *out, size_t max)
{
	size_t n = 0;

	for (; *in != '\0'; in++) {
		char c = *in;

		if (c == ' ' || c == '\t' || c == '-')
			continue;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c == 'o')
			c = '0';
		else if (c == 'i' || c == 'l')
			c = '1';
		if (n >= max || !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z'))) {
			odin_wipe(out, max + 1);
			return -1;
		}
		out[n++] = c;
	}
	out[n] = '\0';
	return (int)n;
}

int
odin_onetime_normalise(const char *in, size_t len, char *out, size_t outsz)
{
	size_t i;

	if (out == NULL || outsz == 0)
		return ODIN_EINVAL;
	out[0] = '\0';
	if (in == NULL || outsz <= len || odin_code_fold(in, out, len) != (int)len)
		goto bad;
	for (i = 0; i < len; i++)	/* and of the alphabet: no 'u' */
		if (memchr(ot_alphabet, out[i], sizeof(ot_alphabet)) == NULL)
			goto bad;
	return ODIN_OK;
bad:
	odin_wipe(out, outsz);
	return ODIN_EINVAL;
}

int
odin_onetime_check(const struct odin_onetime *o, const char *normalised)
{
	uint8_t h[ODIN_BACKUP_HASH_LEN];
	int rc;

	if (o == NULL || normalised == NULL || normalised[0] == '\0')
		return ODIN_EINVAL;
	if ((rc = ot_hash(normalised, o->salt, h)) != ODIN_OK)
		return rc;
	rc = odin_ct_equal(h, o->hash, sizeof(h)) ? ODIN_OK : ODIN_ENOMATCH;
	odin_wipe(h, sizeof(h));
	return rc;
}

int
odin_onetime_hash(const struct odin_onetime *o, const char *normalised,
    uint8_t out[ODIN_BACKUP_HASH_LEN])
{
	if (o == NULL || normalised == NULL || normalised[0] == '\0')
		return ODIN_EINVAL;
	return ot_hash(normalised, o->salt, out);
}
