/* SPDX-License-Identifier: ISC */
/* Backup codes: shape, single use, hashing, normalisation, prompt classification. */
#include "autoconfig.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "backup.h"
#include "err.h"
#include "onetime.h"
#include "otp.h"
#include "record.h"
#include "secure.h"

static const char crockford[] = "0123456789abcdefghjkmnpqrstvwxyz";

static void
new_record(struct odin_record *r)
{
	odin_record_init(r, 1700000000);
	r->state = ODIN_STATE_ENABLED;
	r->secret_len = 20;
	ck_assert_int_eq(odin_random(r->secret, 20), ODIN_OK);
}

static void
norm(const char *shown, char *out)
{
	ck_assert_int_eq(odin_backup_normalise(shown, out, ODIN_BACKUP_CODE_LEN + 1), ODIN_OK);
}

START_TEST(generate_shape)
{
	struct odin_backup_code c[ODIN_BACKUP_MAX];
	struct odin_record r;
	unsigned seen[32] = { 0 };
	unsigned set, i, j, k;

	/* 5 sets of 20: 100 codes, 1000 characters. */
	for (set = 0; set < 5; set++) {
		new_record(&r);
		ck_assert_int_eq(odin_backup_generate(&r, ODIN_BACKUP_MAX, c), ODIN_OK);
		ck_assert_uint_eq(r.nbackup, ODIN_BACKUP_MAX);
		ck_assert_uint_eq(r.backup_iter, ODIN_BACKUP_ITER);
		for (i = 0; i < ODIN_BACKUP_MAX; i++) {
			int letter = 0;

			ck_assert_uint_eq(strlen(c[i].s), ODIN_BACKUP_SHOWN_LEN);
			ck_assert_int_eq(c[i].s[5], '-');
			for (k = 0; k < ODIN_BACKUP_SHOWN_LEN; k++) {
				const char *p;

				if (k == 5)
					continue;
				p = strchr(crockford, c[i].s[k]);
				ck_assert_msg(p != NULL && c[i].s[k] != '\0',
				    "character outside the alphabet in %s", c[i].s);
				seen[p - crockford]++;
				letter |= c[i].s[k] > '9';
			}
			ck_assert_msg(letter, "code without a letter: %s", c[i].s);
			for (j = 0; j < i; j++)
				ck_assert_str_ne(c[i].s, c[j].s);
		}
	}
	/* ~50 bits a code: every one of the 32 symbols shows up in 1000 draws. */
	for (k = 0; k < 32; k++)
		ck_assert_msg(seen[k] > 0, "symbol %c never drawn", crockford[k]);
}
END_TEST

START_TEST(generate_bad_count)
{
	struct odin_backup_code c[ODIN_BACKUP_MAX + 1];
	struct odin_record r, before;

	new_record(&r);
	ck_assert_int_eq(odin_backup_generate(&r, 3, c), ODIN_OK);
	before = r;
	ck_assert_int_eq(odin_backup_generate(&r, 0, c), ODIN_EINVAL);
	ck_assert_int_eq(odin_backup_generate(&r, ODIN_BACKUP_MAX + 1, c), ODIN_EINVAL);
	ck_assert(memcmp(&r, &before, sizeof(r)) == 0);
}
END_TEST

/* Fresh sets replace old ones: new salt, old codes die. */
START_TEST(generate_replaces)
{
	struct odin_backup_code a[3], b[3];
	struct odin_record r;
	uint8_t salt[ODIN_BACKUP_SALT_LEN];
	char n[16];

	new_record(&r);
	ck_assert_int_eq(odin_backup_generate(&r, 3, a), ODIN_OK);
	memcpy(salt, r.backup_salt, sizeof(salt));
	ck_assert_int_eq(odin_backup_generate(&r, 3, b), ODIN_OK);
	ck_assert(memcmp(salt, r.backup_salt, sizeof(salt)) != 0);
	norm(a[0].s, n);
	ck_assert_int_eq(odin_backup_consume(&r, n), ODIN_ENOMATCH);
	norm(b[0].s, n);
	ck_assert_int_eq(odin_backup_consume(&r, n), ODIN_OK);
}
END_TEST

