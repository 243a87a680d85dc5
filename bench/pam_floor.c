/* SPDX-License-Identifier: ISC */
/*
 * bench/pam_floor.c -- the floor of the in-place design, as a PAM module:
 * what any module that keeps a login's state in place must do at least,
 * and nothing else.  It asks for the code (the same conversation as the
 * others), opens the user's 128-byte state file DIR/USER, writes 64 bytes
 * over one slot and 64 bytes over the other with RWF_DSYNC (a counted
 * attempt, then the durable success: pam_odin's two writes), closes it
 * and says yes to any code.  It verifies nothing: a benchmark column
 * only (bench/run builds it, NODELETE as pam_odin is; never install it).
 * pam_permit is libpam's floor; this one adds the prompt and the writes.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include <security/pam_appl.h>
#include <security/pam_modules.h>

PAM_EXTERN int
pam_sm_authenticate(pam_handle_t *ph, int flags, int argc, const char **argv)
{
	static const char slot[64] = "floor";
	const struct pam_conv *conv;
	const struct pam_message msg = { PAM_PROMPT_ECHO_OFF, "Verification code: " };
	const struct pam_message *pmsg = &msg;
	struct pam_response *resp = NULL;
	struct iovec io = { (void *)slot, sizeof(slot) };
	const char *user = NULL, *dir = NULL;
	int dfd, fd, ok;

	(void)flags;
	for (int i = 0; i < argc; i++)
		if (strncmp(argv[i], "dir=", 4) == 0)
			dir = argv[i] + 4;
	if (dir == NULL || pam_get_user(ph, &user, NULL) != PAM_SUCCESS || user == NULL ||
	    strchr(user, '/') != NULL ||
	    pam_get_item(ph, PAM_CONV, (const void **)&conv) != PAM_SUCCESS || conv == NULL)
		return PAM_AUTH_ERR;
	if (conv->conv(1, &pmsg, &resp, conv->appdata_ptr) != PAM_SUCCESS || resp == NULL)
		return PAM_AUTH_ERR;
	if (resp->resp != NULL) {
		memset(resp->resp, 0, strlen(resp->resp));
		free(resp->resp);
	}
	free(resp);
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return PAM_AUTH_ERR;
	fd = openat(dfd, user, O_RDWR | O_NOFOLLOW | O_CLOEXEC);
	close(dfd);
	if (fd < 0)
		return PAM_AUTH_ERR;
	ok = pwrite(fd, slot, sizeof(slot), 0) == (ssize_t)sizeof(slot) &&
	    pwritev2(fd, &io, 1, 64, RWF_DSYNC) == (ssize_t)sizeof(slot);
	close(fd);
	return ok ? PAM_SUCCESS : PAM_AUTH_ERR;
}

PAM_EXTERN int
pam_sm_setcred(pam_handle_t *ph, int flags, int argc, const char **argv)
{
	(void)ph; (void)flags; (void)argc; (void)argv;
	return PAM_SUCCESS;
}
