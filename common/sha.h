/* SPDX-License-Identifier: ISC */
/*
 * SHA-1, SHA-256 and SHA-512 (FIPS 180-4), HMAC over them (RFC 2104) and
 * PBKDF2-HMAC-SHA256 (RFC 8018), for otp.c, backup.c and onetime.c.
 *
 * Why not libcrypto: a login in su or sudo is a fresh process that has
 * not loaded it, and loading plus initialising OpenSSL 3 for one HMAC
 * costs more than the whole rest of a login (bench/RESULTS.md, the fresh
 * process rows).  These are the plain reference algorithms: no table
 * indexed by secret data, no branch on it.  tests/check_sha.c holds them
 * to the FIPS 180 and RFC 2202/4231/7914 vectors and to OpenSSL on random
 * input.
 */
#ifndef ODIN_SHA_H
#define ODIN_SHA_H

#include <stddef.h>
#include <stdint.h>

enum odin_hash { ODIN_SHA1 = 0, ODIN_SHA256 = 1, ODIN_SHA512 = 2 };

#define ODIN_HASH_MAX 64	/* the longest digest (SHA-512) */

/* Digest length in bytes (20, 32, 64); 0 for an unknown value. */
size_t odin_hash_len(enum odin_hash h);

/* One-shot digest of msg into out (odin_hash_len(h) bytes). ODIN_OK or ODIN_EINVAL. */
int odin_hash(enum odin_hash h, const void *msg, size_t len, uint8_t *out);

/* HMAC of msg under key into out (odin_hash_len(h) bytes). ODIN_OK or ODIN_EINVAL. */
int odin_hmac(enum odin_hash h, const void *key, size_t keylen,
    const void *msg, size_t msglen, uint8_t *out);

/*
 * HMACs under one key of the n 8-byte big-endian counters first,
 * first + 1, ..., first + n - 1 (the steps of a TOTP window; the caller
 * keeps first + n - 1 from wrapping): the key's two blocks are hashed
 * once, not once per counter.  out holds n digests of odin_hash_len(h)
 * bytes, in order.  ODIN_OK or ODIN_EINVAL (n = 0 included).
 */
int odin_hmac_counters(enum odin_hash h, const void *key, size_t keylen,
    uint64_t first, size_t n, uint8_t *out);

/*
 * PBKDF2 with HMAC-SHA256: iter >= 1 iterations, outlen bytes (1..1024)
 * into out (which may overlap the inputs).  ODIN_OK or ODIN_EINVAL; on
 * error an out of 1..1024 bytes is wiped.
 */
int odin_pbkdf2_sha256(const void *pw, size_t pwlen, const uint8_t *salt,
    size_t saltlen, unsigned iter, uint8_t *out, size_t outlen);

#endif