START_TEST(code_works_once)
{
	struct odin_backup_code c[ODIN_BACKUP_DEFAULT_COUNT];
	struct odin_record r;
	char n[16];

	new_record(&r);
	ck_assert_int_eq(odin_backup_generate(&r, ODIN_BACKUP_DEFAULT_COUNT, c), ODIN_OK);
	norm(c[4].s, n);
	ck_assert_int_eq(odin_backup_consume(&r, n), ODIN_OK);
	ck_assert_uint_eq(r.nbackup, ODIN_BACKUP_DEFAULT_COUNT - 1);
	ck_assert_int_eq(odin_backup_consume(&r, n), ODIN_ENOMATCH);
	ck_assert_uint_eq(r.nbackup, ODIN_BACKUP_DEFAULT_COUNT - 1);
	/* The others, first and last included, still work, each once. */
	norm(c[0].s, n);
	ck_assert_int_eq(odin_backup_consume(&r, n), ODIN_OK);
	norm(c[ODIN_BACKUP_DEFAULT_COUNT - 1].s, n);
	ck_assert_int_eq(odin_backup_consume(&r, n), ODIN_OK);
	ck_assert_int_eq(odin_backup_consume(&r, n), ODIN_ENOMATCH);
	ck_assert_uint_eq(r.nbackup, ODIN_BACKUP_DEFAULT_COUNT - 3);
}
END_TEST

START_TEST(all_codes_then_none)
{
	struct odin_backup_code c[4];
	struct odin_record r;
	char n[16];
	unsigned i;

	new_record(&r);
	ck_assert_int_eq(odin_backup_generate(&r, 4, c), ODIN_OK);
	for (i = 0; i < 4; i++) {
		norm(c[i].s, n);
		ck_assert_int_eq(odin_backup_consume(&r, n), ODIN_OK);
	}
	ck_assert_uint_eq(r.nbackup, 0);
	ck_assert_int_eq(odin_backup_consume(&r, n), ODIN_ENOMATCH);
}
END_TEST

START_TEST(wrong_code_fails)
{
	struct odin_backup_code c[5];
	struct odin_record r, before;

	new_record(&r);
	ck_assert_int_eq(odin_backup_generate(&r, 5, c), ODIN_OK);
	before = r;
	ck_assert_int_eq(odin_backup_consume(&r, "abcde12345"), ODIN_ENOMATCH);
	ck_assert(memcmp(&r, &before, sizeof(r)) == 0);
	ck_assert_int_eq(odin_backup_consume(&r, "not a code!"), ODIN_EINVAL);
	ck_assert_int_eq(odin_backup_consume(&r, ""), ODIN_EINVAL);
	/* No codes at all: still a clean "no match". */
	new_record(&r);
	ck_assert_int_eq(odin_backup_consume(&r, "abcde12345"), ODIN_ENOMATCH);
}
END_TEST

START_TEST(other_users_code_fails)
{
	struct odin_backup_code ca[5], cb[5];
	struct odin_record a, b;
	char n[16];
	unsigned i;

	new_record(&a);
	new_record(&b);
	ck_assert_int_eq(odin_backup_generate(&a, 5, ca), ODIN_OK);
	ck_assert_int_eq(odin_backup_generate(&b, 5, cb), ODIN_OK);
	for (i = 0; i < 5; i++) {
		norm(cb[i].s, n);
		ck_assert_int_eq(odin_backup_consume(&a, n), ODIN_ENOMATCH);
	}
	ck_assert_uint_eq(a.nbackup, 5);
	norm(ca[2].s, n);
	ck_assert_int_eq(odin_backup_consume(&a, n), ODIN_OK);
}
END_TEST

