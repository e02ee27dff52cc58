/*
 * proto.c - JSON encoding and decoding of rows, kill results and times.
 */
#include <ctype.h>
#include <float.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto.h"

void
proto_time_text(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(buf, len, "1970-01-01T00:00:00.000Z");
		return;
	}
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

int64_t
proto_time_parse(const char *s)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddZ";
	struct tm tm, back;
	time_t t;
	size_t i;
	int ms;

	/* Exactly the shape proto_time_text writes, then a round trip
	 * through timegm/gmtime_r rejects 2026-02-30 and 25:00. */
	if (s == NULL || strlen(s) != sizeof(shape) - 1)
		return -1;
	for (i = 0; shape[i] != '\0'; i++)
		if (shape[i] == 'd' ? !isdigit((unsigned char)s[i]) :
		    s[i] != shape[i])
			return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(s) - 1900;
	tm.tm_mon = atoi(s + 5) - 1;
	tm.tm_mday = atoi(s + 8);
	tm.tm_hour = atoi(s + 11);
	tm.tm_min = atoi(s + 14);
	tm.tm_sec = atoi(s + 17);
	ms = atoi(s + 20);
	back = tm;
	if ((t = timegm(&tm)) == (time_t)-1 || gmtime_r(&t, &tm) == NULL ||
	    tm.tm_year != back.tm_year || tm.tm_mon != back.tm_mon ||
	    tm.tm_mday != back.tm_mday || tm.tm_hour != back.tm_hour ||
	    tm.tm_min != back.tm_min || tm.tm_sec != back.tm_sec)
		return -1;
	return (int64_t)t * 1000 + ms;
}

static void
add_str_or_null(cJSON *o, const char *key, const char *v)
{
	if (v != NULL && *v != '\0')
		cJSON_AddStringToObject(o, key, v);
	else
		cJSON_AddNullToObject(o, key);
}

static cJSON *
row_json(const struct sock_info *si, const struct proc_info *p, int reason)
{
	char addr[80], when[40];
	cJSON *o;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	sock_addr_text(si, addr, sizeof(addr));
	cJSON_AddStringToObject(o, "proto", pd_proto_name(si->proto));
	cJSON_AddStringToObject(o, "family", pd_family_name(si->family));
	cJSON_AddStringToObject(o, "address", addr);
	cJSON_AddNumberToObject(o, "port", si->port);
	cJSON_AddStringToObject(o, "state", pd_state_name(si->state));
	if (si->v6only < 0)
		cJSON_AddNullToObject(o, "v6only");
	else
		cJSON_AddBoolToObject(o, "v6only", si->v6only);
	cJSON_AddNumberToObject(o, "inode", (double)si->inode);
	if (p == NULL || p->pid == 0) {
		cJSON_AddNullToObject(o, "pid");
		cJSON_AddStringToObject(o, "reason", pd_reason_text(reason));
		if (si->uid != PD_UID_UNKNOWN)
			cJSON_AddNumberToObject(o, "uid", si->uid);
		else
			cJSON_AddNullToObject(o, "uid");
		cJSON_AddNullToObject(o, "command");
		cJSON_AddNullToObject(o, "user");
		cJSON_AddNullToObject(o, "exe");
		return o;
	}
	cJSON_AddNumberToObject(o, "pid", p->pid);
	cJSON_AddNumberToObject(o, "ppid", p->ppid);
	add_str_or_null(o, "command", p->comm);
	add_str_or_null(o, "user", p->user);
	if (p->uid != PD_UID_UNKNOWN)
		cJSON_AddNumberToObject(o, "uid", p->uid);
	else
		cJSON_AddNullToObject(o, "uid");
	add_str_or_null(o, "exe", p->exe);
	if (p->started_ms > 0) {
		proto_time_text(p->started_ms, when, sizeof(when));
		cJSON_AddStringToObject(o, "started", when);
	}
	return o;
}

cJSON *
proto_row_json(const struct snapshot *s, const struct listener *l)
{
	return row_json(&l->sock, snapshot_row_proc(s, l), l->reason);
}

cJSON *
proto_snapshot_json(const struct snapshot *s)
{
	cJSON *o, *a, *r;
	size_t i;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	if ((a = cJSON_AddArrayToObject(o, "listeners")) == NULL)
		goto fail;
	for (i = 0; i < s->nrows; i++) {
		if ((r = proto_row_json(s, &s->rows[i])) == NULL)
			goto fail;
		cJSON_AddItemToArray(a, r);
	}
	return o;
fail:
	cJSON_Delete(o);
	return NULL;
}

/* ---- rows as text, without a cJSON tree ----------------------------- */

/*
 * portd answers who and list by the thousand per second: building a cJSON
 * tree per row, then printing it (every number through "%1.15g" and back
 * through sscanf in cJSON 1.7.15), cost about 5 us a row, most of a
 * request. These write the same bytes directly. check_proto compares them
 * with cJSON's output.
 */
