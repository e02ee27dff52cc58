/*
 * peer.c - a control client named for the log, the same on every OS:
 * "uid 1000 pid 4242", or on Windows, where accounts have names and no
 * uid, "VM\alice pid 4242".
 */
#include <stdio.h>
#include <string.h>

#include "peer.h"

const char *
peer_text(const struct peer *p, char *buf, size_t len)
{
	char who[PD_NAME_MAX + 16];

	if (p->uid != PD_UID_UNKNOWN)
		snprintf(who, sizeof(who), "uid %u", (unsigned)p->uid);
	else if (p->user[0] != '\0')
		snprintf(who, sizeof(who), "%s", p->user);
	else
		snprintf(who, sizeof(who), "an unknown user");
	if (p->pid >= 0)
		snprintf(buf, len, "%s pid %d", who, (int)p->pid);
	else
		snprintf(buf, len, "%s", who);
	return buf;
}

int
peer_same_user(const struct peer *a, const struct peer *b)
{
	if (a->uid != b->uid)
		return 0;
	return a->uid != PD_UID_UNKNOWN || strcmp(a->user, b->user) == 0;
}
