/* SPDX-License-Identifier: ISC */
/* The record text format: exact round trip, documented order, strict rejection. */
#include "autoconfig.h"

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base32.h"
#include "err.h"
#include "record.h"
#include "secure.h"

#define H32 "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define H32B "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100"
#define H16 "000102030405060708090a0b0c0d0e0f"

/* A valid record, written by hand from the format in record.h. */
static const char good[] =
    "odin-mfa-record 1\n"
    "state enabled\n"
    "secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n"
    "algorithm SHA1\n"
    "digits 6\n"
    "period 30\n"
    "last_step 56666666\n"
    "failures 2\n"
    "lockout_until 0\n"
    "lockout_count 1\n"
    "backup_kdf pbkdf2-sha256 20000 000102030405060708090a0b0c0d0e0f\n"
    "backup " H32 "\n"
    "backup " H32B "\n"
    "created 1700000000\n"
    "updated 1700000100\n"
    "end\n";

static int
all_zero(const void *p, size_t n)
{
	const unsigned char *c = p;
	size_t i;

	for (i = 0; i < n; i++)
		if (c[i] != 0)
			return 0;
	return 1;
}

static void
fill_record(struct odin_record *r, enum odin_state state, size_t secret_len, unsigned nbackup)
{
	unsigned i;

	odin_record_init(r, 1700000000);
	r->state = state;
	r->secret_len = secret_len;
	ck_assert_int_eq(odin_random(r->secret, secret_len), ODIN_OK);
	r->alg = ODIN_ALG_SHA256;
	r->digits = 8;
	r->period = 60;
	r->last_step = INT64_MAX;
	r->failures = UINT32_MAX;
	r->lockout_until = 1700000500;
	r->lockout_count = 7;
	if (nbackup > 0) {
		r->backup_iter = 20000;
		ck_assert_int_eq(odin_random(r->backup_salt, sizeof(r->backup_salt)), ODIN_OK);
		r->nbackup = nbackup;
		for (i = 0; i < nbackup; i++)
			ck_assert_int_eq(odin_random(r->backup[i], ODIN_BACKUP_HASH_LEN), ODIN_OK);
	}
	r->updated = 1700000999;
}

static void
assert_same(const struct odin_record *a, const struct odin_record *b)
{
	ck_assert_int_eq(a->state, b->state);
	ck_assert_uint_eq(a->secret_len, b->secret_len);
	ck_assert(memcmp(a->secret, b->secret, sizeof(a->secret)) == 0);
	ck_assert_int_eq(a->alg, b->alg);
	ck_assert_uint_eq(a->digits, b->digits);
	ck_assert_uint_eq(a->period, b->period);
	ck_assert(a->last_step == b->last_step);
	ck_assert_uint_eq(a->failures, b->failures);
	ck_assert(a->lockout_until == b->lockout_until);
	ck_assert_uint_eq(a->lockout_count, b->lockout_count);
	ck_assert_uint_eq(a->backup_iter, b->backup_iter);
	ck_assert(memcmp(a->backup_salt, b->backup_salt, sizeof(a->backup_salt)) == 0 ||
	    a->backup_iter == 0);
	ck_assert_uint_eq(a->nbackup, b->nbackup);
	ck_assert(memcmp(a->backup, b->backup, sizeof(a->backup)) == 0);
	ck_assert(a->created == b->created);
	ck_assert(a->updated == b->updated);
}

/* format -> parse -> equal fields -> format again gives the same bytes. */
static void
round_trip(const struct odin_record *r)
{
	struct odin_record back;
	char *t1, *t2;
	size_t l1, l2;

	ck_assert_int_eq(odin_record_format(r, &t1, &l1), ODIN_OK);
	ck_assert_uint_eq(strlen(t1), l1);
	ck_assert_int_eq(odin_record_parse(t1, l1, &back), ODIN_OK);
	assert_same(r, &back);
	ck_assert_int_eq(odin_record_format(&back, &t2, &l2), ODIN_OK);
	ck_assert_uint_eq(l1, l2);
	ck_assert(memcmp(t1, t2, l1) == 0);
	odin_record_text_free(t1);
	odin_record_text_free(t2);
	odin_record_wipe(&back);
}

