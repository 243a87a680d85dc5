/* SPDX-License-Identifier: ISC */
/*
 * Talking to the person at the terminal: output, one-line errors, the
 * log, signals and reading input.  Runs with the caller's own privileges
 * only (raised.c never calls in here while the euid is raised), so a
 * terminal that blocks (Ctrl-S, a full pipe) stalls nobody but the caller.
 */
#include "autoconfig.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "log.h"
#include "secure.h"
#include "cli.h"

volatile sig_atomic_t cli_interrupted;
static char cli_outbuf[4096];	/* stdout's buffer: wiped at exit, it held secrets */
static const int cli_sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

void
cli_err(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("odin-mfa-cli: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

const char *
cli_safe(const char *s, char *buf, size_t bufsz)
{
	return odin_log_sanitise(s, buf, bufsz);
}

void
cli_syslog(int prio, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsyslog(LOG_AUTHPRIV | (prio & LOG_PRIMASK), fmt, ap);
	va_end(ap);
}

static void
cli_log_sink(void *ctx, int prio, const char *msg)
{
	(void)ctx;
	syslog(LOG_AUTHPRIV | (prio & LOG_PRIMASK), "%s", msg);
}

const char *
cli_detail(int rc)
{
	const char *d = odin_log_last();

	return d[0] != '\0' ? d : odin_strerror(rc);
}

void
cli_clear_detail(void)
{
	odin_log_set_sink(cli_log_sink, NULL);
}

int
cli_store_error(const char *user, int rc)
{
	char s[ODIN_USER_MAX * 4 + 1];

	cli_err("%s: store error: %s", cli_safe(user, s, sizeof(s)), cli_detail(rc));
	return EXIT_SYSTEM;
}

void
cli_fmt_time(int64_t t, char *buf, size_t bufsz)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (t <= 0 || localtime_r(&tt, &tm) == NULL ||
	    strftime(buf, bufsz, "%Y-%m-%d %H:%M:%S %Z", &tm) == 0)
		snprintf(buf, bufsz, "%s", t <= 0 ? "never" : "?");
}

static void
cli_exit_wipe(void)
{
	fflush(stdout);
	odin_wipe(cli_outbuf, sizeof(cli_outbuf));
}

static void
cli_on_signal(int sig)
{
	(void)sig;
	cli_interrupted = 1;
}

void
cli_tty_init(void)
{
	struct sigaction sa;
	size_t i;

	setvbuf(stdout, cli_outbuf, _IOLBF, sizeof(cli_outbuf));
	atexit(cli_exit_wipe);
	openlog("odin-mfa-cli", LOG_PID, LOG_AUTHPRIV);
	odin_log_set_sink(cli_log_sink, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = cli_on_signal;	/* no SA_RESTART: a read() returns EINTR */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(cli_sigs) / sizeof(cli_sigs[0]); i++)
		(void)sigaction(cli_sigs[i], &sa, NULL);
}

void
cli_signals_block(int block, sigset_t *old)
{
	sigset_t set;
	size_t i;

	if (!block) {
		(void)sigprocmask(SIG_SETMASK, old, NULL);
		return;
	}
	sigemptyset(&set);
	for (i = 0; i < sizeof(cli_sigs) / sizeof(cli_sigs[0]); i++)
		sigaddset(&set, cli_sigs[i]);
	(void)sigprocmask(SIG_BLOCK, &set, old);
}

int
cli_read_line(char *buf, size_t bufsz)
{
	size_t n = 0;
	int over = 0, got = 0;

	for (;;) {
		char ch;
		ssize_t r;

		if (cli_interrupted)
			goto fail;
		r = read(STDIN_FILENO, &ch, 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		if (r == 0) {
			if (!got)
				return 0;
			break;
		}
		got = 1;
		if (ch == '\n')
			break;
		if (ch == '\r')
			continue;
		if (n + 1 < bufsz)
			buf[n++] = ch;
		else
			over = 1;
		ch = 0;
	}
	if (over)
		n = 0;
	buf[n] = '\0';
	return 1;
fail:
	odin_wipe(buf, bufsz);
	buf[0] = '\0';
	return -1;
}

int
cli_read_all(char **out, size_t *outlen, size_t max)
{
	size_t cap = max + 1, n = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		return ODIN_ENOMEM;
	for (;;) {
		ssize_t r;

		if (cli_interrupted) {
			odin_free_wipe(buf, cap);
			return ODIN_EIO;
		}
		r = read(STDIN_FILENO, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			odin_free_wipe(buf, cap);
			return ODIN_EIO;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == cap) {
			odin_free_wipe(buf, cap);
			return ODIN_ETOOBIG;
		}
	}
	buf[n] = '\0';
	*out = buf;
	*outlen = n;
	return ODIN_OK;
}

void
cli_prompt(const char *text)
{
	fputs(text, stdout);
	fflush(stdout);
}

/*
 * s as a JSON string on stdout: quotes, backslashes and control bytes
 * escaped, UTF-8 passed through, a byte that is not UTF-8 as U+FFFD (a
 * JSON text is UTF-8; such a name is shown, not round-tripped).
 */
void
cli_json_str(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	putchar('"');
	while (*p != '\0') {
		if (*p == '"' || *p == '\\') {
			printf("\\%c", *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			printf("\\u%04x", *p++);
		} else if (*p < 0x80) {
			putchar(*p++);
		} else if ((n = odin_utf8_len((const char *)p)) > 0) {
			fwrite(p, 1, n, stdout);
			p += n;
		} else {
			fputs("\\ufffd", stdout);
			p++;
		}
	}
	putchar('"');
}
