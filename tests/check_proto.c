/*
 * check_proto.c - tests of the JSON shapes shared by portctl and the
 * control protocol: times, listener rows, kill results, events, the error
 * table, strict request parsing and the reply lines.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto.h"
#include "strvis.h"

#ifndef FIXTURES
#error "build with -DFIXTURES=\"/path/to/tests/fixtures\""
#endif

/* ---- helpers ---------------------------------------------------------- */

/* The decoders' error text, for the tests that do not look at it. */
static char perr[256];

static int
parse(const char *line, struct request *req, char *err, size_t errlen)
{
	return proto_parse_request(line, strlen(line), req, err, errlen);
}

static const cJSON *
item(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key);
}

static void
assert_str_item(const cJSON *o, const char *key, const char *want)
{
	const cJSON *v = item(o, key);

	ck_assert_msg(cJSON_IsString(v), "%s: not a string", key);
	ck_assert_str_eq(v->valuestring, want);
}

static void
assert_num_item(const cJSON *o, const char *key, double want)
{
	const cJSON *v = item(o, key);

	ck_assert_msg(cJSON_IsNumber(v), "%s: not a number", key);
	ck_assert_msg(v->valuedouble == want, "%s: %f, want %f", key,
	    v->valuedouble, want);
}

static void
assert_null_item(const cJSON *o, const char *key)
{
	ck_assert_msg(cJSON_IsNull(item(o, key)), "%s: not null", key);
}

static struct sock_info
sock4(int proto, uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port,
    uint64_t inode)
{
	struct sock_info si;

	memset(&si, 0, sizeof(si));
	si.proto = (uint8_t)proto;
	si.family = PD_INET;
	si.state = proto == PD_TCP ? PD_LISTEN : PD_BOUND;
	si.port = port;
	si.inode = inode;
	si.uid = 1000;
	si.addr[0] = a;
	si.addr[1] = b;
	si.addr[2] = c;
	si.addr[3] = d;
	return si;
}

/* fe80::<last>, or :: when link is 0. */
static struct sock_info
sock6(int proto, int link, uint8_t last, uint32_t scope, int v6only,
    uint16_t port, uint64_t inode)
{
	struct sock_info si;

	memset(&si, 0, sizeof(si));
	si.proto = (uint8_t)proto;
	si.family = PD_INET6;
	si.state = proto == PD_TCP ? PD_LISTEN : PD_BOUND;
	si.port = port;
	si.inode = inode;
	si.uid = 1000;
	si.v6only = (int8_t)v6only;
	si.scope_id = scope;
	if (link) {
		si.addr[0] = 0xfe;
		si.addr[1] = 0x80;
	}
	si.addr[15] = last;
	return si;
}

static struct proc_info
proc(int32_t pid, const char *comm, const char *user, uint32_t uid,
    const char *exe, int64_t started_ms)
{
	struct proc_info p;

	memset(&p, 0, sizeof(p));
	p.pid = pid;
	p.ppid = 1;
	p.uid = p.suid = uid;
	p.start_time = 99;
	p.started_ms = started_ms;
	snprintf(p.comm, sizeof(p.comm), "%s", comm);
	snprintf(p.user, sizeof(p.user), "%s", user);
	p.exe = (char *)exe;
	return p;
}

/* ---- times ------------------------------------------------------------ */

static const struct {
	int64_t ms;
	const char *text;
} times[] = {
	{ 0, "1970-01-01T00:00:00.000Z" },
	{ 1, "1970-01-01T00:00:00.001Z" },
	{ 999, "1970-01-01T00:00:00.999Z" },
	{ 1000, "1970-01-01T00:00:01.000Z" },
	{ INT64_C(946684800000), "2000-01-01T00:00:00.000Z" },
	{ INT64_C(1795449845123), "2026-11-23T16:04:05.123Z" },
	{ INT64_C(1795449845007), "2026-11-23T16:04:05.007Z" },
	/* Past the 32-bit time_t limit. */
	{ INT64_C(2147483647999), "2038-01-19T03:14:07.999Z" },
	{ INT64_C(2147483648000), "2038-01-19T03:14:08.000Z" },
	{ INT64_C(2214131696789), "2040-02-29T12:34:56.789Z" },
	{ INT64_C(253402300799999), "9999-12-31T23:59:59.999Z" },
};

START_TEST(test_time_roundtrip)
{
	char buf[40];

	memset(buf, 'x', sizeof(buf));
	proto_time_text(times[_i].ms, buf, sizeof(buf));
	ck_assert_str_eq(buf, times[_i].text);
	ck_assert_uint_eq(strlen(buf), 24);
	ck_assert_int_eq(proto_time_parse(times[_i].text), times[_i].ms);
	ck_assert_int_eq(proto_time_parse(buf), times[_i].ms);
}
END_TEST

START_TEST(test_time_negative)
{
	char buf[40];

	/* Before the epoch (never a real start time): shown as the epoch. */
	proto_time_text(-1, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
	proto_time_text(INT64_MIN, buf, sizeof(buf));
	ck_assert_str_eq(buf, "1970-01-01T00:00:00.000Z");
}
END_TEST

static const char *const bad_times[] = {
	"",
	"garbage",
	"2026",
	"2026-11-23",
	"2026-11-23T16:04:05.123",		/* no Z */
	"2026-11-23T16:04:05.123z",
	"2026-11-23 16:04:05.123Z",		/* no T */
	"2026/11/23T16:04:05.123Z",
	"2026-11-23T16:04:05.123Zjunk",
	"2026-11-23T16:04:05.123Z ",
	"x2026-11-23T16:04:05.123Z",
	"2026-11-23T16:04:05,123Z",
	"2026-11-23T16-04-05.123Z",
	"2026-11-23T16:04.123Z",
	"T16:04:05.123Z",
	/* Shape right, values wrong: rejected, not normalised. */
	"2026-13-01T00:00:00.000Z",
	"2026-02-30T00:00:00.000Z",
	"2026-11-23T25:00:00.000Z",
	"2026-11-23T16:61:00.000Z",
	"2026-11-23T16:04:05.-12Z",
	" 2026-11-23T16:04:05.123Z",
	"2026-1-2T3:4:5.6Z",
	"2026-11-23T16:04:05.1Z",
};

START_TEST(test_time_malformed)
{
	ck_assert_msg(proto_time_parse(bad_times[_i]) == -1,
	    "\"%s\" parsed as %lld", bad_times[_i],
	    (long long)proto_time_parse(bad_times[_i]));
}
END_TEST

START_TEST(test_time_null)
{
	ck_assert_int_eq(proto_time_parse(NULL), -1);
}
END_TEST

/* ---- the error table -------------------------------------------------- */

static const struct {
	int err;
	const char *code, *message;
} errors[] = {
	{ PE_BAD_JSON, "bad_json", "request is not valid JSON" },
	{ PE_BAD_REQUEST, "bad_request", "malformed request" },
	{ PE_UNKNOWN_COMMAND, "unknown_command", "unknown command" },
	{ PE_BAD_VERSION, "unsupported_version",
	    "unsupported protocol version" },
	{ PE_LINE_TOO_LONG, "line_too_long", "request line over 64 KiB" },
	{ PE_TOO_MANY_CLIENTS, "too_many_clients",
	    "too many clients connected" },
	{ PE_IDLE_TIMEOUT, "idle_timeout", "connection idle for too long" },
	{ PE_BUSY, "busy", "too many requests of this kind in progress" },
	{ PE_DENIED, "permission_denied", "permission denied" },
	{ PE_LAGGED, "lagged", "subscriber too slow: events dropped" },
	{ PE_RELOAD, "reload_failed", "configuration not reloaded" },
	{ PE_INTERNAL, "internal", "internal error" },
};

START_TEST(test_error_table)
{
	size_t i, n = sizeof(errors) / sizeof(errors[0]);
	int e, f;

	ck_assert_int_eq(PE_MAX, (int)n + 1);	/* every code listed */
	for (i = 0; i < n; i++) {
		ck_assert_str_eq(proto_error_code(errors[i].err),
		    errors[i].code);
		ck_assert_str_eq(proto_error_message(errors[i].err),
		    errors[i].message);
		ck_assert_int_eq(proto_error_parse(errors[i].code),
		    errors[i].err);
	}
	/* Codes are distinct, so each parses back to itself. */
	for (e = 1; e < PE_MAX; e++) {
		ck_assert_int_eq(proto_error_parse(proto_error_code(e)), e);
		for (f = 1; f < e; f++)
			ck_assert_str_ne(proto_error_code(e),
			    proto_error_code(f));
	}
	ck_assert_str_eq(proto_error_code(PE_NONE), "ok");
	ck_assert_str_eq(proto_error_message(PE_NONE), "no error");
}
END_TEST

START_TEST(test_error_unknown)
{
	ck_assert_int_eq(proto_error_parse("no_such_code"), PE_INTERNAL);
	ck_assert_int_eq(proto_error_parse(""), PE_INTERNAL);
	ck_assert_int_eq(proto_error_parse(NULL), PE_INTERNAL);
	ck_assert_int_eq(proto_error_parse("BAD_JSON"), PE_INTERNAL);
	ck_assert_int_eq(proto_error_parse("bad_json "), PE_INTERNAL);
	ck_assert_int_eq(proto_error_parse("bad"), PE_INTERNAL);
	/* "ok" is no error code. */
	ck_assert_int_eq(proto_error_parse("ok"), PE_INTERNAL);
	ck_assert_str_eq(proto_error_code(-1), "internal");
	ck_assert_str_eq(proto_error_code(PE_MAX), "internal");
	ck_assert_str_eq(proto_error_code(1000), "internal");
	ck_assert_str_eq(proto_error_message(-1), "internal error");
	ck_assert_str_eq(proto_error_message(PE_MAX), "internal error");
}
END_TEST

/* ---- rows ------------------------------------------------------------- */

START_TEST(test_row_json_owned)
{
	struct snapshot s;
	struct sock_info si = sock4(PD_TCP, 127, 0, 0, 1, 8080,
	    UINT64_C(4294967296123));
	struct proc_info p = proc(4242, "python3", "alice", 1000,
	    "/usr/bin/python3.11", INT64_C(1795449845123));
	cJSON *o;

	snapshot_init(&s);
	p.ppid = 4000;
	ck_assert_int_eq(snapshot_add_proc(&s, &p), 0);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, 0, PD_OWNER_OK));
	o = proto_row_json(&s, &s.rows[0]);
	ck_assert_ptr_nonnull(o);
	ck_assert(cJSON_IsObject(o));
	assert_str_item(o, "proto", "tcp");
	assert_str_item(o, "family", "ipv4");
	assert_str_item(o, "address", "127.0.0.1");
	assert_num_item(o, "port", 8080);
	assert_str_item(o, "state", "LISTEN");
	ck_assert(cJSON_IsFalse(item(o, "v6only")));
	assert_num_item(o, "inode", 4294967296123.0);
	assert_num_item(o, "pid", 4242);
	assert_num_item(o, "ppid", 4000);
	assert_str_item(o, "command", "python3");
	assert_str_item(o, "user", "alice");
	assert_num_item(o, "uid", 1000);
	assert_str_item(o, "exe", "/usr/bin/python3.11");
	assert_str_item(o, "started", "2026-11-23T16:04:05.123Z");
	ck_assert_ptr_null(item(o, "reason"));
	cJSON_Delete(o);

	/* Unknown fields are null; no start time, no "started". */
	snapshot_clear(&s);
	p = proc(7, "", "", PD_UID_UNKNOWN, NULL, 0);
	si = sock4(PD_UDP, 0, 0, 0, 0, 53, 1);
	ck_assert_int_eq(snapshot_add_proc(&s, &p), 0);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, 0, PD_OWNER_OK));
	o = proto_row_json(&s, &s.rows[0]);
	ck_assert_ptr_nonnull(o);
	assert_str_item(o, "proto", "udp");
	assert_str_item(o, "address", "0.0.0.0");
	assert_str_item(o, "state", "BOUND");
	assert_num_item(o, "pid", 7);
	assert_null_item(o, "command");
	assert_null_item(o, "user");
	assert_null_item(o, "uid");
	assert_null_item(o, "exe");
	ck_assert_ptr_null(item(o, "started"));
	cJSON_Delete(o);
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_row_json_unowned)
{
	struct snapshot s;
	struct sock_info si = sock4(PD_TCP, 0, 0, 0, 0, 25, 77);
	cJSON *o;

	snapshot_init(&s);
	si.uid = 0;
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, -1, PD_OWNER_DENIED));
	si.uid = PD_UID_UNKNOWN;
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, -1,
	    PD_OWNER_UNSUPPORTED));

	o = proto_row_json(&s, &s.rows[0]);
	ck_assert_ptr_nonnull(o);
	assert_null_item(o, "pid");
	assert_str_item(o, "reason", pd_reason_text(PD_OWNER_DENIED));
	assert_str_item(o, "reason_code", "permission_denied");
	assert_num_item(o, "uid", 0);	/* the socket's uid */
	assert_null_item(o, "command");
	assert_null_item(o, "user");
	assert_null_item(o, "exe");
	ck_assert_ptr_null(item(o, "ppid"));
	ck_assert_ptr_null(item(o, "started"));
	assert_num_item(o, "port", 25);
	assert_num_item(o, "inode", 77);
	cJSON_Delete(o);

	o = proto_row_json(&s, &s.rows[1]);
	ck_assert_ptr_nonnull(o);
	assert_null_item(o, "pid");
	assert_null_item(o, "uid");
	assert_str_item(o, "reason", pd_reason_text(PD_OWNER_UNSUPPORTED));
	assert_str_item(o, "reason_code", "unsupported");
	cJSON_Delete(o);
	snapshot_clear(&s);
}
END_TEST

/*
 * The reason travels as a code; the sentence beside it is for people and
 * is not read back: reworded, it changes nothing. No code (a portd from
 * before codes) or an unknown one (a newer portd) is "unknown", never a
 * reason the row does not have.
 */
static const struct {
	const char *code_key;	/* what follows "pid":null, */
	int reason;
} reason_rows[] = {
	{ "\"reason\":\"anything\",\"reason_code\":\"permission_denied\"",
	    PD_OWNER_DENIED },
	{ "\"reason_code\":\"no_process\"", PD_OWNER_NONE },
	{ "\"reason\":\"owner not visible: permission denied\","
	    "\"reason_code\":\"unsupported\"", PD_OWNER_UNSUPPORTED },
	{ "\"reason\":\"owner not visible: permission denied\"",
	    PD_OWNER_UNKNOWN },
	{ "\"reason_code\":\"martian\"", PD_OWNER_UNKNOWN },
	{ "\"reason_code\":\"ok\"", PD_OWNER_UNKNOWN },
	{ "\"reason_code\":7", PD_OWNER_UNKNOWN },
};

