/*
 * fuzz_proto_reply.c - what portctl does with a line from portd: the
 * reply envelope (remote_parse_reply), the decoders of its results
 * (proto_json_rows, proto_json_kill, proto_json_event) and the formatters
 * that print them (output_table, output_json). portctl trusts the
 * endpoint it connects to no more than it must: a socket path or
 * PORTD_SOCKET may name anyone's listener.
 *
 * Input: one line without its newline, as remote_read_line returns it:
 * a reply, or a watch stream's event line. Seeds:
 * tests/fixtures/proto/replies.txt, one line each.
 *
 * Invariants: a refused reply has a message and a known code; decoded
 * rows point at processes that exist and carry known reasons; every
 * --json output line is valid JSON.
 */
#include <cjson/cJSON.h>

#include "proto.h"
#include "fuzz.h"
#include "../../client/portctl.h"

/* Runs one formatter into memory; checks JSON output line by line. */
#define SHOW(json, call) do {						\
	char *out_ = NULL;						\
	size_t outlen_ = 0;						\
	FILE *fp = open_memstream(&out_, &outlen_);			\
	FUZZ_CHECK(fp != NULL);						\
	call;								\
	FUZZ_CHECK(fclose(fp) == 0);					\
	if (json)							\
		check_json_lines(out_, outlen_);			\
	free(out_);							\
} while (0)

static void
check_json_lines(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	cJSON *v;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		FUZZ_CHECK(nl != NULL);		/* every line ends */
		v = cJSON_ParseWithLength(p, (size_t)(nl - p));
		if (v == NULL)
			fprintf(stderr, "not JSON: %.*s\n", (int)(nl - p), p);
		FUZZ_CHECK(v != NULL);
		cJSON_Delete(v);
		p = nl + 1;
	}
}

static void
check_rows(const struct snapshot *s)
{
	size_t i;

	for (i = 0; i < s->nrows; i++) {
		FUZZ_CHECK(s->rows[i].proc >= -1 &&
		    (s->rows[i].proc < 0 ||
		    (size_t)s->rows[i].proc < s->nprocs));
		FUZZ_CHECK(s->rows[i].reason < PD_REASON_MAX);
		FUZZ_CHECK(s->rows[i].proc < 0 ||
		    s->rows[i].reason == PD_OWNER_OK);
		FUZZ_CHECK(pd_reason_text(s->rows[i].reason) != NULL);
	}
	for (i = 0; i < s->nprocs; i++) {
		FUZZ_CHECK(s->procs[i].pid > 0);
		FUZZ_CHECK(memchr(s->procs[i].comm, '\0',
		    sizeof(s->procs[i].comm)) != NULL);
		FUZZ_CHECK(memchr(s->procs[i].user, '\0',
		    sizeof(s->procs[i].user)) != NULL);
	}
}

static void
show_event(const cJSON *evj)
{
	struct event ev;

	char err[256];

	if (proto_json_event(evj, &ev, err, sizeof(err)) == -1) {
		FUZZ_CHECK(err[0] != '\0');
		return;
	}
	SHOW(0, output_table.event(fp, &ev));
	SHOW(1, output_json.event(fp, &ev));
	event_clear(&ev);
}

/* The result of an ok reply, read as each command would read it. */
static void
show_result(const cJSON *result)
{
	struct snapshot s;
	struct kill_plan kp;
	struct portspec ps = { 1, 65535, PD_TCP | PD_UDP };
	struct filter f;
	const cJSON *e;
	char err[256];
	int dry;

	filter_init(&f);
	FUZZ_CHECK(filter_add(&f, &ps) == 0);

	snapshot_init(&s);
	if (proto_json_rows(cJSON_GetObjectItemCaseSensitive(result,
	    "listeners"), &s, err, sizeof(err)) == 0) {
		check_rows(&s);
		SHOW(0, output_table.rows(fp, &s));
		SHOW(1, output_json.rows(fp, &s));
	}
	snapshot_clear(&s);
	/* A kill reply, as portctl reads it: one line per PORTSPEC. */
	snapshot_init(&s);
	if (proto_json_kill_reply(result, &s, &kp, err, sizeof(err)) == 0) {
		for (dry = 0; dry <= 1; dry++) {
			SHOW(0, output_table.kill_begin(fp, &s));
			SHOW(0, output_table.kill_end(fp, &s, &kp, &f, dry));
			SHOW(1, output_json.kill_begin(fp, &s));
			SHOW(1, output_json.kill_end(fp, &s, &kp, &f, dry));
		}
		kill_plan_free(&kp);
	} else
		FUZZ_CHECK(err[0] != '\0');
	snapshot_clear(&s);
	cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(result,
	    "events"))
		show_event(e);
	SHOW(0, output_table.status(fp, result));
	SHOW(0, output_table.rules(fp, result));
	SHOW(1, output_json.status(fp, result));
	SHOW(1, output_json.rules(fp, result));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *root, *evj, *result;
	char err[2048], *line;
	int code;

	line = fuzz_strdup(data, size);
	/* A watch stream: event lines until the daemon's last word. */
	root = cJSON_Parse(line);
	if ((evj = cJSON_GetObjectItemCaseSensitive(root, "event")) != NULL)
		show_event(evj);
	cJSON_Delete(root);

	err[0] = '\0';
	result = remote_parse_reply(line, err, sizeof(err), &code);
	if (result == NULL) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(code > PE_NONE && code < PE_MAX);
		FUZZ_CHECK(proto_error_code(code) != NULL);
	} else {
		FUZZ_CHECK(code == PE_NONE);
		show_result(result);
		cJSON_Delete(result);
	}
	free(line);
	return 0;
}
