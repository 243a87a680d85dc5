/* SPDX-License-Identifier: ISC */
/*
 * The only user of libqrencode.  It is not linked: su, sudo and sshd load
 * pam_odin.so in a fresh process for every login, and mapping and
 * relocating libqrencode there cost more than half of a login that never
 * draws a QR code.  So it is dlopen()ed here by its SONAME (the system's library
 * search, as for a DT_NEEDED entry: LD_LIBRARY_PATH is ignored in a setuid
 * or otherwise secure process), used for one encoding, and unloaded.
 * qrencode.h is used at compile time only, for the types and constants.
 */
#include "autoconfig.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <qrencode.h>

#include "err.h"
#include "log.h"
#include "qr.h"
#include "secure.h"

#define QR_SONAME "libqrencode.so.4"
#define QR_QUIET 4

typedef QRcode *(*qr_encode_fn)(const char *, int, QRecLevel, QRencodeMode, int);
typedef void (*qr_free_fn)(QRcode *);

int
odin_qr_matrix_make(const char *uri, struct odin_qr_matrix *m)
{
	union { void *p; qr_encode_fn f; } encode;	/* dlsym() gives an object pointer */
	union { void *p; qr_free_fn f; } qfree;
	QRcode *qr;
	void *h;
	size_t n;
	int w, x, y, e;

	if (m == NULL)
		return ODIN_EINVAL;
	m->size = 0;
	m->dark = NULL;
	if (uri == NULL || *uri == '\0' || strlen(uri) >= ODIN_QR_URI_MAX)
		return ODIN_EINVAL;
	if ((h = dlopen(QR_SONAME, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		const char *why = dlerror();

		odin_log(LOG_ERR, "cannot load %s for the QR code: %s", QR_SONAME, why != NULL ? why : "?");
		return ODIN_EIO;
	}
	encode.p = dlsym(h, "QRcode_encodeString");
	qfree.p = dlsym(h, "QRcode_free");
	if (encode.p == NULL || qfree.p == NULL) {
		odin_log(LOG_ERR, "%s lacks QRcode_encodeString/QRcode_free", QR_SONAME);
		(void)dlclose(h);
		return ODIN_EIO;
	}
	errno = 0;
	/* 8-bit mode, case-sensitive: the URI goes in byte for byte. */
	qr = encode.f(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (qr == NULL) {
		e = errno;
		(void)dlclose(h);
		return e == ENOMEM ? ODIN_ENOMEM : ODIN_EINVAL;
	}
	w = qr->width;
	m->size = w + 2 * QR_QUIET;
	n = (size_t)m->size * (size_t)m->size;
	if ((m->dark = calloc(n, 1)) != NULL) {
		for (y = 0; y < w; y++)
			for (x = 0; x < w; x++)
				m->dark[(size_t)(y + QR_QUIET) * (size_t)m->size + (size_t)(x + QR_QUIET)] =
				    qr->data[y * w + x] & 1;
	}
	odin_wipe(qr->data, (size_t)w * (size_t)w);
	qfree.f(qr);
	(void)dlclose(h);
	if (m->dark == NULL) {
		m->size = 0;
		return ODIN_ENOMEM;
	}
	return ODIN_OK;
}