START_TEST(test_row_reason_code)
{
	struct snapshot out;
	char line[256], err[128];
	cJSON *rows;

	snprintf(line, sizeof(line), "[{\"family\":\"ipv4\",\"address\":"
	    "\"1.2.3.4\",\"port\":80,\"pid\":null,%s}]",
	    reason_rows[_i].code_key);
	ck_assert_ptr_nonnull(rows = cJSON_Parse(line));
	snapshot_init(&out);
	ck_assert_int_eq(proto_json_rows(rows, &out, err, sizeof(err)), 0);
	ck_assert_uint_eq(out.nrows, 1);
	ck_assert_int_eq(out.rows[0].proc, -1);
	ck_assert_int_eq(out.rows[0].reason, reason_rows[_i].reason);
	cJSON_Delete(rows);
	snapshot_clear(&out);
}
END_TEST

/* One table: every code parses back to its reason, and codes differ. */
START_TEST(test_reason_table)
{
	int r, q;

	for (r = 0; r < PD_REASON_MAX; r++) {
		ck_assert_int_eq(pd_reason_parse(pd_reason_code(r)), r);
		for (q = 0; q < r; q++)
			ck_assert_str_ne(pd_reason_code(r), pd_reason_code(q));
	}
	ck_assert_int_eq(pd_reason_parse(NULL), PD_OWNER_UNKNOWN);
	ck_assert_int_eq(pd_reason_parse("no process holds it"),
	    PD_OWNER_UNKNOWN);
	ck_assert_str_eq(pd_reason_code(PD_REASON_MAX), "unknown");
	ck_assert_str_eq(pd_reason_code(-1), "unknown");
}
END_TEST

/* True if text is valid UTF-8 and parses as JSON. */
static int
valid_json_utf8(const char *text)
{
	cJSON *o;

	if (!strvis_utf8_valid(text, strlen(text)))
		return 0;
	o = cJSON_Parse(text);
	cJSON_Delete(o);
	return o != NULL;
}

/*
 * A process's name and path are bytes; the wire is UTF-8. Invalid bytes
 * become U+FFFD in both row encoders (still byte-equal), control
 * characters are escaped exactly, valid UTF-8 is kept.
 */
START_TEST(test_row_invalid_utf8)
{
	struct snapshot s;
	struct sock_info si = sock4(PD_TCP, 127, 0, 0, 1, 8080, 9);
	struct proc_info p = proc(4242, "x\xff\xc3(\x1b]0;\a", "\xe9t\xe9",
	    1000, "/tmp/caf\xc3\xa9/\xed\xa0\x80", 0);
	char *buf = NULL, *want;
	size_t len = 0, cap = 0;
	cJSON *o;

	snapshot_init(&s);
	ck_assert_int_eq(snapshot_add_proc(&s, &p), 0);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, 0, PD_OWNER_OK));
	o = proto_row_json(&s, &s.rows[0]);
	assert_str_item(o, "command", "x\xef\xbf\xbd\xef\xbf\xbd(\x1b]0;\a");
	assert_str_item(o, "user", "\xef\xbf\xbdt\xef\xbf\xbd");
	assert_str_item(o, "exe", "/tmp/caf\xc3\xa9/\xef\xbf\xbd\xef\xbf\xbd"
	    "\xef\xbf\xbd");
	want = cJSON_PrintUnformatted(o);
	ck_assert_ptr_nonnull(strstr(want, "\\u001b]0;\\u0007"));
	ck_assert(valid_json_utf8(want));
	ck_assert_int_eq(proto_row_append(&s, &s.rows[0], &buf, &len, &cap),
	    0);
	ck_assert_str_eq(buf, want);
	cJSON_free(want);
	cJSON_Delete(o);
	free(buf);
	snapshot_clear(&s);	/* p.exe is borrowed: not freed */
}
END_TEST


START_TEST(test_row_json_v6)
{
	struct snapshot s;
	struct sock_info a = sock6(PD_UDP, 1, 1, 3, 1, 5353, 10),
	    b = sock6(PD_TCP, 0, 0, 0, 0, 80, 11),
	    c = sock6(PD_TCP, 0, 1, 0, -1, 443, 12);
	cJSON *o;

	snapshot_init(&s);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &a, -1, PD_OWNER_NONE));
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &b, -1, PD_OWNER_NONE));
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &c, -1, PD_OWNER_NONE));

	o = proto_row_json(&s, &s.rows[0]);
	assert_str_item(o, "family", "ipv6");
	assert_str_item(o, "proto", "udp");
	assert_str_item(o, "address", "fe80::1%3");
	ck_assert(cJSON_IsTrue(item(o, "v6only")));
	cJSON_Delete(o);

	o = proto_row_json(&s, &s.rows[1]);
	assert_str_item(o, "address", "::");
	ck_assert(cJSON_IsFalse(item(o, "v6only")));
	cJSON_Delete(o);

	o = proto_row_json(&s, &s.rows[2]);
	assert_str_item(o, "address", "::1");
	assert_null_item(o, "v6only");
	cJSON_Delete(o);
	snapshot_clear(&s);
}
END_TEST

START_TEST(test_snapshot_json_shape)
{
	struct snapshot s;
	struct sock_info si = sock4(PD_TCP, 10, 0, 0, 1, 22, 5);
	cJSON *o, *a;
	char *text;

	snapshot_init(&s);
	o = proto_snapshot_json(&s);
	ck_assert_ptr_nonnull(o);
	text = cJSON_PrintUnformatted(o);
	ck_assert_str_eq(text, "{\"listeners\":[]}");
	cJSON_free(text);
	cJSON_Delete(o);

	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, -1, PD_OWNER_NONE));
	si.port = 23;
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, -1, PD_OWNER_NONE));
	o = proto_snapshot_json(&s);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(cJSON_GetArraySize(o), 1);	/* one key only */
	a = cJSON_GetObjectItemCaseSensitive(o, "listeners");
	ck_assert(cJSON_IsArray(a));
	ck_assert_int_eq(cJSON_GetArraySize(a), 2);
	assert_num_item(cJSON_GetArrayItem(a, 0), "port", 22);
	assert_num_item(cJSON_GetArrayItem(a, 1), "port", 23);
	assert_str_item(cJSON_GetArrayItem(a, 1), "address", "10.0.0.1");
	cJSON_Delete(o);
	snapshot_clear(&s);
}
END_TEST

/* Builds the snapshot the round-trip tests send. */
static void
build_rows(struct snapshot *s)
{
	struct proc_info p1 = proc(4242, "python3", "alice", 1000,
	    "/usr/bin/python3.11", INT64_C(1795449845123)),
	    p2 = proc(77, "", "", PD_UID_UNKNOWN, NULL, 0);
	struct sock_info si;

	snapshot_init(s);
	ck_assert_int_eq(snapshot_add_proc(s, &p1), 0);
	ck_assert_int_eq(snapshot_add_proc(s, &p2), 1);
	/* 0: owned, IPv4. */
	si = sock4(PD_TCP, 127, 0, 0, 1, 8080, 100);
	ck_assert_ptr_nonnull(snapshot_add_row(s, &si, 0, PD_OWNER_OK));
	/* 1: the same process, link-local IPv6 with a scope. */
	si = sock6(PD_TCP, 1, 0x2a, 7, 1, 8080, 101);
	ck_assert_ptr_nonnull(snapshot_add_row(s, &si, 0, PD_OWNER_OK));
	/* 2: owned, dual-stack [::], a process with nothing known. */
	si = sock6(PD_UDP, 0, 0, 0, 0, 5353, 102);
	si.uid = PD_UID_UNKNOWN;
	ck_assert_ptr_nonnull(snapshot_add_row(s, &si, 1, PD_OWNER_OK));
	/* 3-5: unowned, each reason. */
	si = sock4(PD_TCP, 0, 0, 0, 0, 25, 103);
	si.uid = 0;
	ck_assert_ptr_nonnull(snapshot_add_row(s, &si, -1,
	    PD_OWNER_DENIED));
	si = sock6(PD_TCP, 0, 1, 0, -1, 631, 104);
	ck_assert_ptr_nonnull(snapshot_add_row(s, &si, -1, PD_OWNER_NONE));
	/* A large inode; not above 10^15, which cJSON may print with 15
	 * significant digits only (its read-back check has a tolerance). */
	si = sock4(PD_UDP, 192, 168, 1, 2, 65535, UINT64_C(1099511627776));
	ck_assert_ptr_nonnull(snapshot_add_row(s, &si, -1,
	    PD_OWNER_UNSUPPORTED));
}

/* Compares what survives the trip: the JSON has no start_time, suid or
 * Windows sock.pid, and an owned row's uid is its process's. */
static void
assert_rows_same(const struct snapshot *a, const struct snapshot *b)
{
	const struct proc_info *pa, *pb;
	const struct listener *la, *lb;
	size_t i;

	ck_assert_uint_eq(a->nrows, b->nrows);
	for (i = 0; i < a->nrows; i++) {
		la = &a->rows[i];
		lb = &b->rows[i];
		ck_assert_int_eq(la->sock.proto, lb->sock.proto);
		ck_assert_int_eq(la->sock.family, lb->sock.family);
		ck_assert_int_eq(la->sock.state, lb->sock.state);
		ck_assert_int_eq(la->sock.v6only, lb->sock.v6only);
		ck_assert_uint_eq(la->sock.port, lb->sock.port);
		ck_assert_uint_eq(la->sock.scope_id, lb->sock.scope_id);
		ck_assert_mem_eq(la->sock.addr, lb->sock.addr, 16);
		ck_assert_uint_eq(la->sock.inode, lb->sock.inode);
		ck_assert_int_eq(la->reason, lb->reason);
		pa = snapshot_row_proc(a, la);
		pb = snapshot_row_proc(b, lb);
		if (pa == NULL) {
			ck_assert_ptr_null(pb);
			ck_assert_uint_eq(la->sock.uid, lb->sock.uid);
			continue;
		}
		ck_assert_ptr_nonnull(pb);
		ck_assert_int_eq(pa->pid, pb->pid);
		ck_assert_int_eq(pa->ppid, pb->ppid);
		ck_assert_uint_eq(pa->uid, pb->uid);
		ck_assert_str_eq(pa->comm, pb->comm);
		ck_assert_str_eq(pa->user, pb->user);
		ck_assert_int_eq(pa->started_ms, pb->started_ms);
		if (pa->exe == NULL)
			ck_assert_ptr_null(pb->exe);
		else
			ck_assert_str_eq(pa->exe, pb->exe);
	}
}

