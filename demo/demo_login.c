/* SPDX-License-Identifier: ISC */
/*
 * The quickstart demo's login program: one pam_authenticate() +
 * pam_acct_mgmt() through the real libpam, with the PAM service read from a
 * private directory (pam_start_confdir), so the demo never touches
 * /etc/pam.d.  The conversation is the ordinary terminal one: text lines
 * are printed, prompts are answered from standard input, with echo turned
 * off for PAM_PROMPT_ECHO_OFF when standard input is a terminal.  Not
 * installed.
 *
 *   odin-demo-login CONFDIR SERVICE USER
 *
 * Exit status: 0 authenticated, 1 refused (the PAM error is printed),
 * 2 usage or setup error.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <security/pam_appl.h>

#define DEMO_LINE_MAX 512

/*
 * Shows prompt and reads one line (without its newline) into buf; 0 on
 * success, -1 on EOF/error.  Echo goes off before the prompt is shown (as
 * getpass does), so nothing typed after the prompt is flushed or echoed.
 */
static int
demo_read_line(const char *prompt, char *buf, size_t bufsz, int echo)
{
	struct termios old, quiet;
	int tty = isatty(STDIN_FILENO), restore = 0, rc = -1;
	size_t n;

	if (!echo && tty && tcgetattr(STDIN_FILENO, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		restore = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
	}
	fputs(prompt, stdout);
	fflush(stdout);
	if (fgets(buf, (int)bufsz, stdin) != NULL) {
		n = strcspn(buf, "\r\n");
		buf[n] = '\0';
		rc = 0;
	}
	if (restore)
		(void)tcsetattr(STDIN_FILENO, TCSANOW, &old);
	/* The typed newline was not echoed (echo off, or input from a pipe). */
	if (restore || !tty)
		fputc('\n', stdout);
	return rc;
}

static void
demo_free_replies(struct pam_response *r, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		if (r[i].resp != NULL) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
}

static int
demo_conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r;
	char line[DEMO_LINE_MAX];
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
			if (demo_read_line(msg[i]->msg, line, sizeof(line),
			    msg[i]->msg_style == PAM_PROMPT_ECHO_ON) != 0)
				goto fail;
			r[i].resp = strdup(line);
			explicit_bzero(line, sizeof(line));
			if (r[i].resp == NULL)
				goto fail;
			break;
		case PAM_TEXT_INFO:
			printf("%s\n", msg[i]->msg);
			break;
		case PAM_ERROR_MSG:
			fflush(stdout);
			fprintf(stderr, "%s\n", msg[i]->msg);
			break;
		default:
			goto fail;
		}
	}
	fflush(stdout);
	*resp = r;
	return PAM_SUCCESS;
fail:
	explicit_bzero(line, sizeof(line));
	demo_free_replies(r, n);
	return PAM_CONV_ERR;
}

int
main(int argc, char **argv)
{
	struct pam_conv conv = { demo_conv, NULL };
	pam_handle_t *pamh = NULL;
	int rc;

	if (argc != 4) {
		fprintf(stderr, "usage: odin-demo-login CONFDIR SERVICE USER\n");
		return 2;
	}
	rc = pam_start_confdir(argv[2], argv[3], &conv, argv[1], &pamh);
	if (rc != PAM_SUCCESS) {
		fprintf(stderr, "odin-demo-login: pam_start_confdir failed: %d\n", rc);
		return 2;
	}
	rc = pam_authenticate(pamh, 0);
	if (rc == PAM_SUCCESS)
		rc = pam_acct_mgmt(pamh, 0);
	if (rc == PAM_SUCCESS)
		printf("odin-demo-login: PAM said PAM_SUCCESS: %s is logged in.\n", argv[3]);
	else
		printf("odin-demo-login: PAM said no: %s.\n", pam_strerror(pamh, rc));
	pam_end(pamh, rc);
	return rc == PAM_SUCCESS ? 0 : 1;
}
