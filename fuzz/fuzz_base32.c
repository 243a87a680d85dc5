/* SPDX-License-Identifier: ISC */
/*
 * odin_base32_decode and odin_base32_encode.  The first byte picks the
 * output buffer size (0..64) so that ODIN_ETOOBIG paths run too.
 * Properties:
 *   - decode success: *outlen <= outsz, and encoding the bytes gives the
 *     input with spaces dropped, upper-cased and '=' padding removed;
 *   - decode failure: the output buffer is all zero (wiped);
 *   - encode then decode of the raw input bytes is the identity, and
 *     odin_base32_grouped is the encoding in groups of 4.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "err.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t out[64], back[1024];
	char *in, *enc, *canon, *grp;
	size_t outsz, outlen = 0, i, k, elen, blen = 0;
	int rc;

	if (size < 1 || size > 1024)
		return 0;
	outsz = data[0] % (sizeof(out) + 1);
	if ((in = fz_cstr(data + 1, size - 1)) == NULL)
		return 0;
	memset(out, 0xa5, sizeof(out));
	rc = odin_base32_decode(in, out, outsz, &outlen);
	if (rc == ODIN_OK) {
		FZ_CHECK(outlen <= outsz);
		elen = odin_base32_enclen(outlen);
		enc = malloc(elen + 1);
		canon = malloc(strlen(in) + 1);
		FZ_CHECK(enc != NULL && canon != NULL);
		FZ_CHECK(odin_base32_encode(out, outlen, enc, elen + 1) == ODIN_OK);
		FZ_CHECK(strlen(enc) == elen);
		for (i = 0, k = 0; in[i] != '\0'; i++)
			if (in[i] != ' ' && in[i] != '=')
				canon[k++] = (char)toupper((unsigned char)in[i]);
		canon[k] = '\0';
		FZ_CHECK(strcmp(enc, canon) == 0);
		free(enc);
		free(canon);
	} else {
		FZ_CHECK(rc == ODIN_EINVAL || rc == ODIN_ETOOBIG);
		for (i = 0; i < outsz; i++)
			FZ_CHECK(out[i] == 0);
	}
	free(in);

	/* Encode round trip of the raw bytes. */
	elen = odin_base32_enclen(size);
	enc = malloc(elen + 1);
	grp = malloc(elen + elen / 4 + 1);
	FZ_CHECK(enc != NULL && grp != NULL);
	FZ_CHECK(odin_base32_encode(data, size, enc, elen + 1) == ODIN_OK);
	FZ_CHECK(strlen(enc) == elen);
	FZ_CHECK(odin_base32_encode(data, size, enc, elen) != ODIN_OK);	/* one byte short */
	FZ_CHECK(odin_base32_decode(enc, back, sizeof(back), &blen) == ODIN_OK);
	FZ_CHECK(blen == size && memcmp(back, data, size) == 0);
	FZ_CHECK(odin_base32_grouped(data, size, grp, elen + elen / 4 + 1) == ODIN_OK);
	for (i = 0, k = 0; grp[i] != '\0'; i++) {
		if (i % 5 == 4) {
			FZ_CHECK(grp[i] == ' ');
			continue;
		}
		FZ_CHECK(k < elen && grp[i] == enc[k]);
		k++;
	}
	FZ_CHECK(k == elen && (i == 0 || grp[i - 1] != ' '));
	FZ_CHECK(odin_base32_decode(grp, back, sizeof(back), &blen) == ODIN_OK);
	FZ_CHECK(blen == size && memcmp(back, data, size) == 0);
	free(enc);
	free(grp);
	return 0;
}
