/* SPDX-License-Identifier: ISC */
/*
 * The QR code of an otpauth:// URI as an image file (qr_image.c, libpng).
 * Linked into the CLI only (common/libodin_image.la): the PAM module
 * renders QR codes as text (qr.h) and must not load libpng.
 */
#ifndef ODIN_QR_IMAGE_H
#define ODIN_QR_IMAGE_H

/*
 * Writes a PNG (1-bit greyscale, 8 px per module, 4-module quiet zone) to
 * the open fd.  Returns ODIN_OK, ODIN_EINVAL, ODIN_ENOMEM or a write error
 * (odin_err_from_errno).
 */
int odin_qr_png(const char *uri, int fd);

/* Writes an SVG (white rect, one black path, 4-module quiet zone, 8 px per module) to the open fd; returns as odin_qr_png. */
int odin_qr_svg(const char *uri, int fd);

#endif
