/* SPDX-License-Identifier: ISC */
/*
 * odin_config_parse on arbitrary bytes (the file text; a hostile admin or
 * a corrupt file).  Whatever the result, good lines apply, so every field
 * must still be within the bounds config.h documents and every string
 * NUL-terminated inside its array; a group is unset or a valid group name
 * (user.h: directory groups like "domain users" or UTF-8 names too).
 */
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "err.h"
#include "fuzz.h"
#include "user.h"

FZ_QUIET_INIT()

static int
fz_printable(const char *s, size_t max)
{
	size_t n = strnlen(s, max);

	if (n == max)
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct odin_config c;
	int rc;

	odin_config_defaults(&c);
	rc = odin_config_parse((const char *)data, size, "fuzz", &c);
	FZ_CHECK(rc == ODIN_OK || rc == ODIN_ECORRUPT || rc == ODIN_ENOMEM || rc == ODIN_ETOOBIG ||
	    rc == ODIN_EINVAL);
	FZ_CHECK(fz_printable(c.store_dir, sizeof(c.store_dir)) && c.store_dir[0] == '/');
	FZ_CHECK(c.window <= 10);
	FZ_CHECK(c.max_failures >= 1 && c.max_failures <= 1000);
	FZ_CHECK(c.lockout_seconds >= 1 && c.lockout_seconds <= 86400);
	FZ_CHECK(c.lockout_max_seconds >= 1 && c.lockout_max_seconds <= 604800);
	FZ_CHECK(strnlen(c.enforce_group, sizeof(c.enforce_group)) < sizeof(c.enforce_group) &&
	    (c.enforce_group[0] == '\0' || odin_group_valid(c.enforce_group)));
	FZ_CHECK(strnlen(c.admin_group, sizeof(c.admin_group)) < sizeof(c.admin_group) &&
	    (c.admin_group[0] == '\0' || odin_group_valid(c.admin_group)));
	FZ_CHECK(fz_printable(c.issuer, sizeof(c.issuer)) && c.issuer[0] != '\0' &&
	    strchr(c.issuer, ':') == NULL);
	FZ_CHECK(c.backup_codes >= 1 && c.backup_codes <= 20);
	FZ_CHECK(c.skew_steps <= 240);
	FZ_CHECK(c.echo_code == 0 || c.echo_code == 1);
	FZ_CHECK(c.no_enroll == 0 || c.no_enroll == 1);
	FZ_CHECK(c.debug == 0 || c.debug == 1);
	FZ_CHECK(c.forward_pass == 0 || c.forward_pass == 1);
	return 0;
}
