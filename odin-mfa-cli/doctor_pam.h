/* SPDX-License-Identifier: ISC */
/* For doctor.c: the PAM stacks part of `odin-mfa-cli check` (doctor_pam.c). */
#ifndef ODIN_CLI_DOCTOR_PAM_H
#define ODIN_CLI_DOCTOR_PAM_H

#include "findings.h"

#define DR_PAM_DIR "/etc/pam.d"

/* Every service in DR_PAM_DIR that uses pam_odin. */
void dr_pam(struct doctor *d);

#endif
