/*
 * fuzz_config.c - portd.conf's parser (config_parse): JSON with comments,
 * a BOM, CRLF, every key and its checks. The file is root's, but
 * `portd --check-config FILE` reads whatever file it is given, and a
 * parser that loses its way on a typo must still say so, not crash.
 *
 * Input: the file's text. Seeds: the .conf files of tests/fixtures/config
 * and conf/.
 */
#include "config.h"
#include "fuzz.h"

/* Pure, as the unit tests' stand-in for /etc/services: one name. */
static int
lookup(const char *name, const char *proto)
{
	if (strcmp(name, "http") == 0)
		return 80;
	return strcmp(name, "web") == 0 && strcmp(proto, "tcp") == 0 ?
	    8000 : -1;
}

static void
check_strlist(const struct strlist *l)
{
	size_t i;

	FUZZ_CHECK(l->n == 0 || l->v != NULL);
	for (i = 0; i < l->n; i++)
		FUZZ_CHECK(l->v[i] != NULL);
}

static void
check_config(const struct config *c)
{
	const struct rule *r;
	size_t i, j;

	FUZZ_CHECK(c->interval_ms >= 100 && c->interval_ms <= 3600000);
	FUZZ_CHECK(c->socket_mode <= 07777);
	FUZZ_CHECK(c->nrules == 0 || c->rules != NULL);
	check_strlist(&c->protect_commands);
	check_strlist(&c->protect_users);
	for (i = 0; i < c->nrules; i++) {
		r = &c->rules[i];
		FUZZ_CHECK(r->name[0] != '\0');
		FUZZ_CHECK(memchr(r->name, '\0', sizeof(r->name)) != NULL);
		FUZZ_CHECK(r->action >= RULE_LOG && r->action <= RULE_KILL);
		FUZZ_CHECK(rule_action_name(r->action) != NULL);
		FUZZ_CHECK(r->grace_ms <= 600000);
		FUZZ_CHECK(r->ports.nspecs > 0 &&
		    r->ports.nspecs <= FILTER_MAX_SPECS);
		for (j = 0; j < r->ports.nspecs; j++) {
			FUZZ_CHECK(r->ports.specs[j].lo >= 1);
			FUZZ_CHECK(r->ports.specs[j].lo <=
			    r->ports.specs[j].hi);
			FUZZ_CHECK(r->ports.specs[j].protos != 0 &&
			    (r->ports.specs[j].protos & ~(PD_TCP | PD_UDP)) ==
			    0);
		}
		check_strlist(&r->ports_text);
		check_strlist(&r->allow_users);
		check_strlist(&r->allow_commands);
		check_strlist(&r->allow_exes);
		FUZZ_CHECK(r->nallow_uids == 0 || r->allow_uids != NULL);
	}
	/* Rule names are unique: a reload matches rules by name. */
	for (i = 0; i < c->nrules; i++)
		for (j = i + 1; j < c->nrules; j++)
			FUZZ_CHECK(strcmp(c->rules[i].name,
			    c->rules[j].name) != 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	struct config_errors e = { NULL, 0 };
	char *text;
	size_t i;
	int r;

	text = fuzz_strdup(data, size);
	config_init(&c);
	r = config_parse(text, size, "fuzz.conf", lookup, &c, &e);
	FUZZ_CHECK(r == 0 || r == -1);
	if (r == 0) {
		FUZZ_CHECK(e.n == 0);
		check_config(&c);
	} else {
		/* Refused: at least one message, each one line. */
		FUZZ_CHECK(e.n > 0);
		FUZZ_CHECK(c.nrules == 0);
		for (i = 0; i < e.n; i++) {
			FUZZ_CHECK(e.v[i] != NULL && e.v[i][0] != '\0');
			FUZZ_CHECK(strchr(e.v[i], '\n') == NULL);
		}
	}
	config_free(&c);
	config_errors_free(&e);
	free(text);
	return 0;
}
