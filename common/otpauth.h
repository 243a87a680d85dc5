/* SPDX-License-Identifier: ISC */
/*
 * otpauth:// URIs (Key Uri Format): built by enrollment (module and CLI),
 * parsed by admin import.  Pure; no I/O.
 */
#ifndef ODIN_OTPAUTH_H
#define ODIN_OTPAUTH_H

#include <stddef.h>
#include <stdint.h>

#include "otp.h"
#include "user.h"

/*
 * Bytes, NUL included: the longest URI built or parsed.  Room for the
 * longest fields all percent-encoded (issuer twice, the account once:
 * about 2,100 bytes), so that whatever parses can be built again.
 */
#define ODIN_OTPAUTH_URI_MAX 4096

/*
 * Builds otpauth://totp/ISSUER:ACCOUNT?secret=..&issuer=..[&algorithm=..]
 * [&digits=..][&period=..] with issuer and account percent-encoded
 * (RFC 3986 unreserved kept).  Parameters only when not the defaults.
 * *uri is malloc'd; free with odin_free_str() (it holds the secret).
 */
int odin_otpauth_uri(const char *issuer, const char *account,
    const uint8_t *secret, size_t secret_len, enum odin_alg alg,
    unsigned digits, unsigned period, char **uri);

struct odin_otpauth {
	uint8_t secret[ODIN_SECRET_MAX];
	size_t secret_len;
	enum odin_alg alg;
	unsigned digits;
	unsigned period;
	char issuer[64];
	char account[ODIN_USER_MAX + 264];	/* user@host */
};

/*
 * Parses an otpauth://totp/ URI strictly; the inverse of odin_otpauth_uri.
 * Scheme and type are case-insensitive; "hotp" is refused.  Raw bytes must
 * be printable ASCII without blanks or '#'; every '%' must be a valid
 * escape and no decoded byte may be a control character.  The label is
 * "ISSUER:ACCOUNT" (':' literal or %3A, blanks after it skipped) or just
 * "ACCOUNT"; if the label and the issuer parameter both name an issuer
 * they must be equal.  secret (base32, >= ODIN_SECRET_MIN bytes) is
 * required; algorithm, digits, period are checked against otp.h's bounds;
 * a duplicated known parameter or a "counter" parameter is refused; other
 * unknown parameters (image, ...) are ignored.  Returns ODIN_OK or
 * ODIN_EINVAL (p wiped).  Wipe p after use.
 */
int odin_otpauth_parse(const char *uri, struct odin_otpauth *p);

#endif
