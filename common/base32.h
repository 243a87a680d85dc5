/* SPDX-License-Identifier: ISC */
/* RFC 4648 base32, the alphabet every authenticator app expects. Pure. */
#ifndef ODIN_BASE32_H
#define ODIN_BASE32_H

#include <stddef.h>
#include <stdint.h>

/* Characters needed to encode n bytes without padding (no NUL). */
size_t odin_base32_enclen(size_t n);

/*
 * Encodes n bytes as upper-case base32 without '=' padding into out
 * (outsz must hold odin_base32_enclen(n) + 1).  Returns ODIN_OK or ODIN_EINVAL.
 */
int odin_base32_encode(const uint8_t *in, size_t n, char *out, size_t outsz);

/*
 * Decodes base32 text: case-insensitive, ASCII spaces ignored, trailing '='
 * padding optional but if present it must be correct.  Anything else (other
 * characters, '=' in the middle, an impossible length, non-zero trailing
 * bits) is ODIN_EINVAL.  Writes at most outsz bytes; ODIN_ETOOBIG if more
 * would be needed.  On success *outlen is the decoded length.  On failure
 * out is wiped.
 */
int odin_base32_decode(const char *in, uint8_t *out, size_t outsz, size_t *outlen);

/*
 * Formats the key for manual entry: upper-case groups of 4 separated by
 * single spaces ("JBSW Y3DP EHPK 3PXP").  outsz must be at least
 * enclen + enclen/4 + 1.  Returns ODIN_OK or ODIN_EINVAL.
 */
int odin_base32_grouped(const uint8_t *in, size_t n, char *out, size_t outsz);

/*
 * RFC 4648 base16 in lower case, the form of hashes, salts and sealed
 * secrets in records and rows: writes 2n digits and a NUL to out, which
 * must hold 2n + 1 bytes.
 */
void odin_base16_encode(const uint8_t *in, size_t n, char *out);

/* The reverse: exactly 2n lower-case hex digits (len of them) into n bytes; ODIN_OK or ODIN_EINVAL. */
int odin_base16_decode(const char *in, size_t len, uint8_t *out, size_t n);

#endif
