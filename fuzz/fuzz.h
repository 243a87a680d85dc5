/* SPDX-License-Identifier: ISC */
/*
 * Shared helpers for the libFuzzer targets in fuzz/.  Not part of any
 * installed binary: fuzz/build.sh compiles the targets straight from the
 * common/ sources with clang -fsanitize=fuzzer,address,undefined.
 */
#ifndef ODIN_FUZZ_H
#define ODIN_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* A property violation is a finding: report where and abort (libFuzzer saves the input). */
#define FZ_CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "property violated: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
		abort(); \
	} \
} while (0)

/* A malloc'd NUL-terminated copy of the input; NULL only on ENOMEM (the input is then skipped). */
static inline char *
fz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		return NULL;
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* A log sink that drops everything: the parsers may log each bad line. */
static inline void
fz_quiet_sink(void *ctx, int prio, const char *msg)
{
	(void)ctx; (void)prio; (void)msg;
}

/* Installs the quiet sink once per process (libFuzzer runs on one thread). */
#define FZ_QUIET_INIT() \
int LLVMFuzzerInitialize(int *argc, char ***argv) \
{ \
	(void)argc; (void)argv; \
	odin_log_set_sink(fz_quiet_sink, NULL); \
	return 0; \
}

#endif
