/* SPDX-License-Identifier: ISC */
/*
 * Encryption of TOTP secrets at rest: AES-256-GCM (OpenSSL EVP) with a
 * 96-bit random nonce per sealing and the user name as associated data,
 * so a sealed secret copied onto another user's record fails to open.
 *
 * Sealed form (printable ASCII, fits one record line):
 *   "enc1:" HEX(nonce[12] || ciphertext[len] || tag[16])   lower-case hex
 *
 * The key lives only on the hosts, in secret_key_file: 64 hex digits
 * (32 bytes), optionally followed by one '\n'; the file must be a regular
 * file (not a symlink) owned by root with no group/other permission bits
 * (0600 or 0400).  Generate one with: umask 077; openssl rand -hex 32 > FILE
 */
#ifndef ODIN_CRYPT_H
#define ODIN_CRYPT_H

#include <stddef.h>
#include <stdint.h>

#define ODIN_KEY_LEN 32
#define ODIN_SEAL_PREFIX "enc1:"
#define ODIN_SEAL_NONCE 12
#define ODIN_SEAL_TAG 16
/* Text length of a sealed n-byte secret, without the NUL. */
#define ODIN_SEAL_TEXTLEN(n) (sizeof(ODIN_SEAL_PREFIX) - 1 + 2 * (ODIN_SEAL_NONCE + (n) + ODIN_SEAL_TAG))

struct odin_key {
	uint8_t k[ODIN_KEY_LEN];
};

/*
 * Loads the key from path.  Returns ODIN_OK, ODIN_ENOENT (missing),
 * ODIN_EUNSAFE (symlink, not regular, not root's, group/other bits),
 * ODIN_ECORRUPT (not exactly 64 hex digits [+ '\n']), ODIN_EIO/EPERM.
 * Each failure is logged with the reason (never the content).
 */
int odin_key_load(const char *path, struct odin_key *key);

/* Wipes the key. */
void odin_key_wipe(struct odin_key *key);

/* 1 if text (len bytes) starts with ODIN_SEAL_PREFIX. */
int odin_sealed(const char *text, size_t len);

/*
 * Seals secret (1..64 bytes) for user into out (outsz >=
 * ODIN_SEAL_TEXTLEN(len) + 1), NUL-terminated.  Returns ODIN_OK,
 * ODIN_EINVAL, ODIN_ECRYPTO, or ODIN_EIO (libcrypto could not be loaded:
 * logged).
 */
int odin_seal(const struct odin_key *key, const char *user,
    const uint8_t *secret, size_t len, char *out, size_t outsz);

/*
 * Opens a sealed text of textlen bytes for user into secret (size
 * secretsz), setting *len.  Returns ODIN_OK, ODIN_ECORRUPT (malformed
 * text), ODIN_ECRYPTO (wrong key, wrong user, tampered) or ODIN_EIO
 * (libcrypto could not be loaded: logged; nothing said of the record).  On failure
 * secret is wiped.
 */
int odin_unseal(const struct odin_key *key, const char *user,
    const char *text, size_t textlen, uint8_t *secret, size_t secretsz, size_t *len);

#endif
