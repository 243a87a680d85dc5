/* SPDX-License-Identifier: ISC */
/*
 * HOTP (RFC 4226) and TOTP (RFC 6238), T0 = 0.  The one place the OTP
 * arithmetic lives: the dynamic truncation is odin_hotp_truncate() and
 * nothing else does it.
 *
 * Acceptance (odin_totp_verify) computes every candidate in the window and
 * compares each in constant time, folding the results with masks, so the
 * work done does not reveal which step (if any) matched.  The skew finder
 * is diagnostics only and never accepts anything.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "err.h"
#include "otp.h"
#include "secure.h"
#include "sha.h"

#define OTP_SKEW_MAX 240
#define OTP_SCAN_MAX ODIN_WINDOW_MAX	/* otp_scan's reach either side of a step */

static const uint32_t otp_pow10[] = {
	1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000
};

const char *
odin_alg_name(enum odin_alg alg)
{
	switch (alg) {
	case ODIN_ALG_SHA1:	return "SHA1";
	case ODIN_ALG_SHA256:	return "SHA256";
	case ODIN_ALG_SHA512:	return "SHA512";
	}
	return NULL;
}

int
odin_alg_parse(const char *name, enum odin_alg *alg)
{
	if (name == NULL || alg == NULL)
		return ODIN_EINVAL;
	if (strcasecmp(name, "SHA1") == 0)
		*alg = ODIN_ALG_SHA1;
	else if (strcasecmp(name, "SHA256") == 0)
		*alg = ODIN_ALG_SHA256;
	else if (strcasecmp(name, "SHA512") == 0)
		*alg = ODIN_ALG_SHA512;
	else
		return ODIN_EINVAL;
	return ODIN_OK;
}

/* The hash of an algorithm; 0 for none (then odin_hash_len() of it is 0). */
static enum odin_hash
otp_hash(enum odin_alg alg, int *ok)
{
	*ok = 1;
	switch (alg) {
	case ODIN_ALG_SHA1:	return ODIN_SHA1;
	case ODIN_ALG_SHA256:	return ODIN_SHA256;
	case ODIN_ALG_SHA512:	return ODIN_SHA512;
	}
	*ok = 0;
	return ODIN_SHA1;
}

uint32_t
odin_hotp_truncate(const uint8_t *mac, size_t maclen)
{
	unsigned off;

	if (mac == NULL || maclen < 20)
		return UINT32_MAX;
	/* RFC 4226 5.3: low nibble of the last byte picks 4 bytes, top bit cleared. */
	off = mac[maclen - 1] & 0x0fu;
	return ((uint32_t)(mac[off] & 0x7fu) << 24) |
	    ((uint32_t)mac[off + 1] << 16) |
	    ((uint32_t)mac[off + 2] << 8) |
	    (uint32_t)mac[off + 3];
}

static int
otp_params_ok(enum odin_alg alg, size_t keylen, unsigned digits)
{
	int ok;

	(void)otp_hash(alg, &ok);
	return ok && keylen >= 1 && keylen <= ODIN_SECRET_MAX &&
	    digits >= ODIN_DIGITS_MIN && digits <= ODIN_DIGITS_MAX;
}

int
odin_hotp(enum odin_alg alg, const uint8_t *key, size_t keylen,
    uint64_t counter, unsigned digits, uint32_t *code)
{
	uint8_t msg[8], mac[ODIN_HASH_MAX];
	enum odin_hash h;
	uint32_t bin;
	int i, ok, rc = ODIN_OK;

	if (code == NULL)
		return ODIN_EINVAL;
	*code = 0;
	if (key == NULL || !otp_params_ok(alg, keylen, digits))
		return ODIN_EINVAL;
	for (i = 7; i >= 0; i--) {
		msg[i] = (uint8_t)(counter & 0xffu);
		counter >>= 8;
	}
	h = otp_hash(alg, &ok);
	if (!ok || odin_hmac(h, key, keylen, msg, sizeof(msg), mac) != ODIN_OK) {
		rc = ODIN_ECRYPTO;
		goto out;
	}
	bin = odin_hotp_truncate(mac, odin_hash_len(h));
	*code = bin % otp_pow10[digits];
	odin_wipe(&bin, sizeof(bin));	/* not "bin = 0": a dead store is elided */
out:
	odin_wipe(mac, sizeof(mac));
	odin_wipe(msg, sizeof(msg));
	return rc;
}

