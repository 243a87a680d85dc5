/* SPDX-License-Identifier: ISC */
/* common/log.c: the sanitiser, the per-thread sink and odin_log_last(). */
#include "autoconfig.h"

#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "log.h"

static const struct {
	const char *in;
	const char *out;
} esc[] = {
	{ "plain text 123", "plain text 123" },
	{ "\x1b[31mred", "\\x1b[31mred" },
	{ "a\nb", "a\\x0ab" },
	{ "a\rb\tc", "a\\x0db\\x09c" },
	{ "del\x7f", "del\\x7f" },
	{ "\x80\xff", "\\x80\\xff" },
	{ "caf\xc3\xa9", "caf\\xc3\\xa9" },
	{ "back\\slash", "back\\x5cslash" },
	{ "\\x1b", "\\x5cx1b" },	/* a literal "\x1b" cannot pose as an escape */
	{ "~ and space", "~ and space" },
	{ "", "" },
};

START_TEST(sanitise_escapes)
{
	char out[64];

	ck_assert_ptr_eq(odin_log_sanitise(esc[_i].in, out, sizeof(out)), out);
	ck_assert_str_eq(out, esc[_i].out);
}
END_TEST

START_TEST(sanitise_small_buffers)
{
	char buf[32];
	const char *bs;
	size_t sz, i;

	/* For every size, the output fits, ends in NUL and the rest is untouched. */
	for (sz = 1; sz <= 16; sz++) {
		memset(buf, '#', sizeof(buf));
		odin_log_sanitise("ab\x1b" "cd\n\xff" "efghijkl", buf, sz);
		ck_assert_uint_lt(strlen(buf), sz);
		for (i = sz; i < sizeof(buf); i++)
			ck_assert_int_eq(buf[i], '#');
		/* Never half an escape at the end. */
		bs = strrchr(buf, '\\');
		if (bs != NULL)
			ck_assert_uint_ge(strlen(bs), 4);
	}
	memset(buf, '#', sizeof(buf));
	odin_log_sanitise("ab\x1b", buf, 5);
	ck_assert_str_eq(buf, "ab");
	odin_log_sanitise("ab\x1b", buf, 7);
	ck_assert_str_eq(buf, "ab\\x1b");
	/* outsz 0 touches nothing; NULL input gives "". */
	buf[0] = '#';
	odin_log_sanitise("abc", buf, 0);
	ck_assert_int_eq(buf[0], '#');
	odin_log_sanitise(NULL, buf, sizeof(buf));
	ck_assert_str_eq(buf, "");
}
END_TEST

struct capture {
	int calls;
	int prio;
	char msg[2048];
};

static void
capture_sink(void *ctx, int prio, const char *msg)
{
	struct capture *c = ctx;

	c->calls++;
	c->prio = prio;
	strncpy(c->msg, msg, sizeof(c->msg) - 1);
	c->msg[sizeof(c->msg) - 1] = '\0';
}

START_TEST(custom_sink_gets_sanitised)
{
	struct capture c;

	memset(&c, 0, sizeof(c));
	odin_log_set_sink(capture_sink, &c);
	odin_log(LOG_NOTICE, "user %s refused", "ev\x1b]0;pwned\x07il\n");
	ck_assert_int_eq(c.calls, 1);
	ck_assert_int_eq(c.prio, LOG_NOTICE);
	ck_assert_str_eq(c.msg, "user ev\\x1b]0;pwned\\x07il\\x0a refused");
	odin_log(LOG_INFO, "n=%d", 42);
	ck_assert_int_eq(c.calls, 2);
	ck_assert_int_eq(c.prio, LOG_INFO);
	ck_assert_str_eq(c.msg, "n=42");
	odin_log_set_sink(NULL, NULL);
}
END_TEST

START_TEST(long_message_bounded)
{
	struct capture c;
	char *big = malloc(5000);

	ck_assert_ptr_nonnull(big);
	memset(big, 'x', 4999);
	big[4999] = '\0';
	memset(&c, 0, sizeof(c));
	odin_log_set_sink(capture_sink, &c);
	odin_log(LOG_ERR, "%s", big);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_uint_gt(strlen(c.msg), 100);
	ck_assert_uint_lt(strlen(c.msg), 1024);
	ck_assert_uint_lt(strlen(odin_log_last()), 1024);
	free(big);
	odin_log_set_sink(NULL, NULL);
}
END_TEST

START_TEST(last_records_warnings)
{
	struct capture c;

	memset(&c, 0, sizeof(c));
	odin_log_set_sink(capture_sink, &c);
	ck_assert_str_eq(odin_log_last(), "");
	odin_log(LOG_INFO, "just info");
	ck_assert_str_eq(odin_log_last(), "");
	odin_log(LOG_WARNING, "unknown key %s", "fo\x1bo");
	ck_assert_str_eq(odin_log_last(), "unknown key fo\\x1bo");
	odin_log(LOG_NOTICE, "a notice");
	odin_log(LOG_DEBUG, "debug");
	ck_assert_str_eq(odin_log_last(), "unknown key fo\\x1bo");
	odin_log(LOG_ERR, "store unreadable");
	ck_assert_str_eq(odin_log_last(), "store unreadable");
	odin_log(LOG_CRIT, "out of memory");
	ck_assert_str_eq(odin_log_last(), "out of memory");
	ck_assert_int_eq(c.calls, 6);
	odin_log_set_sink(NULL, NULL);
}
END_TEST

struct thread_arg {
	struct capture cap;
	char last_seen[64];
};

static void *
other_thread(void *p)
{
	struct thread_arg *a = p;

	/* A fresh thread starts with no warning and its own sink. */
	strncpy(a->last_seen, odin_log_last(), sizeof(a->last_seen) - 1);
	odin_log_set_sink(capture_sink, &a->cap);
	odin_log(LOG_WARNING, "from thread");
	return NULL;
}

START_TEST(sink_is_per_thread)
{
	struct capture mine;
	struct thread_arg a;
	pthread_t t;

	memset(&mine, 0, sizeof(mine));
	memset(&a, 0, sizeof(a));
	odin_log_set_sink(capture_sink, &mine);
	odin_log(LOG_WARNING, "from main");
	ck_assert_int_eq(pthread_create(&t, NULL, other_thread, &a), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_str_eq(a.last_seen, "");
	ck_assert_int_eq(a.cap.calls, 1);
	ck_assert_str_eq(a.cap.msg, "from thread");
	ck_assert_int_eq(mine.calls, 1);
	ck_assert_str_eq(odin_log_last(), "from main");
	odin_log_set_sink(NULL, NULL);
}
END_TEST

static Suite *
log_suite(void)
{
	Suite *s = suite_create("log");
	TCase *tc;

	tc = tcase_create("sanitise");
	tcase_add_loop_test(tc, sanitise_escapes, 0, (int)(sizeof(esc) / sizeof(esc[0])));
	tcase_add_test(tc, sanitise_small_buffers);
	suite_add_tcase(s, tc);

	tc = tcase_create("sink");
	tcase_add_test(tc, custom_sink_gets_sanitised);
	tcase_add_test(tc, long_message_bounded);
	tcase_add_test(tc, last_records_warnings);
	tcase_add_test(tc, sink_is_per_thread);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(log_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
