/* SPDX-License-Identifier: ISC */
/*
 * The only callers of the low-level secret-handling primitives.
 */
#ifndef ODIN_SECURE_H
#define ODIN_SECURE_H

#include <stddef.h>

/* Overwrites n bytes at p in a way the compiler cannot elide. p may be NULL if n is 0. */
void odin_wipe(void *p, size_t n);

/* Wipes then frees a NUL-terminated string; NULL is fine. */
void odin_free_str(char *s);

/* Wipes n bytes then frees p; NULL is fine. */
void odin_free_wipe(void *p, size_t n);

/* Fills buf with n bytes from the OpenSSL CSPRNG (seeded by the kernel).  Returns ODIN_OK or ODIN_ECRYPTO. */
int odin_random(void *buf, size_t n);

/*
 * Memory for secrets: zero-filled, excluded from core dumps
 * (MADV_DONTDUMP) and, where the limits allow, locked in RAM so it never
 * reaches swap (mlock; best effort: a refused lock is not an error).
 * Blocks come from one arena of ODIN_SECURE_ARENA bytes mapped at the first call (a larger
 * request, or one the arena cannot hold, gets pages of its own); the
 * arena is unmapped at exit (or should its code be unloaded), and locked
 * again in a child of fork() as it starts (a child inherits no lock).
 * Returns NULL when out of memory.  odin_secure_free() wipes the block at once; NULL is
 * fine.  For the few buffers that hold a secret in clear (a record, a
 * record's text, a key), not for small or frequent allocations.
 */
#define ODIN_SECURE_ARENA (16 * 1024)
void *odin_secure_alloc(size_t n);
void odin_secure_free(void *p);

/* Returns 1 if the n bytes at a and b are equal, else 0; time depends only on n. */
int odin_ct_equal(const void *a, const void *b, size_t n);

#endif
