/* SPDX-License-Identifier: ISC */
/*
 * otpauth:// URIs (Google's Key Uri Format): built for enrollment (the QR
 * code, the link) and parsed for migration (admin import).  Pure text
 * work; every buffer that holds the secret is wiped.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base32.h"
#include "err.h"
#include "otpauth.h"
#include "secure.h"

#define OA_URI_MAX ODIN_OTPAUTH_URI_MAX

/* ---- percent-encoding ------------------------------------------------- */

static int
oa_unreserved(unsigned char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

/* Appends s percent-encoded to out (capacity outsz, *pos advanced). */
static int
oa_pct_encode(const char *s, char *out, size_t outsz, size_t *pos)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (oa_unreserved(*p)) {
			if (*pos + 1 >= outsz)
				return ODIN_ETOOBIG;
			out[(*pos)++] = (char)*p;
		} else {
			if (*pos + 3 >= outsz)
				return ODIN_ETOOBIG;
			out[(*pos)++] = '%';
			out[(*pos)++] = hex[*p >> 4];
			out[(*pos)++] = hex[*p & 0xf];
		}
	}
	out[*pos] = '\0';
	return ODIN_OK;
}

static int
oa_append(const char *s, char *out, size_t outsz, size_t *pos)
{
	size_t n = strlen(s);

	if (*pos + n >= outsz)
		return ODIN_ETOOBIG;
	memcpy(out + *pos, s, n + 1);
	*pos += n;
	return ODIN_OK;
}

/* A label part: no control characters, no ':' (the Key Uri Format forbids it). */
static int
oa_label_ok(const char *s, size_t max)
{
	size_t n = 0;

	for (; *s != '\0'; s++, n++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == ':')
			return 0;
	return n < max;
}

int
odin_otpauth_uri(const char *issuer, const char *account,
    const uint8_t *secret, size_t secret_len, enum odin_alg alg,
    unsigned digits, unsigned period, char **uri)
{
	char b32[ODIN_SECRET_MAX * 8 / 5 + 2], num[16];
	const char *algname;
	char *out = NULL;
	size_t pos = 0;
	int rc;

	if (uri == NULL)
		return ODIN_EINVAL;
	*uri = NULL;
	if (issuer == NULL)
		issuer = "";
	if (account == NULL || *account == '\0' || *account == ' ' ||
	    !oa_label_ok(issuer, sizeof(((struct odin_otpauth *)0)->issuer)) ||
	    !oa_label_ok(account, sizeof(((struct odin_otpauth *)0)->account)) ||
	    secret == NULL || secret_len < ODIN_SECRET_MIN || secret_len > ODIN_SECRET_MAX ||
	    digits < ODIN_DIGITS_MIN || digits > ODIN_DIGITS_MAX ||
	    period < ODIN_PERIOD_MIN || period > ODIN_PERIOD_MAX ||
	    (alg != ODIN_ALG_SHA1 && alg != ODIN_ALG_SHA256 && alg != ODIN_ALG_SHA512))
		return ODIN_EINVAL;
	algname = odin_alg_name(alg);
	if ((out = malloc(OA_URI_MAX)) == NULL)
		return ODIN_ENOMEM;
	if ((rc = odin_base32_encode(secret, secret_len, b32, sizeof(b32))) != ODIN_OK)
		goto fail;
	if ((rc = oa_append("otpauth://totp/", out, OA_URI_MAX, &pos)) != ODIN_OK)
		goto fail;
	if (*issuer != '\0') {
		if ((rc = oa_pct_encode(issuer, out, OA_URI_MAX, &pos)) != ODIN_OK ||
		    (rc = oa_append(":", out, OA_URI_MAX, &pos)) != ODIN_OK)
			goto fail;
	}
	if ((rc = oa_pct_encode(account, out, OA_URI_MAX, &pos)) != ODIN_OK ||
	    (rc = oa_append("?secret=", out, OA_URI_MAX, &pos)) != ODIN_OK ||
	    (rc = oa_append(b32, out, OA_URI_MAX, &pos)) != ODIN_OK)
		goto fail;
	if (*issuer != '\0') {
		if ((rc = oa_append("&issuer=", out, OA_URI_MAX, &pos)) != ODIN_OK ||
		    (rc = oa_pct_encode(issuer, out, OA_URI_MAX, &pos)) != ODIN_OK)
			goto fail;
	}
	if (alg != ODIN_ALG_SHA1) {
		if ((rc = oa_append("&algorithm=", out, OA_URI_MAX, &pos)) != ODIN_OK ||
		    (rc = oa_append(algname, out, OA_URI_MAX, &pos)) != ODIN_OK)
			goto fail;
	}
	if (digits != 6) {
		(void)snprintf(num, sizeof(num), "%u", digits);	/* 1 digit: fits */
		if ((rc = oa_append("&digits=", out, OA_URI_MAX, &pos)) != ODIN_OK ||
		    (rc = oa_append(num, out, OA_URI_MAX, &pos)) != ODIN_OK)
			goto fail;
	}
	if (period != 30) {
		(void)snprintf(num, sizeof(num), "%u", period);	/* <= 4 digits: fits */
		if ((rc = oa_append("&period=", out, OA_URI_MAX, &pos)) != ODIN_OK ||
		    (rc = oa_append(num, out, OA_URI_MAX, &pos)) != ODIN_OK)
			goto fail;
	}
	odin_wipe(b32, sizeof(b32));
	*uri = out;
	return ODIN_OK;
fail:
	odin_wipe(b32, sizeof(b32));
	odin_free_wipe(out, OA_URI_MAX);
	return rc == ODIN_ETOOBIG ? ODIN_EINVAL : rc;
}

