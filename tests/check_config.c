/* SPDX-License-Identifier: ISC */
#include "autoconfig.h"

#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "err.h"
#include "log.h"

/* ---- a log sink that keeps every line ---- */

static char logbuf[16384];

static void
cap_sink(void *ctx, int prio, const char *msg)
{
	size_t n = strlen(logbuf);

	(void)ctx;
	(void)prio;
	snprintf(logbuf + n, sizeof(logbuf) - n, "%s\n", msg);
}

static void
cap_setup(void)
{
	logbuf[0] = '\0';
	odin_log_set_sink(cap_sink, NULL);
}

static void
cap_teardown(void)
{
	odin_log_set_sink(NULL, NULL);
}

static int
parse_str(const char *text, struct odin_config *c)
{
	return odin_config_parse(text, strlen(text), "test.conf", c);
}

/* ---- temp files ---- */

static char tmpdir[64];

static void
dir_setup(void)
{
	cap_setup();
	strcpy(tmpdir, "/tmp/check_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
dir_teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	cap_teardown();
}

static void
write_file(const char *path, const void *data, size_t n, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, n), (ssize_t)n);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
}

static void
path_in(char *out, size_t outsz, const char *name)
{
	snprintf(out, outsz, "%s/%s", tmpdir, name);
}

/* ---- defaults and keys ---- */

START_TEST(defaults)
{
	struct odin_config c;

	odin_config_defaults(&c);
	ck_assert_str_eq(c.store_dir, ODIN_STORE_DIR);
	ck_assert_uint_eq(c.window, 1);
	ck_assert_uint_eq(c.max_failures, 5);
	ck_assert_uint_eq(c.lockout_seconds, 300);
	ck_assert_uint_eq(c.lockout_max_seconds, 86400);
	ck_assert_str_eq(c.enforce_group, "");
	ck_assert_str_eq(c.admin_group, "");
	ck_assert_str_eq(c.issuer, "O.D.I.N.");
	ck_assert_uint_eq(c.backup_codes, 10);
	ck_assert_uint_eq(c.skew_steps, 10);
	ck_assert_int_eq(c.echo_code, 0);
	ck_assert_int_eq(c.no_enroll, 0);
	ck_assert_int_eq(c.debug, 0);
	ck_assert_int_eq(c.forward_pass, 0);
}
END_TEST

static const char every_key[] =
    "# a comment\n"
    "   # an indented comment\n"
    "\n"
    "store_dir = /srv/odin store#1\n"
    "window=3\n"
    "\tmax_failures =  7  \n"
    "lockout_seconds= 60\r\n"
    "lockout_max_seconds = 3600\n"
    "enforce_group = mfa-users\n"
    "admin_group = wheel\n"
    "issuer = ACME Corp #1\n"
    "backup_codes = 20\n"
    "skew_steps = 0\n"
    "echo_code\n"
    "no_enroll = yes\n"
    "debug = true\n"
    "forward_pass = 1\n";

START_TEST(every_key_from_text)
{
	struct odin_config c;

	odin_config_defaults(&c);
	ck_assert_int_eq(parse_str(every_key, &c), ODIN_OK);
	ck_assert_str_eq(logbuf, "");
	ck_assert_str_eq(c.store_dir, "/srv/odin store#1");
	ck_assert_uint_eq(c.window, 3);
	ck_assert_uint_eq(c.max_failures, 7);
	ck_assert_uint_eq(c.lockout_seconds, 60);
	ck_assert_uint_eq(c.lockout_max_seconds, 3600);
	ck_assert_str_eq(c.enforce_group, "mfa-users");
	ck_assert_str_eq(c.admin_group, "wheel");
	ck_assert_str_eq(c.issuer, "ACME Corp #1");
	ck_assert_uint_eq(c.backup_codes, 20);
	ck_assert_uint_eq(c.skew_steps, 0);
	ck_assert_int_eq(c.echo_code, 1);
	ck_assert_int_eq(c.no_enroll, 1);
	ck_assert_int_eq(c.debug, 1);
	ck_assert_int_eq(c.forward_pass, 1);
}
END_TEST

START_TEST(every_key_from_file)
{
	struct odin_config c;
	char p[128];

	path_in(p, sizeof(p), "odin.conf");
	write_file(p, every_key, strlen(every_key), 0644);
	odin_config_defaults(&c);
	ck_assert_int_eq(odin_config_load(p, &c), ODIN_OK);
	ck_assert_str_eq(c.store_dir, "/srv/odin store#1");
	ck_assert_uint_eq(c.window, 3);
	ck_assert_str_eq(c.issuer, "ACME Corp #1");
	ck_assert_int_eq(c.forward_pass, 1);
	/* 0600 and 0400 are fine too. */
	ck_assert_int_eq(chmod(p, 0400), 0);
	ck_assert_int_eq(odin_config_load(p, &c), ODIN_OK);
}
END_TEST

