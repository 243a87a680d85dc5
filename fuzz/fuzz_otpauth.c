/* SPDX-License-Identifier: ISC */
/*
 * odin_otpauth_parse on arbitrary text.  Property when it succeeds: the
 * fields are in otp.h's bounds, odin_otpauth_uri builds a URI from them,
 * and parsing that URI gives the same fields back; building again gives
 * the same URI (the builder's output is canonical).
 */
#include <stdint.h>
#include <string.h>

#include "err.h"
#include "fuzz.h"
#include "otpauth.h"
#include "secure.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct odin_otpauth p, p2;
	char *in, *uri = NULL, *uri2 = NULL;
	int rc;

	if ((in = fz_cstr(data, size)) == NULL)
		return 0;
	rc = odin_otpauth_parse(in, &p);
	free(in);
	if (rc != ODIN_OK) {
		FZ_CHECK(rc == ODIN_EINVAL);
		return 0;
	}
	FZ_CHECK(p.secret_len >= ODIN_SECRET_MIN && p.secret_len <= ODIN_SECRET_MAX);
	FZ_CHECK(p.digits >= ODIN_DIGITS_MIN && p.digits <= ODIN_DIGITS_MAX);
	FZ_CHECK(p.period >= ODIN_PERIOD_MIN && p.period <= ODIN_PERIOD_MAX);
	FZ_CHECK(odin_alg_name(p.alg) != NULL);
	FZ_CHECK(strnlen(p.issuer, sizeof(p.issuer)) < sizeof(p.issuer));
	FZ_CHECK(strnlen(p.account, sizeof(p.account)) < sizeof(p.account) && p.account[0] != '\0');

	rc = odin_otpauth_uri(p.issuer, p.account, p.secret, p.secret_len, p.alg, p.digits,
	    p.period, &uri);
	if (rc == ODIN_ENOMEM)
		goto out;
	FZ_CHECK(rc == ODIN_OK);
	FZ_CHECK(odin_otpauth_parse(uri, &p2) == ODIN_OK);
	FZ_CHECK(p2.secret_len == p.secret_len && memcmp(p2.secret, p.secret, p.secret_len) == 0);
	FZ_CHECK(p2.alg == p.alg && p2.digits == p.digits && p2.period == p.period);
	FZ_CHECK(strcmp(p2.issuer, p.issuer) == 0 && strcmp(p2.account, p.account) == 0);
	rc = odin_otpauth_uri(p2.issuer, p2.account, p2.secret, p2.secret_len, p2.alg, p2.digits,
	    p2.period, &uri2);
	FZ_CHECK(rc == ODIN_OK || rc == ODIN_ENOMEM);
	if (rc == ODIN_OK)
		FZ_CHECK(strcmp(uri, uri2) == 0);
	odin_wipe(&p2, sizeof(p2));
out:
	odin_free_str(uri);
	odin_free_str(uri2);
	odin_wipe(&p, sizeof(p));
	return 0;
}