static int
buf_reserve(char **buf, size_t *len, size_t *cap, size_t more)
{
	size_t ncap;
	char *p;

	if (*len + more + 1 <= *cap)
		return 0;
	ncap = *cap ? *cap : 1024;
	while (ncap < *len + more + 1)
		ncap *= 2;
	if ((p = realloc(*buf, ncap)) == NULL)
		return -1;
	*buf = p;
	*cap = ncap;
	return 0;
}

static int
buf_add(char **buf, size_t *len, size_t *cap, const char *text, size_t n)
{
	if (buf_reserve(buf, len, cap, n) == -1)
		return -1;
	memcpy(*buf + *len, text, n);
	*len += n;
	(*buf)[*len] = '\0';
	return 0;
}

#define BUF_LIT(b, l, c, lit)	buf_add(b, l, c, lit, sizeof(lit) - 1)

/* A JSON string as cJSON prints it: only quote, backslash and control
 * characters escaped, other bytes as they are. */
static int
buf_str(char **buf, size_t *len, size_t *cap, const char *s)
{
	const unsigned char *p;
	char *o;

	/* At most 6 bytes per input byte, plus the quotes. */
	if (buf_reserve(buf, len, cap, strlen(s) * 6 + 2) == -1)
		return -1;
	o = *buf + *len;
	*o++ = '"';
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p > 31 && *p != '"' && *p != '\\') {
			*o++ = (char)*p;
			continue;
		}
		*o++ = '\\';
		switch (*p) {
		case '"': *o++ = '"'; break;
		case '\\': *o++ = '\\'; break;
		case '\b': *o++ = 'b'; break;
		case '\f': *o++ = 'f'; break;
		case '\n': *o++ = 'n'; break;
		case '\r': *o++ = 'r'; break;
		case '\t': *o++ = 't'; break;
		default:
			o += sprintf(o, "u%04x", *p);
			break;
		}
	}
	*o++ = '"';
	*o = '\0';
	*len = (size_t)(o - *buf);
	return 0;
}

/* A number as cJSON prints it: integers below 10^15 are their digits. */
static int
buf_num(char **buf, size_t *len, size_t *cap, double d)
{
	char num[32];
	double back, diff, max;
	int n;


	if (d == (double)(long long)d && d > -1e15 && d < 1e15)
		n = snprintf(num, sizeof(num), "%lld", (long long)d);
	else {
		/* cJSON's own test: "close enough" within DBL_EPSILON. */
		n = snprintf(num, sizeof(num), "%1.15g", d);
		if (sscanf(num, "%lg", &back) == 1) {
			diff = back > d ? back - d : d - back;
			max = d < 0 ? -d : d;
			if ((back < 0 ? -back : back) > max)
				max = back < 0 ? -back : back;
			if (diff <= max * DBL_EPSILON)
				return buf_add(buf, len, cap, num, (size_t)n);
		}
		n = snprintf(num, sizeof(num), "%1.17g", d);
	}
	return buf_add(buf, len, cap, num, (size_t)n);
}

/* ,"key": */
static int
buf_key(char **buf, size_t *len, size_t *cap, const char *key)
{
	return BUF_LIT(buf, len, cap, ",") == -1 ||
	    buf_str(buf, len, cap, key) == -1 ||
	    BUF_LIT(buf, len, cap, ":") == -1 ? -1 : 0;
}

static int
buf_str_or_null(char **buf, size_t *len, size_t *cap, const char *key,
    const char *v)
{
	if (buf_key(buf, len, cap, key) == -1)
		return -1;
	if (v != NULL && *v != '\0')
		return buf_str(buf, len, cap, v);
	return BUF_LIT(buf, len, cap, "null");
}

