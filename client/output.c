/*
 * output.c - table and JSON formatters for portctl. Every string from
 * outside (process, user, rule names, outcomes, portd's status) goes
 * through strvis() in the table: a name can neither send escape
 * sequences to the terminal nor break a line. JSON is exact, escaped by
 * its encoder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "backend.h"
#include "output.h"
#include "proto.h"
#include "strvis.h"

#define NCOLS 6

struct cells {
	char c[NCOLS][STRVIS_LEN(PD_NAME_MAX)];	/* a name, escaped */
};

static void
row_cells(const struct snapshot *s, const struct listener *l,
    struct cells *out)
{
	const struct proc_info *p = snapshot_row_proc(s, l);
	char addr[80], name[PD_NAME_MAX];

	/* An unowned row still names the socket's user. */
	sock_addr_text(&l->sock, addr, sizeof(addr));
	/* "tcp46": an IPv6 socket that also holds the IPv4 port, as
	 * FreeBSD's netstat says it. */
	snprintf(out->c[0], sizeof(out->c[0]), "%s%s",
	    pd_proto_name(l->sock.proto),
	    sock_is_dualstack(&l->sock) ? "46" :
	    l->sock.family == PD_INET6 ? "6" : "");
	snprintf(out->c[1], sizeof(out->c[1]), "%s", addr);
	snprintf(out->c[2], sizeof(out->c[2]), "%u", l->sock.port);
	if (p != NULL) {
		snprintf(out->c[3], sizeof(out->c[3]), "%d", (int)p->pid);
		strvis(out->c[4], sizeof(out->c[4]), p->user[0] ? p->user :
		    "?");
		strvis(out->c[5], sizeof(out->c[5]), p->comm[0] ? p->comm :
		    "?");
	} else {
		snprintf(out->c[3], sizeof(out->c[3]), "-");
		if (l->sock.uid != PD_UID_UNKNOWN) {
			backend_user_name(l->sock.uid, name, sizeof(name));
			strvis(out->c[4], sizeof(out->c[4]), name);
		} else
			snprintf(out->c[4], sizeof(out->c[4]), "-");
		snprintf(out->c[5], sizeof(out->c[5]), "(%s)",
		    pd_reason_text(l->reason));
	}
}

static void
table_rows(FILE *fp, const struct snapshot *s)
{
	static const char *const head[NCOLS] = { "PROTO", "ADDRESS", "PORT",
	    "PID", "USER", "COMMAND" };
	struct cells *cells;
	size_t w[NCOLS], i, j, len;

	if ((cells = calloc(s->nrows ? s->nrows : 1, sizeof(*cells))) == NULL)
		return;
	for (j = 0; j < NCOLS; j++)
		w[j] = strlen(head[j]);
	for (i = 0; i < s->nrows; i++) {
		row_cells(s, &s->rows[i], &cells[i]);
		for (j = 0; j < NCOLS; j++)
			if ((len = strlen(cells[i].c[j])) > w[j])
				w[j] = len;
	}
	fprintf(fp, "%-*s  %-*s  %*s  %*s  %-*s  %s\n", (int)w[0], head[0],
	    (int)w[1], head[1], (int)w[2], head[2], (int)w[3], head[3],
	    (int)w[4], head[4], head[5]);
	for (i = 0; i < s->nrows; i++)
		fprintf(fp, "%-*s  %-*s  %*s  %*s  %-*s  %s\n",
		    (int)w[0], cells[i].c[0], (int)w[1], cells[i].c[1],
		    (int)w[2], cells[i].c[2], (int)w[3], cells[i].c[3],
		    (int)w[4], cells[i].c[4], cells[i].c[5]);
	free(cells);
}

static void
table_kill_begin(FILE *fp, const struct snapshot *s)
{
	table_rows(fp, s);
	fflush(fp);
}

/* Who still holds the sockets of port ps: "pid 12 (nginx), ..." */
static void
held_by(const struct kill_plan *kp, const struct filter *f,
    const struct portspec *ps, char *buf, size_t len)
{
	const struct snapshot *r = &kp->remain;
	const struct proc_info *p;
	struct filter one = *f;
	char comm[STRVIS_LEN(PD_NAME_MAX)];
	size_t i, j, n = 0;
	int dup;

	buf[0] = '\0';
	one.specs[0] = *ps;
	one.nspecs = 1;
	for (i = 0; i < r->nrows && n < len; i++) {
		if (!filter_match(&one, &r->rows[i].sock))
			continue;
		p = snapshot_row_proc(r, &r->rows[i]);
		for (j = 0, dup = 0; j < i && !dup; j++)
			dup = filter_match(&one, &r->rows[j].sock) &&
			    r->rows[j].proc == r->rows[i].proc &&
			    (p != NULL || r->rows[j].reason ==
			    r->rows[i].reason);
		if (dup)
			continue;
		if (p != NULL)
			n += (size_t)snprintf(buf + n, len - n, "%spid %d (%s)",
			    n ? ", " : "", (int)p->pid, strvis(comm,
			    sizeof(comm), p->comm[0] ? p->comm : "?"));
		else
			n += (size_t)snprintf(buf + n, len - n, "%sa socket "
			    "(%s)", n ? ", " : "",
			    pd_reason_text(r->rows[i].reason));
	}
}