/* Stored: PBKDF2-HMAC-SHA256(normalised code, salt, ITER) and nothing else. */
START_TEST(hashes_not_codes)
{
	struct odin_backup_code c[ODIN_BACKUP_MAX];
	struct odin_record r;
	uint8_t h[ODIN_BACKUP_HASH_LEN];
	char n[16], *text;
	size_t len;
	unsigned i;

	new_record(&r);
	ck_assert_int_eq(odin_backup_generate(&r, ODIN_BACKUP_MAX, c), ODIN_OK);
	ck_assert_int_eq(odin_record_format(&r, &text, &len), ODIN_OK);
	for (i = 0; i < ODIN_BACKUP_MAX; i++) {
		norm(c[i].s, n);
		ck_assert_ptr_null(memmem(&r, sizeof(r), n, strlen(n)));
		ck_assert_ptr_null(memmem(&r, sizeof(r), c[i].s, strlen(c[i].s)));
		ck_assert_ptr_null(memmem(text, len, n, strlen(n)));
		ck_assert_ptr_null(memmem(text, len, c[i].s, strlen(c[i].s)));
		/* Half a code is not there either. */
		ck_assert_ptr_null(memmem(text, len, c[i].s, 5));
		ck_assert_int_eq(PKCS5_PBKDF2_HMAC(n, (int)strlen(n), r.backup_salt,
		    ODIN_BACKUP_SALT_LEN, ODIN_BACKUP_ITER, EVP_sha256(), sizeof(h), h), 1);
		ck_assert(memcmp(h, r.backup[i], sizeof(h)) == 0);
	}
	odin_record_text_free(text);
}
END_TEST

/* Codes survive the record's text form. */
START_TEST(consume_after_round_trip)
{
	struct odin_backup_code c[3];
	struct odin_record r, back;
	char n[16], *text;
	size_t len;

	new_record(&r);
	ck_assert_int_eq(odin_backup_generate(&r, 3, c), ODIN_OK);
	ck_assert_int_eq(odin_record_format(&r, &text, &len), ODIN_OK);
	ck_assert_int_eq(odin_record_parse(text, len, &back), ODIN_OK);
	norm(c[1].s, n);
	ck_assert_int_eq(odin_backup_consume(&back, n), ODIN_OK);
	ck_assert_uint_eq(back.nbackup, 2);
	odin_record_text_free(text);
}
END_TEST

START_TEST(normalise_forms)
{
	struct odin_backup_code c[1];
	struct odin_record r;
	char up[32], out[ODIN_BACKUP_CODE_LEN + 1], ref[ODIN_BACKUP_CODE_LEN + 1];
	size_t i;

	ck_assert_int_eq(odin_backup_normalise("ABCDE-FGHJK", out, sizeof(out)), ODIN_OK);
	ck_assert_str_eq(out, "abcdefghjk");
	ck_assert_int_eq(odin_backup_normalise(" ab cd\te-fg-hjk ", out, sizeof(out)), ODIN_OK);
	ck_assert_str_eq(out, "abcdefghjk");
	ck_assert_int_eq(odin_backup_normalise("oOiIl-Labcd", out, sizeof(out)), ODIN_OK);
	ck_assert_str_eq(out, "001111abcd");
	/* A typed code in upper case with the look-alikes still consumes. */
	new_record(&r);
	ck_assert_int_eq(odin_backup_generate(&r, 1, c), ODIN_OK);
	for (i = 0; c[0].s[i] != '\0'; i++)
		up[i] = (char)(c[0].s[i] >= 'a' ? c[0].s[i] - 'a' + 'A' : c[0].s[i]);
	up[i] = '\0';
	norm(c[0].s, ref);
	ck_assert_int_eq(odin_backup_normalise(up, out, sizeof(out)), ODIN_OK);
	ck_assert_str_eq(out, ref);
	ck_assert_int_eq(odin_backup_consume(&r, out), ODIN_OK);
}
END_TEST

START_TEST(normalise_rejects)
{
	static const char *const bad[] = {
		"", "abcde-fghj", "abcde-fghjkm", "12345-67890", "abcde-fghju",
		"abcde_fghjk", "abcde.fghjk", "abcd\xc3\xa9-fghjk", "abcde-fghjk-abcde-fghjk",
		"abcde\nfghjk",
	};
	char out[ODIN_BACKUP_CODE_LEN + 1];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(odin_backup_normalise(bad[i], out, sizeof(out)) == ODIN_EINVAL,
		    "accepted bad[%zu]", i);
		ck_assert_str_eq(out, "");
	}
	ck_assert_int_eq(odin_backup_normalise(NULL, out, sizeof(out)), ODIN_EINVAL);
	ck_assert_int_eq(odin_backup_normalise("abcde-fghjk", out, ODIN_BACKUP_CODE_LEN), ODIN_EINVAL);
}
END_TEST