int
proto_row_append(const struct snapshot *s, const struct listener *l,
    char **buf, size_t *len, size_t *cap)
{
	const struct sock_info *si = &l->sock;
	const struct proc_info *p = snapshot_row_proc(s, l);
	char addr[80], when[40];
	int r = 0;

	sock_addr_text(si, addr, sizeof(addr));
	r |= BUF_LIT(buf, len, cap, "{\"proto\":");
	r |= buf_str(buf, len, cap, pd_proto_name(si->proto));
	r |= buf_key(buf, len, cap, "family");
	r |= buf_str(buf, len, cap, pd_family_name(si->family));
	r |= buf_key(buf, len, cap, "address");
	r |= buf_str(buf, len, cap, addr);
	r |= buf_key(buf, len, cap, "port");
	r |= buf_num(buf, len, cap, si->port);
	r |= buf_key(buf, len, cap, "state");
	r |= buf_str(buf, len, cap, pd_state_name(si->state));
	r |= buf_key(buf, len, cap, "v6only");
	r |= si->v6only < 0 ? BUF_LIT(buf, len, cap, "null") : si->v6only ?
	    BUF_LIT(buf, len, cap, "true") : BUF_LIT(buf, len, cap, "false");
	r |= buf_key(buf, len, cap, "inode");
	r |= buf_num(buf, len, cap, (double)si->inode);
	if (p == NULL || p->pid == 0) {
		r |= BUF_LIT(buf, len, cap, ",\"pid\":null");
		r |= buf_str_or_null(buf, len, cap, "reason",
		    pd_reason_text(l->reason));
		r |= buf_key(buf, len, cap, "uid");
		r |= si->uid != PD_UID_UNKNOWN ? buf_num(buf, len, cap,
		    si->uid) : BUF_LIT(buf, len, cap, "null");
		r |= BUF_LIT(buf, len, cap, ",\"command\":null,\"user\":null,"
		    "\"exe\":null}");
		return r ? -1 : 0;
	}
	r |= buf_key(buf, len, cap, "pid");
	r |= buf_num(buf, len, cap, p->pid);
	r |= buf_key(buf, len, cap, "ppid");
	r |= buf_num(buf, len, cap, p->ppid);
	r |= buf_str_or_null(buf, len, cap, "command", p->comm);
	r |= buf_str_or_null(buf, len, cap, "user", p->user);
	r |= buf_key(buf, len, cap, "uid");
	r |= p->uid != PD_UID_UNKNOWN ? buf_num(buf, len, cap, p->uid) :
	    BUF_LIT(buf, len, cap, "null");
	r |= buf_str_or_null(buf, len, cap, "exe", p->exe);
	if (p->started_ms > 0) {
		proto_time_text(p->started_ms, when, sizeof(when));
		r |= buf_key(buf, len, cap, "started");
		r |= buf_str(buf, len, cap, when);
	}
	r |= BUF_LIT(buf, len, cap, "}");
	return r ? -1 : 0;
}

char *
proto_rows_text(const struct snapshot *s, const size_t *idx, size_t n)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, i;

	if (BUF_LIT(&buf, &len, &cap, "{\"listeners\":[") == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if ((i > 0 && BUF_LIT(&buf, &len, &cap, ",") == -1) ||
		    proto_row_append(s, &s->rows[idx[i]], &buf, &len,
		    &cap) == -1)
			goto fail;
	if (BUF_LIT(&buf, &len, &cap, "]}") == -1)
		goto fail;
	return buf;
fail:
	free(buf);
	return NULL;
}

static const char *
get_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
get_num(const cJSON *o, const char *key, double *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (!cJSON_IsNumber(v))
		return -1;
	*out = v->valuedouble;
	return 0;
}

/* A whole number in [lo, hi] under key; -1 if absent or out of range. */
static int
get_range(const cJSON *o, const char *key, double lo, double hi, double *out)
{
	double d;

	if (get_num(o, key, &d) == -1 || !(d >= lo && d <= hi) ||
	    d != (double)(int64_t)d)
		return -1;
	*out = d;
	return 0;
}

static int
parse_addr(const char *text, int family, struct sock_info *si)
{
	char buf[80], *pct;

	snprintf(buf, sizeof(buf), "%s", text);
	if ((pct = strchr(buf, '%')) != NULL) {
		*pct = '\0';
		si->scope_id = (uint32_t)strtoul(pct + 1, NULL, 10);
	}
	return inet_pton(family == PD_INET6 ? AF_INET6 : AF_INET, buf,
	    si->addr) == 1 ? 0 : -1;
}

