/* SPDX-License-Identifier: ISC */
/*
 * The module's only contact with the application's conversation function.
 * Every answer is bounded, copied, and the application's buffer wiped and
 * freed on every path (the way Linux-PAM's pam_drop_response does).
 */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <security/pam_appl.h>
#include <security/pam_modules.h>

#include "log.h"
#include "secure.h"
#include "pod.h"

static void
conv_drop(struct pam_response *resp, size_t n)
{
	size_t i;

	if (resp == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (resp[i].resp != NULL)
			odin_free_str(resp[i].resp);
		resp[i].resp = NULL;
	}
	free(resp);
}

static int
conv_call(pam_handle_t *pamh, const struct pam_message **msgv, size_t n,
    struct pam_response **resp)
{
	const void *item = NULL;
	const struct pam_conv *conv;
	int rv;

	*resp = NULL;
	if (n == 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	rv = pam_get_item(pamh, PAM_CONV, &item);
	if (rv != PAM_SUCCESS || item == NULL) {
		odin_log(LOG_ERR, "no conversation function");
		return PAM_CONV_ERR;
	}
	conv = item;
	if (conv->conv == NULL) {
		odin_log(LOG_ERR, "no conversation function");
		return PAM_CONV_ERR;
	}
	rv = conv->conv((int)n, msgv, resp, conv->appdata_ptr);
	if (rv != PAM_SUCCESS) {
		conv_drop(*resp, n);
		*resp = NULL;
		return rv;
	}
	return PAM_SUCCESS;
}

int
pod_conv_show(pam_handle_t *pamh, int style, const char *const *lines, size_t n)
{
	struct pam_message msg[PAM_MAX_NUM_MSG];
	const struct pam_message *msgv[PAM_MAX_NUM_MSG];
	struct pam_response *resp;
	size_t off, i, k;
	int rv;

	for (off = 0; off < n; off += k) {
		k = n - off < PAM_MAX_NUM_MSG ? n - off : PAM_MAX_NUM_MSG;
		for (i = 0; i < k; i++) {
			msg[i].msg_style = style;
			msg[i].msg = lines[off + i];
			msgv[i] = &msg[i];
		}
		rv = conv_call(pamh, msgv, k, &resp);
		if (rv != PAM_SUCCESS)
			return rv;
		conv_drop(resp, k);
	}
	return PAM_SUCCESS;
}

int
pod_say(pam_handle_t *pamh, int style, const char *fmt, ...)
{
	char buf[512];
	const char *line = buf;
	va_list ap;
	int len;

	va_start(ap, fmt);
	len = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (len < 0 || (size_t)len >= sizeof(buf))
		return PAM_BUF_ERR;
	return pod_conv_show(pamh, style, &line, 1);
}

int
pod_conv_ask(pam_handle_t *pamh, int style, const char *prompt,
    char *out, size_t outsz, int *toolong)
{
	struct pam_message msg;
	const struct pam_message *msgv = &msg;
	struct pam_response *resp = NULL;
	size_t len;
	int rv;

	*toolong = 0;
	if (outsz == 0)
		return PAM_BUF_ERR;
	out[0] = '\0';
	msg.msg_style = style;
	msg.msg = prompt;
	rv = conv_call(pamh, &msgv, 1, &resp);
	if (rv != PAM_SUCCESS)
		return rv;
	if (resp != NULL && resp[0].resp != NULL) {
		len = strnlen(resp[0].resp, outsz);
		if (len >= outsz)
			*toolong = 1;
		else
			memcpy(out, resp[0].resp, len + 1);
	}
	conv_drop(resp, 1);
	return PAM_SUCCESS;
}
