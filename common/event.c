/*
 * event.c - events and their history ring.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"

int
event_from_row(struct event *ev, int type, const struct snapshot *s,
    const struct listener *l)
{
	const struct proc_info *p = snapshot_row_proc(s, l);

	memset(ev, 0, sizeof(*ev));
	ev->type = type;
	ev->sock = l->sock;
	ev->reason = l->reason;
	if (p != NULL && proc_info_copy(&ev->proc, p) == -1)
		return -1;
	return 0;
}

void
event_clear(struct event *ev)
{
	proc_info_clear(&ev->proc);
	memset(ev, 0, sizeof(*ev));
}

const char *
event_type_name(int type)
{
	switch (type) {
	case EV_BIND:
		return "bind";
	case EV_UNBIND:
		return "unbind";
	case EV_VIOLATION:
		return "violation";
	case EV_REAP:
		return "reap";
	case EV_RESPAWN:
		return "respawn";
	case EV_KILL:
		return "kill";
	}
	return "unknown";
}

const char *
event_requester_text(const struct event *ev, char *buf, size_t len)
{
	char pid[16];

	if (ev->by_pid > 0)
		snprintf(pid, sizeof(pid), "%d", (int)ev->by_pid);
	else
		snprintf(pid, sizeof(pid), "?");
	if (ev->by_uid == PD_UID_UNKNOWN && ev->by_user[0] != '\0')
		snprintf(buf, len, "%s pid %s", ev->by_user, pid);
	else if (ev->by_uid == PD_UID_UNKNOWN)
		snprintf(buf, len, "uid ? pid %s", pid);
	else
		snprintf(buf, len, "uid %u pid %s", (unsigned)ev->by_uid, pid);
	return buf;
}

int
history_init(struct history *h, size_t cap)
{
	memset(h, 0, sizeof(*h));
	if (cap == 0)
		cap = 1;
	if ((h->ring = calloc(cap, sizeof(*h->ring))) == NULL)
		return -1;
	h->cap = cap;
	return 0;
}

void
history_free(struct history *h)
{
	size_t i;

	for (i = 0; i < h->count; i++)
		event_clear(&h->ring[(h->start + i) % h->cap]);
	free(h->ring);
	memset(h, 0, sizeof(*h));
}

void
history_push(struct history *h, struct event *ev)
{
	struct event *slot;

	if (h->count == h->cap) {
		event_clear(&h->ring[h->start]);
		h->start = (h->start + 1) % h->cap;
		h->count--;
	}
	slot = &h->ring[(h->start + h->count) % h->cap];
	*slot = *ev;
	memset(ev, 0, sizeof(*ev));	/* moved */
	h->count++;
}

const struct event *
history_at(const struct history *h, size_t i)
{
	if (i >= h->count)
		return NULL;
	return &h->ring[(h->start + i) % h->cap];
}

uint64_t
history_first_seq(const struct history *h)
{
	return h->count ? h->ring[h->start].seq : 0;
}
