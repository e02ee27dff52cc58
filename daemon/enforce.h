/*
 * enforce.h - the reaper: every new listener (and, at start-up and after a
 * reload, every listener already there) is judged by the rules; a
 * violation is an event, then the rule's action (log, terminate, kill)
 * through the shared kill job, reported as a "reap" event. A rule that
 * keeps acting on the same executable (a supervisor restarting it) is put
 * on hold with a "respawn" event naming the parent and systemd unit.
 */
#ifndef PORTD_ENFORCE_H
#define PORTD_ENFORCE_H

#include <cjson/cJSON.h>

#include "snapshot.h"

struct portd;
struct config;

int	 enforce_init(struct portd *);
void	 enforce_free(struct portd *);
/* Judges one row (p NULL: no visible owner). */
void	 enforce_row(struct portd *, const struct sock_info *,
	    const struct proc_info *p);
/*
 * Judges every row of the live map (start-up: old NULL), or after a
 * reload from old, only the rows whose judgement may have changed
 * (rules_unchanged): a listener known under an unchanged rule is not
 * reported again.
 */
void	 enforce_all(struct portd *, const struct config *old);
/* The rules changed: per-rule counters follow rules by name; holds of
 * rules that are gone are dropped. */
int	 enforce_config_changed(struct portd *);
/* {"rules":[{name, ports, action, ..., violations, actions, failures,
 * respawn_holds}]} */
cJSON	*enforce_rules_json(const struct portd *);

#endif