START_TEST(test_rows_roundtrip)
{
	struct snapshot s, back;
	cJSON *o, *again;
	char err[128] = "", *text;

	build_rows(&s);
	snapshot_init(&back);
	o = proto_snapshot_json(&s);
	ck_assert_ptr_nonnull(o);
	/* Through text, as it travels. */
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	again = cJSON_Parse(text);
	cJSON_free(text);
	ck_assert_ptr_nonnull(again);
	ck_assert_int_eq(proto_json_rows(item(again, "listeners"), &back, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	assert_rows_same(&s, &back);
	/* One process for its two rows. */
	ck_assert_uint_eq(back.nprocs, 2);
	ck_assert_int_eq(back.rows[0].proc, back.rows[1].proc);
	/* The specific values, to be sure. */
	ck_assert_uint_eq(back.rows[1].sock.scope_id, 7);
	ck_assert_int_eq(back.rows[1].sock.addr[15], 0x2a);
	ck_assert_int_eq(back.rows[3].reason, PD_OWNER_DENIED);
	ck_assert_int_eq(back.rows[4].reason, PD_OWNER_NONE);
	ck_assert_int_eq(back.rows[5].reason, PD_OWNER_UNSUPPORTED);
	ck_assert_int_eq(back.rows[4].sock.v6only, -1);
	ck_assert_int_eq(back.rows[2].sock.v6only, 0);
	ck_assert_int_eq(back.rows[1].sock.v6only, 1);
	ck_assert_uint_eq(back.rows[5].sock.inode, UINT64_C(1099511627776));
	ck_assert_uint_eq(back.rows[5].sock.port, 65535);
	ck_assert_int_eq(snapshot_row_proc(&back, &back.rows[0])->started_ms,
	    INT64_C(1795449845123));
	ck_assert_uint_eq(snapshot_row_proc(&back, &back.rows[2])->uid,
	    PD_UID_UNKNOWN);

	/* Appended: parsing again doubles the rows. */
	ck_assert_int_eq(proto_json_rows(item(again, "listeners"), &back, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(back.nrows, 2 * s.nrows);
	cJSON_Delete(again);
	snapshot_clear(&back);
	snapshot_clear(&s);
}
END_TEST

#define ROW4	"\"family\":\"ipv4\",\"address\":\"1.2.3.4\",\"port\":80"
static const struct {
	const char *rows, *why;		/* why: in the error message */
} bad_rows[] = {
	/* No address. */
	{ "[{\"proto\":\"tcp\",\"family\":\"ipv4\",\"port\":80}]", "address" },
	{ "[{\"proto\":\"tcp\",\"family\":\"ipv4\",\"address\":\"1.2.3.4\"}]",
	    "port: missing" },
	{ "[{\"family\":\"ipv4\",\"address\":\"300.1.2.3\",\"port\":80}]",
	    "address" },
	{ "[{\"family\":\"ipv4\",\"address\":\"::1\",\"port\":80}]", "address" },
	{ "[{\"family\":\"ipv6\",\"address\":\"1.2.3.4\",\"port\":80}]",
	    "address" },
	{ "[{\"family\":\"ipv4\",\"address\":5,\"port\":80}]", "address" },
	{ "[{\"family\":\"ipv4\",\"address\":\"1.2.3.4\",\"port\":\"80\"}]",
	    "port: not a number" },
	/* Numbers out of range are malformed, not narrowed. */
	{ "[{\"family\":\"ipv4\",\"address\":\"1.2.3.4\",\"port\":70000}]",
	    "port: 70000 is not a whole number in 0-65535" },
	{ "[{\"family\":\"ipv4\",\"address\":\"1.2.3.4\",\"port\":-1}]",
	    "port: -1 is not" },
	{ "[{\"family\":\"ipv4\",\"address\":\"1.2.3.4\",\"port\":1.5}]",
	    "port: 1.5 is not" },
	{ "[{\"family\":\"ipv4\",\"address\":\"1.2.3.4\",\"port\":1e300}]",
	    "port: 1e+300 is not" },
	/* A present number is checked, never cast: pid, ppid, uid, inode. */
	{ "[{" ROW4 ",\"pid\":-5}]", "pid: -5 is not a whole number in "
	    "1-2147483647" },
	{ "[{" ROW4 ",\"pid\":0}]", "pid: 0 is not" },
	{ "[{" ROW4 ",\"pid\":2147483648}]", "pid: 2147483648 is not" },
	{ "[{" ROW4 ",\"pid\":12.5}]", "pid: 12.5 is not" },
	{ "[{" ROW4 ",\"pid\":1e999}]", "pid: inf is not" },
	{ "[{" ROW4 ",\"pid\":-1e999}]", "pid: -inf is not" },
	{ "[{" ROW4 ",\"pid\":\"7\"}]", "pid: not a number" },
	{ "[{" ROW4 ",\"pid\":7,\"ppid\":-1}]", "ppid: -1 is not" },
	{ "[{" ROW4 ",\"pid\":7,\"ppid\":3e9}]", "ppid: 3000000000 is not" },
	{ "[{" ROW4 ",\"pid\":7,\"uid\":-1}]", "uid: -1 is not" },
	{ "[{" ROW4 ",\"pid\":7,\"uid\":4294967295}]",
	    "uid: 4294967295 is not a whole number in 0-4294967294" },
	{ "[{" ROW4 ",\"pid\":7,\"uid\":0.5}]", "uid: 0.5 is not" },
	{ "[{" ROW4 ",\"pid\":null,\"uid\":1e10}]", "uid: 10000000000 is not" },
	{ "[{" ROW4 ",\"inode\":-2}]", "inode: -2 is not" },
	{ "[{" ROW4 ",\"inode\":1e16}]", "inode: 1e+16 is not" },
	{ "[7]", "not an object" },
};

START_TEST(test_rows_malformed)
{
	struct snapshot out;
	char err[128] = "";
	cJSON *rows = cJSON_Parse(bad_rows[_i].rows);

	ck_assert_ptr_nonnull(rows);
	snapshot_init(&out);
	ck_assert_int_eq(proto_json_rows(rows, &out, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "malformed listener row", 22) == 0 ||
	    strcmp(err, "a listener row is not an object") == 0, "%s", err);
	ck_assert_msg(strstr(err, bad_rows[_i].why) != NULL, "%s: want %s",
	    err, bad_rows[_i].why);
	ck_assert_uint_eq(out.nrows, 0);
	cJSON_Delete(rows);
	snapshot_clear(&out);
}
END_TEST

/* Absent or null numbers are "not known", not errors. */
START_TEST(test_rows_null_numbers)
{
	struct snapshot out;
	char err[128] = "";
	cJSON *rows = cJSON_Parse("[{" ROW4 ",\"pid\":9,\"ppid\":null,"
	    "\"uid\":null,\"inode\":null}]");

	snapshot_init(&out);
	ck_assert_int_eq(proto_json_rows(rows, &out, err, sizeof(err)), 0);
	ck_assert_uint_eq(out.nrows, 1);
	ck_assert_int_eq(snapshot_row_proc(&out, &out.rows[0])->pid, 9);
	ck_assert_int_eq(snapshot_row_proc(&out, &out.rows[0])->ppid, 0);
	ck_assert_uint_eq(snapshot_row_proc(&out, &out.rows[0])->uid,
	    PD_UID_UNKNOWN);
	ck_assert_uint_eq(out.rows[0].sock.inode, 0);
	cJSON_Delete(rows);
	snapshot_clear(&out);
}
END_TEST

START_TEST(test_rows_not_array)
{
	struct snapshot out;
	char err[128] = "";
	cJSON *o = cJSON_Parse("{\"listeners\":[]}"), *a, *o2;

	snapshot_init(&out);
	ck_assert_int_eq(proto_json_rows(o, &out, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "expected an array of listeners");
	ck_assert_int_eq(proto_json_rows(NULL, &out, err, sizeof(err)), -1);

	/* An empty array is no rows. */
	ck_assert_int_eq(proto_json_rows(item(o, "listeners"), &out, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(out.nrows, 0);
	cJSON_Delete(o);

	/* An element that is no object is an error too. */
	a = cJSON_Parse("[1]");
	err[0] = '\0';
	ck_assert_int_eq(proto_json_rows(a, &out, err, sizeof(err)), -1);
	ck_assert_str_ne(err, "");
	ck_assert_str_eq(err, "a listener row is not an object");
	/* A caller's stale text does not survive a call. */
	snprintf(err, sizeof(err), "stale");
	ck_assert_int_eq(proto_json_rows(item(o2 = cJSON_Parse(
	    "{\"listeners\":[]}"), "listeners"), &out, err, sizeof(err)), 0);
	ck_assert_str_eq(err, "");
	cJSON_Delete(o2);
	cJSON_Delete(a);
	snapshot_clear(&out);
}
END_TEST

/* ---- kill results ----------------------------------------------------- */

static void
kill_target_set(struct kill_target *t, int32_t pid, const char *comm,
    const char *user, uint32_t uid, int outcome, int sig, const char *err)
{
	memset(t, 0, sizeof(*t));
	t->proc.pid = pid;
	snprintf(t->proc.comm, sizeof(t->proc.comm), "%s", comm);
	snprintf(t->proc.user, sizeof(t->proc.user), "%s", user);
	t->proc.uid = uid;
	t->outcome = outcome;
	t->signalled = sig;
	snprintf(t->err, sizeof(t->err), "%s", err);
}

START_TEST(test_kill_json)
{
	struct kill_plan kp;
	cJSON *a, *o;

	memset(&kp, 0, sizeof(kp));
	kp.targets = calloc(3, sizeof(*kp.targets));
	ck_assert_ptr_nonnull(kp.targets);
	kp.ntargets = 3;
	kill_target_set(&kp.targets[0], 100, "nginx", "root", 0, KILL_EXITED,
	    SIGTERM, "");
	kill_target_set(&kp.targets[1], 200, "", "", PD_UID_UNKNOWN,
	    KILL_DENIED, 0, "Operation not permitted");
	kill_target_set(&kp.targets[2], 300, "java", "bob", 1001, KILL_KILLED,
	    SIGKILL, "");

	a = proto_kill_json(&kp);
	ck_assert_ptr_nonnull(a);
	ck_assert(cJSON_IsArray(a));
	ck_assert_int_eq(cJSON_GetArraySize(a), 3);
	o = cJSON_GetArrayItem(a, 0);
	assert_num_item(o, "pid", 100);
	assert_str_item(o, "command", "nginx");
	assert_str_item(o, "user", "root");
	assert_num_item(o, "uid", 0);
	assert_str_item(o, "outcome", "exited");
	assert_str_item(o, "signal", "SIGTERM");
	assert_null_item(o, "error");
	o = cJSON_GetArrayItem(a, 1);
	assert_num_item(o, "pid", 200);
	assert_null_item(o, "command");
	assert_null_item(o, "user");
	assert_null_item(o, "uid");
	assert_str_item(o, "outcome", "permission denied");
	assert_null_item(o, "signal");
	assert_str_item(o, "error", "Operation not permitted");
	o = cJSON_GetArrayItem(a, 2);
	assert_str_item(o, "outcome", "killed");
	assert_str_item(o, "signal", "SIGKILL");
	cJSON_Delete(a);
	kill_plan_free(&kp);

	/* No targets: an empty array. */
	a = proto_kill_json(&kp);
	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(cJSON_GetArraySize(a), 0);
	cJSON_Delete(a);
}
END_TEST

START_TEST(test_kill_roundtrip)
{
	static const int sigs[] = { 0, SIGHUP, SIGINT, SIGQUIT, SIGKILL,
	    SIGUSR1, SIGUSR2, SIGTERM, SIGSTOP, SIGCONT, SIGABRT, SIGALRM };
	struct kill_plan kp, back;
	const size_t n = KILL_FAILED + 1;
	cJSON *a;
	size_t i;

	memset(&kp, 0, sizeof(kp));
	kp.targets = calloc(n, sizeof(*kp.targets));
	ck_assert_ptr_nonnull(kp.targets);
	kp.ntargets = n;
	/* Every outcome, with a signal name each. */
	for (i = 0; i < n; i++)
		kill_target_set(&kp.targets[i], (int32_t)(1000 + i),
		    i % 2 ? "cmd" : "", i % 3 ? "user" : "",
		    i % 4 ? (uint32_t)i : PD_UID_UNKNOWN, (int)i,
		    sigs[i % (sizeof(sigs) / sizeof(sigs[0]))],
		    i == KILL_FAILED ? "No such device" : "");
	a = proto_kill_json(&kp);
	ck_assert_ptr_nonnull(a);
	memset(&back, 0x5a, sizeof(back));
	ck_assert_int_eq(proto_json_kill(a, &back, perr, sizeof(perr)), 0);
	ck_assert_uint_eq(back.ntargets, n);
	ck_assert_ptr_null(back.socks);
	ck_assert_uint_eq(back.nsocks, 0);
	ck_assert_uint_eq(back.unowned, 0);
	for (i = 0; i < n; i++) {
		const struct kill_target *x = &kp.targets[i],
		    *y = &back.targets[i];

		ck_assert_int_eq(y->proc.pid, x->proc.pid);
		ck_assert_str_eq(y->proc.comm, x->proc.comm);
		ck_assert_str_eq(y->proc.user, x->proc.user);
		ck_assert_uint_eq(y->proc.uid, x->proc.uid);
		ck_assert_msg(y->outcome == x->outcome, "outcome %s came "
		    "back as %s", kill_outcome_name(x->outcome),
		    kill_outcome_name(y->outcome));
		ck_assert_int_eq(y->signalled, x->signalled);
		ck_assert_str_eq(y->err, x->err);
	}
	cJSON_Delete(a);
	kill_plan_free(&back);
	kill_plan_free(&kp);
}
END_TEST

START_TEST(test_kill_parse_odd)
{
	struct kill_plan kp;
	cJSON *a;

	a = cJSON_Parse("{\"pid\":1}");
	ck_assert_int_eq(proto_json_kill(a, &kp, perr, sizeof(perr)), -1);
	cJSON_Delete(a);
	ck_assert_int_eq(proto_json_kill(NULL, &kp, perr, sizeof(perr)), -1);

	a = cJSON_Parse("[]");
	ck_assert_int_eq(proto_json_kill(a, &kp, perr, sizeof(perr)), 0);
	ck_assert_uint_eq(kp.ntargets, 0);
	ck_assert_ptr_null(kp.targets);
	cJSON_Delete(a);

	/* Unknown or missing outcome: failed; unknown signal: none. */
	a = cJSON_Parse("[{\"pid\":5,\"outcome\":\"vanished\","
	    "\"signal\":\"SIGBOGUS\"},{\"pid\":6}]");
	ck_assert_int_eq(proto_json_kill(a, &kp, perr, sizeof(perr)), 0);
	ck_assert_uint_eq(kp.ntargets, 2);
	ck_assert_int_eq(kp.targets[0].proc.pid, 5);
	ck_assert_int_eq(kp.targets[0].outcome, KILL_FAILED);
	ck_assert_int_eq(kp.targets[0].signalled, 0);
	ck_assert_int_eq(kp.targets[1].outcome, KILL_FAILED);
	ck_assert_uint_eq(kp.targets[1].proc.uid, PD_UID_UNKNOWN);
	ck_assert_str_eq(kp.targets[1].proc.comm, "");
	cJSON_Delete(a);
	kill_plan_free(&kp);
}
END_TEST

/* ---- requests: valid -------------------------------------------------- */

START_TEST(test_request_minimal)
{
	struct request req;
	char err[256] = "stale";

	ck_assert_int_eq(parse("{\"cmd\":\"list\"}", &req, err, sizeof(err)),
	    PE_NONE);
	ck_assert_str_eq(err, "");
	ck_assert_str_eq(req.cmd, "list");
	ck_assert_str_eq(req.id, "null");
	ck_assert_uint_eq(req.keys, 0);
	ck_assert_uint_eq(req.filter.nspecs, 0);
	ck_assert_uint_eq(req.filter.protos, 0);
	ck_assert_uint_eq(req.filter.families, 0);
	ck_assert_int_eq(req.sig, 0);
	ck_assert_int_eq(req.timeout_ms, 5000);
	ck_assert_int_eq(req.escalate, 1);
	ck_assert_int_eq(req.dry_run, 0);
	ck_assert_int_eq(req.since, 0);

	/* With the version, and whitespace around. */
	ck_assert_int_eq(parse(" { \"v\" : 1 , \"cmd\" : \"status\" }\n",
	    &req, err, sizeof(err)), PE_NONE);
	ck_assert_str_eq(req.cmd, "status");
	ck_assert_int_eq(parse("{\"v\":1.0,\"cmd\":\"status\"}", &req, err,
	    sizeof(err)), PE_NONE);

	/* Only len bytes are read. */
	ck_assert_int_eq(proto_parse_request("{\"cmd\":\"who\"}XXXX", 13,
	    &req, err, sizeof(err)), PE_NONE);
	ck_assert_str_eq(req.cmd, "who");
	ck_assert_int_eq(proto_parse_request("{\"cmd\":\"who\"}", 12, &req,
	    err, sizeof(err)), PE_BAD_JSON);
}
END_TEST

START_TEST(test_request_ports)
{
	struct request req;
	char err[256];

	ck_assert_int_eq(parse("{\"cmd\":\"who\",\"ports\":[\"8080\","
	    "\"53/udp\",\"3000-3100\",\"http\",\"1-65535/tcp\"]}", &req, err,
	    sizeof(err)), PE_NONE);
	ck_assert_uint_eq(req.keys, PK_PORTS);
	ck_assert_uint_eq(req.filter.nspecs, 5);
	ck_assert_uint_eq(req.filter.specs[0].lo, 8080);
	ck_assert_uint_eq(req.filter.specs[0].hi, 8080);
	ck_assert_uint_eq(req.filter.specs[0].protos, PD_TCP | PD_UDP);
	ck_assert_uint_eq(req.filter.specs[1].lo, 53);
	ck_assert_uint_eq(req.filter.specs[1].hi, 53);
	ck_assert_uint_eq(req.filter.specs[1].protos, PD_UDP);
	ck_assert_uint_eq(req.filter.specs[2].lo, 3000);
	ck_assert_uint_eq(req.filter.specs[2].hi, 3100);
	/* Debian's /etc/services: http is 80/tcp only. */
	ck_assert_uint_eq(req.filter.specs[3].lo, 80);
	ck_assert_uint_eq(req.filter.specs[3].protos, PD_TCP);
	ck_assert_uint_eq(req.filter.specs[4].lo, 1);
	ck_assert_uint_eq(req.filter.specs[4].hi, 65535);
	ck_assert_uint_eq(req.filter.specs[4].protos, PD_TCP);
	/* Nothing else touched. */
	ck_assert_uint_eq(req.filter.protos, 0);
	ck_assert_int_eq(req.timeout_ms, 5000);
}
END_TEST

START_TEST(test_request_filters)
{
	struct request req;
	char err[256];

	ck_assert_int_eq(parse("{\"cmd\":\"list\",\"protos\":[\"udp\"]}", &req,
	    err, sizeof(err)), PE_NONE);
	ck_assert_uint_eq(req.keys, PK_PROTOS);
	ck_assert_uint_eq(req.filter.protos, PD_UDP);
	ck_assert_int_eq(parse("{\"cmd\":\"list\",\"protos\":[\"tcp\","
	    "\"udp\"]}", &req, err, sizeof(err)), PE_NONE);
	ck_assert_uint_eq(req.filter.protos, PD_TCP | PD_UDP);
	ck_assert_int_eq(parse("{\"cmd\":\"list\",\"families\":[\"ipv6\"]}",
	    &req, err, sizeof(err)), PE_NONE);
	ck_assert_uint_eq(req.keys, PK_FAMILIES);
	ck_assert_uint_eq(req.filter.families, PD_INET6);
	ck_assert_uint_eq(req.filter.protos, 0);
	ck_assert_int_eq(parse("{\"cmd\":\"list\",\"families\":[\"ipv4\","
	    "\"ipv6\"]}", &req, err, sizeof(err)), PE_NONE);
	ck_assert_uint_eq(req.filter.families, PD_INET | PD_INET6);
}
END_TEST

START_TEST(test_request_kill_keys)
{
	struct request req;
	char err[256];

	ck_assert_int_eq(parse("{\"cmd\":\"kill\",\"signal\":\"KILL\"}", &req,
	    err, sizeof(err)), PE_NONE);
	ck_assert_uint_eq(req.keys, PK_SIGNAL);
	ck_assert_int_eq(req.sig, SIGKILL);
	ck_assert_int_eq(parse("{\"cmd\":\"kill\",\"signal\":\"SIGHUP\"}",
	    &req, err, sizeof(err)), PE_NONE);
	ck_assert_int_eq(req.sig, SIGHUP);
	ck_assert_int_eq(parse("{\"cmd\":\"kill\",\"signal\":\"15\"}", &req,
	    err, sizeof(err)), PE_NONE);
	ck_assert_int_eq(req.sig, SIGTERM);

	ck_assert_int_eq(parse("{\"cmd\":\"kill\",\"timeout_ms\":0}", &req,
	    err, sizeof(err)), PE_NONE);
	ck_assert_uint_eq(req.keys, PK_TIMEOUT);
	ck_assert_int_eq(req.timeout_ms, 0);
	ck_assert_int_eq(parse("{\"cmd\":\"kill\",\"timeout_ms\":3600000}",
	    &req, err, sizeof(err)), PE_NONE);
	ck_assert_int_eq(req.timeout_ms, 3600000);
	ck_assert_int_eq(parse("{\"cmd\":\"kill\",\"timeout_ms\":250}", &req,
	    err, sizeof(err)), PE_NONE);
	ck_assert_int_eq(req.timeout_ms, 250);

	ck_assert_int_eq(parse("{\"cmd\":\"kill\",\"escalate\":false}", &req,
	    err, sizeof(err)), PE_NONE);
	ck_assert_uint_eq(req.keys, PK_ESCALATE);
	ck_assert_int_eq(req.escalate, 0);
	ck_assert_int_eq(parse("{\"cmd\":\"kill\",\"escalate\":true}", &req,
	    err, sizeof(err)), PE_NONE);
	ck_assert_int_eq(req.escalate, 1);

	ck_assert_int_eq(parse("{\"cmd\":\"kill\",\"dry_run\":true}", &req,
	    err, sizeof(err)), PE_NONE);
	ck_assert_uint_eq(req.keys, PK_DRY_RUN);
	ck_assert_int_eq(req.dry_run, 1);
	ck_assert_int_eq(parse("{\"cmd\":\"kill\",\"dry_run\":false}", &req,
	    err, sizeof(err)), PE_NONE);
	ck_assert_int_eq(req.dry_run, 0);
	ck_assert_uint_eq(req.keys, PK_DRY_RUN);

	ck_assert_int_eq(parse("{\"cmd\":\"events\",\"since\":0}", &req, err,
	    sizeof(err)), PE_NONE);
	ck_assert_uint_eq(req.keys, PK_SINCE);
	ck_assert_int_eq(req.since, 0);
	ck_assert_int_eq(parse("{\"cmd\":\"events\",\"since\":42}", &req, err,
	    sizeof(err)), PE_NONE);
	ck_assert_int_eq(req.since, 42);
	ck_assert_int_eq(parse("{\"cmd\":\"events\","
	    "\"since\":4503599627370496}",
	    &req, err, sizeof(err)), PE_NONE);
	ck_assert_int_eq(req.since, INT64_C(4503599627370496));
}
END_TEST

START_TEST(test_request_all_keys)
{
	struct request req;
	char err[256];

	ck_assert_int_eq(parse("{\"v\":1,\"id\":12,\"cmd\":\"kill\","
	    "\"ports\":[\"22\"],\"protos\":[\"tcp\"],\"families\":[\"ipv4\"],"
	    "\"signal\":\"INT\",\"timeout_ms\":100,\"escalate\":false,"
	    "\"dry_run\":true,\"since\":7}", &req, err, sizeof(err)),
	    PE_NONE);
	ck_assert_str_eq(req.id, "12");
	ck_assert_str_eq(req.cmd, "kill");
	ck_assert_uint_eq(req.keys, PK_PORTS | PK_PROTOS | PK_FAMILIES |
	    PK_SIGNAL | PK_TIMEOUT | PK_ESCALATE | PK_DRY_RUN | PK_SINCE);
	ck_assert_uint_eq(req.filter.nspecs, 1);
	ck_assert_uint_eq(req.filter.specs[0].lo, 22);
	ck_assert_uint_eq(req.filter.protos, PD_TCP);
	ck_assert_uint_eq(req.filter.families, PD_INET);
	ck_assert_int_eq(req.sig, SIGINT);
	ck_assert_int_eq(req.timeout_ms, 100);
	ck_assert_int_eq(req.escalate, 0);
	ck_assert_int_eq(req.dry_run, 1);
	ck_assert_int_eq(req.since, 7);
}
END_TEST

START_TEST(test_request_id)
{
	struct request req;
	char err[256], id[64], line[128];

	ck_assert_int_eq(parse("{\"id\":7,\"cmd\":\"list\"}", &req, err,
	    sizeof(err)), PE_NONE);
	ck_assert_str_eq(req.id, "7");
	ck_assert_int_eq(parse("{\"cmd\":\"list\",\"id\":\"abc\"}", &req, err,
	    sizeof(err)), PE_NONE);
	ck_assert_str_eq(req.id, "\"abc\"");
	ck_assert_int_eq(parse("{\"cmd\":\"list\",\"id\":\"a\\\"b\"}", &req,
	    err, sizeof(err)), PE_NONE);
	ck_assert_str_eq(req.id, "\"a\\\"b\"");
	ck_assert_int_eq(parse("{\"cmd\":\"list\",\"id\":-3}", &req, err,
	    sizeof(err)), PE_NONE);
	ck_assert_str_eq(req.id, "-3");

	/* A 47-character string is short enough; 48 is not. */
	memset(id, 'i', 47);
	id[47] = '\0';
	snprintf(line, sizeof(line), "{\"cmd\":\"list\",\"id\":\"%s\"}", id);
	ck_assert_int_eq(parse(line, &req, err, sizeof(err)), PE_NONE);
	ck_assert_uint_eq(strlen(req.id), 49);
	snprintf(line, sizeof(line), "{\"cmd\":\"list\",\"id\":\"%si\"}", id);
	ck_assert_int_eq(parse(line, &req, err, sizeof(err)), PE_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(err, "id"));
	ck_assert_str_eq(req.id, "null");
}
END_TEST

/* A file of tests/fuzz/regressions/ (caller frees), NUL-terminated. */
static char *
read_regression(const char *name, size_t *len)
{
	char path[512], *buf;
	FILE *fp;
	long n;

	snprintf(path, sizeof(path), "%s/../fuzz/regressions/%s", FIXTURES,
	    name);
	fp = fopen(path, "rb");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	ck_assert_int_eq(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	ck_assert_int_ge(n, 0);
	rewind(fp);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

/*
 * A short id string can outgrow req->id once escaped (a control
 * character is six bytes as \u0004): it is refused, never cut, since
 * the id is echoed verbatim and a cut one makes the reply invalid JSON.
 * Found by fuzz_proto_request.
 */
START_TEST(test_request_id_escaped_too_long)
{
	struct request req;
	char err[256], line[128], *text, *reply;
	cJSON *v;
	size_t len;

	text = read_regression("fuzz_proto_request/id-longer-once-escaped",
	    &len);
	ck_assert_int_eq(proto_parse_request(text, len, &req, err,
	    sizeof(err)), PE_BAD_REQUEST);
	free(text);
	ck_assert_ptr_nonnull(strstr(err, "id"));
	ck_assert_str_eq(req.id, "null");
	reply = proto_reply_error(req.id, PE_BAD_REQUEST, err);
	ck_assert_ptr_nonnull(reply);
	v = cJSON_Parse(reply);
	ck_assert_ptr_nonnull(v);
	cJSON_Delete(v);
	free(reply);

	/* Ten control characters: 2 + 60 + 2 bytes of JSON, one too many;
	 * nine fit (58 bytes with the quotes and the two letters). */
	snprintf(line, sizeof(line), "{\"cmd\":\"list\",\"id\":\"w%s1\"}",
	    "\\u0004\\u0004\\u0004\\u0004\\u0004\\u0004\\u0004\\u0004"
	    "\\u0004\\u0004");
	ck_assert_int_eq(parse(line, &req, err, sizeof(err)), PE_BAD_REQUEST);
	ck_assert_str_eq(req.id, "null");
	snprintf(line, sizeof(line), "{\"cmd\":\"list\",\"id\":\"w%s1\"}",
	    "\\u0004\\u0004\\u0004\\u0004\\u0004\\u0004\\u0004\\u0004"
	    "\\u0004");
	ck_assert_int_eq(parse(line, &req, err, sizeof(err)), PE_NONE);
	ck_assert_uint_eq(strlen(req.id), 58);
	v = cJSON_Parse(req.id);
	ck_assert_ptr_nonnull(v);
	ck_assert(cJSON_IsString(v));
	cJSON_Delete(v);
}
END_TEST

/* The id is echoed even when the rest of the request is bad. */
static const struct {
	const char *line, *id;
	int rc;
} bad_with_id[] = {
	{ "{\"id\":5,\"cmd\":\"list\",\"dryrun\":true}", "5", PE_BAD_REQUEST },
	{ "{\"dryrun\":true,\"id\":6,\"cmd\":\"list\"}", "6", PE_BAD_REQUEST },
	{ "{\"id\":\"q\",\"cmd\":\"list\",\"v\":2}", "\"q\"", PE_BAD_VERSION },
	{ "{\"id\":8}", "8", PE_BAD_REQUEST },
	{ "{\"id\":9,\"cmd\":7}", "9", PE_BAD_REQUEST },
	{ "{\"cmd\":\"kill\",\"timeout_ms\":-1,\"id\":\"t\"}", "\"t\"",
	    PE_BAD_REQUEST },
	{ "{\"cmd\":\"kill\",\"ports\":[\"70000\"],\"id\":10}", "10",
	    PE_BAD_REQUEST },
};

START_TEST(test_request_bad_keeps_id)
{
	struct request req;
	char err[256];

	ck_assert_int_eq(parse(bad_with_id[_i].line, &req, err, sizeof(err)),
	    bad_with_id[_i].rc);
	ck_assert_str_eq(req.id, bad_with_id[_i].id);
	ck_assert_str_ne(err, "");
}
END_TEST

/* ---- requests: strictness ---------------------------------------------- */

static const struct {
	const char *line;
	int rc;
	const char *needle;	/* in the message; NULL: just not empty */
} bad_requests[] = {
	/* Not JSON. */
	{ "", PE_BAD_JSON, NULL },
	{ "not json", PE_BAD_JSON, NULL },
	{ "{\"cmd\":\"list\"", PE_BAD_JSON, NULL },
	{ "{cmd:\"list\"}", PE_BAD_JSON, NULL },
	{ "{\"cmd\":'list'}", PE_BAD_JSON, NULL },
	/* Not an object. */
	{ "[1,2]", PE_BAD_REQUEST, "object" },
	{ "\"list\"", PE_BAD_REQUEST, "object" },
	{ "42", PE_BAD_REQUEST, "object" },
	{ "null", PE_BAD_REQUEST, "object" },
	{ "true", PE_BAD_REQUEST, "object" },
	/* cmd missing or not a string. */
	{ "{}", PE_BAD_REQUEST, "cmd" },
	{ "{\"v\":1}", PE_BAD_REQUEST, "cmd" },
	{ "{\"cmd\":5}", PE_BAD_REQUEST, "cmd" },
	{ "{\"cmd\":null}", PE_BAD_REQUEST, "cmd" },
	{ "{\"cmd\":[\"list\"]}", PE_BAD_REQUEST, "cmd" },
	{ "{\"cmd\":true}", PE_BAD_REQUEST, "cmd" },
	{ "{\"cmd\":\"\"}", PE_BAD_REQUEST, "cmd" },
	{ "{\"cmd\":\"abcdefghijklmnopqrstuvwxyz0123456789\"}", PE_BAD_REQUEST,
	    "cmd" },
	{ "{\"Cmd\":\"list\"}", PE_BAD_REQUEST, "Cmd" },
	/* Unknown keys are errors, never ignored. */
	{ "{\"cmd\":\"kill\",\"dryrun\":true}", PE_BAD_REQUEST, "dryrun" },
	{ "{\"cmd\":\"kill\",\"dry-run\":true}", PE_BAD_REQUEST, "dry-run" },
	{ "{\"cmd\":\"kill\",\"Dry_run\":true}", PE_BAD_REQUEST, "Dry_run" },
	{ "{\"cmd\":\"list\",\"port\":[\"80\"]}", PE_BAD_REQUEST, "port" },
	{ "{\"cmd\":\"list\",\"timeout\":5}", PE_BAD_REQUEST, "timeout" },
	{ "{\"cmd\":\"list\",\"\":1}", PE_BAD_REQUEST, "unknown key" },
	/* Booleans. */
	{ "{\"cmd\":\"kill\",\"dry_run\":\"yes\"}", PE_BAD_REQUEST,
	    "dry_run" },
	{ "{\"cmd\":\"kill\",\"dry_run\":1}", PE_BAD_REQUEST, "dry_run" },
	{ "{\"cmd\":\"kill\",\"dry_run\":0}", PE_BAD_REQUEST, "dry_run" },
	{ "{\"cmd\":\"kill\",\"dry_run\":null}", PE_BAD_REQUEST, "dry_run" },
	{ "{\"cmd\":\"kill\",\"dry_run\":\"true\"}", PE_BAD_REQUEST,
	    "dry_run" },
	{ "{\"cmd\":\"kill\",\"escalate\":\"false\"}", PE_BAD_REQUEST,
	    "escalate" },
	{ "{\"cmd\":\"kill\",\"escalate\":0}", PE_BAD_REQUEST, "escalate" },
	/* Integers. */
	{ "{\"cmd\":\"kill\",\"timeout_ms\":-1}", PE_BAD_REQUEST,
	    "timeout_ms" },
	{ "{\"cmd\":\"kill\",\"timeout_ms\":1.5}", PE_BAD_REQUEST,
	    "timeout_ms" },
	{ "{\"cmd\":\"kill\",\"timeout_ms\":3600001}", PE_BAD_REQUEST,
	    "timeout_ms" },
	{ "{\"cmd\":\"kill\",\"timeout_ms\":\"100\"}", PE_BAD_REQUEST,
	    "timeout_ms" },
	{ "{\"cmd\":\"kill\",\"timeout_ms\":null}", PE_BAD_REQUEST,
	    "timeout_ms" },
	{ "{\"cmd\":\"kill\",\"timeout_ms\":true}", PE_BAD_REQUEST,
	    "timeout_ms" },
	{ "{\"cmd\":\"kill\",\"timeout_ms\":1e300}", PE_BAD_REQUEST,
	    "timeout_ms" },
	{ "{\"cmd\":\"events\",\"since\":1e300}", PE_BAD_REQUEST, "since" },
	{ "{\"cmd\":\"events\",\"since\":-1e300}", PE_BAD_REQUEST, "since" },
	{ "{\"cmd\":\"events\",\"since\":\"3\"}", PE_BAD_REQUEST, "since" },
	{ "{\"cmd\":\"events\",\"since\":-1}", PE_BAD_REQUEST, "since" },
	{ "{\"cmd\":\"events\",\"since\":2.5}", PE_BAD_REQUEST, "since" },
	{ "{\"cmd\":\"events\",\"since\":4503599627370497}", PE_BAD_REQUEST,
	    "since" },
	{ "{\"cmd\":\"events\",\"since\":[3]}", PE_BAD_REQUEST, "since" },
	/* Ports. */
	{ "{\"cmd\":\"who\",\"ports\":\"80\"}", PE_BAD_REQUEST, "ports" },
	{ "{\"cmd\":\"who\",\"ports\":[80]}", PE_BAD_REQUEST, "ports" },
	{ "{\"cmd\":\"who\",\"ports\":[\"80\",443]}", PE_BAD_REQUEST,
	    "ports" },
	{ "{\"cmd\":\"who\",\"ports\":80}", PE_BAD_REQUEST, "ports" },
	{ "{\"cmd\":\"who\",\"ports\":{\"80\":1}}", PE_BAD_REQUEST, "ports" },
	{ "{\"cmd\":\"who\",\"ports\":[\"70000\"]}", PE_BAD_REQUEST, "70000" },
	{ "{\"cmd\":\"who\",\"ports\":[\"0\"]}", PE_BAD_REQUEST, "ports" },
	{ "{\"cmd\":\"who\",\"ports\":[\"\"]}", PE_BAD_REQUEST, "ports" },
	{ "{\"cmd\":\"who\",\"ports\":[\"80/sctp\"]}", PE_BAD_REQUEST,
	    "sctp" },
	{ "{\"cmd\":\"who\",\"ports\":[\"90-80\"]}", PE_BAD_REQUEST, "90-80" },
	{ "{\"cmd\":\"who\",\"ports\":[\"no-such-service-xyz\"]}",
	    PE_BAD_REQUEST, "no-such-service-xyz" },
	/* Protocols, families, signals. */
	{ "{\"cmd\":\"list\",\"protos\":[\"sctp\"]}", PE_BAD_REQUEST, "sctp" },
	{ "{\"cmd\":\"list\",\"protos\":[\"TCP\"]}", PE_BAD_REQUEST, "TCP" },
	{ "{\"cmd\":\"list\",\"protos\":\"tcp\"}", PE_BAD_REQUEST, "protos" },
	{ "{\"cmd\":\"list\",\"protos\":[6]}", PE_BAD_REQUEST, "protos" },
	{ "{\"cmd\":\"list\",\"families\":[\"ipv5\"]}", PE_BAD_REQUEST,
	    "ipv5" },
	{ "{\"cmd\":\"list\",\"families\":[\"inet\"]}", PE_BAD_REQUEST,
	    "inet" },
	{ "{\"cmd\":\"list\",\"families\":\"ipv4\"}", PE_BAD_REQUEST,
	    "families" },
	{ "{\"cmd\":\"kill\",\"signal\":\"FOO\"}", PE_BAD_REQUEST, "signal" },
	{ "{\"cmd\":\"kill\",\"signal\":15}", PE_BAD_REQUEST, "signal" },
	{ "{\"cmd\":\"kill\",\"signal\":\"\"}", PE_BAD_REQUEST, "signal" },
	{ "{\"cmd\":\"kill\",\"signal\":\"0\"}", PE_BAD_REQUEST, "signal" },
	{ "{\"cmd\":\"kill\",\"signal\":null}", PE_BAD_REQUEST, "signal" },
	/* Duplicates. */
	{ "{\"cmd\":\"kill\",\"dry_run\":true,\"dry_run\":false}",
	    PE_BAD_REQUEST, "dry_run" },
	{ "{\"cmd\":\"kill\",\"ports\":[\"80\"],\"ports\":[\"81\"]}",
	    PE_BAD_REQUEST, "ports" },
	{ "{\"cmd\":\"kill\",\"signal\":\"TERM\",\"signal\":\"KILL\"}",
	    PE_BAD_REQUEST, "signal" },
	/* The fixed keys may not repeat either: the line must read as it
	 * runs. */
	{ "{\"cmd\":\"list\",\"cmd\":\"kill\"}", PE_BAD_REQUEST, "cmd" },
	{ "{\"id\":1,\"id\":2,\"cmd\":\"list\"}", PE_BAD_REQUEST, "id" },
	{ "{\"v\":1,\"v\":1,\"cmd\":\"list\"}", PE_BAD_REQUEST, "'v'" },
	/* One object per line and nothing after it. */
	{ "{\"cmd\":\"list\"} junk", PE_BAD_JSON, NULL },
	{ "{\"cmd\":\"list\"}{\"cmd\":\"kill\"}", PE_BAD_JSON, NULL },
	/* Versions. */
	{ "{\"cmd\":\"list\",\"v\":2}", PE_BAD_VERSION, NULL },
	{ "{\"cmd\":\"list\",\"v\":0}", PE_BAD_VERSION, NULL },
	{ "{\"cmd\":\"list\",\"v\":-1}", PE_BAD_VERSION, NULL },
	{ "{\"cmd\":\"list\",\"v\":1.5}", PE_BAD_VERSION, NULL },
	{ "{\"v\":2,\"cmd\":\"list\"}", PE_BAD_VERSION, NULL },
	/* The id. */
	{ "{\"cmd\":\"list\",\"id\":{}}", PE_BAD_REQUEST, "id" },
	{ "{\"cmd\":\"list\",\"id\":{\"a\":1}}", PE_BAD_REQUEST, "id" },
	{ "{\"cmd\":\"list\",\"id\":[1]}", PE_BAD_REQUEST, "id" },
	{ "{\"cmd\":\"list\",\"id\":true}", PE_BAD_REQUEST, "id" },
};

START_TEST(test_request_bad)
{
	struct request req;
	char err[256] = "";
	int rc;

	rc = parse(bad_requests[_i].line, &req, err, sizeof(err));
	ck_assert_msg(rc == bad_requests[_i].rc, "%s: rc %d (%s), want %d",
	    bad_requests[_i].line, rc, err, bad_requests[_i].rc);
	ck_assert_msg(err[0] != '\0', "%s: no message",
	    bad_requests[_i].line);
	if (bad_requests[_i].needle != NULL)
		ck_assert_msg(strstr(err, bad_requests[_i].needle) != NULL,
		    "%s: message \"%s\" does not name \"%s\"",
		    bad_requests[_i].line, err, bad_requests[_i].needle);
}
END_TEST

START_TEST(test_request_too_many_ports)
{
	struct request req;
	char line[2048], err[256];
	size_t n, i;

	n = (size_t)snprintf(line, sizeof(line), "{\"cmd\":\"who\","
	    "\"ports\":[");
	for (i = 0; i < FILTER_MAX_SPECS + 1; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s\"%zu\"",
		    i ? "," : "", 1000 + i);
	snprintf(line + n, sizeof(line) - n, "]}");
	ck_assert_int_eq(parse(line, &req, err, sizeof(err)), PE_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(err, "ports"));
	ck_assert_ptr_nonnull(strstr(err, "64"));

	/* Exactly the maximum is fine. */
	n = (size_t)snprintf(line, sizeof(line), "{\"cmd\":\"who\","
	    "\"ports\":[");
	for (i = 0; i < FILTER_MAX_SPECS; i++)
		n += (size_t)snprintf(line + n, sizeof(line) - n, "%s\"%zu\"",
		    i ? "," : "", 1000 + i);
	snprintf(line + n, sizeof(line) - n, "]}");
	ck_assert_int_eq(parse(line, &req, err, sizeof(err)), PE_NONE);
	ck_assert_uint_eq(req.filter.nspecs, FILTER_MAX_SPECS);
	ck_assert_uint_eq(req.filter.specs[63].lo, 1063);
}
END_TEST

START_TEST(test_request_allowed)
{
	static const struct {
		unsigned key;
		const char *name, *line;
	} keys[] = {
		{ PK_PORTS, "ports", "\"ports\":[\"80\"]" },
		{ PK_PROTOS, "protos", "\"protos\":[\"tcp\"]" },
		{ PK_FAMILIES, "families", "\"families\":[\"ipv4\"]" },
		{ PK_SIGNAL, "signal", "\"signal\":\"TERM\"" },
		{ PK_TIMEOUT, "timeout_ms", "\"timeout_ms\":10" },
		{ PK_ESCALATE, "escalate", "\"escalate\":true" },
		{ PK_DRY_RUN, "dry_run", "\"dry_run\":true" },
		{ PK_SINCE, "since", "\"since\":1" },
	};
	struct request req;
	char line[256], err[256];
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(line, sizeof(line), "{\"cmd\":\"status\",%s}",
		    keys[i].line);
		ck_assert_int_eq(parse(line, &req, err, sizeof(err)),
		    PE_NONE);
		ck_assert_uint_eq(req.keys, keys[i].key);
		ck_assert_int_eq(proto_request_allowed(&req, keys[i].key, err,
		    sizeof(err)), PE_NONE);
		ck_assert_int_eq(proto_request_allowed(&req, 0xff, err,
		    sizeof(err)), PE_NONE);
		err[0] = '\0';
		ck_assert_int_eq(proto_request_allowed(&req,
		    0xff & ~keys[i].key, err, sizeof(err)), PE_BAD_REQUEST);
		ck_assert_msg(strstr(err, keys[i].name) != NULL,
		    "\"%s\" does not name %s", err, keys[i].name);
		ck_assert_ptr_nonnull(strstr(err, "status"));
	}

	/* Several keys, one of them not allowed: that one is named. */
	ck_assert_int_eq(parse("{\"cmd\":\"list\",\"ports\":[\"80\"],"
	    "\"dry_run\":true}", &req, err, sizeof(err)), PE_NONE);
	ck_assert_int_eq(proto_request_allowed(&req, PK_PORTS | PK_DRY_RUN,
	    err, sizeof(err)), PE_NONE);
	ck_assert_int_eq(proto_request_allowed(&req, PK_PORTS | PK_PROTOS,
	    err, sizeof(err)), PE_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(err, "dry_run"));
	ck_assert_ptr_null(strstr(err, "ports"));

	/* No keys: allowed by every command. */
	ck_assert_int_eq(parse("{\"cmd\":\"list\"}", &req, err, sizeof(err)),
	    PE_NONE);
	ck_assert_int_eq(proto_request_allowed(&req, 0, err, sizeof(err)),
	    PE_NONE);
}
END_TEST

/* ---- requests: text and back ------------------------------------------ */

static void
assert_request_same(const struct request *a, const struct request *b)
{
	size_t i;

	ck_assert_str_eq(a->id, b->id);
	ck_assert_str_eq(a->cmd, b->cmd);
	ck_assert_uint_eq(a->keys, b->keys);
	ck_assert_uint_eq(a->filter.nspecs, b->filter.nspecs);
	for (i = 0; i < a->filter.nspecs; i++) {
		ck_assert_uint_eq(a->filter.specs[i].lo, b->filter.specs[i].lo);
		ck_assert_uint_eq(a->filter.specs[i].hi, b->filter.specs[i].hi);
		ck_assert_uint_eq(a->filter.specs[i].protos,
		    b->filter.specs[i].protos);
	}
	ck_assert_uint_eq(a->filter.protos, b->filter.protos);
	ck_assert_uint_eq(a->filter.families, b->filter.families);
	ck_assert_int_eq(a->sig, b->sig);
	ck_assert_int_eq(a->timeout_ms, b->timeout_ms);
	ck_assert_int_eq(a->escalate, b->escalate);
	ck_assert_int_eq(a->dry_run, b->dry_run);
	ck_assert_int_eq(a->since, b->since);
}

static const char *const roundtrip_lines[] = {
	"{\"id\":1,\"cmd\":\"list\"}",
	"{\"id\":\"abc\",\"cmd\":\"kill\",\"ports\":[\"8080\",\"53/udp\","
	    "\"3000-3100/tcp\"],\"signal\":\"KILL\",\"timeout_ms\":2500,"
	    "\"escalate\":false,\"dry_run\":true}",
	"{\"id\":2,\"cmd\":\"watch\",\"since\":42,\"protos\":[\"udp\"],"
	    "\"families\":[\"ipv6\",\"ipv4\"]}",
	"{\"id\":3,\"cmd\":\"who\",\"ports\":[\"http\",\"domain\"]}",
	"{\"id\":\"a\\\"b\",\"cmd\":\"kill\",\"signal\":\"hup\","
	    "\"escalate\":true,\"dry_run\":false,\"timeout_ms\":0}",
	"{\"id\":4,\"cmd\":\"list\",\"protos\":[],\"families\":[],"
	    "\"ports\":[]}",
};

START_TEST(test_request_roundtrip)
{
	struct request a, b;
	char err[256], *text;

	ck_assert_int_eq(parse(roundtrip_lines[_i], &a, err, sizeof(err)),
	    PE_NONE);
	text = proto_request_text(&a);
	ck_assert_ptr_nonnull(text);
	ck_assert_ptr_null(strchr(text, '\n'));
	ck_assert_ptr_nonnull(strstr(text, "\"v\":1"));
	ck_assert_msg(parse(text, &b, err, sizeof(err)) == PE_NONE,
	    "%s: %s", text, err);
	assert_request_same(&a, &b);
	cJSON_free(text);
}
END_TEST

START_TEST(test_request_text_by_hand)
{
	struct request a, b;
	struct portspec ps;
	char err[256], *text;
	cJSON *o;

	proto_request_init(&a);
	snprintf(a.id, sizeof(a.id), "77");
	snprintf(a.cmd, sizeof(a.cmd), "kill");
	a.keys = PK_PORTS | PK_SIGNAL | PK_TIMEOUT | PK_ESCALATE |
	    PK_DRY_RUN | PK_PROTOS | PK_FAMILIES | PK_SINCE;
	ps.lo = 8000;
	ps.hi = 8100;
	ps.protos = PD_TCP;
	ck_assert_int_eq(filter_add(&a.filter, &ps), 0);
	ps.lo = ps.hi = 53;
	ps.protos = PD_TCP | PD_UDP;
	ck_assert_int_eq(filter_add(&a.filter, &ps), 0);
	a.filter.protos = PD_TCP;
	a.filter.families = PD_INET6;
	a.sig = SIGKILL;
	a.timeout_ms = 1234;
	a.escalate = 0;
	a.dry_run = 1;
	a.since = 99;
	text = proto_request_text(&a);
	ck_assert_ptr_nonnull(text);

	/* The shape, key by key. */
	o = cJSON_Parse(text);
	ck_assert_ptr_nonnull(o);
	assert_num_item(o, "v", 1);
	assert_num_item(o, "id", 77);
	assert_str_item(o, "cmd", "kill");
	ck_assert_int_eq(cJSON_GetArraySize(item(o, "ports")), 2);
	ck_assert_str_eq(cJSON_GetArrayItem(item(o, "ports"), 0)->valuestring,
	    "8000-8100/tcp");
	ck_assert_str_eq(cJSON_GetArrayItem(item(o, "ports"), 1)->valuestring,
	    "53");
	assert_str_item(o, "signal", "SIGKILL");
	assert_num_item(o, "timeout_ms", 1234);
	ck_assert(cJSON_IsFalse(item(o, "escalate")));
	ck_assert(cJSON_IsTrue(item(o, "dry_run")));
	assert_num_item(o, "since", 99);
	cJSON_Delete(o);

	ck_assert_int_eq(parse(text, &b, err, sizeof(err)), PE_NONE);
	assert_request_same(&a, &b);
	cJSON_free(text);

	/* Keys not marked present are not sent. */
	proto_request_init(&a);
	snprintf(a.id, sizeof(a.id), "\"x\"");
	snprintf(a.cmd, sizeof(a.cmd), "status");
	a.dry_run = 1;
	a.timeout_ms = 1;
	text = proto_request_text(&a);
	ck_assert_ptr_nonnull(text);
	o = cJSON_Parse(text);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(cJSON_GetArraySize(o), 3);	/* v, id, cmd */
	assert_str_item(o, "id", "x");
	assert_str_item(o, "cmd", "status");
	cJSON_Delete(o);
	ck_assert_int_eq(parse(text, &b, err, sizeof(err)), PE_NONE);
	ck_assert_int_eq(b.dry_run, 0);
	ck_assert_int_eq(b.timeout_ms, 5000);
	cJSON_free(text);
	/* A request without an id survives its own round trip. */
	proto_request_init(&a);
	snprintf(a.cmd, sizeof(a.cmd), "list");
	text = proto_request_text(&a);
	ck_assert_ptr_nonnull(text);
	ck_assert_int_eq(parse(text, &b, err, sizeof(err)), PE_NONE);
	ck_assert_str_eq(b.id, "null");
	cJSON_free(text);
	/* And "id": null is no id. */
	ck_assert_int_eq(parse("{\"id\":null,\"cmd\":\"list\"}", &b, err,
	    sizeof(err)), PE_NONE);
	ck_assert_str_eq(b.id, "null");
}
END_TEST

/* ---- replies ---------------------------------------------------------- */

/* Checks one line with one newline, at its end; returns it parsed. */
static cJSON *
parse_line(const char *line)
{
	size_t n;
	cJSON *o;

	ck_assert_ptr_nonnull(line);
	n = strlen(line);
	ck_assert_uint_gt(n, 1);
	ck_assert_int_eq(line[n - 1], '\n');
	ck_assert_ptr_eq(strchr(line, '\n'), line + n - 1);
	o = cJSON_ParseWithLength(line, n - 1);
	ck_assert_ptr_nonnull(o);
	ck_assert(cJSON_IsObject(o));
	return o;
}

START_TEST(test_reply_ok)
{
	cJSON *r, *o;
	char *line;

	r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "n", 3);
	cJSON_AddStringToObject(r, "text", "two\nlines \"quoted\"");
	line = proto_reply_ok("7", r);	/* r is consumed */
	o = parse_line(line);
	assert_num_item(o, "id", 7);
	ck_assert(cJSON_IsTrue(item(o, "ok")));
	ck_assert_ptr_null(item(o, "error"));
	assert_num_item(item(o, "result"), "n", 3);
	assert_str_item(item(o, "result"), "text", "two\nlines \"quoted\"");
	cJSON_Delete(o);
	free(line);

	/* No result: an empty object. String and null ids. */
	line = proto_reply_ok("\"a\\\"b\"", NULL);
	o = parse_line(line);
	assert_str_item(o, "id", "a\"b");
	ck_assert(cJSON_IsObject(item(o, "result")));
	ck_assert_int_eq(cJSON_GetArraySize(item(o, "result")), 0);
	cJSON_Delete(o);
	free(line);

	line = proto_reply_ok("null", cJSON_CreateArray());
	o = parse_line(line);
	assert_null_item(o, "id");
	ck_assert(cJSON_IsArray(item(o, "result")));
	cJSON_Delete(o);
	free(line);
}
END_TEST

START_TEST(test_reply_error)
{
	struct request req;
	char err[256], *line;
	cJSON *o, *e;
	int i;

	line = proto_reply_error("3", PE_BAD_REQUEST, "unknown key 'dryrun'");
	o = parse_line(line);
	assert_num_item(o, "id", 3);
	ck_assert(cJSON_IsFalse(item(o, "ok")));
	ck_assert_ptr_null(item(o, "result"));
	e = cJSON_GetObjectItemCaseSensitive(o, "error");
	ck_assert(cJSON_IsObject(e));
	assert_str_item(e, "code", "bad_request");
	assert_str_item(e, "message", "unknown key 'dryrun'");
	cJSON_Delete(o);
	free(line);

	/* A message that needs escaping stays on one line. */
	line = proto_reply_error("\"x\"", PE_INTERNAL, "a\nb \"c\" \\ d\r");
	o = parse_line(line);
	assert_str_item(o, "id", "x");
	assert_str_item(item(o, "error"), "code", "internal");
	assert_str_item(item(o, "error"), "message", "a\nb \"c\" \\ d\r");
	cJSON_Delete(o);
	free(line);

	/* No message: the table's. */
	for (i = 1; i < PE_MAX; i++) {
		line = proto_reply_error("null", i, i % 2 ? NULL : "");
		o = parse_line(line);
		assert_null_item(o, "id");
		assert_str_item(item(o, "error"), "code", proto_error_code(i));
		assert_str_item(item(o, "error"), "message",
		    proto_error_message(i));
		ck_assert_int_eq(proto_error_parse(
		    item(item(o, "error"), "code")->valuestring), i);
		cJSON_Delete(o);
		free(line);
	}

	/* The daemon's path: a bad request's id and message, echoed. */
	ck_assert_int_eq(parse("{\"id\":\"r1\",\"cmd\":\"kill\","
	    "\"dryrun\":true}", &req, err, sizeof(err)), PE_BAD_REQUEST);
	line = proto_reply_error(req.id, PE_BAD_REQUEST, err);
	o = parse_line(line);
	assert_str_item(o, "id", "r1");
	assert_str_item(item(o, "error"), "code", "bad_request");
	ck_assert_ptr_nonnull(strstr(item(item(o, "error"),
	    "message")->valuestring, "dryrun"));
	cJSON_Delete(o);
	free(line);
}
END_TEST

/* ---- events ----------------------------------------------------------- */

START_TEST(test_event_roundtrip)
{
	struct event ev, back;
	cJSON *o, *again;
	char *text;

	memset(&ev, 0, sizeof(ev));
	ev.seq = 17;
	ev.time_ms = INT64_C(1795449845123);
	ev.type = EV_BIND;
	ev.sock = sock6(PD_TCP, 1, 9, 4, 1, 8443, 555);
	ev.proc = proc(321, "caddy", "www", 33, NULL, INT64_C(2214131696789));
	ev.proc.exe = strdup("/usr/bin/caddy");
	ck_assert_ptr_nonnull(ev.proc.exe);
	ev.sock.uid = 33;

	o = proto_event_json(&ev);
	ck_assert_ptr_nonnull(o);
	assert_num_item(o, "seq", 17);
	assert_str_item(o, "time", "2026-11-23T16:04:05.123Z");
	assert_str_item(o, "event", "bind");
	ck_assert(cJSON_IsObject(item(o, "listener")));
	assert_num_item(item(o, "listener"), "pid", 321);
	assert_str_item(item(o, "listener"), "address", "fe80::9%4");
	assert_str_item(item(o, "listener"), "started",
	    "2040-02-29T12:34:56.789Z");
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	again = cJSON_Parse(text);
	cJSON_free(text);

	memset(&back, 0x5a, sizeof(back));
	ck_assert_int_eq(proto_json_event(again, &back, perr, sizeof(perr)), 0);
	cJSON_Delete(again);
	ck_assert_uint_eq(back.seq, 17);
	ck_assert_int_eq(back.time_ms, ev.time_ms);
	ck_assert_int_eq(back.type, EV_BIND);
	ck_assert_int_eq(back.reason, PD_OWNER_OK);
	ck_assert_int_eq(back.sock.proto, PD_TCP);
	ck_assert_int_eq(back.sock.family, PD_INET6);
	ck_assert_int_eq(back.sock.state, PD_LISTEN);
	ck_assert_int_eq(back.sock.v6only, 1);
	ck_assert_uint_eq(back.sock.port, 8443);
	ck_assert_uint_eq(back.sock.scope_id, 4);
	ck_assert_mem_eq(back.sock.addr, ev.sock.addr, 16);
	ck_assert_uint_eq(back.sock.inode, 555);
	ck_assert_uint_eq(back.sock.uid, 33);
	ck_assert_int_eq(back.proc.pid, 321);
	ck_assert_int_eq(back.proc.ppid, 1);
	ck_assert_uint_eq(back.proc.uid, 33);
	ck_assert_str_eq(back.proc.comm, "caddy");
	ck_assert_str_eq(back.proc.user, "www");
	ck_assert_str_eq(back.proc.exe, "/usr/bin/caddy");
	ck_assert_int_eq(back.proc.started_ms, INT64_C(2214131696789));
	event_clear(&back);
	event_clear(&ev);
}
END_TEST

START_TEST(test_event_kill_roundtrip)
{
	struct event ev, back;
	cJSON *o, *again;
	char *text, who[EVENT_REQUESTER_MAX];

	memset(&ev, 0, sizeof(ev));
	ev.seq = 3;
	ev.time_ms = INT64_C(1795449845123);
	ev.type = EV_KILL;
	ev.sock = sock4(PD_TCP, 127, 0, 0, 1, 8080, 77);
	ev.proc = proc(321, "python3", "root", 0, NULL, 0);
	snprintf(ev.outcome, sizeof(ev.outcome), "exited after SIGTERM");
	ev.by_uid = 1000;
	ev.by_pid = 4242;
	o = proto_event_json(&ev);
	ck_assert_ptr_nonnull(o);
	assert_str_item(o, "event", "kill");
	assert_str_item(o, "outcome", "exited after SIGTERM");
	assert_num_item(item(o, "requester"), "uid", 1000);
	assert_num_item(item(o, "requester"), "pid", 4242);
	assert_null_item(item(o, "requester"), "user");
	ck_assert(cJSON_IsFalse(item(o, "dry_run")));
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	again = cJSON_Parse(text);
	cJSON_free(text);
	ck_assert_int_eq(proto_json_event(again, &back, perr, sizeof(perr)),
	    0);
	cJSON_Delete(again);
	ck_assert_int_eq(back.type, EV_KILL);
	ck_assert_uint_eq(back.by_uid, 1000);
	ck_assert_int_eq(back.by_pid, 4242);
	ck_assert_str_eq(back.outcome, "exited after SIGTERM");
	ck_assert_str_eq(event_requester_text(&back, who, sizeof(who)),
	    "uid 1000 pid 4242");
	event_clear(&back);

	/* An out-of-range requester number is a malformed event. */
	again = cJSON_Parse("{\"seq\":1,\"event\":\"kill\",\"listener\":"
	    "{\"proto\":\"tcp\",\"family\":\"ipv4\",\"address\":"
	    "\"127.0.0.1\",\"port\":80,\"pid\":null,\"reason\":"
	    "\"owner not visible: permission denied\"},\"requester\":"
	    "{\"uid\":null,\"pid\":-3,\"user\":\"VM\\\\alice\"}}");
	ck_assert_ptr_nonnull(again);
	ck_assert_int_eq(proto_json_event(again, &back, perr, sizeof(perr)),
	    -1);
	ck_assert_ptr_nonnull(strstr(perr, "requester: pid"));
	cJSON_Delete(again);

	/* Unknown (null or absent) requester fields stay unknown. */
	again = cJSON_Parse("{\"seq\":1,\"event\":\"kill\",\"listener\":"
	    "{\"proto\":\"tcp\",\"family\":\"ipv4\",\"address\":"
	    "\"127.0.0.1\",\"port\":80,\"pid\":null,\"reason\":"
	    "\"owner not visible: permission denied\"},\"requester\":"
	    "{\"uid\":null,\"user\":\"VM\\\\alice\"}}");
	ck_assert_ptr_nonnull(again);
	ck_assert_int_eq(proto_json_event(again, &back, perr, sizeof(perr)),
	    0);
	cJSON_Delete(again);
	ck_assert_uint_eq(back.by_uid, PD_UID_UNKNOWN);
	ck_assert_int_eq(back.by_pid, -1);
	ck_assert_str_eq(event_requester_text(&back, who, sizeof(who)),
	    "VM\\alice pid ?");
	event_clear(&back);
	event_clear(&ev);
}
END_TEST

START_TEST(test_kill_reply_roundtrip)
{
	struct snapshot rows, back_rows;
	struct kill_plan kp, back;
	struct sock_info a = sock4(PD_TCP, 127, 0, 0, 1, 8080, 11),
	    b = sock4(PD_TCP, 127, 0, 0, 1, 9090, 12);
	struct proc_info p = proc(100, "srv", "root", 0, NULL, 0),
	    q = proc(200, "other", "root", 0, NULL, 0);
	struct portspec ps;
	struct filter f;
	char err[128] = "", *text;
	cJSON *o, *again;
	const cJSON *ports;
	int pi;

	snapshot_init(&rows);
	snapshot_init(&back_rows);
	ck_assert_int_ge(pi = snapshot_add_proc(&rows, &p), 0);
	ck_assert_ptr_nonnull(snapshot_add_row(&rows, &a, pi, PD_OWNER_OK));
	ck_assert_ptr_nonnull(snapshot_add_row(&rows, &b, pi, PD_OWNER_OK));
	ck_assert_int_eq(kill_plan_build(&kp, &rows, NULL, 0), 0);
	kp.targets[0].outcome = KILL_EXITED;
	kp.targets[0].signalled = kp.targets[0].first_signal = SIGTERM;
	/* 9090's socket is still held, by a process the plan never had. */
	ck_assert_int_ge(pi = snapshot_add_proc(&kp.remain, &q), 0);
	ck_assert_ptr_nonnull(snapshot_add_row(&kp.remain, &b, pi,
	    PD_OWNER_OK));
	kp.settled = 1;
	filter_init(&f);
	ck_assert_int_eq(portspec_parse("8080", NULL, &ps, NULL, 0), 0);
	filter_add(&f, &ps);
	ck_assert_int_eq(portspec_parse("9090/tcp", NULL, &ps, NULL, 0), 0);
	filter_add(&f, &ps);
	ck_assert_int_eq(portspec_parse("7", NULL, &ps, NULL, 0), 0);
	filter_add(&f, &ps);

	o = proto_kill_reply(&rows, &kp, &f, 0);
	ck_assert_ptr_nonnull(o);
	ck_assert(cJSON_IsTrue(item(o, "settled")));
	ck_assert_int_eq(cJSON_GetArraySize(item(o, "remaining")), 1);
	ports = item(o, "ports");
	ck_assert_int_eq(cJSON_GetArraySize(ports), 3);
	assert_str_item(cJSON_GetArrayItem(ports, 0), "port", "8080");
	assert_str_item(cJSON_GetArrayItem(ports, 0), "state", "free");
	assert_str_item(cJSON_GetArrayItem(ports, 1), "port", "9090/tcp");
	assert_str_item(cJSON_GetArrayItem(ports, 1), "state", "held");
	assert_str_item(cJSON_GetArrayItem(ports, 2), "state", "unused");
	text = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	again = cJSON_Parse(text);
	cJSON_free(text);
	ck_assert_int_eq(proto_json_kill_reply(again, &back_rows, &back, err,
	    sizeof(err)), 0);
	cJSON_Delete(again);
	ck_assert_uint_eq(back_rows.nrows, 2);
	ck_assert_uint_eq(back.ntargets, 1);
	ck_assert_int_eq(back.targets[0].outcome, KILL_EXITED);
	ck_assert(back.settled);
	ck_assert(!back.look_failed);
	ck_assert_uint_eq(back.remain.nrows, 1);
	ck_assert_int_eq(snapshot_row_proc(&back.remain,
	    &back.remain.rows[0])->pid, 200);
	ck_assert(kill_plan_failed(&back));	/* 9090 is still held */
	ck_assert_int_eq(kill_port_state(&back, &back_rows, &f, &f.specs[0]),
	    KILL_PORT_FREE);
	kill_plan_free(&back);
	snapshot_clear(&back_rows);

	/* Not settled and no dry run: the freed check failed. */
	again = cJSON_Parse("{\"listeners\":[],\"results\":[],"
	    "\"dry_run\":false,\"settled\":false}");
	ck_assert_int_eq(proto_json_kill_reply(again, &back_rows, &back, err,
	    sizeof(err)), 0);
	ck_assert(back.look_failed);
	ck_assert(kill_plan_failed(&back));
	kill_plan_free(&back);
	cJSON_Delete(again);
	again = cJSON_Parse("{\"listeners\":[],\"results\":[],"
	    "\"dry_run\":true,\"settled\":false}");
	ck_assert_int_eq(proto_json_kill_reply(again, &back_rows, &back, err,
	    sizeof(err)), 0);
	ck_assert(!kill_plan_failed(&back));
	kill_plan_free(&back);
	cJSON_Delete(again);
	/* Malformed: an error, nothing kept. */
	again = cJSON_Parse("{\"listeners\":[],\"results\":{}}");
	ck_assert_int_eq(proto_json_kill_reply(again, &back_rows, &back, err,
	    sizeof(err)), -1);
	cJSON_Delete(again);

	kill_plan_free(&kp);
	snapshot_clear(&rows);
	snapshot_clear(&back_rows);
	proc_info_clear(&p);
	proc_info_clear(&q);
}
END_TEST

START_TEST(test_event_unowned)
{
	static const int reasons[] = { PD_OWNER_DENIED, PD_OWNER_NONE,
	    PD_OWNER_UNSUPPORTED };
	struct event ev, back;
	cJSON *o;
	size_t i;

	for (i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		memset(&ev, 0, sizeof(ev));
		ev.seq = 1000 + i;
		ev.time_ms = 0;
		ev.type = EV_UNBIND;
		ev.sock = sock4(PD_UDP, 0, 0, 0, 0, 69, 8);
		ev.reason = (uint8_t)reasons[i];
		o = proto_event_json(&ev);
		ck_assert_ptr_nonnull(o);
		assert_str_item(o, "event", "unbind");
		assert_str_item(o, "time", "1970-01-01T00:00:00.000Z");
		assert_null_item(item(o, "listener"), "pid");
		assert_str_item(item(o, "listener"), "reason",
		    pd_reason_text(reasons[i]));
		ck_assert_int_eq(proto_json_event(o, &back, perr, sizeof(perr)), 0);
		cJSON_Delete(o);
		ck_assert_uint_eq(back.seq, 1000 + i);
		ck_assert_int_eq(back.type, EV_UNBIND);
		ck_assert_int_eq(back.time_ms, 0);
		ck_assert_int_eq(back.proc.pid, 0);
		ck_assert_ptr_null(back.proc.exe);
		ck_assert_int_eq(back.reason, reasons[i]);
		ck_assert_uint_eq(back.sock.port, 69);
		ck_assert_int_eq(back.sock.proto, PD_UDP);
		event_clear(&back);
	}
}
END_TEST

static const char *const bad_events[] = {
	"{}",
	"{\"event\":\"bind\",\"listener\":{\"family\":\"ipv4\","
	    "\"address\":\"1.2.3.4\",\"port\":1}}",		/* no seq */
	"{\"seq\":1,\"listener\":{\"family\":\"ipv4\","
	    "\"address\":\"1.2.3.4\",\"port\":1}}",		/* no event */
	"{\"seq\":1,\"event\":\"rebind\",\"listener\":{\"family\":\"ipv4\","
	    "\"address\":\"1.2.3.4\",\"port\":1}}",
	"{\"seq\":1,\"event\":\"bind\"}",		/* no listener */
	"{\"seq\":1,\"event\":\"bind\",\"listener\":{\"family\":\"ipv4\","
	    "\"address\":\"1.2.3.x\",\"port\":1}}",
	"{\"seq\":\"1\",\"event\":\"bind\",\"listener\":{\"family\":\"ipv4\","
	    "\"address\":\"1.2.3.4\",\"port\":1}}",
	/* A sequence number is whole and 0..2^53: casting -5 or 1e300 to
	 * uint64_t is undefined. */
	"{\"seq\":-5,\"event\":\"bind\",\"listener\":{\"family\":\"ipv4\","
	    "\"address\":\"1.2.3.4\",\"port\":1}}",
	"{\"seq\":1e300,\"event\":\"bind\",\"listener\":{\"family\":\"ipv4\","
	    "\"address\":\"1.2.3.4\",\"port\":1}}",
	"{\"seq\":1.5,\"event\":\"bind\",\"listener\":{\"family\":\"ipv4\","
	    "\"address\":\"1.2.3.4\",\"port\":1}}",
};

/*
 * Numbers out of their field's range are ignored, never cast: a
 * parent_pid or pid beyond int32_t, a uid beyond uint32_t. The reply
 * fuzz_proto_reply found (an event with seq -5) is replayed too.
 */
START_TEST(test_reply_numbers_out_of_range)
{
	struct kill_plan kp;
	struct event ev;
	char path[512], line[1024];
	cJSON *o;
	FILE *fp;

	/* A number beyond its type is a malformed reply, never a cast. */
	o = cJSON_Parse("{\"seq\":3,\"event\":\"respawn\",\"parent_pid\":1e12,"
	    "\"listener\":{\"family\":\"ipv4\",\"address\":\"1.2.3.4\","
	    "\"port\":1}}");
	ck_assert_int_eq(proto_json_event(o, &ev, perr, sizeof(perr)), -1);
	ck_assert_ptr_nonnull(strstr(perr, "parent_pid"));
	cJSON_Delete(o);

	o = cJSON_Parse("[{\"pid\":-1e300,\"uid\":1e20}]");
	ck_assert_int_eq(proto_json_kill(o, &kp, perr, sizeof(perr)), -1);
	cJSON_Delete(o);
	o = cJSON_Parse("[{\"pid\":2147483648,\"uid\":1}]");
	ck_assert_int_eq(proto_json_kill(o, &kp, perr, sizeof(perr)), -1);
	cJSON_Delete(o);
	o = cJSON_Parse("[{\"pid\":7,\"uid\":1000}]");
	ck_assert_int_eq(proto_json_kill(o, &kp, perr, sizeof(perr)), 0);
	ck_assert_uint_eq(kp.ntargets, 1);
	ck_assert_int_eq(kp.targets[0].proc.pid, 7);
	ck_assert_uint_eq(kp.targets[0].proc.uid, 1000);
	kill_plan_free(&kp);
	cJSON_Delete(o);

	snprintf(path, sizeof(path), "%s/../fuzz/regressions/fuzz_proto_reply/"
	    "event-seq-negative", FIXTURES);
	fp = fopen(path, "r");
	ck_assert_msg(fp != NULL, "cannot open %s", path);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), fp));
	fclose(fp);
	o = cJSON_Parse(line);
	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(proto_json_event(cJSON_GetObjectItemCaseSensitive(o,
	    "event"), &ev, perr, sizeof(perr)), -1);
	cJSON_Delete(o);
}
END_TEST

START_TEST(test_event_malformed)
{
	struct event back;
	cJSON *o = cJSON_Parse(bad_events[_i]);

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(proto_json_event(o, &back, perr, sizeof(perr)), -1);
	ck_assert_ptr_null(back.proc.exe);
	cJSON_Delete(o);
}
END_TEST

/* ---- rows as text (portd's fast path) ------------------------------- */

/*
 * proto_row_append and proto_rows_text must print exactly what cJSON
 * prints of proto_row_json / proto_snapshot_json: owned and unowned rows,
 * v4 and v6, unknown uid and v6only, no exe, no start time, large numbers
 * and every kind of character a command or path may hold.
 */
START_TEST(test_rows_text_is_cjson)
{
	struct snapshot s;
	struct sock_info si;
	struct proc_info p;
	size_t idx[16], i, n = 0, len = 0, cap = 0;
	char *text, *want, *buf = NULL, odd[64];
	cJSON *o;

	snapshot_init(&s);
	for (i = 0; i < 31; i++)
		odd[i] = (char)(i + 1);			/* every control char */
	snprintf(odd + 31, sizeof(odd) - 31, "\"\\/\x7f\xc3\xa9 x");
	p = proc(4242, "py\"th\\on", "r\tot", 0, "/usr/bin/a b", INT64_C(
	    1795449845123));
	ck_assert_int_ge(snapshot_add_proc(&s, &p), 0);
	p = proc(7, odd, "", PD_UID_UNKNOWN, NULL, 0);
	p.ppid = 0;
	ck_assert_int_ge(snapshot_add_proc(&s, &p), 0);
	si = sock4(PD_TCP, 127, 0, 0, 1, 8080, 123456);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, 0, PD_OWNER_OK));
	si = sock4(PD_UDP, 0, 0, 0, 0, 53, UINT64_C(4294967295));
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, 1, PD_OWNER_OK));
	si = sock6(PD_TCP, 1, 1, 3, 1, 65535, UINT64_C(9007199254740993));
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, -1, PD_OWNER_DENIED));
	si = sock6(PD_TCP, 0, 0, 0, -1, 1, 0);
	si.uid = PD_UID_UNKNOWN;
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, -1, PD_OWNER_NONE));
	si = sock6(PD_UDP, 0, 0, 0, 0, 5353, 77);
	ck_assert_ptr_nonnull(snapshot_add_row(&s, &si, 0, PD_OWNER_OK));
	for (i = 0; i < s.nrows; i++) {
		len = 0;
		ck_assert_int_eq(proto_row_append(&s, &s.rows[i], &buf, &len,
		    &cap), 0);
		o = proto_row_json(&s, &s.rows[i]);
		want = cJSON_PrintUnformatted(o);
		ck_assert_str_eq(buf, want);
		ck_assert_uint_eq(len, strlen(want));
		cJSON_free(want);
		cJSON_Delete(o);
		idx[n++] = i;
	}
	text = proto_rows_text(&s, idx, n);
	o = proto_snapshot_json(&s);
	want = cJSON_PrintUnformatted(o);
	ck_assert_str_eq(text, want);
	free(text);
	cJSON_free(want);
	cJSON_Delete(o);
	/* No rows; and a reply line around text. */
	text = proto_rows_text(&s, idx, 0);
	ck_assert_str_eq(text, "{\"listeners\":[]}");
	want = proto_reply_ok_text("\"a\"", text);
	ck_assert_str_eq(want, "{\"id\":\"a\",\"ok\":true,\"result\":"
	    "{\"listeners\":[]}}\n");
	free(want);
	ck_assert_ptr_null(proto_reply_ok_text("1", NULL));
	free(buf);
	snapshot_clear(&s);
}
END_TEST