START_TEST(booleans)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	static const char *const bad[] = { "", "2", "YES", "y", "enable", " yes", "-1" };
	struct odin_config c;
	size_t i;

	odin_config_defaults(&c);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(odin_config_set(&c, "debug", yes[i]), ODIN_OK);
		ck_assert_int_eq(c.debug, 1);
		ck_assert_int_eq(odin_config_set(&c, "debug", no[i]), ODIN_OK);
		ck_assert_int_eq(c.debug, 0);
	}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(odin_config_set(&c, "debug", bad[i]), ODIN_EINVAL);
		ck_assert_int_eq(c.debug, 0);
	}
	/* A bare flag (module argument "echo_code") means yes. */
	ck_assert_int_eq(odin_config_set(&c, "echo_code", NULL), ODIN_OK);
	ck_assert_int_eq(c.echo_code, 1);
}
END_TEST

struct bound {
	const char *key;
	unsigned lo, hi;
	size_t off;
};

static const struct bound bounds[] = {
	{ "window", 0, 10, offsetof(struct odin_config, window) },
	{ "max_failures", 1, 1000, offsetof(struct odin_config, max_failures) },
	{ "lockout_seconds", 1, 86400, offsetof(struct odin_config, lockout_seconds) },
	{ "lockout_max_seconds", 1, 604800, offsetof(struct odin_config, lockout_max_seconds) },
	{ "backup_codes", 1, 20, offsetof(struct odin_config, backup_codes) },
	{ "skew_steps", 0, 240, offsetof(struct odin_config, skew_steps) },
};

static unsigned
field(const struct odin_config *c, size_t off)
{
	return *(const unsigned *)(const void *)((const char *)c + off);
}

START_TEST(number_bounds)
{
	static const char *const junk[] = {
		"", "-1", "+1", " 1", "1 ", "1x", "0x1", "1.0", "1e3", "abc",
		"4294967296", "4294967295", "18446744073709551617",
		"99999999999999999999999999999999", "1,0",
	};
	const struct bound *b = &bounds[_i];
	struct odin_config c, before;
	char v[32];
	size_t j;

	odin_config_defaults(&c);
	snprintf(v, sizeof(v), "%u", b->lo);
	ck_assert_int_eq(odin_config_set(&c, b->key, v), ODIN_OK);
	ck_assert_uint_eq(field(&c, b->off), b->lo);
	snprintf(v, sizeof(v), "%u", b->hi);
	ck_assert_int_eq(odin_config_set(&c, b->key, v), ODIN_OK);
	ck_assert_uint_eq(field(&c, b->off), b->hi);

	before = c;
	snprintf(v, sizeof(v), "%u", b->hi + 1);
	ck_assert_int_eq(odin_config_set(&c, b->key, v), ODIN_EINVAL);
	if (b->lo > 0) {
		snprintf(v, sizeof(v), "%u", b->lo - 1);
		ck_assert_int_eq(odin_config_set(&c, b->key, v), ODIN_EINVAL);
	}
	for (j = 0; j < sizeof(junk) / sizeof(junk[0]); j++)
		ck_assert_msg(odin_config_set(&c, b->key, junk[j]) == ODIN_EINVAL,
		    "%s=%s accepted", b->key, junk[j]);
	ck_assert_int_eq(odin_config_set(&c, b->key, NULL), ODIN_EINVAL);
	ck_assert_int_eq(memcmp(&c, &before, sizeof(c)), 0);
}
END_TEST

START_TEST(number_bad_in_file_logged)
{
	struct odin_config c;

	odin_config_defaults(&c);
	ck_assert_int_eq(parse_str("window = 2\nmax_failures = 0\nwindow = 11\n"
	    "lockout_seconds = -5\nskew_steps = 99999999999999999999\n", &c), ODIN_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(logbuf, "test.conf:2: max_failures: 0 is out of range 1..1000"));
	ck_assert_ptr_nonnull(strstr(logbuf, "test.conf:3: window: 11 is out of range 0..10"));
	ck_assert_ptr_nonnull(strstr(logbuf, "test.conf:4: lockout_seconds: expected a decimal number"));
	ck_assert_ptr_nonnull(strstr(logbuf, "test.conf:5: skew_steps: expected a decimal number"));
	/* Good lines applied, bad ones not. */
	ck_assert_uint_eq(c.window, 2);
	ck_assert_uint_eq(c.max_failures, 5);
	ck_assert_uint_eq(c.lockout_seconds, 300);
	ck_assert_uint_eq(c.skew_steps, 10);
}
END_TEST