/* ---- parsing ---------------------------------------------------------- */

static int
oa_hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/*
 * Decodes n bytes of s into out (size outsz, NUL-terminated).  Every '%'
 * must start a valid escape; the result may not hold control characters
 * (which covers an encoded NUL).
 */
static int
oa_pct_decode(const char *s, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0;
	int hi, lo;
	unsigned char ch;

	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch == '%') {
			if (i + 2 >= n)
				return ODIN_EINVAL;
			if ((hi = oa_hexval(s[i + 1])) < 0 || (lo = oa_hexval(s[i + 2])) < 0)
				return ODIN_EINVAL;
			ch = (unsigned char)(hi << 4 | lo);
			i += 2;
		}
		if (ch < 0x20 || ch == 0x7f)
			return ODIN_EINVAL;
		if (o + 1 >= outsz)
			return ODIN_EINVAL;
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return ODIN_OK;
}

/* Plain decimal within [min, max]; no sign, no junk. */
static int
oa_number(const char *s, unsigned min, unsigned max, unsigned *out)
{
	unsigned long n = 0;

	if (*s == '\0')
		return ODIN_EINVAL;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return ODIN_EINVAL;
		n = n * 10 + (unsigned long)(*s - '0');
		if (n > max)
			return ODIN_EINVAL;
	}
	if (n < min)
		return ODIN_EINVAL;
	*out = (unsigned)n;
	return ODIN_OK;
}

enum { P_SECRET, P_ISSUER, P_ALGORITHM, P_DIGITS, P_PERIOD, P_COUNT };