/* ---- numbers in replies: checked, never cast --------------------------- */

#define LISTENER "\"listener\":{\"family\":\"ipv4\",\"address\":" \
	"\"1.2.3.4\",\"port\":1}"
static const struct {
	const char *event, *why;
} bad_event_numbers[] = {
	{ "{\"seq\":-1,\"event\":\"bind\"," LISTENER "}", "seq: -1 is not" },
	{ "{\"seq\":1.5,\"event\":\"bind\"," LISTENER "}", "seq: 1.5 is not" },
	{ "{\"seq\":1e300,\"event\":\"bind\"," LISTENER "}",
	    "seq: 1e+300 is not" },
	{ "{\"seq\":null,\"event\":\"bind\"," LISTENER "}", "seq: missing" },
	{ "{\"seq\":1,\"event\":\"respawn\",\"parent_pid\":-7," LISTENER "}",
	    "parent_pid: -7 is not" },
	{ "{\"seq\":1,\"event\":\"respawn\",\"parent_pid\":2147483648,"
	    LISTENER "}", "parent_pid: 2147483648 is not" },
	{ "{\"seq\":1,\"event\":\"respawn\",\"parent_pid\":\"1\","
	    LISTENER "}", "parent_pid: not a number" },
	{ "{\"seq\":1,\"event\":\"bind\",\"listener\":{\"family\":\"ipv4\","
	    "\"address\":\"1.2.3.4\",\"port\":1,\"pid\":-3}}",
	    "listener: pid: -3 is not" },
	{ "{\"seq\":1,\"event\":\"bind\",\"listener\":{\"family\":\"ipv4\","
	    "\"address\":\"1.2.3.4\",\"port\":1,\"pid\":3,\"uid\":-1}}",
	    "listener: uid: -1 is not" },
};