/* Imported google-authenticator scratch codes: 8 digits, hashed, single use. */
START_TEST(plain_scratch_codes)
{
	static const char *const ga[] = { "12345678", "87654321", "55555555" };
	struct odin_record r;
	char out[32], *text;
	size_t len;

	new_record(&r);
	ck_assert_int_eq(odin_backup_set_plain(&r, ga, 3), ODIN_OK);
	ck_assert_uint_eq(r.nbackup, 3);
	ck_assert_int_eq(odin_record_format(&r, &text, &len), ODIN_OK);
	ck_assert_ptr_null(memmem(text, len, "12345678", 8));
	ck_assert_ptr_null(memmem(&r, sizeof(r), "87654321", 8));
	odin_record_text_free(text);
	ck_assert_int_eq(odin_input_classify("8765 4321", 6, out, sizeof(out)), ODIN_INPUT_BACKUP);
	ck_assert_str_eq(out, "87654321");
	ck_assert_int_eq(odin_backup_consume(&r, out), ODIN_OK);
	ck_assert_int_eq(odin_backup_consume(&r, out), ODIN_ENOMATCH);
	ck_assert_int_eq(odin_backup_consume(&r, "12345679"), ODIN_ENOMATCH);
	ck_assert_uint_eq(r.nbackup, 2);
}
END_TEST

START_TEST(plain_rejects)
{
	static const char *const shortc[] = { "12345678", "12345" };
	static const char *const longc[] = { "12345678901234567" };
	static const char *const oddc[] = { "1234567!" };
	static const char *const nullc[] = { NULL };
	struct odin_record r, before;

	new_record(&r);
	before = r;
	ck_assert_int_eq(odin_backup_set_plain(&r, shortc, 2), ODIN_EINVAL);
	ck_assert_int_eq(odin_backup_set_plain(&r, longc, 1), ODIN_EINVAL);
	ck_assert_int_eq(odin_backup_set_plain(&r, oddc, 1), ODIN_EINVAL);
	ck_assert_int_eq(odin_backup_set_plain(&r, nullc, 1), ODIN_EINVAL);
	ck_assert_int_eq(odin_backup_set_plain(&r, shortc, 0), ODIN_EINVAL);
	ck_assert(memcmp(&r, &before, sizeof(r)) == 0);
}
END_TEST

struct classify_case {
	const char *in;
	unsigned digits;
	enum odin_input_kind kind;
	const char *out;
};

static const struct classify_case classify_cases[] = {
	{ "123456", 6, ODIN_INPUT_TOTP, "123456" },
	{ " 123 456 ", 6, ODIN_INPUT_TOTP, "123456" },
	{ "123-456", 6, ODIN_INPUT_TOTP, "123456" },
	{ "12\t34\t56", 6, ODIN_INPUT_TOTP, "123456" },
	{ "1234567", 7, ODIN_INPUT_TOTP, "1234567" },
	{ "12345678", 8, ODIN_INPUT_TOTP, "12345678" },
	{ "12345678", 6, ODIN_INPUT_BACKUP, "12345678" },
	{ "12345678", 7, ODIN_INPUT_BACKUP, "12345678" },
	{ "12345", 6, ODIN_INPUT_INVALID, "" },
	{ "1234567", 6, ODIN_INPUT_INVALID, "" },
	{ "123456789", 6, ODIN_INPUT_INVALID, "" },
	{ "1234567890", 6, ODIN_INPUT_INVALID, "" },
	{ "12345a", 6, ODIN_INPUT_INVALID, "" },
	{ "", 6, ODIN_INPUT_INVALID, "" },
	{ "   ", 6, ODIN_INPUT_INVALID, "" },
	{ "ABCDE-FGHJK", 6, ODIN_INPUT_BACKUP, "abcdefghjk" },
	{ "abcde fghjk", 8, ODIN_INPUT_BACKUP, "abcdefghjk" },
	{ "o1lI0-abcde", 6, ODIN_INPUT_BACKUP, "01110abcde" },
	{ "abcde-fghju", 6, ODIN_INPUT_INVALID, "" },
	{ "abcde-fghj", 6, ODIN_INPUT_INVALID, "" },
	{ "12345\xd9\xa0", 6, ODIN_INPUT_INVALID, "" },
	{ "123456\n", 6, ODIN_INPUT_INVALID, "" },
	{ "12345678901234567", 6, ODIN_INPUT_INVALID, "" },
	{ "abcdefghjkabcdefghjk", 6, ODIN_INPUT_INVALID, "" },
	{ "123456", 5, ODIN_INPUT_INVALID, "" },
};

