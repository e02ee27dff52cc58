/*
 * rules.h - which reserved-port rule a listener falls under and whether
 * its owner is allowed there. Pure: the config and the row in, a verdict
 * out; the daemon's reaper (daemon/enforce.c) acts on it.
 *
 * The first enabled rule, in file order, whose ports include the socket's
 * port and protocol decides. Rules name no address family, so an IPv4,
 * an IPv6 and a dual-stack [::] socket on a reserved port all match.
 */
#ifndef PORTD_RULES_H
#define PORTD_RULES_H

#include "config.h"
#include "snapshot.h"

enum rule_verdict {
	VERDICT_NONE = 0,	/* no rule reserves this port */
	VERDICT_ALLOWED,	/* the owner is allowed there */
	VERDICT_PROTECTED,	/* not allowed, but never acted on: pid 0-2,
				 * kernel threads, portd, protect.* */
	VERDICT_UNKNOWN,	/* reserved, but the owner cannot be seen */
	VERDICT_VIOLATION,	/* act per the rule */
};

/* The deciding rule for this socket, or NULL. */
const struct rule *rules_find(const struct config *, const struct sock_info *);
/*
 * Whether p may hold the rule's ports: its user name matches a users glob,
 * its uid is listed, its command matches a commands glob, or its exe
 * matches an exes glob ('*' does not cross '/' there).
 */
int	 rules_allows(const struct rule *, const struct proc_info *p);
/*
 * pid <= 2, kernel threads (ppid 2), self, and protect: a process whose
 * uid, user or exe matches protect.uids, .users or .exes and, if
 * protect.commands is not empty, whose command matches one too.
 */
int	 rules_protected(const struct config *, const struct proc_info *p,
	    int32_t self);
/*
 * The verdict for a row (p NULL: no visible owner); *rule gets the rule.
 * An allowed process is ALLOWED even if it is also protected.
 */
int	 rules_evaluate(const struct config *, const struct sock_info *,
	    const struct proc_info *p, int32_t self, const struct rule **rule);
/*
 * After a reload from old to new: whether si's judgement stands as it
 * was, so that the reaper need not judge (and report) it again. True
 * when the deciding rule is the same in both (name, ports, allow lists,
 * action, grace, dry run) and so is protect, or when no rule decides in
 * either.
 */
int	 rules_unchanged(const struct config *old, const struct config *new,
	    const struct sock_info *si);
const char *rules_verdict_name(int);

#endif
