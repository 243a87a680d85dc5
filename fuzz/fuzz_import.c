/* SPDX-License-Identifier: ISC */
/*
 * odin_import_parse, built once per admin import format (fuzz/build.sh
 * defines FZ_IMPORT_KIND): each build has its own seed corpus and shapes
 * the input towards its format, so every format gets its own fuzzing time.
 *   uri    "otpauth:" + data (always takes the URI path)
 *   base32 data as is (seeds are bare secrets)
 *   ga     data as is (seeds are google-authenticator state files)
 *   oath   data[0] picks the user (NULL, "alice", "bob"), the rest is text
 * Properties for every build:
 *   - the return is OK, EINVAL, ETOOBIG or ENOMEM; *why is NULL exactly on
 *     success; on failure *out is all zero (wiped);
 *   - on success the fields are in otp.h's bounds, scratch codes are
 *     8 digits, and the kind-specific oracle agrees: the URI's fields are
 *     odin_otpauth_parse's, a bare secret is odin_base32_decode's;
 *   - parsing is deterministic (a second parse gives the same struct).
 */
#include <stdint.h>
#include <string.h>

#include "base32.h"
#include "err.h"
#include "fuzz.h"
#include "import.h"
#include "otpauth.h"
#include "secure.h"

#ifndef FZ_IMPORT_KIND
/* cppcheck-suppress preprocessorErrorDirective ; fuzz/build.sh always defines it */
#error "define FZ_IMPORT_KIND (1 uri, 2 base32, 3 ga, 4 oath)"
#endif

static int
fz_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

/* The trimmed text, as odin_import_parse sees it (blanks incl. CR/LF at both ends). */
static char *
fz_trimmed(const char *text, size_t len)
{
	size_t a = 0, b = len;

	while (a < b && strchr(" \t\r\n", text[a]) != NULL)
		a++;
	while (b > a && strchr(" \t\r\n", text[b - 1]) != NULL)
		b--;
	return fz_cstr((const uint8_t *)text + a, b - a);
}

static void
fz_check_ok(const char *text, size_t len, const struct odin_import *im)
{
	char *t;
	unsigned i, j;

	FZ_CHECK(im->secret_len >= ODIN_SECRET_MIN && im->secret_len <= ODIN_SECRET_MAX);
	FZ_CHECK(fz_zero(im->secret + im->secret_len, sizeof(im->secret) - im->secret_len));
	FZ_CHECK(im->digits >= ODIN_DIGITS_MIN && im->digits <= ODIN_DIGITS_MAX);
	FZ_CHECK(im->period >= ODIN_PERIOD_MIN && im->period <= ODIN_PERIOD_MAX);
	FZ_CHECK(odin_alg_name(im->alg) != NULL);
	FZ_CHECK(im->nscratch <= ODIN_BACKUP_MAX);
	FZ_CHECK(im->nscratch == 0 || im->kind == ODIN_IMPORT_GA);
	for (i = 0; i < im->nscratch; i++) {
		FZ_CHECK(strlen(im->scratch[i]) == 8);
		for (j = 0; j < 8; j++)
			FZ_CHECK(im->scratch[i][j] >= '0' && im->scratch[i][j] <= '9');
	}
	if ((t = fz_trimmed(text, len)) == NULL)
		return;
	switch (im->kind) {
	case ODIN_IMPORT_URI: {
		struct odin_otpauth p;

		FZ_CHECK(odin_otpauth_parse(t, &p) == ODIN_OK);
		FZ_CHECK(p.secret_len == im->secret_len &&
		    memcmp(p.secret, im->secret, p.secret_len) == 0);
		FZ_CHECK(p.alg == im->alg && p.digits == im->digits && p.period == im->period);
		odin_wipe(&p, sizeof(p));
		break;
	}
	case ODIN_IMPORT_BASE32: {
		uint8_t sec[ODIN_SECRET_MAX];
		size_t n = 0;

		FZ_CHECK(strchr(t, '\n') == NULL);
		FZ_CHECK(odin_base32_decode(t, sec, sizeof(sec), &n) == ODIN_OK);
		FZ_CHECK(n == im->secret_len && memcmp(sec, im->secret, n) == 0);
		FZ_CHECK(im->alg == ODIN_ALG_SHA1 && im->digits == 6 && im->period == 30);
		odin_wipe(sec, sizeof(sec));
		break;
	}
	case ODIN_IMPORT_GA:
		FZ_CHECK(im->alg == ODIN_ALG_SHA1 && im->digits == 6);
		FZ_CHECK(strstr(t, "TOTP_AUTH") != NULL);
		break;
	case ODIN_IMPORT_OATH:
		FZ_CHECK(im->alg == ODIN_ALG_SHA1);
		FZ_CHECK(strstr(t, "HOTP/T") != NULL);
		break;
	default:
		FZ_CHECK(0);
	}
	odin_free_wipe(t, strlen(t) + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const users[] = { NULL, "alice", "bob" };
	struct odin_import im, im2;
	const char *user = NULL, *why = "unset", *why2 = "unset";
	char *text;
	size_t len;
	int rc, rc2;

	if (size > 70 * 1024)
		return 0;
#if FZ_IMPORT_KIND == 1
	if ((text = malloc(size + 8)) == NULL)
		return 0;
	memcpy(text, "otpauth:", 8);
	if (size > 0)
		memcpy(text + 8, data, size);
	len = size + 8;
#elif FZ_IMPORT_KIND == 4
	if (size < 1)
		return 0;
	user = users[data[0] % 3];
	if ((text = malloc(size)) == NULL)
		return 0;
	memcpy(text, data + 1, size - 1);
	len = size - 1;
#else
	if ((text = malloc(size + 1)) == NULL)
		return 0;
	if (size > 0)
		memcpy(text, data, size);
	len = size;
#endif
	(void)users;
	memset(&im, 0x5a, sizeof(im));
	rc = odin_import_parse(text, len, user, &im, &why);
	FZ_CHECK(rc == ODIN_OK || rc == ODIN_EINVAL || rc == ODIN_ETOOBIG || rc == ODIN_ENOMEM);
	if (rc == ODIN_OK) {
		FZ_CHECK(why == NULL);
		if (memchr(text, '\0', len) == NULL)
			fz_check_ok(text, len, &im);
		else
			FZ_CHECK(0);	/* a NUL byte must be refused */
	} else {
		FZ_CHECK(why != NULL && strlen(why) > 0);
		FZ_CHECK(fz_zero(&im, sizeof(im)));
	}
	rc2 = odin_import_parse(text, len, user, &im2, &why2);
	FZ_CHECK(rc2 == rc && (rc != ODIN_OK || memcmp(&im, &im2, sizeof(im)) == 0));
	FZ_CHECK(why == why2);
	odin_wipe(&im, sizeof(im));
	odin_wipe(&im2, sizeof(im2));
	odin_free_wipe(text, len);
	return 0;
}