/* Parses a row object; p->pid stays 0 when the row has no owner. */
static int
parse_row(const cJSON *r, struct sock_info *si, struct proc_info *p,
    int *reason)
{
	const cJSON *v;
	const char *s;
	double d;

	memset(si, 0, sizeof(*si));
	memset(p, 0, sizeof(*p));
	s = get_str(r, "proto");
	si->proto = s != NULL && strcmp(s, "udp") == 0 ? PD_UDP : PD_TCP;
	s = get_str(r, "family");
	si->family = s != NULL && strcmp(s, "ipv6") == 0 ? PD_INET6 : PD_INET;
	s = get_str(r, "state");
	si->state = s != NULL && strcmp(s, "BOUND") == 0 ? PD_BOUND :
	    PD_LISTEN;
	if ((s = get_str(r, "address")) == NULL ||
	    parse_addr(s, si->family, si) == -1 ||
	    get_range(r, "port", 0, 65535, &d) == -1)
		return -1;
	si->port = (uint16_t)d;
	v = cJSON_GetObjectItemCaseSensitive(r, "v6only");
	si->v6only = cJSON_IsBool(v) ? (int8_t)cJSON_IsTrue(v) : -1;
	si->inode = get_range(r, "inode", 0, 9007199254740992.0, &d) == 0 ?
	    (uint64_t)d : 0;
	si->uid = get_range(r, "uid", 0, 4294967294.0, &d) == 0 ?
	    (uint32_t)d : PD_UID_UNKNOWN;
	*reason = PD_OWNER_OK;
	if (get_range(r, "pid", 1, 2147483647.0, &d) == -1) {
		s = get_str(r, "reason");
		*reason = PD_OWNER_NONE;
		if (s != NULL && strcmp(s, pd_reason_text(PD_OWNER_DENIED)) == 0)
			*reason = PD_OWNER_DENIED;
		else if (s != NULL &&
		    strcmp(s, pd_reason_text(PD_OWNER_UNSUPPORTED)) == 0)
			*reason = PD_OWNER_UNSUPPORTED;
		return 0;
	}
	p->pid = (int32_t)d;
	p->ppid = get_range(r, "ppid", 0, 2147483647.0, &d) == 0 ?
	    (int32_t)d : 0;
	p->uid = p->suid = si->uid;
	if ((s = get_str(r, "command")) != NULL)
		snprintf(p->comm, sizeof(p->comm), "%s", s);
	if ((s = get_str(r, "user")) != NULL)
		snprintf(p->user, sizeof(p->user), "%s", s);
	if ((s = get_str(r, "exe")) != NULL && (p->exe = strdup(s)) == NULL)
		return -1;
	if ((s = get_str(r, "started")) != NULL)
		p->started_ms = proto_time_parse(s);
	p->start_time = (uint64_t)p->started_ms;
	return 0;
}

static int
json_row(const cJSON *r, struct snapshot *out, char *err, size_t errlen)
{
	struct sock_info si;
	struct proc_info p;
	int idx, reason, rc = -1;

	if (parse_row(r, &si, &p, &reason) == -1) {
		snprintf(err, errlen, "malformed listener row");
		goto out;
	}
	idx = -1;
	if (p.pid != 0 &&
	    (idx = snapshot_find_proc(out, p.pid, p.start_time)) < 0 &&
	    (idx = snapshot_add_proc(out, &p)) < 0)
		goto out;
	if (snapshot_add_row(out, &si, idx, reason) != NULL)
		rc = 0;
out:
	proc_info_clear(&p);
	return rc;
}

int
proto_json_rows(const cJSON *rows, struct snapshot *out, char *err,
    size_t errlen)
{
	const cJSON *r;

	if (errlen > 0)
		*err = '\0';
	if (!cJSON_IsArray(rows)) {
		snprintf(err, errlen, "expected an array of listeners");
		return -1;
	}
	cJSON_ArrayForEach(r, rows) {
		if (!cJSON_IsObject(r)) {
			snprintf(err, errlen, "a listener row is not an object");
			return -1;
		}
		if (json_row(r, out, err, errlen) == -1) {
			if (*err == '\0')
				snprintf(err, errlen, "out of memory");
			return -1;
		}
	}
	return 0;
}

cJSON *
proto_kill_json(const struct kill_plan *kp)
{
	const struct kill_target *t;
	cJSON *a, *o;
	size_t i;

	if ((a = cJSON_CreateArray()) == NULL)
		return NULL;
	for (i = 0; i < kp->ntargets; i++) {
		t = &kp->targets[i];
		if ((o = cJSON_CreateObject()) == NULL) {
			cJSON_Delete(a);
			return NULL;
		}
		cJSON_AddNumberToObject(o, "pid", t->proc.pid);
		add_str_or_null(o, "command", t->proc.comm);
		add_str_or_null(o, "user", t->proc.user);
		if (t->proc.uid != PD_UID_UNKNOWN)
			cJSON_AddNumberToObject(o, "uid", t->proc.uid);
		else
			cJSON_AddNullToObject(o, "uid");
		cJSON_AddStringToObject(o, "outcome",
		    kill_outcome_name(t->outcome));
		add_str_or_null(o, "signal", t->signalled ?
		    kill_signal_name(t->signalled) : NULL);
		/* After an escalation "signal" is the last one sent. */
		if (t->first_signal && t->first_signal != t->signalled)
			add_str_or_null(o, "first_signal",
			    kill_signal_name(t->first_signal));
		add_str_or_null(o, "error", t->err);
		cJSON_AddItemToArray(a, o);
	}
	return a;
}

