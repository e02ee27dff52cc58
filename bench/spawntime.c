/*
 * spawntime.c - times whole commands, interleaved, for the benchmark.
 *
 *   spawntime -n ROUNDS CMDFILE
 *
 * CMDFILE has one command per line, its arguments separated by tabs. Each
 * round runs every command once, starting one further along the list each
 * round, so no command always runs right after the same other one. A run
 * is timed from just before posix_spawn to waitpid's return (wall clock,
 * CLOCK_MONOTONIC), with stdin, stdout and stderr on /dev/null: what a
 * shell user waits for, minus the shell. Prints one line per run:
 * "INDEX ROUND NANOSECONDS EXITSTATUS".
 *
 * Timing here in C rather than in the Python runner keeps the
 * interpreter's own fork/exec cost out of the numbers, which matters when
 * the floor (/bin/true) is well under a millisecond.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CMDS	32
#define MAX_ARGS	32

extern char **environ;

static long long
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int
main(int argc, char *argv[])
{
	static char lines[MAX_CMDS][4096];
	char *args[MAX_CMDS][MAX_ARGS + 1], *p, *end;
	posix_spawn_file_actions_t fa;
	FILE *fp;
	pid_t pid;
	long long t0, t1;
	long rounds;
	int ncmds = 0, nargs, r, i, k, status;

	if (argc != 4 || strcmp(argv[1], "-n") != 0) {
		fprintf(stderr, "usage: spawntime -n ROUNDS CMDFILE\n");
		return 2;
	}
	rounds = strtol(argv[2], &end, 10);
	if (*end != '\0' || rounds < 1) {
		fprintf(stderr, "spawntime: bad round count %s\n", argv[2]);
		return 2;
	}
	if ((fp = fopen(argv[3], "r")) == NULL) {
		fprintf(stderr, "spawntime: %s: %s\n", argv[3], strerror(errno));
		return 2;
	}
	while (ncmds < MAX_CMDS && fgets(lines[ncmds], sizeof(lines[0]),
	    fp) != NULL) {
		lines[ncmds][strcspn(lines[ncmds], "\n")] = '\0';
		if (lines[ncmds][0] == '\0')
			continue;
		nargs = 0;
		for (p = strtok(lines[ncmds], "\t"); p != NULL && nargs <
		    MAX_ARGS; p = strtok(NULL, "\t"))
			args[ncmds][nargs++] = p;
		args[ncmds][nargs] = NULL;
		ncmds++;
	}
	fclose(fp);
	if (ncmds == 0)
		return 0;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	for (r = 0; r < rounds; r++) {
		for (k = 0; k < ncmds; k++) {
			i = (r + k) % ncmds;
			t0 = now_ns();
			if ((errno = posix_spawn(&pid, args[i][0], &fa, NULL,
			    args[i], environ)) != 0) {
				fprintf(stderr, "spawntime: %s: %s\n",
				    args[i][0], strerror(errno));
				return 1;
			}
			while (waitpid(pid, &status, 0) == -1)
				if (errno != EINTR)
					return 1;
			t1 = now_ns();
			printf("%d %d %lld %d\n", i, r, t1 - t0,
			    WIFEXITED(status) ? WEXITSTATUS(status) :
			    128 + WTERMSIG(status));
		}
	}
	posix_spawn_file_actions_destroy(&fa);
	return 0;
}
