/*
 * rules.c - rule matching (see rules.h).
 */
#include <stddef.h>
#include <string.h>

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

/* Who the process is (uid, user, exe), and its name when that narrows. */
static int
protect_matches(const struct config *c, const struct proc_info *p)
{
	size_t i;
	int who = 0;

	for (i = 0; i < c->nprotect_uids && !who; i++)
		who = p->uid != PD_UID_UNKNOWN && c->protect_uids[i] == p->uid;
	if (!who && !glob_any(&c->protect_users, p->user, PD_GLOB_NAMES) &&
	    !glob_any(&c->protect_exes, p->exe, PD_GLOB_PATHS))
		return 0;
	return c->protect_commands.n == 0 ||
	    glob_any(&c->protect_commands, p->comm, PD_GLOB_NAMES);
}

int
rules_protected(const struct config *c, const struct proc_info *p,
    int32_t self)
{
	if (proc_never_signal(p, self))
		return 1;
	return protect_matches(c, p);
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

static int
strlist_eq(const struct strlist *a, const struct strlist *b)
{
	size_t i;

	if (a->n != b->n)
		return 0;
	for (i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]) != 0)
			return 0;
	return 1;
}

static int
uids_eq(const uint32_t *a, size_t na, const uint32_t *b, size_t nb)
{
	return na == nb && (na == 0 || memcmp(a, b, na * sizeof(*a)) == 0);
}

static int
filter_eq(const struct filter *a, const struct filter *b)
{
	size_t i;

	if (a->nspecs != b->nspecs || a->protos != b->protos ||
	    a->families != b->families)
		return 0;
	for (i = 0; i < a->nspecs; i++)
		if (a->specs[i].lo != b->specs[i].lo ||
		    a->specs[i].hi != b->specs[i].hi ||
		    a->specs[i].protos != b->specs[i].protos)
			return 0;
	return 1;
}

static int
rule_eq(const struct rule *a, const struct rule *b)
{
	return strcmp(a->name, b->name) == 0 &&
	    filter_eq(&a->ports, &b->ports) &&
	    strlist_eq(&a->allow_users, &b->allow_users) &&
	    uids_eq(a->allow_uids, a->nallow_uids, b->allow_uids,
	    b->nallow_uids) &&
	    strlist_eq(&a->allow_commands, &b->allow_commands) &&
	    strlist_eq(&a->allow_exes, &b->allow_exes) &&
	    a->action == b->action && a->grace_ms == b->grace_ms &&
	    a->dry_run == b->dry_run && a->enabled == b->enabled;
}

static int
protect_eq(const struct config *a, const struct config *b)
{
	return strlist_eq(&a->protect_commands, &b->protect_commands) &&
	    strlist_eq(&a->protect_users, &b->protect_users) &&
	    uids_eq(a->protect_uids, a->nprotect_uids, b->protect_uids,
	    b->nprotect_uids) &&
	    strlist_eq(&a->protect_exes, &b->protect_exes);
}

int
rules_unchanged(const struct config *old, const struct config *new,
    const struct sock_info *si)
{
	const struct rule *a = rules_find(old, si), *b = rules_find(new, si);

	if (a == NULL || b == NULL)
		return a == b;
	return rule_eq(a, b) && protect_eq(old, new);
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
