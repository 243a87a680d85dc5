/* SPDX-License-Identifier: ISC */
#include "autoconfig.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "err.h"
#include "secure.h"

void
odin_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		OPENSSL_cleanse(p, n);
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

/* Each block starts with its mapped length, then the caller's bytes, 16-aligned. */
#define SECURE_HDR 16

/*
 * A few freed mappings are kept, wiped and still locked, for the next
 * allocation of the same size: a login allocates and frees a record two
 * or three times, and each fresh mapping costs five system calls and a
 * TLB shootdown.  What is kept is unmapped when the program ends or the
 * module is unloaded (the destructor below).
 */
#define SECURE_KEEP 4

static pthread_mutex_t secure_mu = PTHREAD_MUTEX_INITIALIZER;
static uint8_t *secure_kept[SECURE_KEEP];

void *
odin_secure_alloc(size_t n)
{
	long pg = sysconf(_SC_PAGESIZE);
	const size_t page = pg > 0 ? (size_t)pg : 4096;
	size_t len, have;
	uint8_t *p = NULL;
	unsigned i;

	if (n == 0 || n > ((size_t)1 << 24))
		return NULL;
	len = (n + SECURE_HDR + page - 1) / page * page;
	(void)pthread_mutex_lock(&secure_mu);
	for (i = 0; i < SECURE_KEEP && p == NULL; i++) {
		if (secure_kept[i] == NULL)
			continue;
		memcpy(&have, secure_kept[i], sizeof(have));
		if (have == len) {
			p = secure_kept[i];
			secure_kept[i] = NULL;
		}
	}
	(void)pthread_mutex_unlock(&secure_mu);
	if (p != NULL)
		return p + SECURE_HDR;	/* wiped to zeros when it was freed */
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
#ifdef MADV_DONTDUMP
	(void)madvise(p, len, MADV_DONTDUMP);
#endif
	(void)mlock(p, len);	/* RLIMIT_MEMLOCK may refuse: still out of core dumps */
	*(size_t *)(void *)p = len;	/* page-aligned: a size_t fits, aligned */
	return p + SECURE_HDR;
}

static void
secure_unmap(uint8_t *p, size_t len)
{
	OPENSSL_cleanse(p, len);
	(void)munlock(p, len);
	(void)munmap(p, len);
}

void
odin_secure_free(void *q)
{
	uint8_t *p;
	size_t len;
	unsigned i;

	if (q == NULL)
		return;
	p = (uint8_t *)q - SECURE_HDR;
	memcpy(&len, p, sizeof(len));
	OPENSSL_cleanse(p + SECURE_HDR, len - SECURE_HDR);	/* the header (its length) stays */
	(void)pthread_mutex_lock(&secure_mu);
	for (i = 0; i < SECURE_KEEP; i++) {
		if (secure_kept[i] == NULL) {
			secure_kept[i] = p;
			p = NULL;
			break;
		}
	}
	(void)pthread_mutex_unlock(&secure_mu);
	if (p != NULL)
		secure_unmap(p, len);
}

/* At exit or unload: nothing kept outlives the code that knows of it. */
__attribute__((destructor)) static void
secure_drop_kept(void)
{
	size_t len;
	unsigned i;

	(void)pthread_mutex_lock(&secure_mu);
	for (i = 0; i < SECURE_KEEP; i++) {
		if (secure_kept[i] != NULL) {
			memcpy(&len, secure_kept[i], sizeof(len));
			secure_unmap(secure_kept[i], len);
			secure_kept[i] = NULL;
		}
	}
	(void)pthread_mutex_unlock(&secure_mu);
}

int
odin_random(void *buf, size_t n)
{
	if (n == 0)
		return ODIN_OK;
	if (buf == NULL || n > (size_t)1 << 20)
		return ODIN_EINVAL;
	/* OpenSSL 3's default DRBG is seeded from getrandom(2). */
	if (RAND_bytes(buf, (int)n) != 1) {
		odin_wipe(buf, n);
		return ODIN_ECRYPTO;
	}
	return ODIN_OK;
}

int
odin_ct_equal(const void *a, const void *b, size_t n)
{
	return CRYPTO_memcmp(a, b, n) == 0;
}