START_TEST(good_parses)
{
	struct odin_record r;
	static const uint8_t hello[] = "Hello!\xde\xad\xbe\xef";

	ck_assert_int_eq(odin_record_parse(good, strlen(good), &r), ODIN_OK);
	ck_assert_int_eq(r.state, ODIN_STATE_ENABLED);
	ck_assert_uint_eq(r.secret_len, 20);
	ck_assert(memcmp(r.secret, hello, 10) == 0 && memcmp(r.secret + 10, hello, 10) == 0);
	ck_assert_int_eq(r.alg, ODIN_ALG_SHA1);
	ck_assert_uint_eq(r.digits, 6);
	ck_assert_uint_eq(r.period, 30);
	ck_assert(r.last_step == 56666666);
	ck_assert_uint_eq(r.failures, 2);
	ck_assert(r.lockout_until == 0);
	ck_assert_uint_eq(r.lockout_count, 1);
	ck_assert_uint_eq(r.backup_iter, 20000);
	ck_assert_uint_eq(r.backup_salt[15], 0x0f);
	ck_assert_uint_eq(r.nbackup, 2);
	ck_assert_uint_eq(r.backup[0][1], 0x11);
	ck_assert_uint_eq(r.backup[1][0], 0xff);
	ck_assert(r.created == 1700000000 && r.updated == 1700000100);
}
END_TEST

/* The formatter writes exactly the documented text, keys in order. */
START_TEST(format_golden)
{
	struct odin_record r;
	char *t;
	size_t l;

	ck_assert_int_eq(odin_record_parse(good, strlen(good), &r), ODIN_OK);
	ck_assert_int_eq(odin_record_format(&r, &t, &l), ODIN_OK);
	ck_assert_str_eq(t, good);
	ck_assert_uint_eq(l, strlen(good));
	odin_record_text_free(t);
}
END_TEST

START_TEST(format_pending_default)
{
	struct odin_record r;
	char *t;
	size_t l;

	odin_record_init(&r, 42);
	ck_assert_int_eq(odin_record_format(&r, &t, &l), ODIN_OK);
	ck_assert_str_eq(t,
	    "odin-mfa-record 1\nstate pending\nsecret -\nalgorithm SHA1\n"
	    "digits 6\nperiod 30\nlast_step 0\nfailures 0\nlockout_until 0\n"
	    "lockout_count 0\nbackup_kdf none\ncreated 42\nupdated 42\nend\n");
	odin_record_text_free(t);
}
END_TEST

START_TEST(rt_pending_nosecret)
{
	struct odin_record r;

	fill_record(&r, ODIN_STATE_PENDING, 0, 0);
	round_trip(&r);
}
END_TEST

START_TEST(rt_pending_secret)
{
	struct odin_record r;

	fill_record(&r, ODIN_STATE_PENDING, 20, 0);
	round_trip(&r);
}
END_TEST

START_TEST(rt_enabled_0_backup)
{
	struct odin_record r;

	fill_record(&r, ODIN_STATE_ENABLED, 20, 0);
	round_trip(&r);
}
END_TEST

START_TEST(rt_enabled_20_backup)
{
	struct odin_record r;

	fill_record(&r, ODIN_STATE_ENABLED, 20, ODIN_BACKUP_MAX);
	round_trip(&r);
}
END_TEST

/* Every secret length 10..64 (base32 with and without partial groups). */
START_TEST(rt_secret_lengths)
{
	struct odin_record r;
	size_t n;

	for (n = ODIN_SECRET_MIN; n <= ODIN_SECRET_MAX; n++) {
		fill_record(&r, ODIN_STATE_ENABLED, n, 3);
		r.alg = ODIN_ALG_SHA512;
		round_trip(&r);
	}
}
END_TEST