START_TEST(trailing_comment_is_value)
{
	struct odin_config c;

	odin_config_defaults(&c);
	ck_assert_int_eq(parse_str("window = 3 # three\n", &c), ODIN_ECORRUPT);
	ck_assert_uint_eq(c.window, 1);
	ck_assert_ptr_nonnull(strstr(logbuf, "test.conf:1: window"));
}
END_TEST

START_TEST(unknown_key_reported)
{
	struct odin_config c;

	odin_config_defaults(&c);
	ck_assert_int_eq(parse_str("window = 2\n\nfrobnicate = 1\nwindow = 4\n", &c), ODIN_ECORRUPT);
	ck_assert_str_eq(logbuf, "test.conf:3: unknown key 'frobnicate'\n");
	ck_assert_uint_eq(c.window, 4);
	ck_assert_int_eq(odin_config_set(&c, "frobnicate", "1"), ODIN_ENOENT);
	/* The module spelling "store" is not a file key. */
	logbuf[0] = '\0';
	ck_assert_int_eq(parse_str("store = /x\n", &c), ODIN_ECORRUPT);
	ck_assert_str_eq(logbuf, "test.conf:1: unknown key 'store'\n");
	/* A hostile key cannot put an escape sequence into the log. */
	logbuf[0] = '\0';
	ck_assert_int_eq(parse_str("\x1b[2J = 1\n", &c), ODIN_ECORRUPT);
	ck_assert_ptr_null(strchr(logbuf, '\x1b'));
	ck_assert_ptr_nonnull(strstr(logbuf, "test.conf:1: syntax error"));
}
END_TEST

START_TEST(syntax_errors)
{
	static const char *const bad[] = {
		"window 3\n", "= 3\n", "Window = 3\n", "window == 3\n", "window: 3\n",
		"window = \n", "issuer =\n", "\"window\" = 3\n",
	};
	struct odin_config c, before;
	size_t i;

	odin_config_defaults(&c);
	before = c;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		logbuf[0] = '\0';
		ck_assert_msg(parse_str(bad[i], &c) == ODIN_ECORRUPT, "accepted: %s", bad[i]);
		ck_assert_msg(strncmp(logbuf, "test.conf:1: ", 13) == 0, "log for %s: %s", bad[i], logbuf);
	}
	ck_assert_int_eq(memcmp(&c, &before, sizeof(c)), 0);
}
END_TEST

START_TEST(strings_validated)
{
	struct odin_config c, before;
	char longv[300];

	odin_config_defaults(&c);
	before = c;
	ck_assert_int_eq(odin_config_set(&c, "store_dir", "relative/dir"), ODIN_EINVAL);
	ck_assert_int_eq(odin_config_set(&c, "store_dir", ""), ODIN_EINVAL);
	ck_assert_int_eq(odin_config_set(&c, "store_dir", "/a\nb"), ODIN_EINVAL);
	ck_assert_int_eq(odin_config_set(&c, "store_dir", NULL), ODIN_EINVAL);
	memset(longv, 'a', sizeof(longv) - 1);
	longv[0] = '/';
	longv[sizeof(longv) - 1] = '\0';
	ck_assert_int_eq(odin_config_set(&c, "store_dir", longv), ODIN_EINVAL);
	ck_assert_int_eq(odin_config_set(&c, "enforce_group", "bad/group"), ODIN_EINVAL);
	ck_assert_int_eq(odin_config_set(&c, "enforce_group", "a:b"), ODIN_EINVAL);
	ck_assert_int_eq(odin_config_set(&c, "enforce_group", "tab\there"), ODIN_EINVAL);
	ck_assert_int_eq(odin_config_set(&c, "admin_group", "bell\a"), ODIN_EINVAL);
	ck_assert_int_eq(odin_config_set(&c, "admin_group", ""), ODIN_EINVAL);
	ck_assert_int_eq(odin_config_set(&c, "issuer", "Evil:Corp"), ODIN_EINVAL);
	ck_assert_int_eq(odin_config_set(&c, "issuer", "bell\a"), ODIN_EINVAL);
	ck_assert_int_eq(odin_config_set(&c, "issuer", "caf\xc3\xa9"), ODIN_EINVAL);
	ck_assert_int_eq(odin_config_set(&c, "issuer", ""), ODIN_EINVAL);
	memset(longv, 'a', 64);
	longv[64] = '\0';
	ck_assert_int_eq(odin_config_set(&c, "issuer", longv), ODIN_EINVAL);
	ck_assert_int_eq(memcmp(&c, &before, sizeof(c)), 0);
	/* directory groups: spaces, '@', '\\', a leading dash are all names */
	ck_assert_int_eq(odin_config_set(&c, "enforce_group", "domain users@corp.example"), ODIN_OK);
	ck_assert_str_eq(c.enforce_group, "domain users@corp.example");
	ck_assert_int_eq(odin_config_set(&c, "admin_group", "CORP\\Domain Admins"), ODIN_OK);
	longv[63] = '\0';
	ck_assert_int_eq(odin_config_set(&c, "issuer", longv), ODIN_OK);
	ck_assert_int_eq(odin_config_set(&c, "enforce_group", "mfa_users.2"), ODIN_OK);
	ck_assert_str_eq(c.enforce_group, "mfa_users.2");
}
END_TEST