int
proto_json_kill(const cJSON *results, struct kill_plan *kp)
{
	const cJSON *r;
	struct kill_target *t;
	const char *s;
	double d;
	int n, i;

	memset(kp, 0, sizeof(*kp));
	if (!cJSON_IsArray(results))
		return -1;
	if ((n = cJSON_GetArraySize(results)) == 0)
		return 0;
	if ((kp->targets = calloc((size_t)n, sizeof(*kp->targets))) == NULL)
		return -1;
	cJSON_ArrayForEach(r, results) {
		t = &kp->targets[kp->ntargets++];
		/* In range before the casts: a double beyond the type's
		 * range is undefined when cast. */
		t->proc.pid = get_range(r, "pid", 0, 2147483647.0, &d) == 0 ?
		    (int32_t)d : 0;
		t->proc.uid = get_range(r, "uid", 0, 4294967294.0, &d) == 0 ?
		    (uint32_t)d :
		    PD_UID_UNKNOWN;
		if ((s = get_str(r, "command")) != NULL)
			snprintf(t->proc.comm, sizeof(t->proc.comm), "%s", s);
		if ((s = get_str(r, "user")) != NULL)
			snprintf(t->proc.user, sizeof(t->proc.user), "%s", s);
		if ((s = get_str(r, "error")) != NULL)
			snprintf(t->err, sizeof(t->err), "%s", s);
		t->signalled = (s = get_str(r, "signal")) != NULL ?
		    kill_signal_parse(s) : 0;
		if (t->signalled < 0)
			t->signalled = 0;
		t->first_signal = (s = get_str(r, "first_signal")) != NULL ?
		    kill_signal_parse(s) : t->signalled;
		if (t->first_signal < 0)
			t->first_signal = t->signalled;
		t->outcome = KILL_FAILED;
		if ((s = get_str(r, "outcome")) != NULL)
			for (i = KILL_PENDING; i <= KILL_FAILED; i++)
				if (strcmp(s, kill_outcome_name(i)) == 0)
					t->outcome = i;
	}
	return 0;
}

/* ---- errors ---------------------------------------------------------- */

#define PROTO_ERROR_CODE(e, code, msg) [e] = code,
#define PROTO_ERROR_MSG(e, code, msg) [e] = msg,
static const char *const error_codes[PE_MAX] = {
	[PE_NONE] = "ok", PROTO_ERRORS(PROTO_ERROR_CODE)
};
static const char *const error_msgs[PE_MAX] = {
	[PE_NONE] = "no error", PROTO_ERRORS(PROTO_ERROR_MSG)
};

const char *
proto_error_code(int e)
{
	return e >= 0 && e < PE_MAX ? error_codes[e] : "internal";
}

const char *
proto_error_message(int e)
{
	return e >= 0 && e < PE_MAX ? error_msgs[e] : "internal error";
}

int
proto_error_parse(const char *code)
{
	int e;

	for (e = 1; code != NULL && e < PE_MAX; e++)
		if (strcmp(code, error_codes[e]) == 0)
			return e;
	return PE_INTERNAL;
}

/* ---- requests -------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned key;
} key_names[] = {
	{ "ports", PK_PORTS }, { "protos", PK_PROTOS },
	{ "families", PK_FAMILIES }, { "signal", PK_SIGNAL },
	{ "timeout_ms", PK_TIMEOUT }, { "escalate", PK_ESCALATE },
	{ "dry_run", PK_DRY_RUN }, { "since", PK_SINCE },
};
#define NKEYS (sizeof(key_names) / sizeof(key_names[0]))

void
proto_request_init(struct request *req)
{
	memset(req, 0, sizeof(*req));
	filter_init(&req->filter);
	req->timeout_ms = 5000;
	req->escalate = 1;
	req->since = 0;
	snprintf(req->id, sizeof(req->id), "null");
}

/* An integer-valued JSON number within [lo, hi]. */
static int
get_int(const cJSON *v, int64_t lo, int64_t hi, int64_t *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	/* Range first: casting an out-of-range double is undefined. */
	if (!(d >= (double)lo && d <= (double)hi) || d != (double)(int64_t)d)
		return -1;
	*out = (int64_t)d;
	return 0;
}

static int
parse_strings(const cJSON *v, const char *key, char *err, size_t errlen)
{
	const cJSON *e;

	if (!cJSON_IsArray(v)) {
		snprintf(err, errlen, "%s: expected an array of strings", key);
		return -1;
	}
	cJSON_ArrayForEach(e, v) {
		if (!cJSON_IsString(e)) {
			snprintf(err, errlen, "%s: expected an array of "
			    "strings", key);
			return -1;
		}
	}
	return 0;
}