static void
table_kill_end(FILE *fp, const struct snapshot *s, const struct kill_plan *kp,
    const struct filter *f, int dry_run)
{
	const struct kill_target *t;
	char s1[48], s2[48], comm[STRVIS_LEN(PD_NAME_MAX)];
	char why[STRVIS_LEN(sizeof(t->err))], spec[32], who[512];
	size_t i;
	int state;

	for (i = 0; i < kp->ntargets; i++) {
		t = &kp->targets[i];
		fprintf(fp, "pid %d (%s): ", (int)t->proc.pid, strvis(comm,
		    sizeof(comm), t->proc.comm[0] ? t->proc.comm : "?"));
		if (dry_run && t->outcome == KILL_DRYRUN)
			fprintf(fp, "would be %s (dry run)\n",
			    backend_has_signals() ? "signalled" : "terminated");
		else if (t->signalled && t->first_signal &&
		    t->first_signal != t->signalled)
			fprintf(fp, "%s, then %s: %s\n",
			    kill_signal_text(t->first_signal, s1, sizeof(s1)),
			    kill_signal_text(t->signalled, s2, sizeof(s2)),
			    kill_outcome_name(t->outcome));
		else if (t->signalled)
			fprintf(fp, "%s, %s\n",
			    kill_signal_text(t->signalled, s1, sizeof(s1)),
			    kill_outcome_name(t->outcome));
		else
			fprintf(fp, "%s%s%s\n", kill_outcome_name(t->outcome),
			    t->err[0] ? ": " : "", strvis(why, sizeof(why),
			    t->err));
	}
	if (!kp->settled && kp->unowned > 0)
		fprintf(fp, "%zu socket%s without a visible owner: not "
		    "signalled\n", kp->unowned, kp->unowned == 1 ? "" : "s");
	for (i = 0; i < f->nspecs; i++) {
		portspec_format(&f->specs[i], spec, sizeof(spec));
		state = kill_port_state(kp, s, f, &f->specs[i]);
		fprintf(fp, "port %s: ", spec);
		switch (state) {
		case KILL_PORT_UNUSED:
			fprintf(fp, "nothing listens there\n");
			break;
		case KILL_PORT_FREE:
			fprintf(fp, "free\n");
			break;
		case KILL_PORT_HELD:
			held_by(kp, f, &f->specs[i], who, sizeof(who));
			fprintf(fp, "still held by %s\n", who);
			break;
		default:
			fprintf(fp, "%s\n", dry_run ? "held (dry run)" :
			    "not known to be free (no fresh look at the "
			    "socket table)");
			break;
		}
	}
}

void
output_json_print(FILE *fp, cJSON *v)
{
	char *text;

	if (v == NULL)
		return;
	if ((text = cJSON_PrintUnformatted(v)) != NULL) {
		fprintf(fp, "%s\n", text);
		cJSON_free(text);
	}
	cJSON_Delete(v);
}

static void
json_rows(FILE *fp, const struct snapshot *s)
{
	output_json_print(fp, proto_snapshot_json(s));
}

static void
json_kill_begin(FILE *fp, const struct snapshot *s)
{
	(void)fp;
	(void)s;
}

static void
json_kill_end(FILE *fp, const struct snapshot *s, const struct kill_plan *kp,
    const struct filter *f, int dry_run)
{
	output_json_print(fp, proto_kill_reply(s, kp, f, dry_run));
}

/* strvis() into one of the line's buffers. */
#define VIS(buf, src)	strvis(buf, sizeof(buf), src)

static void
table_event(FILE *fp, const struct event *ev)
{
	char when[40], addr[80], who[EVENT_REQUESTER_MAX];
	char comm[STRVIS_LEN(PD_NAME_MAX)], user[STRVIS_LEN(PD_NAME_MAX)];
	char rule[STRVIS_LEN(sizeof(ev->rule))];
	char action[STRVIS_LEN(sizeof(ev->action))];
	char outcome[STRVIS_LEN(sizeof(ev->outcome))];
	char pcomm[STRVIS_LEN(sizeof(ev->parent_comm))];
	char unit[STRVIS_LEN(sizeof(ev->unit))];
	char vwho[STRVIS_LEN(EVENT_REQUESTER_MAX)];

	proto_time_text(ev->time_ms, when, sizeof(when));
	sock_addr_text(&ev->sock, addr, sizeof(addr));
	fprintf(fp, "%s %-6s %s%s %s%s%s:%u ", when, event_type_name(ev->type),
	    pd_proto_name(ev->sock.proto), sock_is_dualstack(&ev->sock) ?
	    "46" : ev->sock.family == PD_INET6 ? "6" : "",
	    ev->sock.family == PD_INET6 ? "[" : "", addr,
	    ev->sock.family == PD_INET6 ? "]" : "", ev->sock.port);
	if (ev->proc.pid != 0)
		fprintf(fp, "pid %d %s (%s)", (int)ev->proc.pid,
		    VIS(comm, ev->proc.comm), VIS(user, ev->proc.user));
	else
		fprintf(fp, "(%s)", pd_reason_text(ev->reason));
	if (ev->rule[0] != '\0')
		fprintf(fp, " rule '%s' %s%s", VIS(rule, ev->rule),
		    VIS(action, ev->action), ev->dry_run ? " (dry run)" : "");
	if (ev->type == EV_KILL)
		fprintf(fp, " by %s%s", VIS(vwho, event_requester_text(ev, who,
		    sizeof(who))), ev->dry_run ? " (dry run)" : "");
	if (ev->outcome[0] != '\0')
		fprintf(fp, ": %s", VIS(outcome, ev->outcome));
	if (ev->type == EV_RESPAWN)
		fprintf(fp, "; parent pid %d (%s)%s%s", (int)ev->parent_pid,
		    VIS(pcomm, ev->parent_comm[0] ? ev->parent_comm : "?"),
		    ev->unit[0] ? ", unit " : "", VIS(unit, ev->unit));
	fprintf(fp, "\n");
	fflush(fp);
}

