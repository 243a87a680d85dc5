/* SPDX-License-Identifier: ISC */
/* For doctor.c: the host part of `odin-mfa-cli check` (doctor_host.c). */
#ifndef ODIN_CLI_DOCTOR_HOST_H
#define ODIN_CLI_DOCTOR_HOST_H

#include "findings.h"

/* sshd's settings (when its PAM service uses pam_odin; dr_pam() runs first). */
void dr_sshd(struct doctor *d);
/* The clock: synchronised, and how far off. */
void dr_clock(struct doctor *d);

#endif