int
odin_totp_step(int64_t now, unsigned period, int64_t *step)
{
	if (step == NULL)
		return ODIN_EINVAL;
	*step = 0;
	if (now < 0 || period < ODIN_PERIOD_MIN || period > ODIN_PERIOD_MAX)
		return ODIN_EINVAL;
	*step = now / (int64_t)period;
	return ODIN_OK;
}

/*
 * A code value (below 10^digits) as digits zero-padded ASCII digits and a
 * NUL, into out (digits + 1 bytes): by arithmetic, the same steps whatever
 * the value.  The one place a code is spelled out.
 */
static void
otp_digits(uint32_t v, unsigned digits, char *out)
{
	unsigned d;

	out[digits] = '\0';
	for (d = digits; d > 0; d--) {
		out[d - 1] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* The zero-padded code for one step, into out (digits + 1 bytes). */
static int
otp_code_at(enum odin_alg alg, const uint8_t *key, size_t keylen,
    unsigned digits, int64_t step, char *out, size_t outsz)
{
	uint32_t v;
	int rc;

	if (outsz < (size_t)digits + 1)
		return ODIN_EINVAL;
	rc = odin_hotp(alg, key, keylen, (uint64_t)step, digits, &v);
	if (rc != ODIN_OK)
		return rc;
	otp_digits(v, digits, out);
	odin_wipe(&v, sizeof(v));
	return ODIN_OK;
}

int
odin_totp_code(enum odin_alg alg, const uint8_t *key, size_t keylen,
    unsigned digits, unsigned period, int64_t now, char *out, size_t outsz)
{
	int64_t step;
	int rc;

	if (out == NULL || outsz == 0)
		return ODIN_EINVAL;
	out[0] = '\0';
	if (key == NULL || !otp_params_ok(alg, keylen, digits) ||
	    outsz < (size_t)digits + 1)
		return ODIN_EINVAL;
	rc = odin_totp_step(now, period, &step);
	if (rc != ODIN_OK)
		return rc;
	return otp_code_at(alg, key, keylen, digits, step, out, outsz);
}

/* Parameters and code shape shared by verify and the skew finder. */
static int
otp_verify_args_ok(const struct odin_totp_params *p, const uint8_t *key,
    size_t keylen, const char *code)
{
	unsigned i;

	if (p == NULL || key == NULL || code == NULL ||
	    !otp_params_ok(p->alg, keylen, p->digits) ||
	    p->period < ODIN_PERIOD_MIN || p->period > ODIN_PERIOD_MAX ||
	    p->window > ODIN_WINDOW_MAX)
		return 0;
	/* Exactly p->digits ASCII digits; never reads past the NUL. */
	for (i = 0; i < p->digits; i++)
		if (code[i] < '0' || code[i] > '9')
			return 0;
	return code[p->digits] == '\0';
}

/* All ones if a > b, else 0 (public values; no secret dependence). */
static int64_t
otp_mask_gt(int64_t a, int64_t b)
{
	return -(int64_t)(a > b);
}

/*
 * Compares code against every existing step in [step - lo_off, step + hi_off]
 * (offsets that would leave 0..INT64_MAX are skipped).  Sets *any to the
 * highest matching step or -1, *fresh to the highest matching step above
 * last_step or -1.  Every candidate is computed and compared; the HMAC key
 * is prepared once for the window (odin_hmac_counters).
 */
static int
otp_scan(const struct odin_totp_params *p, const uint8_t *key, size_t keylen,
    const char *code, int64_t step, int64_t lo_off, int64_t hi_off,
    int64_t last_step, int64_t *any, int64_t *fresh)
{
	uint8_t macs[(2 * OTP_SCAN_MAX + 1) * ODIN_HASH_MAX];
	char cand[ODIN_DIGITS_MAX + 1];
	int64_t best_any = -1, best_fresh = -1, lo, hi, s, m;
	enum odin_hash h;
	size_t dl, i;
	uint32_t v = 0;
	int rc, ok;

	*any = *fresh = -1;
	if (lo_off < 0 || hi_off < 0 || lo_off > OTP_SCAN_MAX || hi_off > OTP_SCAN_MAX)
		return ODIN_EINVAL;
	h = otp_hash(p->alg, &ok);
	dl = odin_hash_len(h);
	if (!ok || dl == 0)
		return ODIN_EINVAL;
	lo = step < lo_off ? 0 : step - lo_off;			/* not before step 0 */
	hi = step > INT64_MAX - hi_off ? INT64_MAX : step + hi_off;	/* nor past the end of time */
	rc = odin_hmac_counters(h, key, keylen, (uint64_t)lo, (size_t)(hi - lo + 1), macs);
	if (rc != ODIN_OK) {
		rc = ODIN_ECRYPTO;
		goto out;
	}
	for (s = lo, i = 0; s <= hi; s++, i++) {
		v = odin_hotp_truncate(macs + i * dl, dl) % otp_pow10[p->digits];
		otp_digits(v, p->digits, cand);
		m = -(int64_t)odin_ct_equal(cand, code, p->digits);
		/* Ascending s: the last assignment wins, i.e. the highest. */
		best_any = (s & m) | (best_any & ~m);
		m &= otp_mask_gt(s, last_step);
		best_fresh = (s & m) | (best_fresh & ~m);
		if (s == INT64_MAX)
			break;
	}
	*any = best_any;
	*fresh = best_fresh;
out:
	odin_wipe(macs, sizeof(macs));
	odin_wipe(cand, sizeof(cand));
	odin_wipe(&v, sizeof(v));
	return rc;
}

int
odin_totp_verify(const struct odin_totp_params *p, const uint8_t *key,
    size_t keylen, const char *code, int64_t now, int64_t last_step,
    int64_t *matched_step)
{
	int64_t step, any, fresh;
	int rc;

	if (matched_step == NULL)
		return ODIN_EINVAL;
	*matched_step = -1;
	if (!otp_verify_args_ok(p, key, keylen, code))
		return ODIN_EINVAL;
	rc = odin_totp_step(now, p->period, &step);
	if (rc != ODIN_OK)
		return rc;
	rc = otp_scan(p, key, keylen, code, step, p->window, p->window,
	    last_step, &any, &fresh);
	if (rc != ODIN_OK)
		return rc;
	/*
	 * If a code matches more than one step, take the highest one that is
	 * still fresh: accepting a lower one would let the same code be
	 * accepted a second time for the higher step.
	 */
	if (fresh >= 0) {
		*matched_step = fresh;
		return ODIN_OK;
	}
	if (any >= 0) {
		*matched_step = any;
		return ODIN_EREPLAY;
	}
	return ODIN_ENOMATCH;
}

int
odin_totp_find_skew(const struct odin_totp_params *p, const uint8_t *key,
    size_t keylen, const char *code, int64_t now, unsigned max_steps,
    int64_t *offset_steps)
{
	char cand[ODIN_DIGITS_MAX + 1];
	int64_t step, any, fresh, d, s;
	int rc, sign;

	if (offset_steps == NULL)
		return ODIN_EINVAL;
	*offset_steps = 0;
	if (!otp_verify_args_ok(p, key, keylen, code))
		return ODIN_EINVAL;
	rc = odin_totp_step(now, p->period, &step);
	if (rc != ODIN_OK)
		return rc;
	if (max_steps > OTP_SKEW_MAX)
		max_steps = OTP_SKEW_MAX;
	/* A code that matches inside the window (even a replay) is not skew. */
	rc = otp_scan(p, key, keylen, code, step, p->window, p->window,
	    INT64_MIN, &any, &fresh);
	if (rc != ODIN_OK)
		return rc;
	if (any >= 0)
		return ODIN_ENOMATCH;
	/* Nearest first; ahead before behind at the same distance. */
	for (d = (int64_t)p->window + 1; d <= (int64_t)max_steps; d++) {
		for (sign = 1; sign >= -1; sign -= 2) {
			if (sign > 0 && step > INT64_MAX - d)
				continue;
			if (sign < 0 && step < d)
				continue;
			s = step + sign * d;
			rc = otp_code_at(p->alg, key, keylen, p->digits, s,
			    cand, sizeof(cand));
			if (rc != ODIN_OK)
				goto out;
			if (odin_ct_equal(cand, code, p->digits)) {
				*offset_steps = sign * d;
				rc = ODIN_OK;
				goto out;
			}
		}
	}
	rc = ODIN_ENOMATCH;
out:
	odin_wipe(cand, sizeof(cand));
	return rc;
}
