/*
 * rules.c - rule matching (see rules.h).
 */
#include <stddef.h>

#include "glob.h"
#include "compat.h"
#include "rules.h"

const struct rule *
rules_find(const struct config *c, const struct sock_info *si)
{
	size_t i;

	for (i = 0; i < c->nrules; i++)
		if (c->rules[i].enabled &&
		    filter_match_port(&c->rules[i].ports, si->proto, si->port))
			return &c->rules[i];
	return NULL;
}

static int
glob_any(const struct strlist *globs, const char *s, int flags)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return 0;
	for (i = 0; i < globs->n; i++)
		if (glob_match(globs->v[i], s, flags))
			return 1;
	return 0;
}

int
rules_allows(const struct rule *r, const struct proc_info *p)
{
	size_t i;

	for (i = 0; i < r->nallow_uids; i++)
		if (p->uid != PD_UID_UNKNOWN && r->allow_uids[i] == p->uid)
			return 1;
	return glob_any(&r->allow_users, p->user, PD_GLOB_NAMES) ||
	    glob_any(&r->allow_commands, p->comm, PD_GLOB_NAMES) ||
	    glob_any(&r->allow_exes, p->exe, PD_GLOB_PATHS);
}

int
rules_protected(const struct config *c, const struct proc_info *p,
    int32_t self)
{
	if (proc_never_signal(p, self))
		return 1;
	return glob_any(&c->protect_commands, p->comm, PD_GLOB_NAMES) ||
	    glob_any(&c->protect_users, p->user, PD_GLOB_NAMES);
}

int
rules_evaluate(const struct config *c, const struct sock_info *si,
    const struct proc_info *p, int32_t self, const struct rule **rule)
{
	const struct rule *r;

	if ((r = rules_find(c, si)) == NULL) {
		*rule = NULL;
		return VERDICT_NONE;
	}
	*rule = r;
	if (p == NULL || p->pid == 0)
		return VERDICT_UNKNOWN;
	if (rules_allows(r, p))
		return VERDICT_ALLOWED;
	/* Not allowed, but never acted on: still worth reporting. */
	if (rules_protected(c, p, self))
		return VERDICT_PROTECTED;
	return VERDICT_VIOLATION;
}

const char *
rules_verdict_name(int v)
{
	switch (v) {
	case VERDICT_NONE:
		return "no rule";
	case VERDICT_ALLOWED:
		return "allowed";
	case VERDICT_PROTECTED:
		return "protected";
	case VERDICT_UNKNOWN:
		return "owner not visible";
	case VERDICT_VIOLATION:
		return "violation";
	}
	return "unknown";
}
