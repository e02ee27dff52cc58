/*
 * diff.c - snapshot diff (see diff.h).
 */
#include "diff.h"

static int
emit_row(diff_emit_fn emit, void *arg, int type, const struct snapshot *s,
    const struct listener *l)
{
	struct event ev;
	int r;

	if (event_from_row(&ev, type, s, l) == -1)
		return -1;
	r = emit(arg, &ev);
	event_clear(&ev);
	return r;
}

/* One merge walk emitting only events of one type. */
static int
diff_pass(const struct snapshot *old, const struct snapshot *new, int type,
    diff_emit_fn emit, void *arg)
{
	const struct listener *a, *b;
	size_t i = 0, j = 0;
	int c, n = 0;

	while (i < old->nrows || j < new->nrows) {
		a = i < old->nrows ? &old->rows[i] : NULL;
		b = j < new->nrows ? &new->rows[j] : NULL;
		if (a != NULL && b != NULL)
			c = listener_cmp(a, snapshot_row_proc(old, a), b,
			    snapshot_row_proc(new, b));
		else
			c = a != NULL ? -1 : 1;
		if (c == 0) {
			i++;
			j++;
		} else if (c < 0) {
			if (type == EV_UNBIND && (n++,
			    emit_row(emit, arg, EV_UNBIND, old, a) != 0))
				return -1;
			i++;
		} else {
			if (type == EV_BIND && (n++,
			    emit_row(emit, arg, EV_BIND, new, b) != 0))
				return -1;
			j++;
		}
	}
	return n;
}

int
diff_snapshots(const struct snapshot *old, const struct snapshot *new,
    diff_emit_fn emit, void *arg)
{
	int unbinds, binds;

	/* Every unbind first: an owner change reads as "A left, B came". */
	if ((unbinds = diff_pass(old, new, EV_UNBIND, emit, arg)) == -1 ||
	    (binds = diff_pass(old, new, EV_BIND, emit, arg)) == -1)
		return -1;
	return unbinds + binds;
}