START_TEST(test_event_bad_numbers)
{
	struct event back;
	char err[160] = "";
	cJSON *o = cJSON_Parse(bad_event_numbers[_i].event);

	ck_assert_ptr_nonnull(o);
	ck_assert_int_eq(proto_json_event(o, &back, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "malformed event: ", 17) == 0, "%s", err);
	ck_assert_msg(strstr(err, bad_event_numbers[_i].why) != NULL,
	    "%s: want %s", err, bad_event_numbers[_i].why);
	ck_assert_ptr_null(back.proc.exe);
	cJSON_Delete(o);
}
END_TEST

START_TEST(test_event_good_numbers)
{
	struct event back;
	char err[160] = "";
	cJSON *o = cJSON_Parse("{\"seq\":9007199254740992,\"event\":"
	    "\"respawn\",\"parent_pid\":2147483647," LISTENER "}");

	ck_assert_int_eq(proto_json_event(o, &back, err, sizeof(err)), 0);
	ck_assert_uint_eq(back.seq, UINT64_C(9007199254740992));
	ck_assert_int_eq(back.parent_pid, 2147483647);
	event_clear(&back);
	cJSON_Delete(o);
}
END_TEST

static const struct {
	const char *results, *why;
} bad_kill_numbers[] = {
	{ "[{\"outcome\":\"exited\"}]", "pid: missing" },
	{ "[{\"pid\":-1}]", "pid: -1 is not" },
	{ "[{\"pid\":2.5}]", "pid: 2.5 is not" },
	{ "[{\"pid\":4294967296}]", "pid: 4294967296 is not" },
	{ "[{\"pid\":\"5\"}]", "pid: not a number" },
	{ "[{\"pid\":5,\"uid\":-2}]", "uid: -2 is not" },
	{ "[{\"pid\":5,\"uid\":1e20}]", "uid: 1e+20 is not" },
	{ "[{\"pid\":5},{\"pid\":6,\"uid\":0.25}]", "uid: 0.25 is not" },
	{ "[{\"pid\":5},7]", "not an object" },
};