static int
oa_parse_params(const char *q, struct odin_otpauth *p, char *label_issuer, int have_label_issuer)
{
	static const char *const names[P_COUNT] = {
		"secret", "issuer", "algorithm", "digits", "period",
	};
	char val[OA_URI_MAX];
	int seen[P_COUNT] = { 0 };
	const char *amp, *eq;
	size_t nlen, vlen;
	int i, rc = ODIN_EINVAL;
	size_t slen;

	for (;;) {
		amp = strchr(q, '&');
		eq = strchr(q, '=');
		if (eq == NULL || (amp != NULL && eq > amp))
			goto out;		/* every parameter is name=value */
		nlen = (size_t)(eq - q);
		vlen = amp != NULL ? (size_t)(amp - eq - 1) : strlen(eq + 1);
		if (nlen == 0 || oa_pct_decode(eq + 1, vlen, val, sizeof(val)) != ODIN_OK)
			goto out;
		for (i = 0; i < P_COUNT; i++)
			if (strlen(names[i]) == nlen && memcmp(q, names[i], nlen) == 0)
				break;
		if (i == P_COUNT) {
			/* "counter" only means something for HOTP: refuse the mix-up. */
			if (nlen == 7 && memcmp(q, "counter", 7) == 0)
				goto out;
		} else {
			if (seen[i]++)
				goto out;	/* duplicated parameter */
			switch (i) {
			case P_SECRET:
				if (odin_base32_decode(val, p->secret, sizeof(p->secret), &slen) != ODIN_OK ||
				    slen < ODIN_SECRET_MIN)
					goto out;
				p->secret_len = slen;
				break;
			case P_ISSUER:
				if (val[0] == '\0' || strchr(val, ':') != NULL ||
				    strlen(val) >= sizeof(p->issuer))
					goto out;
				memcpy(p->issuer, val, strlen(val) + 1);
				break;
			case P_ALGORITHM:
				if (odin_alg_parse(val, &p->alg) != ODIN_OK)
					goto out;
				break;
			case P_DIGITS:
				if (oa_number(val, ODIN_DIGITS_MIN, ODIN_DIGITS_MAX, &p->digits) != ODIN_OK)
					goto out;
				break;
			case P_PERIOD:
				if (oa_number(val, ODIN_PERIOD_MIN, ODIN_PERIOD_MAX, &p->period) != ODIN_OK)
					goto out;
				break;
			}
		}
		if (amp == NULL)
			break;
		q = amp + 1;
	}
	if (!seen[P_SECRET])
		goto out;
	if (have_label_issuer) {
		/* Label and parameter must agree when both are given. */
		if (seen[P_ISSUER] && strcmp(p->issuer, label_issuer) != 0)
			goto out;
		memcpy(p->issuer, label_issuer, strlen(label_issuer) + 1);
	}
	rc = ODIN_OK;
out:
	odin_wipe(val, sizeof(val));
	return rc;
}

int
odin_otpauth_parse(const char *uri, struct odin_otpauth *p)
{
	static const char prefix[] = "otpauth://totp/";
	char label[sizeof(p->issuer) + sizeof(p->account)], lissuer[sizeof(p->issuer)];
	const char *q, *s, *acct;
	char *colon;
	size_t n, i;
	int rc = ODIN_EINVAL;

	if (p == NULL)
		return ODIN_EINVAL;
	memset(p, 0, sizeof(*p));
	p->alg = ODIN_ALG_SHA1;
	p->digits = 6;
	p->period = ODIN_PERIOD_DEFAULT;
	if (uri == NULL)
		return ODIN_EINVAL;
	n = strnlen(uri, OA_URI_MAX);
	if (n >= OA_URI_MAX)
		return ODIN_EINVAL;
	/* Raw bytes: printable ASCII only; no blanks, no fragment. */
	for (i = 0; i < n; i++)
		if ((unsigned char)uri[i] <= 0x20 || (unsigned char)uri[i] >= 0x7f || uri[i] == '#')
			return ODIN_EINVAL;
	/* Scheme and type are case-insensitive; "hotp" (counters) is refused. */
	if (n < sizeof(prefix) - 1 || strncasecmp(uri, prefix, sizeof(prefix) - 1) != 0)
		return ODIN_EINVAL;
	s = uri + sizeof(prefix) - 1;
	if ((q = strchr(s, '?')) == NULL || strchr(q + 1, '?') != NULL)
		goto out;
	if (oa_pct_decode(s, (size_t)(q - s), label, sizeof(label)) != ODIN_OK)
		goto out;
	lissuer[0] = '\0';
	acct = label;
	if ((colon = strchr(label, ':')) != NULL) {
		if (strchr(colon + 1, ':') != NULL || colon == label)
			goto out;
		*colon = '\0';
		if (strlen(label) >= sizeof(lissuer))
			goto out;
		memcpy(lissuer, label, strlen(label) + 1);
		acct = colon + 1;
	}
	/*
	 * "Issuer: account" is allowed, and a leading space is never part of
	 * an account name: skipping it with or without an issuer prefix keeps
	 * parse -> build -> parse stable (found by fuzz/fuzz_otpauth.c).
	 */
	while (*acct == ' ')
		acct++;
	if (*acct == '\0' || strlen(acct) >= sizeof(p->account))
		goto out;
	memcpy(p->account, acct, strlen(acct) + 1);
	rc = oa_parse_params(q + 1, p, lissuer, colon != NULL);
out:
	odin_wipe(label, sizeof(label));
	if (rc != ODIN_OK)
		odin_wipe(p, sizeof(*p));
	return rc;
}

