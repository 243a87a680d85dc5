/* SPDX-License-Identifier: ISC */
#include "autoconfig.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#define ODIN_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ODIN_ASAN 1
#endif
#endif
#ifdef ODIN_ASAN
#include <sanitizer/asan_interface.h>
#endif

#include "err.h"
#include "secure.h"

void
odin_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void
odin_free_wipe(void *p, size_t n)
{
	if (p == NULL)
		return;
	odin_wipe(p, n);
	free(p);
}

void
odin_free_str(char *s)
{
	if (s == NULL)
		return;
	odin_free_wipe(s, strlen(s));
}

/*
 * Secret memory comes from one arena per process: a single mapping,
 * excluded from core dumps and locked once, cut into chunks first-fit.
 * The PAM module is marked NODELETE (Makefile.am), so in a long-lived
 * application the arena serves every login after the first.  A child of
 * fork() inherits the mapping but not its lock (mlock(2)): the fork
 * handlers hold the arena's mutex across the fork (so that no child
 * starts with it taken by a thread that is not there) and lock the
 * child's arena again at once.  A login needs a handful of blocks (the
 * store's read buffer, the account's records, the transaction's copy);
 * one mapping for all of them costs three system calls once per process
 * and one munmap at exit, where a mapping per block cost five
 * calls and a TLB flush each (issue 14).  A request the arena cannot
 * hold gets a mapping of its own, as before.
 *
 * Every chunk starts with a 16-byte header: its whole length (header
 * included, a multiple of 16) and whether it is in use.  A freed chunk is
 * wiped at once and merged with free neighbours.  Under AddressSanitizer
 * the headers and free space are poisoned, so an overrun of a block is
 * still reported.
 */
#define SECURE_HDR 16
#define ARENA_SIZE ODIN_SECURE_ARENA

struct chunk {
	size_t len;		/* header included; multiple of SECURE_HDR */
	size_t used;		/* 0 free, 1 in use; 2: a mapping of its own */
};

#if defined(ODIN_ASAN)
#define POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define POISON(p, n) ((void)(p), (void)(n))
#define UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static pthread_mutex_t secure_mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *arena;		/* NULL until the first allocation, or if it could not be mapped */
static int arena_failed;

/* fork(): the mutex is held across it; the child's copy of the arena is locked again. */
static void
arena_atfork_prepare(void)
{
	(void)pthread_mutex_lock(&secure_mu);
}

static void
arena_atfork_parent(void)
{
	(void)pthread_mutex_unlock(&secure_mu);
}

static void
arena_atfork_child(void)
{
	if (arena != NULL)
		(void)mlock(arena, ARENA_SIZE);	/* best effort, as in secure_map() */
	(void)pthread_mutex_unlock(&secure_mu);
}

static uint8_t *
secure_map(size_t len)
{
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_DONTDUMP
	(void)madvise(p, len, MADV_DONTDUMP);
#endif
	(void)mlock(p, len);	/* RLIMIT_MEMLOCK may refuse: still out of core dumps */
	return p;
}

static void
secure_unmap(uint8_t *p, size_t len)
{
	UNPOISON(p, len);
	explicit_bzero(p, len);
	(void)munmap(p, len);	/* unlocks too */
}

/* Header access that ASan allows: headers stay poisoned for the callers' code. */
static struct chunk
chunk_get(const uint8_t *p)
{
	struct chunk c;

	UNPOISON(p, SECURE_HDR);
	memcpy(&c, p, sizeof(c));
	POISON(p, SECURE_HDR);
	return c;
}

static void
chunk_put(uint8_t *p, size_t len, size_t used)
{
	struct chunk c = { len, used };

	UNPOISON(p, SECURE_HDR);
	memcpy(p, &c, sizeof(c));
	POISON(p, SECURE_HDR);
}

static int
arena_ready(void)
{
	if (arena != NULL)
		return 1;
	if (arena_failed || (arena = secure_map(ARENA_SIZE)) == NULL) {
		arena_failed = 1;
		return 0;
	}
	/* once per process; glibc drops the handler if this code is unloaded */
	if (pthread_atfork(arena_atfork_prepare, arena_atfork_parent, arena_atfork_child) != 0) {
		secure_unmap(arena, ARENA_SIZE);
		arena = NULL;
		arena_failed = 1;	/* blocks get mappings of their own */
		return 0;
	}
	POISON(arena, ARENA_SIZE);
	chunk_put(arena, ARENA_SIZE, 0);
	return 1;
}

