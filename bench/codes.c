/* SPDX-License-Identifier: ISC */
/*
 * bench/codes.c -- the benchmark's TOTP oracle, a process of its own.
 *
 * bench-driver asks it, one line per question on stdin, for a user's
 * secret ("k USER": 40 hex digits) or code ("t USER STEP": 6 digits).
 * It is a separate program so that the driver, in whose process every
 * module is timed, never maps or initialises libcrypto: a module that
 * needs libcrypto must pay for loading it, as it does in su or sudo.
 * HMAC-SHA1 is OpenSSL's and the RFC 4226 truncation is written here,
 * sharing nothing with common/, so a bug there cannot hide itself here.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#define SECRET_LEN 20

static void
secret_of(unsigned user, uint8_t key[SECRET_LEN])
{
	static const char seed[] = "odin-mfa bench secret";
	uint8_t msg[4] = { (uint8_t)(user >> 24), (uint8_t)(user >> 16),
	    (uint8_t)(user >> 8), (uint8_t)user };
	unsigned len = SECRET_LEN;

	if (HMAC(EVP_sha1(), seed, sizeof(seed) - 1, msg, sizeof(msg), key, &len) == NULL ||
	    len != SECRET_LEN)
		exit(1);
}

/* RFC 4226 section 5.3 with HMAC-SHA1; 6 digits. */
static unsigned
totp(const uint8_t key[SECRET_LEN], int64_t step)
{
	uint8_t c[8], mac[EVP_MAX_MD_SIZE];
	unsigned len = 0, off;
	uint32_t bin;
	int i;

	for (i = 7; i >= 0; i--) {
		c[i] = (uint8_t)(step & 0xff);
		step >>= 8;
	}
	if (HMAC(EVP_sha1(), key, SECRET_LEN, c, sizeof(c), mac, &len) == NULL || len != 20)
		exit(1);
	off = mac[19] & 0x0f;
	bin = ((uint32_t)(mac[off] & 0x7f) << 24) | ((uint32_t)mac[off + 1] << 16) |
	    ((uint32_t)mac[off + 2] << 8) | mac[off + 3];
	return bin % 1000000;
}

int
main(void)
{
	char line[128];
	uint8_t key[SECRET_LEN];
	unsigned user;
	int64_t step;
	int i;

	while (fgets(line, sizeof(line), stdin) != NULL) {
		if (sscanf(line, "k %u", &user) == 1) {
			secret_of(user, key);
			for (i = 0; i < SECRET_LEN; i++)
				printf("%02x", key[i]);
			printf("\n");
		} else if (sscanf(line, "t %u %" SCNd64, &user, &step) == 2) {
			secret_of(user, key);
			printf("%06u\n", totp(key, step));
		} else {
			return 1;
		}
		fflush(stdout);
	}
	return 0;
}
