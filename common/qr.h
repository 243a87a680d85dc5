/* SPDX-License-Identifier: ISC */
/*
 * otpauth:// URIs (Key Uri Format) and QR renderings of them for the
 * terminal, PNG and SVG.  Only enrollment needs this file.
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
 * Parses an otpauth://totp/ URI strictly (hotp, unknown algorithm, bad
 * digits/period, missing or bad secret: ODIN_EINVAL).  Wipe p after use.
 */
int odin_otpauth_parse(const char *uri, struct odin_otpauth *p);

enum odin_qr_style {
	ODIN_QR_UTF8 = 0,	/* half blocks, dark modules on light quiet zone */
	ODIN_QR_ANSI = 1,	/* ANSI black/white background cells, two columns per module */
};

/*
 * Renders uri as text lines for a terminal, with a 4-module quiet zone.
 * *lines is a malloc'd array of *nlines malloc'd strings; free with
 * odin_qr_lines_free().  Returns ODIN_OK, ODIN_EINVAL, ODIN_ENOMEM.
 */
int odin_qr_text(const char *uri, enum odin_qr_style style, char ***lines, size_t *nlines);
void odin_qr_lines_free(char **lines, size_t nlines);

/* Writes a PNG (8 px per module, 4-module quiet zone) to the open fd. */
int odin_qr_png(const char *uri, int fd);

/* Writes an SVG to the open fd. */
int odin_qr_svg(const char *uri, int fd);

#endif
