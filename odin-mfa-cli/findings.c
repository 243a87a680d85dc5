/* SPDX-License-Identifier: ISC */
/* The findings of `odin-mfa-cli check` (findings.h): collected, then printed once. */
#include "autoconfig.h"

#include <stdarg.h>
#include <stdio.h>

#include "cli.h"
#include "findings.h"

void
dr_add(struct doctor *d, int level, const char *area, const char *fmt, ...)
{
	struct dr_finding *f;
	va_list ap;

	if (d->n >= DR_MAX)
		return;
	f = &d->f[d->n++];
	f->level = level;
	snprintf(f->area, sizeof(f->area), "%s", area);
	va_start(ap, fmt);
	vsnprintf(f->msg, sizeof(f->msg), fmt, ap);
	va_end(ap);
}

int
dr_report(const struct doctor *d, int json)
{
	static const char *const word[] = { "ok", "warning", "error" };
	size_t i, errors = 0, warnings = 0;
	char buf[1400];

	for (i = 0; i < d->n; i++) {
		errors += d->f[i].level == DR_ERROR;
		warnings += d->f[i].level == DR_WARN;
	}
	if (json) {
		printf("{\"ok\": %s, \"errors\": %zu, \"warnings\": %zu, \"findings\": [",
		    errors == 0 ? "true" : "false", errors, warnings);
		for (i = 0; i < d->n; i++) {
			printf("%s\n  {\"level\": \"%s\", \"area\": ", i == 0 ? "" : ",", word[d->f[i].level]);
			cli_json_str(d->f[i].area);
			printf(", \"message\": ");
			cli_json_str(cli_safe(d->f[i].msg, buf, sizeof(buf)));
			printf("}");
		}
		printf("\n]}\n");
	} else {
		for (i = 0; i < d->n; i++)
			printf("%-7s %-14s %s\n", d->f[i].level == DR_ERROR ? "ERROR" :
			    d->f[i].level == DR_WARN ? "warning" : "ok", d->f[i].area,
			    cli_safe(d->f[i].msg, buf, sizeof(buf)));
		printf("\n%zu error%s, %zu warning%s%s\n", errors, errors == 1 ? "" : "s", warnings,
		    warnings == 1 ? "" : "s", errors > 0 ?
		    ": fix the errors before relying on this host (each would lock someone out or let "
		    "someone in without a code)" : "");
	}
	return errors > 0 ? EXIT_REFUSED : EXIT_DONE;
}