/* Bypass codes (enabled records) and enrollment tokens (pending ones): parsed, round-tripped, compared. */
START_TEST(rt_helpdesk_lines)
{
	static const char pend[] =
	    "odin-mfa-record 1\nstate pending\nsecret -\nalgorithm SHA1\ndigits 6\nperiod 30\n"
	    "last_step 0\nfailures 0\nlockout_until 0\nlockout_count 0\nbackup_kdf none\n"
	    "created 1700000000\nupdated 1700000000\n"
	    "enroll_token active 1700086400 1700000000 " H16 " " H32 "\nend\n";
	struct odin_record r, q;
	char *t;
	size_t l;

	fill_record(&r, ODIN_STATE_ENABLED, 20, 3);
	r.bypass_uses = ODIN_BYPASS_USES_MAX;
	r.bypass_issued = 1700000000;
	r.bypass_expires = 1700259200;
	ck_assert_int_eq(odin_random(&r.bypass, sizeof(r.bypass)), ODIN_OK);
	round_trip(&r);
	ck_assert_int_eq(odin_record_format(&r, &t, &l), ODIN_OK);
	ck_assert_int_eq(odin_record_parse(t, l, &q), ODIN_OK);
	odin_record_text_free(t);
	ck_assert_int_eq(odin_record_same(&r, &q), 1);
	ck_assert_int_eq(memcmp(&r.bypass, &q.bypass, sizeof(r.bypass)), 0);
	q.bypass_uses--;	/* one use spent: no longer the same record */
	ck_assert_int_eq(odin_record_same(&r, &q), 0);
	ck_assert_int_eq(odin_record_extras_same(&r, &q), 0);

	ck_assert_int_eq(odin_record_parse(pend, sizeof(pend) - 1, &r), ODIN_OK);
	ck_assert_int_eq(r.token, ODIN_TOKEN_ACTIVE);
	ck_assert(r.token_expires == 1700086400 && r.token_issued == 1700000000);
	ck_assert_uint_eq(r.token_hash.hash[0], 0x00);
	ck_assert_int_eq(odin_record_format(&r, &t, &l), ODIN_OK);
	ck_assert_uint_eq(l, sizeof(pend) - 1);
	ck_assert(memcmp(t, pend, l) == 0);	/* byte for byte */
	odin_record_text_free(t);
	r.token = ODIN_TOKEN_SPENT;
	r.token_expires = 0;
	memset(&r.token_hash, 0, sizeof(r.token_hash));
	ck_assert_int_eq(odin_record_format(&r, &t, &l), ODIN_OK);
	ck_assert_ptr_nonnull(strstr(t, "\nenroll_token spent 1700000000\nend\n"));
	ck_assert_int_eq(odin_record_parse(t, l, &q), ODIN_OK);
	ck_assert_int_eq(q.token, ODIN_TOKEN_SPENT);
	odin_record_text_free(t);
	/* the formatter refuses what the parser would */
	r.state = ODIN_STATE_ENABLED;
	r.secret_len = 20;
	ck_assert_int_eq(odin_record_format(&r, &t, &l), ODIN_EINVAL);	/* a token on an enabled record */
}
END_TEST

START_TEST(format_rejects_inconsistent)
{
	struct odin_record r;
	char *t = (char *)1;
	size_t l = 1;

	fill_record(&r, ODIN_STATE_ENABLED, 0, 0);	/* enabled, no secret */
	ck_assert_int_eq(odin_record_format(&r, &t, &l), ODIN_EINVAL);
	ck_assert_ptr_null(t);
	fill_record(&r, ODIN_STATE_ENABLED, 20, 0);
	r.digits = 9;
	ck_assert_int_eq(odin_record_format(&r, &t, &l), ODIN_EINVAL);
	fill_record(&r, ODIN_STATE_ENABLED, 20, 2);
	r.backup_iter = 0;
	ck_assert_int_eq(odin_record_format(&r, &t, &l), ODIN_EINVAL);
	fill_record(&r, ODIN_STATE_ENABLED, 20, 0);
	r.nbackup = ODIN_BACKUP_MAX + 1;
	ck_assert_int_eq(odin_record_format(&r, &t, &l), ODIN_EINVAL);
	fill_record(&r, ODIN_STATE_ENABLED, 20, 0);
	r.last_step = -1;
	ck_assert_int_eq(odin_record_format(&r, &t, &l), ODIN_EINVAL);
	fill_record(&r, ODIN_STATE_ENABLED, 9, 0);
	ck_assert_int_eq(odin_record_format(&r, &t, &l), ODIN_EINVAL);
	fill_record(&r, ODIN_STATE_ENABLED, 20, 0);
	r.state = 0;
	ck_assert_int_eq(odin_record_format(&r, &t, &l), ODIN_EINVAL);
}
END_TEST

/* ---- malformed inputs: one edit of the good record each ---------------- */

struct mutation {
	const char *name;
	const char *from;	/* replaced once; NULL: special */
	const char *to;
};

