/*
 * main.c - portd's command line: fills the options and calls portd_run().
 * The Windows service calls portd_run() the same way.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "os.h"
#include "portd.h"

static void
usage(FILE *fp)
{
	fprintf(fp, "usage: portd [-fhV] [-c file] [-i ms] [-L level] "
	    "[-S socket] [--resync ms]\n"
	    "             [--history n] [--max-clients n] "
	    "[--max-clients-per-uid n]\n"
	    "             [--idle-timeout ms] [--max-kill-jobs n] "
	    "[--max-kill-timeout ms]\n"
	    "             [--watch-buffer bytes] [--no-netlink]\n"
	    "       portd -n | --check-config [file]\n%s", os_usage());
}

/*
 * --check-config: parse the file, print "configuration OK" or every
 * error, and do nothing else.
 */
static int
check_config(const char *path)
{
	struct config cfg;
	struct config_errors errs = { NULL, 0 };
	size_t i;
	int r;

	r = config_load(path, &cfg, &errs);
	if (r == 0)
		printf("configuration OK\n");
	for (i = 0; i < errs.n; i++)
		fprintf(stderr, "%s\n", errs.v[i]);
	config_errors_free(&errs);
	config_free(&cfg);
	return r == 0 ? 0 : 1;
}

/* A whole number in [lo, hi]; prints the error and exits otherwise. */
static unsigned long
number(const char *opt, const char *s, unsigned long lo, unsigned long hi)
{
	unsigned long v;
	char *end;

	v = strtoul(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "portd: %s %s: expected a number from %lu to "
		    "%lu\n", opt, s, lo, hi);
		exit(2);
	}
	return v;
}

enum { OPT_RESYNC = 256, OPT_HISTORY, OPT_MAXCLIENTS, OPT_WATCHBUF,
    OPT_NONETLINK, OPT_CHECK, OPT_PERUID, OPT_IDLE, OPT_KILLJOBS,
    OPT_KILLTIMEOUT };

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "foreground", no_argument, NULL, 'f' },
	{ "help", no_argument, NULL, 'h' },
	{ "interval", required_argument, NULL, 'i' },
	{ "log-level", required_argument, NULL, 'L' },
	{ "socket", required_argument, NULL, 'S' },
	{ "version", no_argument, NULL, 'V' },
	{ "resync", required_argument, NULL, OPT_RESYNC },
	{ "history", required_argument, NULL, OPT_HISTORY },
	{ "max-clients", required_argument, NULL, OPT_MAXCLIENTS },
	{ "max-clients-per-uid", required_argument, NULL, OPT_PERUID },
	{ "idle-timeout", required_argument, NULL, OPT_IDLE },
	{ "max-kill-jobs", required_argument, NULL, OPT_KILLJOBS },
	{ "max-kill-timeout", required_argument, NULL, OPT_KILLTIMEOUT },
	{ "watch-buffer", required_argument, NULL, OPT_WATCHBUF },
	{ "no-netlink", no_argument, NULL, OPT_NONETLINK },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ NULL, 0, NULL, 0 },
};

int
main(int argc, char *argv[])
{
	struct portd_opts o;
	int ch, level, check = 0;

	if ((ch = os_early(&argc, argv)) >= 0)
		return ch;
	portd_opts_default(&o);
	while ((ch = getopt_long(argc, argv, "c:fhi:L:nS:V", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config_path = optarg;
			break;
		case 'f':
			/* portd always runs in the foreground: systemd and
			 * the Windows service manager supervise it. */
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'i':
			o.interval_ms = (uint32_t)number("--interval", optarg,
			    PORTD_MIN_INTERVAL, 3600000);
			o.set |= CONFIG_SET_INTERVAL;
			break;
		case 'L':
			if ((level = log_level_parse(optarg)) == -1) {
				fprintf(stderr, "portd: --log-level %s: one of "
				    "error, warning, notice, info, debug\n",
				    optarg);
				return 2;
			}
			o.log_level = level;
			o.set |= CONFIG_SET_LOG_LEVEL;
			break;
		case 'S':
			o.socket_path = optarg;
			o.set |= CONFIG_SET_SOCKET;
			break;
		case 'V':
			printf("portd %s\n", PORTD_VERSION);
			return 0;
		case OPT_RESYNC:
			o.resync_ms = (uint32_t)number("--resync", optarg, 0,
			    86400000);
			o.set |= CONFIG_SET_RESYNC;
			break;
		case OPT_HISTORY:
			o.history = number("--history", optarg, 1, 1000000);
			o.set |= CONFIG_SET_HISTORY;
			break;
		case OPT_MAXCLIENTS:
			o.max_clients = number("--max-clients", optarg, 1,
			    1000000);
			o.set |= CONFIG_SET_MAX_CLIENTS;
			break;
		case OPT_PERUID:
			o.max_clients_per_uid = number("--max-clients-per-uid",
			    optarg, 1, 1000000);
			o.set |= CONFIG_SET_CLIENT_LIMITS;
			break;
		case OPT_IDLE:
			o.idle_timeout_ms = (uint32_t)number("--idle-timeout",
			    optarg, 0, 86400000);
			o.set |= CONFIG_SET_IDLE_TIMEOUT;
			break;
		case OPT_KILLJOBS:
			o.max_kill_jobs = number("--max-kill-jobs", optarg, 1,
			    100000);
			o.set |= CONFIG_SET_KILL_JOBS;
			break;
		case OPT_KILLTIMEOUT:
			o.max_kill_timeout_ms = (uint32_t)number(
			    "--max-kill-timeout", optarg, 0, 3600000);
			o.set |= CONFIG_SET_KILL_TIMEOUT;
			break;
		case OPT_WATCHBUF:
			o.watch_buffer = number("--watch-buffer", optarg, 1024,
			    1UL << 30);
			o.set |= CONFIG_SET_WATCH_BUFFER;
			break;
		case OPT_NONETLINK:
			o.no_netlink = 1;
			break;
		case 'n':	/* as bgpd -n: check the configuration */
		case OPT_CHECK:
			check = 1;
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (check) {
		if (optind + 1 < argc) {
			usage(stderr);
			return 2;
		}
		return check_config(optind < argc ? argv[optind] :
		    o.config_path != NULL ? o.config_path :
		    os_default_config());
	}
	if (optind < argc) {
		fprintf(stderr, "portd: unexpected argument: %s\n",
		    argv[optind]);
		usage(stderr);
		return 2;
	}
	log_init("portd", o.log_level);
	return os_run(&o);
}