START_TEST(test_kill_bad_numbers)
{
	struct kill_plan kp;
	char err[160] = "";
	cJSON *a = cJSON_Parse(bad_kill_numbers[_i].results);

	ck_assert_ptr_nonnull(a);
	ck_assert_int_eq(proto_json_kill(a, &kp, err, sizeof(err)), -1);
	ck_assert_msg(strncmp(err, "malformed kill result: ", 23) == 0, "%s",
	    err);
	ck_assert_msg(strstr(err, bad_kill_numbers[_i].why) != NULL,
	    "%s: want %s", err, bad_kill_numbers[_i].why);
	/* Nothing left to free. */
	ck_assert_ptr_null(kp.targets);
	ck_assert_uint_eq(kp.ntargets, 0);
	cJSON_Delete(a);
}
END_TEST

/* ---- replies are valid JSON and UTF-8, whatever the request held ------ */

START_TEST(test_request_not_utf8)
{
	static const char *const lines[] = {
		"{\"id\":\"\xff\",\"cmd\":\"list\"}",
		"{\"id\":1,\"cmd\":\"li\xc3\"}",
		"{\"id\":1,\"cmd\":\"who\",\"ports\":[\"\xed\xa0\x80\"]}",
	};
	struct request req;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		ck_assert_int_eq(parse(lines[i], &req, err, sizeof(err)),
		    PE_BAD_JSON);
		ck_assert_str_eq(err, "request is not valid UTF-8");
		ck_assert_str_eq(req.id, "null");
	}
	/* Valid UTF-8, escaped or not, is fine. */
	ck_assert_int_eq(parse("{\"id\":\"caf\xc3\xa9\",\"cmd\":\"list\"}",
	    &req, err, sizeof(err)), PE_NONE);
	ck_assert_str_eq(req.id, "\"caf\xc3\xa9\"");
}
END_TEST

