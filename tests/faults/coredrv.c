/* SPDX-License-Identifier: ISC */
/*
 * A PAM application for tests/faults/notrace.test that keeps no copy of
 * anything secret, so that a core image taken after pam_end() shows only
 * what the module (and libpam, OpenSSL, libqrencode under it) left behind.
 *
 *   coredrv -d CONFDIR -m MSGFILE SERVICE USER < ANSWERS
 *
 * Each prompt is answered with the next line of standard input, read with
 * read(2) (no stdio buffer) into the response buffer itself (any length:
 * the hostile-input test sends megabytes); the line "@oath" answers
 * with oathtool's code for the key the module showed last (run in a child,
 * its output read with read(2) and wiped).  Every message the module shows
 * is written straight from the module's buffer to MSGFILE, so the test
 * learns the key and the backup codes without this process copying them.
 * Prints "RESULT n" (the pam_authenticate code) and "MAXRSS_KB k" (peak
 * resident size) and exits; notrace.test stops
 * it at exit_group under gdb and takes the core there.
 */
#include "autoconfig.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <security/pam_appl.h>

static int msgfd = -1;
static char key[128];	/* the last key shown, spaces removed; wiped at the end */

static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

/*
 * One line of stdin via read(2), in a buffer that becomes the response
 * itself (the module frees it): no second copy, so ru_maxrss shows what the
 * module adds to a huge answer.  NULL on EOF.  A line of up to 255 bytes
 * is never reallocated (so no unwiped copy of a short answer is left).
 */
static char *
read_answer(void)
{
	size_t n = 0, sz = 256;
	char *buf = malloc(sz), *nb, c = 0;
	ssize_t k = 0;

	if (buf == NULL)
		return NULL;
	/* byte by byte (the next answer stays unread) up to 4 KB, then in bulk */
	while (n < 4096 && (k = read(0, &c, 1)) == 1 && c != '\n') {
		if (n + 1 >= sz) {
			if ((nb = realloc(buf, sz * 2)) == NULL)
				break;
			buf = nb;
			sz *= 2;
		}
		buf[n++] = c;
	}
	if (n == 4096) {
		while (sz < ((size_t)64 << 20)) {
			if ((nb = realloc(buf, sz * 2)) == NULL)
				break;
			buf = nb;
			sz *= 2;
			if ((k = read(0, buf + n, sz - 1 - n)) <= 0)
				break;
			n += (size_t)k;
			if (buf[n - 1] == '\n') {
				n--;
				break;
			}
		}
	}
	if (n == 0 && k != 1) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	return buf;
}

/* oathtool --totp -b KEY in a child; the code into out (wiped by the caller). */
static int
oath_code(char *out, size_t sz)
{
	int p[2], st;
	ssize_t n;
	pid_t pid;

	if (key[0] == '\0' || pipe(p) != 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		execlp("oathtool", "oathtool", "--totp", "-b", key, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	n = read(p[0], out, sz - 1);
	close(p[0]);
	waitpid(pid, &st, 0);
	if (n <= 0)
		return -1;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return 0;
}

static void
show(const char *tag, const char *text)
{
	size_t i, k = 0;

	if (write(msgfd, tag, strlen(tag)) < 0 || write(msgfd, text, strlen(text)) < 0 ||
	    write(msgfd, "\n", 1) < 0)
		return;
	if (strncmp(text, "Key: ", 5) == 0) {
		for (i = 5; text[i] != '\0' && k + 1 < sizeof(key); i++)
			if (text[i] != ' ')
				key[k++] = text[i];
		key[k] = '\0';
	}
}

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r;
	char line[64];
	int i;

	(void)data;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	if ((r = calloc((size_t)n, sizeof(*r))) == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			show("PROMPT ", msg[i]->msg);
			if ((r[i].resp = read_answer()) == NULL)
				goto fail;
			if (strcmp(r[i].resp, "@oath") == 0) {
				if (oath_code(line, sizeof(line)) != 0)
					goto fail;
				memcpy(r[i].resp, line, strlen(line) + 1);	/* 7 bytes fit in 256 */
				wipe(line, sizeof(line));
			}
			break;
		case PAM_TEXT_INFO:
			show("INFO ", msg[i]->msg);
			break;
		case PAM_ERROR_MSG:
			show("ERROR ", msg[i]->msg);
			break;
		default:
			goto fail;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
fail:
	wipe(line, sizeof(line));
	for (i = 0; i < n; i++) {
		if (r[i].resp != NULL) {
			wipe(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
	return PAM_CONV_ERR;
}

static void
no_delay(int status, unsigned delay, void *data)
{
	(void)status;
	(void)delay;
	(void)data;
}

int
main(int argc, char **argv)
{
	struct pam_conv pc = { conv, NULL };
	const char *confdir = NULL, *msgfile = NULL;
	pam_handle_t *pamh = NULL;
	char out[64];
	int c, rv;

	while ((c = getopt(argc, argv, "d:m:")) != -1) {
		switch (c) {
		case 'd': confdir = optarg; break;
		case 'm': msgfile = optarg; break;
		default: return 2;
		}
	}
	if (argc - optind != 2 || msgfile == NULL)
		return 2;
	msgfd = open(msgfile, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (msgfd < 0)
		return 2;
	if (pam_start_confdir(argv[optind], argv[optind + 1], &pc, confdir, &pamh) != PAM_SUCCESS)
		return 2;
	(void)pam_set_item(pamh, PAM_FAIL_DELAY, (const void *)no_delay);	/* fast tests */
	rv = pam_authenticate(pamh, 0);
	pam_end(pamh, rv);
	wipe(key, sizeof(key));
	{
		struct rusage ru;

		getrusage(RUSAGE_SELF, &ru);
		c = snprintf(out, sizeof(out), "RESULT %d\nMAXRSS_KB %ld\n", rv, ru.ru_maxrss);
	}
	if (write(1, out, (size_t)c) < 0)
		return 2;
	close(msgfd);
	return 0;
}
