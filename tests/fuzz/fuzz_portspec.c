/*
 * fuzz_portspec.c - portspec_parse, which reads PORTSPECs from portctl's
 * command line, from requests on the control socket and from
 * portd.conf's rules, and portspec_format, which writes them back for
 * requests and display.
 *
 * Input: the PORTSPEC text. Seeds: the ports of
 * tests/fixtures/proto/requests.txt and of the .conf files of
 * tests/fixtures/config (tests/fuzz/seeds.py), and a few of portctl(1)'s
 * examples.
 *
 * Invariants: an accepted spec is a range within 1-65535 with a known
 * protocol mask, and its formatted text parses back to the same spec.
 */
#include "portspec.h"
#include "fuzz.h"

/* Pure, as the unit tests' stand-in for /etc/services. */
static int
lookup(const char *name, const char *proto)
{
	if (strcmp(name, "http") == 0)
		return 80;
	if (strcmp(name, "domain") == 0)
		return 53;
	return strcmp(name, "web") == 0 && strcmp(proto, "tcp") == 0 ?
	    8000 : -1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct portspec ps, back;
	char err[256], text[64], *s;

	s = fuzz_strdup(data, size);
	err[0] = '\0';
	if (portspec_parse(s, lookup, &ps, err, sizeof(err)) == 0) {
		FUZZ_CHECK(ps.lo >= 1 && ps.lo <= ps.hi);
		FUZZ_CHECK(ps.protos != 0 &&
		    (ps.protos & ~(PD_TCP | PD_UDP)) == 0);
		portspec_format(&ps, text, sizeof(text));
		FUZZ_CHECK(portspec_parse(text, NULL, &back, err,
		    sizeof(err)) == 0);
		FUZZ_CHECK(back.lo == ps.lo && back.hi == ps.hi &&
		    back.protos == ps.protos);
	} else
		FUZZ_CHECK(err[0] != '\0');
	free(s);
	return 0;
}