/* First fit; splits when the rest can hold a header and a 16-byte block. */
static uint8_t *
arena_take(size_t need)
{
	size_t off = 0;

	while (off < ARENA_SIZE) {
		struct chunk c = chunk_get(arena + off);

		if (c.used == 0 && c.len >= need) {
			if (c.len - need >= 2 * SECURE_HDR) {
				chunk_put(arena + off + need, c.len - need, 0);
				c.len = need;
			}
			chunk_put(arena + off, c.len, 1);
			UNPOISON(arena + off + SECURE_HDR, c.len - SECURE_HDR);
			return arena + off + SECURE_HDR;	/* zeros: wiped when freed */
		}
		off += c.len;
	}
	return NULL;
}

/* Merges every run of free chunks; the arena is small, so one pass is cheap. */
static void
arena_merge(void)
{
	size_t off = 0;

	while (off < ARENA_SIZE) {
		struct chunk c = chunk_get(arena + off);

		if (c.used == 0) {
			size_t next = off + c.len;

			while (next < ARENA_SIZE) {
				struct chunk d = chunk_get(arena + next);

				if (d.used != 0)
					break;
				UNPOISON(arena + next, SECURE_HDR);
				explicit_bzero(arena + next, SECURE_HDR);
				POISON(arena + next, SECURE_HDR);
				c.len += d.len;
				next += d.len;
			}
			chunk_put(arena + off, c.len, 0);
		}
		off += c.len;
	}
}

void *
odin_secure_alloc(size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	const size_t page = pg > 0 ? (size_t)pg : 4096;
	size_t need, len;
	uint8_t *p = NULL;

	if (n == 0 || n > ((size_t)1 << 24))
		return NULL;
	need = (n + 2 * SECURE_HDR - 1) / SECURE_HDR * SECURE_HDR;	/* header + n, rounded */
	(void)pthread_mutex_lock(&secure_mu);
	if (need <= ARENA_SIZE && arena_ready())
		p = arena_take(need);
	(void)pthread_mutex_unlock(&secure_mu);
	if (p != NULL)
		return p;
	len = (n + SECURE_HDR + page - 1) / page * page;
	if ((p = secure_map(len)) == NULL)
		return NULL;
	chunk_put(p, len, 2);
	return p + SECURE_HDR;
}

void
odin_secure_free(void *q)
{
	uint8_t *p;
	struct chunk c;

	if (q == NULL)
		return;
	p = (uint8_t *)q - SECURE_HDR;
	c = chunk_get(p);
	if (c.used == 0)
		return;		/* freed twice: already wiped and merged */
	if (c.used == 2) {
		secure_unmap(p, c.len);
		return;
	}
	explicit_bzero(q, c.len - SECURE_HDR);
	(void)pthread_mutex_lock(&secure_mu);
	POISON(q, c.len - SECURE_HDR);
	chunk_put(p, c.len, 0);
	arena_merge();
	(void)pthread_mutex_unlock(&secure_mu);
}

/*
 * At exit or unload: the arena goes with the code that knows of it, unless
 * a block is still in use (a caller's bug; then it stays mapped, its free
 * space already wiped, rather than leave a dangling pointer).
 */
__attribute__((destructor)) static void
secure_drop_arena(void)
{
	(void)pthread_mutex_lock(&secure_mu);
	if (arena != NULL) {
		struct chunk c = chunk_get(arena);

		if (c.used == 0 && c.len == ARENA_SIZE) {
			secure_unmap(arena, ARENA_SIZE);
			arena = NULL;
		}
	}
	(void)pthread_mutex_unlock(&secure_mu);
}

int
odin_random(void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t got = 0;
	ssize_t k;

	if (n == 0)
		return ODIN_OK;
	if (buf == NULL || n > (size_t)1 << 20)
		return ODIN_EINVAL;
	/*
	 * The kernel's CSPRNG, blocking until it is seeded (flags 0).  A
	 * signal can cut a read short: go on; any other error fails closed.
	 */
	while (got < n) {
		k = getrandom(p + got, n - got, 0);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			odin_wipe(buf, n);
			return ODIN_ECRYPTO;
		}
		got += (size_t)k;
	}
	return ODIN_OK;
}

int
odin_ct_equal(const void *a, const void *b, size_t n)
{
	const volatile uint8_t *x = a, *y = b;
	uint8_t d = 0;
	size_t i;

	/* every byte read whatever the first difference; no early exit */
	for (i = 0; i < n; i++)
		d |= (uint8_t)(x[i] ^ y[i]);
	return d == 0;
}
