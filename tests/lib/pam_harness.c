/* SPDX-License-Identifier: ISC */
/*
 * A PAM application for the module tests: runs pam_authenticate() through
 * the real libpam with a private service directory and a scripted
 * conversation, and prints what the user would have seen.  It does not link
 * common/: it knows the module only through libpam.
 *
 *   pam_harness [-d CONFDIR] [-r ANSWER]... [-x HEXANSWER] [-t] [-a TRIES]
 *               [-b DIR] [-B RECORDFILE:STOREDIR -n N] SERVICE USER
 *   pam_harness -L SOCKET OUTFILE      (a /dev/log reader for the tests)
 *
 * Output, one line each: "PROMPT_OFF <text>", "PROMPT_ON <text>",
 * "INFO <text>", "ERROR <text>", then "RESULT <PAM_CODE_NAME>".  (libpam
 * hides PAM_AUTHTOK from applications: the tests read it with pam_exec.)
 *   -r  the next answer to a prompt (in order); when they run out the
 *       conversation fails, like a user who hangs up
 *   -x  an answer given in hex, may contain a NUL byte
 *   -t  the application cannot show text: TEXT_INFO/ERROR_MSG fail
 *       "@oath" answers with oathtool's code for the key last shown
 *   -a  up to TRIES pam_authenticate() calls on one handle until one
 *       succeeds, as sshd, sudo and login do (a RESULT line for each)
 *   -b  barrier: at the first prompt create DIR/ready.PID and wait for DIR/go
 *   -S  SERVICE:USER:ANSWER, repeatable (up to 8): after the login above,
 *       one more pam_start .. pam_authenticate .. pam_end each, in this
 *       same process, answering ANSWER (a RESULT line each): the module
 *       stays loaded from one handle to the next (it is NODELETE)
 *   -B/-n  benchmark: N times, restore RECORDFILE into STOREDIR/users/USER
 *       and empty STOREDIR/locks/USER
 *       (not timed), answer -r, time pam_authenticate; prints the median us
 */
#include "autoconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_appl.h>

#define MAX_ANSWERS 16

static char *answers[MAX_ANSWERS];
static char *owned[MAX_ANSWERS];	/* answers decoded from hex, to free */
static size_t nanswers, next_answer;
static int no_text;
static const char *barrier_dir;
static int quiet;
static char shown_key[128];	/* the last "Key: " line shown, spaces removed */

/*
 * "@oath": answer with the code oathtool computes for the key the module
 * has just shown (enrollment), at the (possibly faked) current time.
 */
static char *
oath_answer(void)
{
	char cmd[256], out[32];
	FILE *f;
	size_t i;

	for (i = 0; shown_key[i] != '\0'; i++)
		if (!((shown_key[i] >= 'A' && shown_key[i] <= 'Z') ||
		    (shown_key[i] >= '2' && shown_key[i] <= '7')))
			return NULL;
	if (i == 0)
		return NULL;
	snprintf(cmd, sizeof(cmd), "oathtool --totp -b %s", shown_key);
	f = popen(cmd, "r");
	if (f == NULL)
		return NULL;
	if (fgets(out, sizeof(out), f) == NULL) {
		pclose(f);
		return NULL;
	}
	pclose(f);
	out[strcspn(out, "\n")] = '\0';
	return strdup(out);
}

static void
remember_key(const char *text)
{
	size_t i, k = 0;

	if (strncmp(text, "Key: ", 5) != 0)
		return;
	for (i = 5; text[i] != '\0' && k + 1 < sizeof(shown_key); i++)
		if (text[i] != ' ')
			shown_key[k++] = text[i];
	shown_key[k] = '\0';
}

static const char *
code_name(int rv)
{
	switch (rv) {
	case PAM_SUCCESS: return "PAM_SUCCESS";
	case PAM_AUTH_ERR: return "PAM_AUTH_ERR";
	case PAM_AUTHINFO_UNAVAIL: return "PAM_AUTHINFO_UNAVAIL";
	case PAM_MAXTRIES: return "PAM_MAXTRIES";
	case PAM_IGNORE: return "PAM_IGNORE";
	case PAM_USER_UNKNOWN: return "PAM_USER_UNKNOWN";
	case PAM_CONV_ERR: return "PAM_CONV_ERR";
	case PAM_SERVICE_ERR: return "PAM_SERVICE_ERR";
	case PAM_SYSTEM_ERR: return "PAM_SYSTEM_ERR";
	case PAM_BUF_ERR: return "PAM_BUF_ERR";
	case PAM_PERM_DENIED: return "PAM_PERM_DENIED";
	case PAM_CRED_INSUFFICIENT: return "PAM_CRED_INSUFFICIENT";
	case PAM_ABORT: return "PAM_ABORT";
	case PAM_INCOMPLETE: return "PAM_INCOMPLETE";
	default: return "PAM_OTHER";
	}
}

