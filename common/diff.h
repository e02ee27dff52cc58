/*
 * diff.h - the difference between two snapshots as bind/unbind events.
 * Pure: no I/O, no clock (the caller stamps sequence numbers and times).
 */
#ifndef PORTD_DIFF_H
#define PORTD_DIFF_H

#include "event.h"
#include "snapshot.h"

/* Receives each event; it may keep ev's contents (set ev to zero) or not. */
typedef int (*diff_emit_fn)(void *arg, struct event *ev);

/*
 * Walks two sorted snapshots (snapshot_sort) and emits an unbind for every
 * row only in old, a bind for every row only in new. A row is a socket
 * and one owner, so an owner change on the same socket is an unbind and a
 * bind. Unbinds come before binds of the same port. Returns the number of
 * events, or -1 on allocation failure or when emit fails.
 */
int	diff_snapshots(const struct snapshot *old, const struct snapshot *new,
	    diff_emit_fn emit, void *arg);

#endif