START_TEST(module_args_override)
{
	struct odin_config c;

	odin_config_defaults(&c);
	ck_assert_int_eq(parse_str("store_dir = /srv/file\nwindow = 2\n", &c), ODIN_OK);
	/* Module arguments are applied after the file and win. */
	ck_assert_int_eq(odin_config_set(&c, "store", "/srv/arg"), ODIN_OK);
	ck_assert_str_eq(c.store_dir, "/srv/arg");
	ck_assert_int_eq(odin_config_set(&c, "store_dir", "/srv/arg2"), ODIN_OK);
	ck_assert_str_eq(c.store_dir, "/srv/arg2");
	ck_assert_int_eq(odin_config_set(&c, "window", "0"), ODIN_OK);
	ck_assert_uint_eq(c.window, 0);
	ck_assert_int_eq(odin_config_set(&c, "no_enroll", NULL), ODIN_OK);
	ck_assert_int_eq(c.no_enroll, 1);
	ck_assert_int_eq(odin_config_set(&c, "window", NULL), ODIN_EINVAL);
	ck_assert_int_eq(odin_config_set(&c, "store", "rel"), ODIN_EINVAL);
	ck_assert_str_eq(c.store_dir, "/srv/arg2");
}
END_TEST

/* ---- unsafe files ---- */

static const char small[] = "window = 7\n";

static void
expect_unsafe(const char *p, const char *why)
{
	struct odin_config c, before;

	odin_config_defaults(&c);
	before = c;
	logbuf[0] = '\0';
	ck_assert_int_eq(odin_config_load(p, &c), ODIN_EUNSAFE);
	ck_assert_int_eq(memcmp(&c, &before, sizeof(c)), 0);
	ck_assert_msg(strstr(logbuf, why) != NULL, "log '%s' lacks '%s'", logbuf, why);
}

START_TEST(unsafe_symlink)
{
	char p[128], l[128];

	path_in(p, sizeof(p), "real.conf");
	path_in(l, sizeof(l), "link.conf");
	write_file(p, small, strlen(small), 0644);
	ck_assert_int_eq(symlink(p, l), 0);
	expect_unsafe(l, "symbolic link");
}
END_TEST

START_TEST(unsafe_not_root)
{
	char p[128];

	path_in(p, sizeof(p), "nobody.conf");
	write_file(p, small, strlen(small), 0644);
	ck_assert_int_eq(chown(p, 65534, 65534), 0);
	expect_unsafe(p, "not owned by root");
}
END_TEST

START_TEST(unsafe_group_writable)
{
	char p[128];

	path_in(p, sizeof(p), "g.conf");
	write_file(p, small, strlen(small), 0664);
	expect_unsafe(p, "writable by group or others");
}
END_TEST

START_TEST(unsafe_world_writable)
{
	char p[128];

	path_in(p, sizeof(p), "o.conf");
	write_file(p, small, strlen(small), 0646);
	expect_unsafe(p, "writable by group or others");
}
END_TEST

START_TEST(unsafe_directory)
{
	char p[128];

	path_in(p, sizeof(p), "dir.conf");
	ck_assert_int_eq(mkdir(p, 0755), 0);
	expect_unsafe(p, "not a regular file");
}
END_TEST

START_TEST(unsafe_fifo)
{
	char p[128];

	path_in(p, sizeof(p), "fifo.conf");
	ck_assert_int_eq(mkfifo(p, 0600), 0);
	expect_unsafe(p, "not a regular file");	/* and does not block */
}
END_TEST

START_TEST(missing_file)
{
	struct odin_config c, before;
	char p[128];

	path_in(p, sizeof(p), "nope.conf");
	odin_config_defaults(&c);
	before = c;
	ck_assert_int_eq(odin_config_load(p, &c), ODIN_ENOENT);
	ck_assert_int_eq(memcmp(&c, &before, sizeof(c)), 0);
}
END_TEST

