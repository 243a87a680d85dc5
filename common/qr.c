/* SPDX-License-Identifier: ISC */
/*
 * The QR matrix of an otpauth URI (otpauth.c) and its terminal
 * renderings.  The PNG and SVG writers live in qr_image.c (the only user
 * of libpng, linked into the CLI alone).
 *
 * Every buffer here holds the secret in some form (the URI, the QR
 * modules, the rendered lines, PNG rows, SVG text), so each one is wiped
 * before it is freed.  libqrencode's own scratch memory is out of reach.
 * The matrix itself comes from qr_encode.c, the only user of libqrencode,
 * which loads it only while it encodes.
 *
 * Terminal renderings:
 *  - ODIN_QR_UTF8 uses no escape sequences.  Light modules (and the 4-module
 *    quiet zone) are drawn with glyphs ('\u2588', '\u2580', '\u2584'), dark
 *    modules are spaces, two module rows per text line.  On the usual dark
 *    terminal (light text on black) this shows dark modules on a light
 *    field, which is what a phone expects.  On a light terminal it shows
 *    the negative image, which many (not all) scanners read too; ANSI is
 *    the style that scans everywhere.
 *  - ODIN_QR_ANSI paints every module explicitly with a background colour
 *    (ESC[47m light, ESC[40m dark), two spaces per module, one module row
 *    per line, reset (ESC[0m) at the end of each line: it does not depend
 *    on the terminal's own colours.
 */
#include "autoconfig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base32.h"
#include "err.h"
#include "qr.h"
#include "secure.h"

#define QR_URI_MAX ODIN_QR_URI_MAX

/* ---- QR matrix (made by qr_encode.c) ----------------------------------- */

static int
qr_dark(const struct odin_qr_matrix *m, int x, int y)
{
	if (x < 0 || y < 0 || x >= m->size || y >= m->size)
		return 0;
	return m->dark[(size_t)y * (size_t)m->size + (size_t)x];
}

int
odin_qr_matrix_dark(const struct odin_qr_matrix *m, int x, int y)
{
	return qr_dark(m, x, y);
}

void
odin_qr_matrix_free(struct odin_qr_matrix *m)
{
	if (m == NULL)
		return;
	odin_free_wipe(m->dark, (size_t)m->size * (size_t)m->size);
	m->dark = NULL;
	m->size = 0;
}

/* ---- terminal --------------------------------------------------------- */

void
odin_qr_lines_free(char **lines, size_t nlines)
{
	size_t i;

	if (lines == NULL)
		return;
	for (i = 0; i < nlines; i++)
		odin_free_str(lines[i]);
	free(lines);
}

static char *
qr_line_utf8(const struct odin_qr_matrix *m, int y)
{
	static const char full[] = "\xe2\x96\x88", upper[] = "\xe2\x96\x80", lower[] = "\xe2\x96\x84";
	char *s, *o;
	int x, top, bottom;

	if ((s = malloc((size_t)m->size * 3 + 1)) == NULL)
		return NULL;
	o = s;
	for (x = 0; x < m->size; x++) {
		/* Glyph = light.  The half row below the last one is the terminal's dark. */
		top = !qr_dark(m, x, y);
		bottom = y + 1 < m->size ? !qr_dark(m, x, y + 1) : 0;
		if (top && bottom)
			memcpy(o, full, 3), o += 3;
		else if (top)
			memcpy(o, upper, 3), o += 3;
		else if (bottom)
			memcpy(o, lower, 3), o += 3;
		else
			*o++ = ' ';
	}
	*o = '\0';
	return s;
}

#define ANSI_LIGHT "\x1b[47m"
#define ANSI_DARK "\x1b[40m"
#define ANSI_RESET "\x1b[0m"

static char *
qr_line_ansi(const struct odin_qr_matrix *m, int y)
{
	char *s, *o;
	int x, d, cur = -1;

	/* Worst case: a colour change before every module. */
	if ((s = malloc((size_t)m->size * (sizeof(ANSI_LIGHT) - 1 + 2) + sizeof(ANSI_RESET))) == NULL)
		return NULL;
	o = s;
	for (x = 0; x < m->size; x++) {
		d = qr_dark(m, x, y);
		if (d != cur) {
			memcpy(o, d ? ANSI_DARK : ANSI_LIGHT, sizeof(ANSI_DARK) - 1);
			o += sizeof(ANSI_DARK) - 1;
			cur = d;
		}
		*o++ = ' ';
		*o++ = ' ';
	}
	memcpy(o, ANSI_RESET, sizeof(ANSI_RESET));
	return s;
}

int
odin_qr_text(const char *uri, enum odin_qr_style style, char ***lines, size_t *nlines)
{
	struct odin_qr_matrix m = { 0, NULL };
	char **out = NULL;
	size_t n = 0, cap;
	int y, rc;

	if (lines == NULL || nlines == NULL)
		return ODIN_EINVAL;
	*lines = NULL;
	*nlines = 0;
	if (style != ODIN_QR_UTF8 && style != ODIN_QR_ANSI)
		return ODIN_EINVAL;
	if ((rc = odin_qr_matrix_make(uri, &m)) != ODIN_OK)
		return rc;
	cap = style == ODIN_QR_UTF8 ? (size_t)(m.size + 1) / 2 : (size_t)m.size;
	if ((out = calloc(cap, sizeof(*out))) == NULL) {
		rc = ODIN_ENOMEM;
		goto out;
	}
	for (y = 0; y < m.size; y += style == ODIN_QR_UTF8 ? 2 : 1) {
		out[n] = style == ODIN_QR_UTF8 ? qr_line_utf8(&m, y) : qr_line_ansi(&m, y);
		if (out[n] == NULL) {
			odin_qr_lines_free(out, n);
			rc = ODIN_ENOMEM;
			goto out;
		}
		n++;
	}
	*lines = out;
	*nlines = n;
	rc = ODIN_OK;
out:
	odin_qr_matrix_free(&m);
	return rc;
}
