/* SPDX-License-Identifier: ISC */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#define LOG_LINE_MAX 1024

static __thread odin_log_sink log_fn;
static __thread void *log_ctx;
static __thread char log_last[LOG_LINE_MAX];
static odin_log_forward_fn log_forward;	/* process-wide; only a store plugin's copy sets it */

void
odin_log_forward(odin_log_forward_fn fn)
{
	__atomic_store_n(&log_forward, fn, __ATOMIC_RELEASE);
}

void
odin_log_set_sink(odin_log_sink fn, void *ctx)
{
	log_fn = fn;
	log_ctx = ctx;
	log_last[0] = '\0';
}

char *
odin_log_sanitise(const char *s, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (outsz == 0)
		return out;
	for (; s != NULL && *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= outsz)
				break;
			out[o++] = (char)c;
		} else {
			if (o + 4 >= outsz)
				break;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 0xf];
		}
	}
	out[o] = '\0';
	return out;
}

void
odin_log(int prio, const char *fmt, ...)
{
	char raw[LOG_LINE_MAX], clean[LOG_LINE_MAX];
	odin_log_forward_fn fwd;
	va_list ap;

	va_start(ap, fmt);
	(void)vsnprintf(raw, sizeof(raw), fmt, ap);	/* truncation is acceptable for a log line */
	va_end(ap);
	if ((fwd = __atomic_load_n(&log_forward, __ATOMIC_ACQUIRE)) != NULL) {
		fwd(prio, raw);		/* the host's odin_log() sanitises it */
		return;
	}
	odin_log_sanitise(raw, clean, sizeof(clean));
	if (prio <= LOG_WARNING)
		memcpy(log_last, clean, sizeof(log_last));
	if (log_fn != NULL)
		log_fn(log_ctx, prio, clean);
	else
		fprintf(stderr, "odin-mfa: %s\n", clean);
}

const char *
odin_log_last(void)
{
	return log_last;
}