static const struct mutation mutations[] = {
	{ "wrong version", "odin-mfa-record 1\n", "odin-mfa-record 2\n" },
	{ "no header", "odin-mfa-record 1\n", "" },
	{ "header not first", "odin-mfa-record 1\nstate enabled\n", "state enabled\nodin-mfa-record 1\n" },
	{ "unknown key", "end\n", "colour blue\nend\n" },
	{ "duplicated key", "digits 6\n", "digits 6\ndigits 6\n" },
	{ "duplicated state", "state enabled\n", "state enabled\nstate pending\n" },
	{ "missing key", "period 30\n", "" },
	{ "missing updated", "updated 1700000100\n", "" },
	{ "negative number", "failures 2\n", "failures -2\n" },
	{ "plus sign", "failures 2\n", "failures +2\n" },
	{ "leading zero", "period 30\n", "period 030\n" },
	{ "int64 overflow", "last_step 56666666\n", "last_step 9223372036854775808\n" },
	{ "huge number", "last_step 56666666\n", "last_step 99999999999999999999999999\n" },
	{ "u32 overflow", "failures 2\n", "failures 4294967296\n" },
	{ "hex number", "period 30\n", "period 0x1e\n" },
	{ "empty number", "failures 2\n", "failures \n" },
	{ "digits 5", "digits 6\n", "digits 5\n" },
	{ "digits 9", "digits 6\n", "digits 9\n" },
	{ "period 0", "period 30\n", "period 0\n" },
	{ "period 3601", "period 30\n", "period 3601\n" },
	{ "bad base32 char", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PX1JBSWY3DPEHPK3PXP" },
	{ "lower-case base32", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "jbswy3dpehpk3pxpjbswy3dpehpk3pxp" },
	{ "base32 padding", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX=" },
	{ "base32 space", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "JBSW Y3DPEHPK3PXPJBSWY3DPEHPK3PXP" },
	{ "secret too short", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "JBSWY3DP" },
	{ "secret 65 bytes", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
	  "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
	  "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJBSWY3DP" },	/* 104 chars: 65 bytes */
	{ "enabled without secret", "secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n", "secret -\n" },
	{ "empty secret", "secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n", "secret \n" },
	{ "unknown algorithm", "algorithm SHA1\n", "algorithm MD5\n" },
	{ "lower-case algorithm", "algorithm SHA1\n", "algorithm sha1\n" },
	{ "unknown state", "state enabled\n", "state active\n" },
	{ "CR line end", "digits 6\n", "digits 6\r\n" },
	{ "tab separator", "digits 6\n", "digits\t6\n" },
	{ "double space", "digits 6\n", "digits  6\n" },
	{ "trailing space", "digits 6\n", "digits 6 \n" },
	{ "empty line", "digits 6\n", "digits 6\n\n" },
	{ "key without value", "digits 6\n", "digits\n" },
	{ "non-ASCII", "state enabled\n", "state enabl\xc3\xa9\n" },
	{ "escape byte", "state enabled\n", "state \x1b[31menabled\n" },
	{ "trailing data", "end\n", "end\nx\n" },
#define BP_OK "bypass 2 1700003600 1700000000 " H16 " " H32 "\n"
	{ "bypass 0 uses", "end\n", "bypass 0 1700003600 1700000000 " H16 " " H32 "\nend\n" },
	{ "bypass 11 uses", "end\n", "bypass 11 1700003600 1700000000 " H16 " " H32 "\nend\n" },
	{ "bypass expires before issued", "end\n", "bypass 1 1699999999 1700000000 " H16 " " H32 "\nend\n" },
	{ "bypass short hash", "end\n", "bypass 1 1700003600 1700000000 " H16 " 00ff\nend\n" },
	{ "bypass missing field", "end\n", "bypass 1 1700003600 " H16 " " H32 "\nend\n" },
	{ "bypass trailing field", "end\n", "bypass 1 1700003600 1700000000 " H16 " " H32 " x\nend\n" },
	{ "bypass twice", "end\n", BP_OK BP_OK "end\n" },
	{ "bypass on a pending record", "secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n",
	  "secret -\n" BP_OK },
	{ "token on an enabled record", "end\n", "enroll_token spent 1700000000\nend\n" },
	{ "token of an unknown kind", "end\n", "enroll_token used 1700000000\nend\n" },
	{ "bypass with a trailing space", "end\n", "bypass 2 1700003600 1700000000 " H16 " " H32 " \nend\n" },
	{ "bypass with a double space", "end\n", "bypass 2  1700003600 1700000000 " H16 " " H32 "\nend\n" },
	{ "two ends", "end\n", "end\nend\n" },
	{ "no end", "end\n", "" },
	{ "no final newline", "end\n", "end" },
	{ "21 backup lines", "created ",
	  "backup " H32 "\nbackup " H32 "\nbackup " H32 "\nbackup " H32 "\nbackup " H32 "\n"
	  "backup " H32 "\nbackup " H32 "\nbackup " H32 "\nbackup " H32 "\nbackup " H32 "\n"
	  "backup " H32 "\nbackup " H32 "\nbackup " H32 "\nbackup " H32 "\nbackup " H32 "\n"
	  "backup " H32 "\nbackup " H32 "\nbackup " H32 "\nbackup " H32 "\ncreated " },
	{ "short backup hex", "backup " H32 "\n", "backup " H32 "0\n" },
	{ "upper-case backup hex", "backup " H32 "\n", "backup 00112233445566778899AABBCCDDEEFF00112233445566778899AABBCCDDEEFF\n" },
	{ "non-hex backup", "backup " H32 "\n", "backup 00112233445566778899aabbccddeeff00112233445566778899aabbccddeefg\n" },
	{ "short salt", "000102030405060708090a0b0c0d0e0f\n", "000102030405060708090a0b0c0d0e\n" },
	{ "kdf none with backups", "backup_kdf pbkdf2-sha256 20000 000102030405060708090a0b0c0d0e0f\n", "backup_kdf none\n" },
	{ "unknown kdf", "pbkdf2-sha256 20000", "scrypt 20000" },
	{ "kdf iterations 0", "pbkdf2-sha256 20000", "pbkdf2-sha256 0" },
	{ "kdf iterations huge", "pbkdf2-sha256 20000", "pbkdf2-sha256 4000000000" },
	{ "kdf missing salt", " 20000 000102030405060708090a0b0c0d0e0f\n", " 20000\n" },
	{ "kdf extra field", "0c0d0e0f\n", "0c0d0e0f x\n" },
	{ "negative time", "created 1700000000\n", "created -1\n" },
	{ "overlong line", "lockout_count 1\n",
	  "lockout_count 1\nbackup 0000000000000000000000000000000000000000000000000000000000000000"
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "0000000000000000000000000000000000000000000000000000000000000000"
	  "0000000000000000000000000000000000000000000000000000000000000000\n" },
};

/* Applies mutation i to the good record; the text must have changed. */
static char *
mutate(const struct mutation *m, size_t *len)
{
	const char *at = strstr(good, m->from);
	size_t pre, fl = strlen(m->from), tl = strlen(m->to);
	char *out;

	ck_assert_msg(at != NULL, "mutation %s does not apply", m->name);
	pre = (size_t)(at - good);
	*len = strlen(good) - fl + tl;
	out = malloc(*len + 1);
	ck_assert_ptr_nonnull(out);
	memcpy(out, good, pre);
	memcpy(out + pre, m->to, tl);
	memcpy(out + pre + tl, at + fl, strlen(good) - pre - fl);
	out[*len] = '\0';
	ck_assert_msg(*len != strlen(good) || memcmp(out, good, *len) != 0,
	    "mutation %s changes nothing", m->name);
	return out;
}

START_TEST(malformed_table)
{
	const struct mutation *m = &mutations[_i];
	struct odin_record r;
	size_t len;
	char *t = mutate(m, &len);

	memset(&r, 0xa5, sizeof(r));
	ck_assert_msg(odin_record_parse(t, len, &r) == ODIN_ECORRUPT,
	    "accepted: %s", m->name);
	ck_assert_msg(all_zero(&r, sizeof(r)), "not wiped after: %s", m->name);
	free(t);
}
END_TEST

START_TEST(malformed_nul_byte)
{
	struct odin_record r;
	char buf[sizeof(good)];
	size_t len = strlen(good);

	memcpy(buf, good, len);
	buf[strstr(good, "enabled") - good + 3] = '\0';
	ck_assert_int_eq(odin_record_parse(buf, len, &r), ODIN_ECORRUPT);
	/* A NUL right after "end\n" is trailing data too. */
	memcpy(buf, good, len);
	buf[len] = '\0';
	ck_assert_int_eq(odin_record_parse(buf, len + 1, &r), ODIN_ECORRUPT);
}
END_TEST

START_TEST(malformed_truncated)
{
	struct odin_record r;
	size_t len = strlen(good), cut;

	/* Every proper prefix is refused, including ones ending on a line end. */
	for (cut = 0; cut < len; cut++)
		ck_assert_msg(odin_record_parse(good, cut, &r) == ODIN_ECORRUPT,
		    "prefix of %zu bytes accepted", cut);
	ck_assert_int_eq(odin_record_parse(NULL, 0, &r), ODIN_ECORRUPT);
}
END_TEST

START_TEST(malformed_huge)
{
	struct odin_record r;
	size_t len = 1 << 20;
	char *big = malloc(len);

	ck_assert_ptr_nonnull(big);
	/* A valid record followed by a megabyte of one line. */
	memset(big, 'a', len);
	memcpy(big, good, strlen(good) - 4);
	big[len - 1] = '\n';
	ck_assert_int_eq(odin_record_parse(big, len, &r), ODIN_ECORRUPT);
	free(big);
}
END_TEST

/* Base32 with non-zero trailing bits decodes to nothing canonical. */
START_TEST(malformed_base32_tail)
{
	static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
	struct odin_record r;
	uint8_t key[11] = "0123456789";
	char enc[32], text[1024];
	char *last;
	int n;

	ck_assert_int_eq(odin_base32_encode(key, sizeof(key), enc, sizeof(enc)), ODIN_OK);
	ck_assert_uint_eq(strlen(enc), 18);	/* 88 bits: 2 spare bits */
	last = strchr(alpha, enc[17]);
	ck_assert_ptr_nonnull(last);
	n = snprintf(text, sizeof(text), "odin-mfa-record 1\nstate enabled\nsecret %s\n%s", enc,
	    strstr(good, "algorithm"));
	ck_assert(n > 0 && (size_t)n < sizeof(text));
	ck_assert_int_eq(odin_record_parse(text, (size_t)n, &r), ODIN_OK);
	ck_assert_uint_eq(r.secret_len, 11);
	text[strstr(text, enc) - text + 17] = alpha[(last - alpha) ^ 1];
	ck_assert_int_eq(odin_record_parse(text, (size_t)n, &r), ODIN_ECORRUPT);
}
END_TEST

/* Boundary values that must still be accepted. */
START_TEST(bounds_accepted)
{
	static const struct mutation ok[] = {
		{ "digits 8", "digits 6\n", "digits 8\n" },
		{ "period 1", "period 30\n", "period 1\n" },
		{ "period 3600", "period 30\n", "period 3600\n" },
		{ "int64 max", "last_step 56666666\n", "last_step 9223372036854775807\n" },
		{ "u32 max", "failures 2\n", "failures 4294967295\n" },
		{ "zero", "last_step 56666666\n", "last_step 0\n" },
		{ "pending", "state enabled\n", "state pending\n" },
		{ "pending no secret", "state enabled\nsecret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP\n",
		  "state pending\nsecret -\n" },
		{ "keys reordered", "digits 6\nperiod 30\n", "period 30\ndigits 6\n" },
		{ "secret 10 bytes", "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP", "JBSWY3DPEHPK3PXP" },
	};
	struct odin_record r;
	size_t i, len;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		char *t = mutate(&ok[i], &len);

		ck_assert_msg(odin_record_parse(t, len, &r) == ODIN_OK, "refused: %s", ok[i].name);
		free(t);
	}
}
END_TEST

static Suite *
record_suite(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("format");

	tcase_add_test(tc, good_parses);
	tcase_add_test(tc, format_golden);
	tcase_add_test(tc, format_pending_default);
	tcase_add_test(tc, rt_pending_nosecret);
	tcase_add_test(tc, rt_pending_secret);
	tcase_add_test(tc, rt_enabled_0_backup);
	tcase_add_test(tc, rt_enabled_20_backup);
	tcase_add_test(tc, rt_secret_lengths);
	tcase_add_test(tc, format_rejects_inconsistent);
	tcase_add_test(tc, rt_helpdesk_lines);
	tcase_add_test(tc, bounds_accepted);
	suite_add_tcase(s, tc);

	tc = tcase_create("malformed");
	tcase_add_loop_test(tc, malformed_table, 0, (int)(sizeof(mutations) / sizeof(mutations[0])));
	tcase_add_test(tc, malformed_nul_byte);
	tcase_add_test(tc, malformed_truncated);
	tcase_add_test(tc, malformed_huge);
	tcase_add_test(tc, malformed_base32_tail);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(record_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);	/* CK_VERBOSITY=verbose names each case */
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
