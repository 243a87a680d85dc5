/* SPDX-License-Identifier: ISC */
/*
 * One log sink for common/, the module and the CLI.  The module points it
 * at pam_syslog(); the CLI at syslog(LOG_AUTHPRIV) and/or stderr.  The
 * sink is thread-local, so a multi-threaded PAM application cannot mix up
 * two handles.  Every message is sanitised before it reaches the sink:
 * control characters and non-ASCII bytes are replaced by \xNN escapes, so
 * a hostile user name or config value can never put a terminal escape
 * sequence into a log.  Never pass a secret, code or hash to odin_log().
 */
#ifndef ODIN_LOG_H
#define ODIN_LOG_H

#include <stddef.h>
#include <syslog.h>

typedef void (*odin_log_sink)(void *ctx, int prio, const char *msg);

/* Installs fn (NULL: the default, stderr) for the calling thread. */
void odin_log_set_sink(odin_log_sink fn, void *ctx);

/* Formats, sanitises and hands one line to the sink.  prio is LOG_*. */
void odin_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Copies s into out (size outsz, always NUL-terminated when outsz > 0),
 * escaping control and non-ASCII bytes as \xNN.  Returns out.  Used for
 * anything that an attacker could control and that ends up on a terminal.
 */
char *odin_log_sanitise(const char *s, char *out, size_t outsz);

/*
 * In a store plugin (store_backend.h), which carries its own copy of this file:
 * hands every line, formatted but not yet sanitised, to fn -- the host's
 * odin_log(), which sanitises it and sends it to the calling thread's sink
 * -- instead of this copy's sinks.  Process-wide; NULL turns it off.
 * The host itself never calls it.
 */
typedef void (*odin_log_forward_fn)(int prio, const char *msg);
void odin_log_forward(odin_log_forward_fn fn);

/* The last message of priority LOG_WARNING or more urgent sent on this thread ("" if none). */
const char *odin_log_last(void);

#endif