static int
parse_key(struct request *req, unsigned key, const cJSON *v, char *err,
    size_t errlen)
{
	const cJSON *e;
	struct portspec ps;
	char perr[200];
	int64_t n;

	switch (key) {
	case PK_PORTS:
		if (parse_strings(v, "ports", err, errlen) == -1)
			return -1;
		cJSON_ArrayForEach(e, v) {
			if (portspec_parse(e->valuestring,
			    portspec_lookup_services, &ps, perr,
			    sizeof(perr)) == -1) {
				snprintf(err, errlen, "ports: %s", perr);
				return -1;
			}
			if (filter_add(&req->filter, &ps) == -1) {
				snprintf(err, errlen, "ports: more than %d",
				    FILTER_MAX_SPECS);
				return -1;
			}
		}
		return 0;
	case PK_PROTOS:
	case PK_FAMILIES:
		if (parse_strings(v, key == PK_PROTOS ? "protos" :
		    "families", err, errlen) == -1)
			return -1;
		cJSON_ArrayForEach(e, v) {
			const char *s = e->valuestring;

			if (key == PK_PROTOS && strcmp(s, "tcp") == 0)
				req->filter.protos |= PD_TCP;
			else if (key == PK_PROTOS && strcmp(s, "udp") == 0)
				req->filter.protos |= PD_UDP;
			else if (key == PK_FAMILIES && strcmp(s, "ipv4") == 0)
				req->filter.families |= PD_INET;
			else if (key == PK_FAMILIES && strcmp(s, "ipv6") == 0)
				req->filter.families |= PD_INET6;
			else {
				snprintf(err, errlen, "%s: unknown value "
				    "'%.40s'", key == PK_PROTOS ? "protos" :
				    "families", s);
				return -1;
			}
		}
		return 0;
	case PK_SIGNAL:
		if (!cJSON_IsString(v) ||
		    (req->sig = kill_signal_parse(v->valuestring)) == -1) {
			snprintf(err, errlen, "signal: expected a signal name "
			    "such as \"TERM\"");
			return -1;
		}
		return 0;
	case PK_TIMEOUT:
		if (get_int(v, 0, 3600000, &req->timeout_ms) == -1) {
			snprintf(err, errlen, "timeout_ms: expected an integer "
			    "0-3600000");
			return -1;
		}
		return 0;
	case PK_ESCALATE:
	case PK_DRY_RUN:
		if (!cJSON_IsBool(v)) {
			snprintf(err, errlen, "%s: expected true or false",
			    key == PK_ESCALATE ? "escalate" : "dry_run");
			return -1;
		}
		if (key == PK_ESCALATE)
			req->escalate = cJSON_IsTrue(v);
		else
			req->dry_run = cJSON_IsTrue(v);
		return 0;
	case PK_SINCE:
		if (get_int(v, 0, INT64_C(1) << 52, &n) == -1) {
			snprintf(err, errlen, "since: expected a sequence "
			    "number >= 0");
			return -1;
		}
		req->since = n;
		return 0;
	}
	return -1;
}

int
proto_parse_request(const char *line, size_t len, struct request *req,
    char *err, size_t errlen)
{
	const cJSON *item;
	const char *end = NULL;
	cJSON *root;
	char *idtext;
	size_t i;
	int64_t v;
	int rc = PE_BAD_REQUEST, seen_id = 0, seen_v = 0, seen_cmd = 0;

	proto_request_init(req);
	*err = '\0';
	/* One value and nothing after it: "{...} junk" or two objects on
	 * one line are not a request. */
	if ((root = cJSON_ParseWithLengthOpts(line, len, &end, 0)) == NULL) {
		snprintf(err, errlen, "request is not valid JSON");
		return PE_BAD_JSON;
	}
	for (; end != NULL && end < line + len; end++)
		if (!isspace((unsigned char)*end)) {
			cJSON_Delete(root);
			snprintf(err, errlen, "text after the JSON object");
			return PE_BAD_JSON;
		}
	if (!cJSON_IsObject(root)) {
		snprintf(err, errlen, "a request is a JSON object");
		goto out;
	}
	item = cJSON_GetObjectItemCaseSensitive(root, "id");
	if (item != NULL && !cJSON_IsNull(item)) {
		if (!(cJSON_IsNumber(item) || (cJSON_IsString(item) &&
		    strlen(item->valuestring) < 48))) {
			snprintf(err, errlen, "id: expected a number or a "
			    "short string");
			goto out;
		}
		if ((idtext = cJSON_PrintUnformatted(item)) != NULL) {
			/* Escaping can grow a short string past req->id: a
			 * cut id would make every reply invalid JSON. */
			if (strlen(idtext) >= sizeof(req->id)) {
				cJSON_free(idtext);
				snprintf(err, errlen, "id: expected a number or "
				    "a short string");
				goto out;
			}
			snprintf(req->id, sizeof(req->id), "%s", idtext);
			cJSON_free(idtext);
		}
	}
	cJSON_ArrayForEach(item, root) {
		const char *k = item->string;

		if ((strcmp(k, "id") == 0 && seen_id++) ||
		    (strcmp(k, "v") == 0 && seen_v++) ||
		    (strcmp(k, "cmd") == 0 && seen_cmd++)) {
			snprintf(err, errlen, "key '%s' given twice", k);
			goto out;
		}
		if (strcmp(k, "id") == 0)
			continue;
		if (strcmp(k, "v") == 0) {
			if (get_int(item, 0, 1000, &v) == -1 ||
			    v != PROTO_VERSION) {
				if (cJSON_IsNumber(item))
					snprintf(err, errlen, "protocol version "
					    "%g is not supported (this daemon "
					    "speaks %d)", item->valuedouble,
					    PROTO_VERSION);
				else
					snprintf(err, errlen, "v: expected the "
					    "protocol version, %d",
					    PROTO_VERSION);
				rc = PE_BAD_VERSION;
				goto out;
			}
			continue;
		}
		if (strcmp(k, "cmd") == 0) {
			if (!cJSON_IsString(item) ||
			    strlen(item->valuestring) >= sizeof(req->cmd)) {
				snprintf(err, errlen, "cmd: expected a command "
				    "name");
				goto out;
			}
			snprintf(req->cmd, sizeof(req->cmd), "%s",
			    item->valuestring);
			continue;
		}
		for (i = 0; i < NKEYS; i++)
			if (strcmp(k, key_names[i].name) == 0)
				break;
		if (i == NKEYS) {
			snprintf(err, errlen, "unknown key '%.40s'", k);
			goto out;
		}
		if (req->keys & key_names[i].key) {
			snprintf(err, errlen, "key '%s' given twice", k);
			goto out;
		}
		req->keys |= key_names[i].key;
		if (parse_key(req, key_names[i].key, item, err, errlen) == -1)
			goto out;
	}
	if (req->cmd[0] == '\0') {
		snprintf(err, errlen, "missing key 'cmd'");
		goto out;
	}
	rc = PE_NONE;
out:
	cJSON_Delete(root);
	return rc;
}