/* An id that grows when escaped is echoed whole, or refused: never cut
 * inside an escape. */
START_TEST(test_request_id_escaped)
{
	struct request req;
	char err[256], line[512], id[300];
	char *reply;
	size_t i, n;

	ck_assert_int_eq(parse("{\"id\":\"a\\u0001\\n\",\"cmd\":\"list\"}",
	    &req, err, sizeof(err)), PE_NONE);
	ck_assert_str_eq(req.id, "\"a\\u0001\\n\"");
	/* 47 control characters: under 48, but 284 bytes escaped. */
	for (n = 0, i = 0; i < 47; i++)
		n += (size_t)snprintf(id + n, sizeof(id) - n, "\\u0001");
	snprintf(line, sizeof(line), "{\"id\":\"%s\",\"cmd\":\"list\"}", id);
	ck_assert_int_eq(parse(line, &req, err, sizeof(err)), PE_BAD_REQUEST);
	ck_assert_ptr_nonnull(strstr(err, "id: longer than 63 bytes once "
	    "escaped"));
	ck_assert_str_eq(req.id, "null");
	/* The largest that fits: 10 of them, 62 bytes with the quotes. */
	for (n = 0, i = 0; i < 10; i++)
		n += (size_t)snprintf(id + n, sizeof(id) - n, "\\u0001");
	snprintf(line, sizeof(line), "{\"id\":\"%s\",\"cmd\":\"nope\"}", id);
	ck_assert_int_eq(parse(line, &req, err, sizeof(err)), PE_NONE);
	ck_assert_uint_eq(strlen(req.id), 62);
	reply = proto_reply_error(req.id, PE_UNKNOWN_COMMAND, NULL);
	ck_assert(valid_json_utf8(reply));
	free(reply);
}
END_TEST

