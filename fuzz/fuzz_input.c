/* SPDX-License-Identifier: ISC */
/*
 * What a user types at the prompt: odin_input_classify and
 * odin_backup_normalise.  data[0] picks digits (5..9, so out-of-range
 * values run too), data[1] the output size (1..40).  Properties:
 *   - nothing is written past outsz and out is always NUL-terminated;
 *   - INVALID leaves out == "";
 *   - TOTP: out is exactly `digits` ASCII digits, digits in 6..8;
 *   - BACKUP: out is 8 digits (digits != 8) or a normalised backup code;
 *   - classifying out again gives the same kind and the same text;
 *   - a code odin_backup_normalise accepts is classified BACKUP with the
 *     same normal form, and normalising that form is the identity.
 */
#include <stdint.h>
#include <string.h>

#include "backup.h"
#include "err.h"
#include "fuzz.h"
#include "onetime.h"
#include "otp.h"

static int
fz_all_digits(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int
fz_backup_form(const char *s)
{
	static const char alpha[] = "0123456789abcdefghjkmnpqrstvwxyz";
	int letter = 0;

	if (strlen(s) != ODIN_BACKUP_CODE_LEN)
		return 0;
	for (; *s != '\0'; s++) {
		if (strchr(alpha, *s) == NULL)
			return 0;
		letter |= *s >= 'a';
	}
	return letter;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[48], again[48], norm[ODIN_BACKUP_CODE_LEN + 1], norm2[ODIN_BACKUP_CODE_LEN + 1];
	enum odin_input_kind k, k2;
	unsigned digits;
	size_t outsz, i;
	char *in;

	if (size < 2)
		return 0;
	digits = 5 + data[0] % 5;
	outsz = 1 + data[1] % 40;
	if ((in = fz_cstr(data + 2, size - 2)) == NULL)
		return 0;
	memset(buf, 0x5a, sizeof(buf));
	k = odin_input_classify(in, digits, buf, outsz);
	for (i = outsz; i < sizeof(buf); i++)
		FZ_CHECK(buf[i] == 0x5a);
	FZ_CHECK(strnlen(buf, outsz) < outsz);
	switch (k) {
	case ODIN_INPUT_INVALID:
		FZ_CHECK(buf[0] == '\0');
		break;
	case ODIN_INPUT_TOTP:
		FZ_CHECK(digits >= ODIN_DIGITS_MIN && digits <= ODIN_DIGITS_MAX);
		FZ_CHECK(strlen(buf) == digits && fz_all_digits(buf));
		break;
	case ODIN_INPUT_BACKUP:
		FZ_CHECK((digits != 8 && strlen(buf) == 8 && fz_all_digits(buf)) || fz_backup_form(buf));
		break;
	case ODIN_INPUT_BYPASS:
		FZ_CHECK(strlen(buf) == ODIN_BYPASS_LEN);
		for (i = 0; buf[i] != '\0'; i++)
			FZ_CHECK(strchr("0123456789abcdefghjkmnpqrstvwxyz", buf[i]) != NULL);
		break;
	default:
		FZ_CHECK(0);
	}
	if (k != ODIN_INPUT_INVALID) {
		k2 = odin_input_classify(buf, digits, again, sizeof(again));
		FZ_CHECK(k2 == k && strcmp(again, buf) == 0);
	}

	memset(norm, 0x5a, sizeof(norm));
	if (odin_backup_normalise(in, norm, sizeof(norm)) == ODIN_OK) {
		FZ_CHECK(fz_backup_form(norm));
		FZ_CHECK(odin_backup_normalise(norm, norm2, sizeof(norm2)) == ODIN_OK);
		FZ_CHECK(strcmp(norm, norm2) == 0);
		k2 = odin_input_classify(in, digits, again, sizeof(again));
		FZ_CHECK(k2 == ODIN_INPUT_BACKUP && strcmp(again, norm) == 0);
	} else
		FZ_CHECK(norm[0] == '\0');
	free(in);
	return 0;
}