static void
json_event(FILE *fp, const struct event *ev)
{
	output_json_print(fp, proto_event_json(ev));
	fflush(fp);
}

/* "key  value" lines; nested objects as "outer.inner". */
static void
status_lines(FILE *fp, const cJSON *o, const char *prefix)
{
	const cJSON *v;
	char key[128], vkey[STRVIS_LEN(sizeof(key))], *val;
	size_t n;

	cJSON_ArrayForEach(v, o) {
		snprintf(key, sizeof(key), "%s%s%s", prefix, *prefix ? "." : "",
		    v->string);
		VIS(vkey, key);
		if (cJSON_IsObject(v))
			status_lines(fp, v, key);
		else if (cJSON_IsString(v)) {
			n = STRVIS_LEN(strlen(v->valuestring));
			if ((val = malloc(n)) != NULL)
				fprintf(fp, "%-26s %s\n", vkey, strvis(val, n,
				    v->valuestring));
			free(val);
		} else if (cJSON_IsBool(v))
			fprintf(fp, "%-26s %s\n", vkey, cJSON_IsTrue(v) ?
			    "yes" : "no");
		/* Range first: casting a double beyond long long is
		 * undefined, and the status object is what the endpoint sent. */
		else if (cJSON_IsNumber(v) &&
		    !(v->valuedouble > -9007199254740992.0 &&
		    v->valuedouble < 9007199254740992.0 &&
		    v->valuedouble == (double)(long long)v->valuedouble))
			fprintf(fp, "%-26s %.3f\n", vkey, v->valuedouble);
		else if (cJSON_IsNumber(v))
			fprintf(fp, "%-26s %.0f\n", vkey, v->valuedouble);
	}
}

static void
table_status(FILE *fp, const cJSON *o)
{
	status_lines(fp, o, "");
}

static void
json_status(FILE *fp, const cJSON *o)
{
	output_json_print(fp, cJSON_Duplicate(o, 1));
}

static void
join_strings(const cJSON *a, char *buf, size_t len)
{
	const cJSON *v;
	size_t n = 0;

	buf[0] = '\0';
	cJSON_ArrayForEach(v, a)
		if (cJSON_IsString(v) && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
			    n ? "," : "", v->valuestring);
}

static double
num(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : 0;
}

static void
table_rules(FILE *fp, const cJSON *o)
{
	const cJSON *r, *v;
	char ports[256], vports[STRVIS_LEN(sizeof(ports))];
	char name[STRVIS_LEN(64)], action[STRVIS_LEN(16)];

	fprintf(fp, "%-16s %-20s %-9s %-3s %-3s %10s %7s %8s %5s\n", "NAME",
	    "PORTS", "ACTION", "DRY", "ON", "VIOLATIONS", "ACTIONS",
	    "FAILURES", "HOLDS");
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(o, "rules")) {
		v = cJSON_GetObjectItemCaseSensitive(r, "name");
		join_strings(cJSON_GetObjectItemCaseSensitive(r, "ports"),
		    ports, sizeof(ports));
		fprintf(fp, "%-16s %-20s %-9s %-3s %-3s %10.0f %7.0f %8.0f "
		    "%5.0f\n", VIS(name, cJSON_IsString(v) ? v->valuestring :
		    "?"), VIS(vports, ports), VIS(action,
		    cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(r,
		    "action")) ? cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(r, "action")) : "?"),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r,
		    "dry_run")) ? "yes" : "no",
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r,
		    "enabled")) ? "yes" : "no", num(r, "violations"),
		    num(r, "actions"), num(r, "failures"),
		    num(r, "respawn_holds"));
	}
}

const struct output output_table = { table_rows, table_kill_begin,
    table_kill_end, table_event, table_status, table_rules };
const struct output output_json = { json_rows, json_kill_begin,
    json_kill_end, json_event, json_status, json_status };
