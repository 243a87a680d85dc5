/* SPDX-License-Identifier: ISC */
/*
 * HOTP (RFC 4226) and TOTP (RFC 6238).  Pure: time, step, window and the
 * last accepted step are all parameters.  The OTP arithmetic exists here
 * and nowhere else.
 */
#ifndef ODIN_OTP_H
#define ODIN_OTP_H

#include <stddef.h>
#include <stdint.h>

enum odin_alg { ODIN_ALG_SHA1 = 0, ODIN_ALG_SHA256 = 1, ODIN_ALG_SHA512 = 2 };

#define ODIN_DIGITS_MIN 6
#define ODIN_DIGITS_MAX 8
#define ODIN_PERIOD_MIN 1
#define ODIN_PERIOD_MAX 3600
#define ODIN_PERIOD_DEFAULT 30	/* RFC 6238 X; what every app uses */
#define ODIN_WINDOW_MAX 10
#define ODIN_SECRET_MIN 10	/* 80 bits, RFC 4226 minimum is 128 bits recommended 160 */
#define ODIN_SECRET_MAX 64
#define ODIN_SECRET_DEFAULT 20	/* 160 bits */

/* "SHA1", "SHA256", "SHA512"; NULL for any other value. */
const char *odin_alg_name(enum odin_alg alg);
/* Case-insensitive name -> alg. Returns ODIN_OK or ODIN_EINVAL. */
int odin_alg_parse(const char *name, enum odin_alg *alg);

/*
 * HOTP value for counter, as a number below 10^digits.  keylen 1..ODIN_SECRET_MAX,
 * digits ODIN_DIGITS_MIN..ODIN_DIGITS_MAX.  Returns ODIN_OK, ODIN_EINVAL or ODIN_ECRYPTO.
 */
int odin_hotp(enum odin_alg alg, const uint8_t *key, size_t keylen,
    uint64_t counter, unsigned digits, uint32_t *code);

/*
 * RFC 4226 5.3 dynamic truncation of an HMAC value (maclen >= 20): the
 * 31-bit number before the modulo.  UINT32_MAX on bad arguments.  Used by
 * odin_hotp(); exposed so tests can check it against RFC 4226 Appendix D.
 */
uint32_t odin_hotp_truncate(const uint8_t *mac, size_t maclen);

/* The TOTP time step of now (T0 = 0): floor(now / period); now < 0 -> ODIN_EINVAL. */
int odin_totp_step(int64_t now, unsigned period, int64_t *step);

/* TOTP code at time now, zero-padded into out (size >= digits + 1). */
int odin_totp_code(enum odin_alg alg, const uint8_t *key, size_t keylen,
    unsigned digits, unsigned period, int64_t now, char *out, size_t outsz);

struct odin_totp_params {
	enum odin_alg alg;
	unsigned digits;
	unsigned period;
	unsigned window;	/* steps accepted either side of now, <= ODIN_WINDOW_MAX */
};

/*
 * Verifies a normalised code (exactly p->digits ASCII digits) against the
 * steps now-window .. now+window.  Every candidate is computed and compared
 * in constant time; the result does not depend on which one matched.
 * Returns:
 *   ODIN_OK       a step > last_step matched; *matched_step is set
 *   ODIN_EREPLAY  the only match was at or before last_step (*matched_step set)
 *   ODIN_ENOMATCH no step in the window matched
 *   ODIN_EINVAL   bad parameters or code not of the right form
 */
int odin_totp_verify(const struct odin_totp_params *p, const uint8_t *key,
    size_t keylen, const char *code, int64_t now, int64_t last_step,
    int64_t *matched_step);

/*
 * Diagnostics only, never for acceptance: searches steps further away
 * than the window, up to max_steps either side (bounded by 240), for a match.  On
 * ODIN_OK *offset_steps is the signed offset (matched step - current step).
 * A code that matches inside the window (even as a replay) is not skew:
 * ODIN_ENOMATCH.  The nearest match wins; ahead before behind on a tie.
 * Returns ODIN_OK, ODIN_ENOMATCH or ODIN_EINVAL.
 */
int odin_totp_find_skew(const struct odin_totp_params *p, const uint8_t *key,
    size_t keylen, const char *code, int64_t now, unsigned max_steps,
    int64_t *offset_steps);

#endif
