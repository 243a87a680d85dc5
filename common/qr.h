/* SPDX-License-Identifier: ISC */
/*
 * QR renderings of an otpauth URI (otpauth.h) for the terminal.  Only
 * enrollment needs this file.  PNG and SVG: qr_image.h (libpng; the CLI
 * only).
 */
#ifndef ODIN_QR_H
#define ODIN_QR_H

#include <stddef.h>
#include <stdint.h>

#include "otpauth.h"

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
 * dlopen() for the call and unloads it after: su, sudo and sshd load the
 * PAM module in a fresh process for every login, and mapping libqrencode
 * there would cost more than the login itself while only an enrollment
 * needs it.  If it cannot be loaded: ODIN_EIO, logged.
 */
#define ODIN_QR_URI_MAX ODIN_OTPAUTH_URI_MAX	/* the longest URI encoded */

struct odin_qr_matrix {
	int size;		/* modules per side, the 4-module quiet zone included */
	unsigned char *dark;	/* size * size bytes */
};
int odin_qr_matrix_make(const char *uri, struct odin_qr_matrix *m);
int odin_qr_matrix_dark(const struct odin_qr_matrix *m, int x, int y);
void odin_qr_matrix_free(struct odin_qr_matrix *m);

#endif