START_TEST(size_cap)
{
	struct odin_config c, before;
	char p[128], *big;
	size_t n = 64 * 1024;

	/* Exactly 64 KiB of comments is fine, one byte more is not. */
	big = malloc(n + 1);
	ck_assert_ptr_nonnull(big);
	memset(big, '#', n + 1);
	memcpy(big, "window = 9\n", 11);
	for (size_t i = 11 + 100; i < n; i += 100)
		big[i] = '\n';
	path_in(p, sizeof(p), "big.conf");
	write_file(p, big, n, 0644);
	odin_config_defaults(&c);
	ck_assert_int_eq(odin_config_load(p, &c), ODIN_OK);
	ck_assert_uint_eq(c.window, 9);

	write_file(p, big, n + 1, 0644);
	odin_config_defaults(&c);
	before = c;
	ck_assert_int_eq(odin_config_load(p, &c), ODIN_ETOOBIG);
	ck_assert_int_eq(memcmp(&c, &before, sizeof(c)), 0);
	ck_assert_int_eq(odin_config_parse(big, n + 1, "big", &c), ODIN_ETOOBIG);
	free(big);
}
END_TEST

START_TEST(long_line)
{
	struct odin_config c;
	char buf[1100];

	memset(buf, 'a', sizeof(buf));
	memcpy(buf, "issuer = ", 9);
	odin_config_defaults(&c);
	ck_assert_int_eq(odin_config_parse(buf, sizeof(buf), "t", &c), ODIN_ECORRUPT);
	ck_assert_ptr_nonnull(strstr(logbuf, "t:1: line longer than"));
	ck_assert_str_eq(c.issuer, "O.D.I.N.");
}
END_TEST

START_TEST(nul_byte)
{
	static const char text[] = "window = 4\n\0debug\n";
	struct odin_config c, before;
	char p[128];

	path_in(p, sizeof(p), "nul.conf");
	write_file(p, text, sizeof(text) - 1, 0644);
	odin_config_defaults(&c);
	before = c;
	ck_assert_int_eq(odin_config_load(p, &c), ODIN_ECORRUPT);
	ck_assert_int_eq(memcmp(&c, &before, sizeof(c)), 0);
	ck_assert_ptr_nonnull(strstr(logbuf, "NUL byte"));
}
END_TEST

START_TEST(line_numbers_counted)
{
	struct odin_config c;

	odin_config_defaults(&c);
	ck_assert_int_eq(parse_str("# 1\n\n\r\n  \t\n# 5\nbogus\n", &c), ODIN_ECORRUPT);
	ck_assert_str_eq(logbuf, "test.conf:6: unknown key 'bogus'\n");
	/* No final newline, empty text. */
	logbuf[0] = '\0';
	ck_assert_int_eq(parse_str("window = 5", &c), ODIN_OK);
	ck_assert_uint_eq(c.window, 5);
	ck_assert_int_eq(parse_str("", &c), ODIN_OK);
	ck_assert_str_eq(logbuf, "");
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = tcase_create("keys");
	tcase_add_checked_fixture(tc, cap_setup, cap_teardown);
	tcase_add_test(tc, defaults);
	tcase_add_test(tc, every_key_from_text);
	tcase_add_test(tc, booleans);
	tcase_add_loop_test(tc, number_bounds, 0, (int)(sizeof(bounds) / sizeof(bounds[0])));
	tcase_add_test(tc, number_bad_in_file_logged);
	tcase_add_test(tc, trailing_comment_is_value);
	tcase_add_test(tc, unknown_key_reported);
	tcase_add_test(tc, syntax_errors);
	tcase_add_test(tc, strings_validated);
	tcase_add_test(tc, module_args_override);
	tcase_add_test(tc, long_line);
	tcase_add_test(tc, line_numbers_counted);
	suite_add_tcase(s, tc);

	tc = tcase_create("file");
	tcase_add_checked_fixture(tc, dir_setup, dir_teardown);
	tcase_add_test(tc, every_key_from_file);
	tcase_add_test(tc, unsafe_symlink);
	tcase_add_test(tc, unsafe_not_root);
	tcase_add_test(tc, unsafe_group_writable);
	tcase_add_test(tc, unsafe_world_writable);
	tcase_add_test(tc, unsafe_directory);
	tcase_add_test(tc, unsafe_fifo);
	tcase_add_test(tc, missing_file);
	tcase_add_test(tc, size_cap);
	tcase_add_test(tc, nul_byte);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
