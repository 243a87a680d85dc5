/* SPDX-License-Identifier: ISC */
/*
 * otpauth:// URIs (Key Uri Format) and QR renderings of them for the
 * terminal.  Only enrollment needs this file.  PNG and SVG: qr_image.h
 * (libpng; the CLI only).
 */
#ifndef ODIN_QR_H
#define ODIN_QR_H

#include <stddef.h>
#include <stdint.h>

#include "otp.h"

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
	char account[128];
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

/*
 * ODIN_QR_UTF8: no escape sequences; two module rows per line.  Light
 * modules and the quiet zone are glyphs (U+2588, U+2580, U+2584), dark
 * modules are spaces, so on a dark-background terminal (the common case)
 * the phone sees dark modules on a light field.  On a light-background
 * terminal the image is the negative, which some scanners cannot read:
 * use ODIN_QR_ANSI there.
 * ODIN_QR_ANSI: every module painted explicitly, ESC[47m (light) or
 * ESC[40m (dark) behind two spaces, ESC[0m at the end of every line;
 * scans whatever the terminal's colours.
 */
enum odin_qr_style {
	ODIN_QR_UTF8 = 0,
	ODIN_QR_ANSI = 1,
};

/*
 * Renders uri as text lines for a terminal, with a 4-module quiet zone.
 * *lines is a malloc'd array of *nlines malloc'd strings; free with
 * odin_qr_lines_free().  Returns ODIN_OK, ODIN_EINVAL, ODIN_ENOMEM.
 */
int odin_qr_text(const char *uri, enum odin_qr_style style, char ***lines, size_t *nlines);
void odin_qr_lines_free(char **lines, size_t nlines);

/*
 * The QR matrix of uri (error correction M, 8-bit mode), quiet zone
 * included, in memory of our own: dark[y * size + x] is 1 for a dark
 * module.  It encodes the secret: odin_qr_matrix_free() wipes it.
 * make returns ODIN_OK, ODIN_EINVAL (empty, >= ODIN_QR_URI_MAX bytes, too
 * long for a QR code), ODIN_ENOMEM or ODIN_EIO; on error m is empty.
 * dark() is 0 outside the matrix.  The renderers here and in qr_image.c use nothing else.
 * make (qr_encode.c) loads libqrencode (SONAME libqrencode.so.4) with
 * dlopen() for the call and unloads it after: the PAM module is loaded and
 * unloaded by libpam at every login, and mapping libqrencode each time
 * would cost more than the login itself while only an enrollment needs
 * it.  If it cannot be loaded: ODIN_EIO, logged.
 */
#define ODIN_QR_URI_MAX 2048	/* bytes, NUL included: the longest URI built, parsed or encoded */

struct odin_qr_matrix {
	int size;		/* modules per side, the 4-module quiet zone included */
	unsigned char *dark;	/* size * size bytes */
};
int odin_qr_matrix_make(const char *uri, struct odin_qr_matrix *m);
int odin_qr_matrix_dark(const struct odin_qr_matrix *m, int x, int y);
void odin_qr_matrix_free(struct odin_qr_matrix *m);

#endif