static void
barrier_wait(void)
{
	char path[4096];
	int fd;

	if (barrier_dir == NULL)
		return;
	snprintf(path, sizeof(path), "%s/ready.%ld", barrier_dir, (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/go", barrier_dir);
	while (access(path, F_OK) != 0)
		usleep(500);
	barrier_dir = NULL;
}

static int
conv(int n, const struct pam_message **msg, struct pam_response **resp, void *data)
{
	struct pam_response *r;
	int i;

	(void)data;
	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (i = 0; i < n; i++) {
		const char *text = msg[i]->msg != NULL ? msg[i]->msg : "(null)";

		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
		case PAM_PROMPT_ECHO_ON:
			if (!quiet)
				printf("%s %s\n", msg[i]->msg_style == PAM_PROMPT_ECHO_OFF ?
				    "PROMPT_OFF" : "PROMPT_ON", text);
			barrier_wait();
			if (next_answer >= nanswers)
				goto fail;
			if (strcmp(answers[next_answer], "@oath") == 0) {
				next_answer++;
				r[i].resp = oath_answer();
			} else {
				r[i].resp = strdup(answers[next_answer++]);
			}
			if (r[i].resp == NULL)
				goto fail;
			break;
		case PAM_TEXT_INFO:
		case PAM_ERROR_MSG:
			if (!quiet)
				printf("%s %s\n", msg[i]->msg_style == PAM_TEXT_INFO ?
				    "INFO" : "ERROR", text);
			remember_key(text);
			if (no_text)
				goto fail;
			break;
		default:
			goto fail;
		}
	}
	*resp = r;
	fflush(stdout);
	return PAM_SUCCESS;
fail:
	for (i = 0; i < n; i++)
		free(r[i].resp);
	free(r);
	fflush(stdout);
	return PAM_CONV_ERR;
}

static void
no_delay(int status, unsigned delay, void *data)
{
	(void)status;
	(void)delay;
	(void)data;
}

/* Reads datagrams from a socket bound at path and appends them, one a line, to out. */
static int
log_reader(const char *path, const char *out)
{
	struct sockaddr_un sa;
	char buf[8192];
	FILE *f;
	int s;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return 2;
	strcpy(sa.sun_path, path);
	unlink(path);
	s = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		perror("log reader");
		return 2;
	}
	chmod(path, 0666);
	f = fopen(out, "a");
	if (f == NULL) {
		perror(out);
		return 2;
	}
	for (;;) {
		ssize_t k = recv(s, buf, sizeof(buf) - 1, 0);

		if (k < 0) {
			if (errno == EINTR)
				continue;
			return 2;
		}
		buf[k] = '\0';
		/* a NUL inside a datagram would hide the rest: show it */
		for (ssize_t j = 0; j < k; j++)
			if (buf[j] == '\0' || buf[j] == '\n')
				buf[j] = '~';
		fprintf(f, "%s\n", buf);
		fflush(f);
	}
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Puts text (a whole record file) in place with the rights the module
 * expects, and empties its state file (two zero slots, written in place
 * as the store leaves them after an enrollment).
 */
static int
restore_record(const char *text, size_t len, const char *storedir, const char *user)
{
	static const char zeros[128];
	char tmp[4096], dst[4096];
	int fd;

	snprintf(dst, sizeof(dst), "%s/locks/%s", storedir, user);
	fd = open(dst, O_WRONLY | O_CREAT, 0600);
	if (fd < 0 || pwrite(fd, zeros, sizeof(zeros), 0) != (ssize_t)sizeof(zeros) || close(fd) != 0) {
		perror("restore state file");
		return -1;
	}
	snprintf(tmp, sizeof(tmp), "%s/users/.bench.tmp", storedir);
	snprintf(dst, sizeof(dst), "%s/users/%s", storedir, user);
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) != 0 ||
	    rename(tmp, dst) != 0) {
		perror("restore record");
		return -1;
	}
	return 0;
}

