/* SPDX-License-Identifier: ISC */
/*
 * The findings of `odin-mfa-cli check`, for the files that look (doctor.c,
 * doctor_pam.c, doctor_host.c): each adds what it finds with dr_add(),
 * and doctor.c prints them all once with dr_report().
 */
#ifndef ODIN_CLI_FINDINGS_H
#define ODIN_CLI_FINDINGS_H

#include <stddef.h>

#define DR_MAX 256

enum { DR_OK = 0, DR_WARN = 1, DR_ERROR = 2 };

struct dr_finding {
	int level;
	char area[24];
	char msg[640];
};

struct doctor {
	struct dr_finding f[DR_MAX];
	size_t n;
	char captured[8][400];		/* the log lines of the call being checked */
	size_t ncaptured;
	int odin_services;
	int sshd_uses_odin;
};

/* One finding, printed as it is (formatted like printf). */
void dr_add(struct doctor *d, int level, const char *area, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Prints every finding (text, or JSON with json) and a summary; EXIT_REFUSED if any is an error. */
int dr_report(const struct doctor *d, int json);

#endif