int
proto_request_allowed(const struct request *req, unsigned allowed,
    char *err, size_t errlen)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if ((req->keys & key_names[i].key) &&
		    !(allowed & key_names[i].key)) {
			snprintf(err, errlen, "key '%s' is not accepted by "
			    "'%s'", key_names[i].name, req->cmd);
			return PE_BAD_REQUEST;
		}
	return PE_NONE;
}

char *
proto_request_text(const struct request *req)
{
	cJSON *o, *a, *id;
	char spec[32], *text;
	size_t i;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddNumberToObject(o, "v", PROTO_VERSION);
	if ((id = cJSON_Parse(req->id)) != NULL && !cJSON_IsNull(id))
		cJSON_AddItemToObject(o, "id", id);
	else
		cJSON_Delete(id);
	cJSON_AddStringToObject(o, "cmd", req->cmd);
	if (req->keys & PK_PORTS) {
		a = cJSON_AddArrayToObject(o, "ports");
		for (i = 0; a != NULL && i < req->filter.nspecs; i++) {
			portspec_format(&req->filter.specs[i], spec,
			    sizeof(spec));
			cJSON_AddItemToArray(a, cJSON_CreateString(spec));
		}
	}
	if (req->keys & PK_PROTOS) {
		a = cJSON_AddArrayToObject(o, "protos");
		if (req->filter.protos & PD_TCP)
			cJSON_AddItemToArray(a, cJSON_CreateString("tcp"));
		if (req->filter.protos & PD_UDP)
			cJSON_AddItemToArray(a, cJSON_CreateString("udp"));
	}
	if (req->keys & PK_FAMILIES) {
		a = cJSON_AddArrayToObject(o, "families");
		if (req->filter.families & PD_INET)
			cJSON_AddItemToArray(a, cJSON_CreateString("ipv4"));
		if (req->filter.families & PD_INET6)
			cJSON_AddItemToArray(a, cJSON_CreateString("ipv6"));
	}
	if (req->keys & PK_SIGNAL) {
		if (kill_signal_name(req->sig) != NULL)
			cJSON_AddStringToObject(o, "signal",
			    kill_signal_name(req->sig));
		else {
			snprintf(spec, sizeof(spec), "%d", req->sig);
			cJSON_AddStringToObject(o, "signal", spec);
		}
	}
	if (req->keys & PK_TIMEOUT)
		cJSON_AddNumberToObject(o, "timeout_ms",
		    (double)req->timeout_ms);
	if (req->keys & PK_ESCALATE)
		cJSON_AddBoolToObject(o, "escalate", req->escalate);
	if (req->keys & PK_DRY_RUN)
		cJSON_AddBoolToObject(o, "dry_run", req->dry_run);
	if (req->keys & PK_SINCE)
		cJSON_AddNumberToObject(o, "since", (double)req->since);
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return text;
}