static int
cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	const char *confdir = NULL, *bench = NULL;
	struct pam_conv pc = { conv, NULL };
	pam_handle_t *pamh = NULL;
	int c, rv, i, n = 1, tries = 1, try;
	long long *us = NULL;
	char *benchtext = NULL;
	size_t benchlen = 0;
	char storedir[4096] = "";
	char *seq[8];
	size_t nseq = 0, q;

	if (argc == 4 && strcmp(argv[1], "-L") == 0)
		return log_reader(argv[2], argv[3]);
	while ((c = getopt(argc, argv, "d:r:x:ta:b:B:n:S:")) != -1) {
		switch (c) {
		case 'd': confdir = optarg; break;
		case 'r':
		case 'x':
			if (nanswers >= MAX_ANSWERS)
				return 2;
			if (c == 'r') {
				answers[nanswers++] = optarg;
			} else {
				size_t k, l = strlen(optarg) / 2;
				char *a = calloc(l + 1, 1);

				for (k = 0; a != NULL && k < l; k++)
					a[k] = (char)(hexval(optarg[2 * k]) << 4 | hexval(optarg[2 * k + 1]));
				if (a == NULL)
					return 2;
				owned[nanswers] = a;
				answers[nanswers++] = a;
			}
			break;
		case 't': no_text = 1; break;
		case 'a': tries = atoi(optarg); break;
		case 'b': barrier_dir = optarg; break;
		case 'B': bench = optarg; break;
		case 'n': n = atoi(optarg); break;
		case 'S':
			if (nseq >= sizeof(seq) / sizeof(seq[0]) || strchr(optarg, ':') == NULL ||
			    strchr(strchr(optarg, ':') + 1, ':') == NULL)
				return 2;
			seq[nseq++] = optarg;
			break;
		default:
			fprintf(stderr, "usage: see the comment at the top of pam_harness.c\n");
			return 2;
		}
	}
	if (argc - optind != 2 || n < 1 || n > 10000 || tries < 1 || tries > 16)
		return 2;
	if (bench != NULL) {
		const char *colon = strchr(bench, ':');
		char path[4096];
		FILE *f;

		if (colon == NULL || (size_t)(colon - bench) >= sizeof(path))
			return 2;
		memcpy(path, bench, (size_t)(colon - bench));
		path[colon - bench] = '\0';
		snprintf(storedir, sizeof(storedir), "%s", colon + 1);
		f = fopen(path, "r");
		benchtext = calloc(1, 8192);
		if (f == NULL || benchtext == NULL)
			return 2;
		benchlen = fread(benchtext, 1, 8191, f);
		fclose(f);
		us = calloc((size_t)n, sizeof(*us));
		if (us == NULL)
			return 2;
		quiet = 1;
	}
	openlog("pam_harness", LOG_PID, LOG_AUTHPRIV);

	for (i = 0; i < n; i++) {
		struct timespec t0, t1;

		if (bench != NULL && restore_record(benchtext, benchlen, storedir, argv[optind + 1]) != 0)
			return 2;
		next_answer = 0;
		rv = pam_start_confdir(argv[optind], argv[optind + 1], &pc, confdir, &pamh);
		if (rv != PAM_SUCCESS) {
			fprintf(stderr, "pam_start_confdir: %d\n", rv);
			return 2;
		}
		(void)pam_set_item(pamh, PAM_FAIL_DELAY, (const void *)no_delay);
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (try = 0; try < tries; try++) {
			rv = pam_authenticate(pamh, 0);
			if (rv == PAM_SUCCESS || try + 1 == tries)
				break;
			printf("RESULT %s\n", code_name(rv));	/* a try of several */
		}
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (us != NULL)
			us[i] = (t1.tv_sec - t0.tv_sec) * 1000000LL + (t1.tv_nsec - t0.tv_nsec) / 1000;
		if (bench == NULL || rv != PAM_SUCCESS)
			printf("RESULT %s\n", code_name(rv));
		pam_end(pamh, rv);
		if (bench != NULL && rv != PAM_SUCCESS)
			return 1;
	}
	/* -S: more logins in this process, each on a handle of its own */
	for (q = 0; q < nseq; q++) {
		char *svc = seq[q], *user = strchr(svc, ':'), *answer;

		*user++ = '\0';
		answer = strchr(user, ':');
		*answer++ = '\0';
		answers[0] = answer;
		nanswers = 1;
		next_answer = 0;
		rv = pam_start_confdir(svc, user, &pc, confdir, &pamh);
		if (rv != PAM_SUCCESS) {
			fprintf(stderr, "pam_start_confdir: %d\n", rv);
			return 2;
		}
		(void)pam_set_item(pamh, PAM_FAIL_DELAY, (const void *)no_delay);
		rv = pam_authenticate(pamh, 0);
		printf("RESULT %s\n", code_name(rv));
		pam_end(pamh, rv);
	}
	if (us != NULL) {
		qsort(us, (size_t)n, sizeof(*us), cmp_ll);
		printf("MEDIAN_US %lld (n=%d, min %lld, max %lld)\n", us[n / 2], n, us[0], us[n - 1]);
	}
	syslog(LOG_DEBUG, "harness-done %s", getenv("HARNESS_TAG") != NULL ?
	    getenv("HARNESS_TAG") : "-");
	closelog();
	free(us);
	free(benchtext);
	for (i = 0; i < MAX_ANSWERS; i++)
		free(owned[i]);
	return 0;
}
