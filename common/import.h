/* SPDX-License-Identifier: ISC */
/*
 * Recognises a secret brought over from another tool (admin import): an
 * otpauth://totp/ URI, a bare base32 secret, a google-authenticator state
 * file (~/.google_authenticator), or a pam_oath users-file line
 * ("HOTP/T30[/D] user - hexkey ...").  Pure parsing; no I/O.
 */
#ifndef ODIN_IMPORT_H
#define ODIN_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "otp.h"
#include "record.h"

enum odin_import_kind {
	ODIN_IMPORT_URI = 1,
	ODIN_IMPORT_BASE32 = 2,
	ODIN_IMPORT_GA = 3,
	ODIN_IMPORT_OATH = 4,
};

struct odin_import {
	enum odin_import_kind kind;
	uint8_t secret[ODIN_SECRET_MAX];
	size_t secret_len;
	enum odin_alg alg;
	unsigned digits;
	unsigned period;
	unsigned nscratch;
	char scratch[ODIN_BACKUP_MAX][17];	/* google-authenticator scratch codes */
};

/*
 * Parses len bytes of text (at most 64 KiB, else ODIN_ETOOBIG; a NUL byte
 * is ODIN_EINVAL).  user (may be NULL) selects the pam_oath line; with
 * NULL there must be exactly one.  Returns ODIN_OK, or ODIN_EINVAL with a reason in
 * *why (a static string; never contains input bytes) for anything that
 * cannot be carried over faithfully (HOTP counters, PINs, unknown form).
 * On success *why is NULL and *out holds the secret (out is wiped on any
 * failure); wipe *out with odin_wipe() after use.
 */
int odin_import_parse(const char *text, size_t len, const char *user,
    struct odin_import *out, const char **why);

const char *odin_import_kind_name(enum odin_import_kind k);

#endif
