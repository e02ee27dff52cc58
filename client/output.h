/*
 * output.h - portctl's formatters: a human table or JSON, chosen once by
 * --json. Every path (one-shot or through portd) prints through these, so
 * the output is the same whichever answered.
 */
#ifndef PORTCTL_OUTPUT_H
#define PORTCTL_OUTPUT_H

#include <stdio.h>

#include "event.h"
#include "kill.h"
#include "portspec.h"
#include "snapshot.h"

struct cJSON;

struct output {
	/* Listener rows (who, list, the rows kill acts on). */
	void	(*rows)(FILE *, const struct snapshot *);
	/* Kill: the rows about to be acted on, before any signal... */
	void	(*kill_begin)(FILE *, const struct snapshot *);
	/* ...and each process's outcome once decided, then one line per
	 * PORTSPEC of the filter: free, still held (by whom), unused. */
	void	(*kill_end)(FILE *, const struct snapshot *,
		    const struct kill_plan *, const struct filter *,
		    int dry_run);
	/* One event (watch, events). */
	void	(*event)(FILE *, const struct event *);
	/* portd's status object. */
	void	(*status)(FILE *, const struct cJSON *);
	/* The rules in force with their counters. */
	void	(*rules)(FILE *, const struct cJSON *);
};

extern const struct output output_table;
extern const struct output output_json;

/* Writes a JSON value followed by a newline and frees it. */
void	output_json_print(FILE *, struct cJSON *);

#endif