START_TEST(test_reply_invalid_utf8)
{
	char *line;
	const cJSON *r;
	cJSON *o;

	/* A message that quotes the request, cut inside a character. */
	line = proto_reply_error("1", PE_BAD_REQUEST,
	    "unknown key '\xc3\xa9\xc3'");
	ck_assert(valid_json_utf8(line));
	ck_assert_ptr_nonnull(strstr(line, "'\xc3\xa9\xef\xbf\xbd'"));
	free(line);
	/* A result built elsewhere (status, rules) with raw bytes. */
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "config", "/etc/\xff\x1b.conf");
	line = proto_reply_ok("2", o);
	ck_assert(valid_json_utf8(line));
	ck_assert_str_eq(line, "{\"id\":2,\"ok\":true,\"result\":{\"config\":"
	    "\"/etc/\xef\xbf\xbd\\u001b.conf\"}}\n");
	free(line);
	/* Events: every string. */
	{
		struct event ev;

		memset(&ev, 0, sizeof(ev));
		ev.seq = 3;
		ev.type = EV_RESPAWN;
		ev.sock = sock4(PD_TCP, 127, 0, 0, 1, 81, 2);
		ev.proc = proc(77, "\xfe", "u\xff", 0, NULL, 0);
		snprintf(ev.rule, sizeof(ev.rule), "r\xff");
		snprintf(ev.action, sizeof(ev.action), "a\xff");
		snprintf(ev.outcome, sizeof(ev.outcome), "o\xff\n");
		snprintf(ev.parent_comm, sizeof(ev.parent_comm), "p\xff");
		snprintf(ev.unit, sizeof(ev.unit), "x\xff.service");
		o = proto_event_json(&ev);
		line = cJSON_PrintUnformatted(o);
		ck_assert(valid_json_utf8(line));
		cJSON_free(line);
		r = item(o, "listener");
		assert_str_item(r, "command", "\xef\xbf\xbd");
		assert_str_item(o, "outcome", "o\xef\xbf\xbd\n");
		cJSON_Delete(o);
		event_clear(&ev);
	}
}
END_TEST

static Suite *
proto_suite(void)
{
	Suite *s = suite_create("proto");
	TCase *tc;

	tc = tcase_create("time");
	tcase_add_loop_test(tc, test_time_roundtrip, 0,
	    (int)(sizeof(times) / sizeof(times[0])));
	tcase_add_test(tc, test_time_negative);
	tcase_add_loop_test(tc, test_time_malformed, 0,
	    (int)(sizeof(bad_times) / sizeof(bad_times[0])));
	tcase_add_test(tc, test_time_null);
	suite_add_tcase(s, tc);

	tc = tcase_create("wire");
	tcase_add_loop_test(tc, test_event_bad_numbers, 0,
	    (int)(sizeof(bad_event_numbers) / sizeof(bad_event_numbers[0])));
	tcase_add_test(tc, test_event_good_numbers);
	tcase_add_loop_test(tc, test_kill_bad_numbers, 0,
	    (int)(sizeof(bad_kill_numbers) / sizeof(bad_kill_numbers[0])));
	tcase_add_test(tc, test_request_not_utf8);
	tcase_add_test(tc, test_request_id_escaped);
	tcase_add_test(tc, test_reply_invalid_utf8);
	suite_add_tcase(s, tc);

	tc = tcase_create("errors");
	tcase_add_test(tc, test_error_table);
	tcase_add_test(tc, test_error_unknown);
	suite_add_tcase(s, tc);

	tc = tcase_create("rows");
	tcase_add_test(tc, test_row_json_owned);
	tcase_add_test(tc, test_row_json_unowned);
	tcase_add_test(tc, test_row_json_v6);
	tcase_add_test(tc, test_snapshot_json_shape);
	tcase_add_test(tc, test_rows_roundtrip);
	tcase_add_loop_test(tc, test_rows_malformed, 0,
	    (int)(sizeof(bad_rows) / sizeof(bad_rows[0])));
	tcase_add_test(tc, test_rows_not_array);
	tcase_add_test(tc, test_rows_null_numbers);
	tcase_add_loop_test(tc, test_row_reason_code, 0,
	    (int)(sizeof(reason_rows) / sizeof(reason_rows[0])));
	tcase_add_test(tc, test_reason_table);
	tcase_add_test(tc, test_row_invalid_utf8);
	tcase_add_test(tc, test_rows_text_is_cjson);
	suite_add_tcase(s, tc);

	tc = tcase_create("kill");
	tcase_add_test(tc, test_kill_json);
	tcase_add_test(tc, test_kill_roundtrip);
	tcase_add_test(tc, test_kill_parse_odd);
	suite_add_tcase(s, tc);

	tc = tcase_create("request");
	tcase_add_test(tc, test_request_minimal);
	tcase_add_test(tc, test_request_ports);
	tcase_add_test(tc, test_request_filters);
	tcase_add_test(tc, test_request_kill_keys);
	tcase_add_test(tc, test_request_all_keys);
	tcase_add_test(tc, test_request_id);
	tcase_add_test(tc, test_request_id_escaped_too_long);
	tcase_add_loop_test(tc, test_request_bad_keeps_id, 0,
	    (int)(sizeof(bad_with_id) / sizeof(bad_with_id[0])));
	tcase_add_loop_test(tc, test_request_bad, 0,
	    (int)(sizeof(bad_requests) / sizeof(bad_requests[0])));
	tcase_add_test(tc, test_request_too_many_ports);
	tcase_add_test(tc, test_request_allowed);
	tcase_add_loop_test(tc, test_request_roundtrip, 0,
	    (int)(sizeof(roundtrip_lines) / sizeof(roundtrip_lines[0])));
	tcase_add_test(tc, test_request_text_by_hand);
	suite_add_tcase(s, tc);

	tc = tcase_create("reply");
	tcase_add_test(tc, test_reply_ok);
	tcase_add_test(tc, test_reply_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("event");
	tcase_add_test(tc, test_event_roundtrip);
	tcase_add_test(tc, test_event_unowned);
	tcase_add_test(tc, test_event_kill_roundtrip);
	tcase_add_test(tc, test_kill_reply_roundtrip);
	tcase_add_test(tc, test_reply_numbers_out_of_range);
	tcase_add_loop_test(tc, test_event_malformed, 0,
	    (int)(sizeof(bad_events) / sizeof(bad_events[0])));
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(proto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