/* One-time codes (onetime.h): bypass codes and enrollment tokens. */
START_TEST(onetime_codes)
{
	static const size_t lens[] = { ODIN_BYPASS_LEN, ODIN_TOKEN_LEN };
	struct odin_onetime o, o2;
	char shown[ODIN_ONETIME_SHOWN_MAX], norm[32], typed[64], other[ODIN_ONETIME_SHOWN_MAX];
	size_t k, i, n;
	unsigned seen = 0;

	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(odin_onetime_make(lens[k], &o, shown), ODIN_OK);
		/* groups of four, dash-separated, of the lower-case alphabet */
		ck_assert_uint_eq(strlen(shown), lens[k] + lens[k] / 4 - 1);
		for (i = 0; shown[i] != '\0'; i++)
			ck_assert(i % 5 == 4 ? shown[i] == '-' :
			    strchr("0123456789abcdefghjkmnpqrstvwxyz", shown[i]) != NULL);
		ck_assert_int_eq(odin_onetime_normalise(shown, lens[k], norm, sizeof(norm)), ODIN_OK);
		ck_assert_uint_eq(strlen(norm), lens[k]);
		ck_assert_int_eq(odin_onetime_check(&o, norm), ODIN_OK);
		/* typed in upper case, with spaces instead of dashes */
		for (i = n = 0; shown[i] != '\0'; i++)
			typed[n++] = shown[i] == '-' ? ' ' : (char)(shown[i] >= 'a' && shown[i] <= 'z' ?
			    shown[i] - 'a' + 'A' : shown[i]);
		typed[n] = '\0';
		ck_assert_int_eq(odin_onetime_normalise(typed, lens[k], norm, sizeof(norm)), ODIN_OK);
		ck_assert_int_eq(odin_onetime_check(&o, norm), ODIN_OK);
		/* another code, the other length, a code one character shorter */
		ck_assert_int_eq(odin_onetime_make(lens[k], &o2, other), ODIN_OK);
		ck_assert_int_eq(odin_onetime_normalise(other, lens[k], norm, sizeof(norm)), ODIN_OK);
		ck_assert_int_eq(odin_onetime_check(&o, norm), ODIN_ENOMATCH);
		ck_assert_int_eq(odin_onetime_normalise(shown, lens[1 - k], norm, sizeof(norm)), ODIN_EINVAL);
		typed[n - 1] = '\0';
		ck_assert_int_eq(odin_onetime_normalise(typed, lens[k], norm, sizeof(norm)), ODIN_EINVAL);
	}
	/* 'o', 'i', 'l' are read as '0', '1', '1'; 'u' is not in the alphabet */
	ck_assert_int_eq(odin_onetime_normalise("oil0-1100-abcd", ODIN_BYPASS_LEN, norm, sizeof(norm)), ODIN_OK);
	ck_assert_str_eq(norm, "01101100abcd");
	ck_assert_int_eq(odin_onetime_normalise("uuuu-1100-abcd", ODIN_BYPASS_LEN, norm, sizeof(norm)), ODIN_EINVAL);
	ck_assert_int_eq(odin_onetime_normalise(NULL, ODIN_BYPASS_LEN, norm, sizeof(norm)), ODIN_EINVAL);
	ck_assert_int_eq(odin_onetime_make(10, &o, shown), ODIN_EINVAL);
	/* every character of the alphabet turns up (no stuck bits) */
	for (i = 0; i < 200; i++) {
		ck_assert_int_eq(odin_onetime_make(ODIN_TOKEN_LEN, &o, shown), ODIN_OK);
		for (n = 0; shown[n] != '\0'; n++)
			if (shown[n] != '-')
				seen |= 1u << (strchr("0123456789abcdefghjkmnpqrstvwxyz", shown[n]) -
				    "0123456789abcdefghjkmnpqrstvwxyz");
	}
	ck_assert_uint_eq(seen, 0xffffffffu);
	/* at the code prompt a bypass code is told apart from codes and backup codes */
	ck_assert_int_eq(odin_input_classify("k7q2-m9xa-4tcv", 6, norm, sizeof(norm)), ODIN_INPUT_BYPASS);
	ck_assert_str_eq(norm, "k7q2m9xa4tcv");
	ck_assert_int_eq(odin_input_classify("k7q2m-9xa4t", 6, norm, sizeof(norm)), ODIN_INPUT_BACKUP);
}
END_TEST

