/* SPDX-License-Identifier: ISC */
/*
 * The QR code of an otpauth:// URI as a PNG (libpng) or SVG file, for the
 * CLI's --png/--svg.  Kept out of qr.c so that only the CLI links libpng:
 * the PAM module never writes an image.  Every buffer holding modules is
 * wiped before it is freed (the modules encode the secret).
 */
#include "autoconfig.h"

#include <errno.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>

#include "err.h"
#include "qr.h"
#include "qr_image.h"
#include "secure.h"

#define QR_PNG_SCALE 8

static int
qr_write_all(int fd, const void *buf, size_t n)
{
	const char *p = buf;
	ssize_t r;

	while (n > 0) {
		r = write(fd, p, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return odin_err_from_errno(r < 0 ? errno : EIO);
		p += r;
		n -= (size_t)r;
	}
	return ODIN_OK;
}

struct qr_png_ctx {
	int fd;
	int rc;
};

static void
qr_png_write(png_structp png, png_bytep data, size_t len)
{
	struct qr_png_ctx *ctx = png_get_io_ptr(png);

	if (ctx->rc == ODIN_OK)
		ctx->rc = qr_write_all(ctx->fd, data, len);
	if (ctx->rc != ODIN_OK)
		png_error(png, "write failed");
}

static void
qr_png_flush(png_structp png)
{
	(void)png;
}

/* libpng's diagnostics would go to stderr: keep quiet, the return code tells. */
static void
qr_png_error(png_structp png, png_const_charp msg)
{
	(void)msg;
	png_longjmp(png, 1);
}

static void
qr_png_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

/*
 * 1-bit greyscale at 8 pixels per module: one module is exactly one byte
 * of a row (0x00 dark, 0xff light).
 */
static int
qr_png_emit(const struct odin_qr_matrix *m, struct qr_png_ctx *ctx, png_bytep row)
{
	png_structp png;
	png_infop info = NULL;
	int x, y, k;

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, qr_png_error, qr_png_warning);
	if (png == NULL)
		return ODIN_ENOMEM;
	if ((info = png_create_info_struct(png)) == NULL) {
		png_destroy_write_struct(&png, NULL);
		return ODIN_ENOMEM;
	}
	if (setjmp(png_jmpbuf(png))) {
		png_destroy_write_struct(&png, &info);
		return ctx->rc != ODIN_OK ? ctx->rc : ODIN_EIO;
	}
	png_set_write_fn(png, ctx, qr_png_write, qr_png_flush);
	png_set_IHDR(png, info, (png_uint_32)(m->size * QR_PNG_SCALE),
	    (png_uint_32)(m->size * QR_PNG_SCALE), 1, PNG_COLOR_TYPE_GRAY,
	    PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	for (y = 0; y < m->size; y++) {
		for (x = 0; x < m->size; x++)
			row[x] = odin_qr_matrix_dark(m, x, y) ? 0x00 : 0xff;
		for (k = 0; k < QR_PNG_SCALE; k++)
			png_write_row(png, row);
	}
	png_write_end(png, info);
	png_destroy_write_struct(&png, &info);
	return ODIN_OK;
}

int
odin_qr_png(const char *uri, int fd)
{
	struct odin_qr_matrix m = { 0, NULL };
	struct qr_png_ctx ctx;
	png_bytep row;
	int rc;

	if (fd < 0)
		return ODIN_EINVAL;
	if ((rc = odin_qr_matrix_make(uri, &m)) != ODIN_OK)
		return rc;
	if ((row = malloc((size_t)m.size)) == NULL) {
		odin_qr_matrix_free(&m);
		return ODIN_ENOMEM;
	}
	ctx.fd = fd;
	ctx.rc = ODIN_OK;
	rc = qr_png_emit(&m, &ctx, row);
	odin_free_wipe(row, (size_t)m.size);
	odin_qr_matrix_free(&m);
	return rc;
}

int
odin_qr_svg(const char *uri, int fd)
{
	struct odin_qr_matrix m = { 0, NULL };
	char *buf = NULL;
	size_t cap, pos = 0;
	int x, y, run, n, rc;

	if (fd < 0)
		return ODIN_EINVAL;
	if ((rc = odin_qr_matrix_make(uri, &m)) != ODIN_OK)
		return rc;
	/* Header and footer, plus at most one "M..h..v1h-..z" per module. */
	cap = 512 + (size_t)m.size * (size_t)m.size * 32;
	if ((buf = malloc(cap)) == NULL) {
		rc = ODIN_ENOMEM;
		goto out;
	}
	n = snprintf(buf, cap,
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">\n"
	    "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\" stroke=\"none\"/>\n"
	    "<path fill=\"#000000\" stroke=\"none\" d=\"",
	    m.size * QR_PNG_SCALE, m.size * QR_PNG_SCALE, m.size, m.size, m.size, m.size);
	if (n < 0 || (size_t)n >= cap) {
		rc = ODIN_EINVAL;
		goto out;
	}
	pos = (size_t)n;
	/* One sub-path per horizontal run of dark modules. */
	for (y = 0; y < m.size; y++) {
		for (x = 0; x < m.size; x += run > 0 ? run : 1) {
			for (run = 0; x + run < m.size && odin_qr_matrix_dark(&m, x + run, y); run++)
				;
			if (run == 0)
				continue;
			n = snprintf(buf + pos, cap - pos, "M%d %dh%dv1h-%dz", x, y, run, run);
			if (n < 0 || (size_t)n >= cap - pos) {
				rc = ODIN_EINVAL;
				goto out;
			}
			pos += (size_t)n;
		}
	}
	n = snprintf(buf + pos, cap - pos, "\"/>\n</svg>\n");
	if (n < 0 || (size_t)n >= cap - pos) {
		rc = ODIN_EINVAL;
		goto out;
	}
	pos += (size_t)n;
	rc = qr_write_all(fd, buf, pos);
out:
	odin_free_wipe(buf, buf != NULL ? cap : 0);
	odin_qr_matrix_free(&m);
	return rc;
}
