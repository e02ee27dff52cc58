/*
 * fuzz_proto_request.c - the control protocol's request parser
 * (proto_parse_request, proto_request_allowed) and what portd makes of
 * its result: the error reply that echoes the request's id. The control
 * socket is 0666, so every local user writes these lines.
 *
 * Input: one request line without its newline, as daemon/cmds.c gets it
 * (a line with a NUL byte is refused before parsing there, and here).
 * Seeds: tests/fixtures/proto/requests.txt, one line each.
 *
 * Invariants: the id kept for the reply is one JSON value, so every
 * reply built with it is one line of valid JSON; an accepted request has
 * a command and in-range values, and portctl's encoding of it
 * (proto_request_text) parses back to the same request.
 */
#include <cjson/cJSON.h>

#include "proto.h"
#include "fuzz.h"

/* One line of valid JSON, an object, ending with its newline. */
static void
check_reply(char *line)
{
	cJSON *root;
	size_t n;

	FUZZ_CHECK(line != NULL);
	n = strlen(line);
	FUZZ_CHECK(n > 0 && line[n - 1] == '\n');
	FUZZ_CHECK(memchr(line, '\n', n - 1) == NULL);
	root = cJSON_ParseWithLength(line, n);
	FUZZ_CHECK(root != NULL && cJSON_IsObject(root));
	cJSON_Delete(root);
	free(line);
}

static void
check_same(const struct request *a, const struct request *b)
{
	size_t i;

	FUZZ_CHECK(strcmp(a->id, b->id) == 0);
	FUZZ_CHECK(strcmp(a->cmd, b->cmd) == 0);
	FUZZ_CHECK(a->keys == b->keys);
	FUZZ_CHECK(a->sig == b->sig);
	FUZZ_CHECK(a->timeout_ms == b->timeout_ms);
	FUZZ_CHECK(a->escalate == b->escalate);
	FUZZ_CHECK(a->dry_run == b->dry_run);
	FUZZ_CHECK(a->since == b->since);
	FUZZ_CHECK(a->filter.protos == b->filter.protos);
	FUZZ_CHECK(a->filter.families == b->filter.families);
	FUZZ_CHECK(a->filter.nspecs == b->filter.nspecs);
	for (i = 0; i < a->filter.nspecs; i++) {
		FUZZ_CHECK(a->filter.specs[i].lo == b->filter.specs[i].lo);
		FUZZ_CHECK(a->filter.specs[i].hi == b->filter.specs[i].hi);
		FUZZ_CHECK(a->filter.specs[i].protos ==
		    b->filter.specs[i].protos);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct request req, again;
	char err[512], err2[512], *line, *text;
	cJSON *id;
	size_t i;
	int e;

	if (memchr(data, '\0', size) != NULL)
		return 0;
	/* Exactly the bytes, no terminator: the parser is given a length. */
	if ((line = malloc(size > 0 ? size : 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(line, data, size);
	e = proto_parse_request(line, size, &req, err, sizeof(err));
	free(line);
	FUZZ_CHECK(e == PE_NONE || e == PE_BAD_JSON || e == PE_BAD_REQUEST ||
	    e == PE_BAD_VERSION);
	FUZZ_CHECK(e == PE_NONE || err[0] != '\0');
	FUZZ_CHECK(memchr(req.id, '\0', sizeof(req.id)) != NULL);
	FUZZ_CHECK(memchr(req.cmd, '\0', sizeof(req.cmd)) != NULL);
	/* The id is echoed verbatim into the reply: one JSON value. */
	id = cJSON_Parse(req.id);
	FUZZ_CHECK(id != NULL);
	FUZZ_CHECK(cJSON_IsNull(id) || cJSON_IsNumber(id) ||
	    cJSON_IsString(id));
	cJSON_Delete(id);
	check_reply(proto_reply_error(req.id, e != PE_NONE ? e :
	    PE_UNKNOWN_COMMAND, err));
	if (e != PE_NONE)
		return 0;

	check_reply(proto_reply_ok(req.id, NULL));
	FUZZ_CHECK(req.cmd[0] != '\0');
	FUZZ_CHECK(req.timeout_ms >= 0 && req.timeout_ms <= 3600000);
	FUZZ_CHECK(req.since >= 0);
	FUZZ_CHECK(req.sig >= 0 && req.sig <= 64);
	FUZZ_CHECK(req.filter.nspecs <= FILTER_MAX_SPECS);
	for (i = 0; i < req.filter.nspecs; i++)
		FUZZ_CHECK(req.filter.specs[i].lo >= 1 &&
		    req.filter.specs[i].lo <= req.filter.specs[i].hi);
	FUZZ_CHECK(proto_request_allowed(&req, ~0u, err, sizeof(err)) ==
	    PE_NONE);
	FUZZ_CHECK((proto_request_allowed(&req, 0, err, sizeof(err)) ==
	    PE_NONE) == (req.keys == 0));

	/* portctl's encoding of the same request reads back the same. */
	text = proto_request_text(&req);
	FUZZ_CHECK(text != NULL);
	e = proto_parse_request(text, strlen(text), &again, err2,
	    sizeof(err2));
	if (e != PE_NONE) {
		fprintf(stderr, "re-parse of %s: %s\n", text, err2);
		FUZZ_CHECK(e == PE_NONE);
	}
	check_same(&req, &again);
	free(text);
	return 0;
}
