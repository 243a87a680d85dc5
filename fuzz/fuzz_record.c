/* SPDX-License-Identifier: ISC */
/*
 * odin_record_parse on arbitrary bytes.  Properties when it succeeds:
 *   - odin_record_format accepts what the parser accepted (no EINVAL);
 *   - the formatted text holds exactly the input's lines (the parser is
 *     strict: canonical numbers, single spaces, every key once, so the
 *     only freedom left is the order of the keys); in particular an input
 *     in the formatter's order comes back byte for byte;
 *   - format(parse(format(r))) is the same text again.
 * The same bytes then go to odin_record_parse_key with a fixed key and
 * user (sealed "enc1:" secrets, crypt.h): on success, sealing again with
 * odin_record_format_key and opening gives the same record (the text
 * differs: every sealing takes a fresh nonce), and the plain parser agrees
 * on every field when the secret was in clear.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypt.h"
#include "err.h"
#include "fuzz.h"
#include "record.h"
#include "secure.h"

FZ_QUIET_INIT()

static int
fz_line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits a copy of text into '\n'-terminated lines and sorts them; returns the count. */
static size_t
fz_sorted_lines(const char *text, size_t len, char **copy, char ***lines)
{
	size_t n = 0, i, k = 0;
	char *c;

	*copy = NULL;
	*lines = NULL;
	for (i = 0; i < len; i++)
		n += text[i] == '\n';
	if ((c = malloc(len + 1)) == NULL || (*lines = calloc(n + 1, sizeof(char *))) == NULL) {
		free(c);
		abort();
	}
	memcpy(c, text, len);
	c[len] = '\0';
	(*lines)[k++] = c;
	for (i = 0; i < len && k <= n; i++)
		if (c[i] == '\n') {
			c[i] = '\0';
			(*lines)[k++] = c + i + 1;
		}
	qsort(*lines, k, sizeof(char *), fz_line_cmp);
	*copy = c;
	return k;
}

/* Every field except the struct's padding; both records come from the parser. */
static int
fz_record_eq(const struct odin_record *a, const struct odin_record *b)
{
	return a->state == b->state && a->secret_len == b->secret_len &&
	    memcmp(a->secret, b->secret, sizeof(a->secret)) == 0 && a->alg == b->alg &&
	    a->digits == b->digits && a->period == b->period && a->last_step == b->last_step &&
	    a->failures == b->failures && a->lockout_until == b->lockout_until &&
	    a->lockout_count == b->lockout_count && a->backup_iter == b->backup_iter &&
	    memcmp(a->backup_salt, b->backup_salt, sizeof(a->backup_salt)) == 0 &&
	    a->nbackup == b->nbackup && memcmp(a->backup, b->backup, sizeof(a->backup)) == 0 &&
	    a->created == b->created && a->updated == b->updated;
}

static void
fz_sealed(const uint8_t *data, size_t size)
{
	struct odin_key key;
	struct odin_record r, r2, plain;
	char *out = NULL;
	size_t outlen = 0, i;
	int rc;

	for (i = 0; i < sizeof(key.k); i++)
		key.k[i] = (uint8_t)i;
	if (odin_record_parse_key((const char *)data, size, &r, &key, "alice") != ODIN_OK)
		return;
	if (odin_record_parse((const char *)data, size, &plain) == ODIN_OK)
		FZ_CHECK(fz_record_eq(&r, &plain));
	rc = odin_record_format_key(&r, &key, "alice", &out, &outlen);
	if (rc == ODIN_ENOMEM)
		return;
	FZ_CHECK(rc == ODIN_OK);
	FZ_CHECK(odin_record_parse_key(out, outlen, &r2, &key, "alice") == ODIN_OK);
	FZ_CHECK(fz_record_eq(&r, &r2));
	/* Sealed for alice: bob's row cannot take it. */
	if (r.secret_len > 0)
		FZ_CHECK(odin_record_parse_key(out, outlen, &r2, &key, "bob") == ODIN_ECRYPTO);
	odin_record_text_free(out);
	odin_record_wipe(&r);
	odin_record_wipe(&r2);
	odin_record_wipe(&plain);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct odin_record r, r2;
	char *out = NULL, *out2 = NULL, *c1, *c2;
	char **l1, **l2;
	size_t outlen = 0, outlen2 = 0, n1, n2, i;
	int rc;

	fz_sealed(data, size);
	if (odin_record_parse((const char *)data, size, &r) != ODIN_OK)
		return 0;
	rc = odin_record_format(&r, &out, &outlen);
	if (rc == ODIN_ENOMEM)
		return 0;
	FZ_CHECK(rc == ODIN_OK);
	FZ_CHECK(strlen(out) == outlen);

	/* Same lines, perhaps in another order. */
	FZ_CHECK(outlen == size);
	n1 = fz_sorted_lines((const char *)data, size, &c1, &l1);
	n2 = fz_sorted_lines(out, outlen, &c2, &l2);
	FZ_CHECK(n1 == n2);
	for (i = 0; i < n1; i++)
		FZ_CHECK(strcmp(l1[i], l2[i]) == 0);
	free(l1); free(c1); free(l2); free(c2);

	/* The formatter's own output is a fixed point. */
	FZ_CHECK(odin_record_parse(out, outlen, &r2) == ODIN_OK);
	rc = odin_record_format(&r2, &out2, &outlen2);
	if (rc == ODIN_OK) {
		FZ_CHECK(outlen2 == outlen && memcmp(out, out2, outlen) == 0);
		odin_record_text_free(out2);
	} else
		FZ_CHECK(rc == ODIN_ENOMEM);
	odin_record_text_free(out);
	odin_record_wipe(&r);
	odin_record_wipe(&r2);
	return 0;
}