START_TEST(classify_table)
{
	const struct classify_case *c = &classify_cases[_i];
	char out[32];

	memset(out, 'x', sizeof(out));
	ck_assert_msg(odin_input_classify(c->in, c->digits, out, sizeof(out)) == c->kind,
	    "case %d: wrong kind", _i);
	ck_assert_msg(strcmp(out, c->out) == 0, "case %d: out \"%s\"", _i, out);
}
END_TEST

START_TEST(classify_bounds)
{
	size_t big = 1 << 20;
	char *in = malloc(big + 1), out[32];

	ck_assert_ptr_nonnull(in);
	/* A megabyte of digits stops at the bound. */
	memset(in, '1', big);
	in[big] = '\0';
	ck_assert_int_eq(odin_input_classify(in, 6, out, sizeof(out)), ODIN_INPUT_INVALID);
	ck_assert_str_eq(out, "");
	/* ... but a megabyte of separators around a code is fine. */
	memset(in, ' ', big);
	memcpy(in + big / 2, "123456", 6);
	ck_assert_int_eq(odin_input_classify(in, 6, out, sizeof(out)), ODIN_INPUT_TOTP);
	ck_assert_str_eq(out, "123456");
	free(in);
	/* out too small for the result. */
	ck_assert_int_eq(odin_input_classify("123456", 6, out, 6), ODIN_INPUT_INVALID);
	ck_assert_int_eq(odin_input_classify("abcde-fghjk", 6, out, 10), ODIN_INPUT_INVALID);
	ck_assert_int_eq(odin_input_classify(NULL, 6, out, sizeof(out)), ODIN_INPUT_INVALID);
	ck_assert_int_eq(odin_input_classify("123456", 6, NULL, 0), ODIN_INPUT_INVALID);
}
END_TEST

static Suite *
backup_suite(void)
{
	Suite *s = suite_create("backup");
	TCase *tc = tcase_create("codes");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, generate_shape);
	tcase_add_test(tc, generate_bad_count);
	tcase_add_test(tc, generate_replaces);
	tcase_add_test(tc, code_works_once);
	tcase_add_test(tc, all_codes_then_none);
	tcase_add_test(tc, wrong_code_fails);
	tcase_add_test(tc, other_users_code_fails);
	tcase_add_test(tc, hashes_not_codes);
	tcase_add_test(tc, consume_after_round_trip);
	tcase_add_test(tc, plain_scratch_codes);
	tcase_add_test(tc, plain_rejects);
	suite_add_tcase(s, tc);

	tc = tcase_create("input");
	/* onetime_codes hashes 200 codes (PBKDF2, 20000 rounds): slow under ASan */
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, normalise_forms);
	tcase_add_test(tc, normalise_rejects);
	tcase_add_loop_test(tc, classify_table, 0,
	    (int)(sizeof(classify_cases) / sizeof(classify_cases[0])));
	tcase_add_test(tc, classify_bounds);
	tcase_add_test(tc, onetime_codes);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(backup_suite());
	int failed;

	srunner_run_all(sr, CK_ENV);	/* CK_VERBOSITY=verbose names each case */
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