/* Joins the head text, the result and a closing brace plus newline. */
static char *
reply_line(const char *id, int ok, cJSON *payload, const char *key)
{
	char *body, *line;
	size_t n;

	body = payload != NULL ? cJSON_PrintUnformatted(payload) : NULL;
	cJSON_Delete(payload);
	if (body == NULL)
		return NULL;
	n = strlen(id) + strlen(body) + 64;
	if ((line = malloc(n)) != NULL)
		snprintf(line, n, "{\"id\":%s,\"ok\":%s,\"%s\":%s}\n", id,
		    ok ? "true" : "false", key, body);
	cJSON_free(body);
	return line;
}

char *
proto_reply_ok_text(const char *id, char *result)
{
	char *line;
	size_t n;

	if (result == NULL)
		return NULL;
	n = strlen(id) + strlen(result) + 32;
	if ((line = malloc(n)) != NULL)
		snprintf(line, n, "{\"id\":%s,\"ok\":true,\"result\":%s}\n", id,
		    result);
	free(result);
	return line;
}

char *
proto_reply_ok(const char *id, cJSON *result)
{
	if (result == NULL)
		result = cJSON_CreateObject();
	return reply_line(id, 1, result, "result");
}

char *
proto_reply_error(const char *id, int err, const char *message)
{
	cJSON *e;

	if ((e = cJSON_CreateObject()) == NULL)
		return NULL;
	cJSON_AddStringToObject(e, "code", proto_error_code(err));
	cJSON_AddStringToObject(e, "message", message != NULL && *message ?
	    message : proto_error_message(err));
	return reply_line(id, 0, e, "error");
}

/* ---- events ---------------------------------------------------------- */

cJSON *
proto_event_json(const struct event *ev)
{
	char when[40];
	cJSON *o, *row;

	if ((o = cJSON_CreateObject()) == NULL)
		return NULL;
	proto_time_text(ev->time_ms, when, sizeof(when));
	cJSON_AddNumberToObject(o, "seq", (double)ev->seq);
	cJSON_AddStringToObject(o, "time", when);
	cJSON_AddStringToObject(o, "event", event_type_name(ev->type));
	if ((row = row_json(&ev->sock, &ev->proc, ev->reason)) == NULL) {
		cJSON_Delete(o);
		return NULL;
	}
	cJSON_AddItemToObject(o, "listener", row);
	if (ev->rule[0] != '\0')
		cJSON_AddStringToObject(o, "rule", ev->rule);
	if (ev->action[0] != '\0') {
		cJSON_AddStringToObject(o, "action", ev->action);
		cJSON_AddBoolToObject(o, "dry_run", ev->dry_run);
	}
	if (ev->outcome[0] != '\0')
		cJSON_AddStringToObject(o, "outcome", ev->outcome);
	if (ev->type == EV_RESPAWN) {
		cJSON_AddNumberToObject(o, "parent_pid", ev->parent_pid);
		add_str_or_null(o, "parent_command", ev->parent_comm);
		add_str_or_null(o, "unit", ev->unit);
	}
	return o;
}

int
proto_json_event(const cJSON *o, struct event *ev)
{
	const char *s;
	double d;
	int reason;

	memset(ev, 0, sizeof(*ev));
	if (get_range(o, "seq", 0, 9007199254740992.0, &d) == -1 ||
	    (s = get_str(o, "event")) == NULL)
		return -1;
	ev->seq = (uint64_t)d;
	for (ev->type = EV_BIND; ev->type <= EV_RESPAWN; ev->type++)
		if (strcmp(s, event_type_name(ev->type)) == 0)
			break;
	if (ev->type > EV_RESPAWN)
		return -1;
	if ((s = get_str(o, "rule")) != NULL)
		snprintf(ev->rule, sizeof(ev->rule), "%s", s);
	if ((s = get_str(o, "action")) != NULL)
		snprintf(ev->action, sizeof(ev->action), "%s", s);
	if ((s = get_str(o, "outcome")) != NULL)
		snprintf(ev->outcome, sizeof(ev->outcome), "%s", s);
	ev->dry_run = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
	    "dry_run"));
	if (get_range(o, "parent_pid", 0, 2147483647.0, &d) == 0)
		ev->parent_pid = (int32_t)d;
	if ((s = get_str(o, "parent_command")) != NULL)
		snprintf(ev->parent_comm, sizeof(ev->parent_comm), "%s", s);
	if ((s = get_str(o, "unit")) != NULL)
		snprintf(ev->unit, sizeof(ev->unit), "%s", s);
	if ((s = get_str(o, "time")) != NULL)
		ev->time_ms = proto_time_parse(s);
	if (parse_row(cJSON_GetObjectItemCaseSensitive(o, "listener"),
	    &ev->sock, &ev->proc, &reason) == -1) {
		proc_info_clear(&ev->proc);
		return -1;
	}
	ev->reason = (uint8_t)reason;
	return 0;
}
