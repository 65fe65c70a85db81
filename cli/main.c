/* corral: process many files in crash-isolated children, resumably.
 * This is the entry point of both roles: the supervisor's commands, and the
 * worker a supervisor starts by re-executing this program. */
#include <stdio.h>
#include <string.h>

#include <archive.h>
#include <lmdb.h>
#include <msgpack.h>
#include <openssl/crypto.h>

#include "child/handler.h"
#include "child/sandbox.h"
#include "cli/cli.h"
#include "cli/report.h"
#include "common/version.h"
#include "supervisor/sup.h"

static void
version(void)
{
	char walls[1024];

	printf("corral %s (protocol %d, state format %d)\n", CORRAL_VERSION, IPC_PROTO_VERSION,
	    STORE_FORMAT);
	printf("libev %d.%d, %s, msgpack-c %s, %s, %s\n", ev_version_major(), ev_version_minor(),
	    mdb_version(NULL, NULL, NULL), msgpack_version(), archive_version_details(),
	    OpenSSL_version(OPENSSL_VERSION));
	/* The sandbox's walls as this kernel and this user give them. */
	sandbox_walls(walls, sizeof walls);
	printf("%s", walls);
	if (walls[0] != '\0' && walls[strlen(walls) - 1] != '\n')
		printf("\n");
}

/* --socket PATH or --socket=PATH among a command's arguments, or NULL.
 * --merge reads state directories, whatever socket is named: "" then. */
static const char *
socket_flag(int argc, char **argv)
{
	int i;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--merge") == 0)
			return "";
		if (strcmp(argv[i], "--socket") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--socket=", 9) == 0)
			return argv[i] + 9;
	}
	return NULL;
}

/* Whether -s DIR (--state) is among the arguments. */
static int
state_flag(int argc, char **argv)
{
	int i;

	for (i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-s") == 0 || strncmp(argv[i], "-s", 2) == 0 ||
		    strcmp(argv[i], "--state") == 0 || strncmp(argv[i], "--state=", 8) == 0)
			return 1;
	}
	return 0;
}

/* Whether the long option opt is among the arguments. */
static int
has_flag(int argc, char **argv, const char *opt)
{
	int i;

	for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], opt) == 0)
			return 1;
	return 0;
}

int
main(int argc, char **argv)
{
	const char *cmd = argc > 1 ? argv[1] : NULL;

	if (cmd && strcmp(cmd, "__worker") == 0)
		return child_main(argc, argv);
	if (cmd == NULL) {
		cli_usage(stderr);
		return EXIT_USAGE;
	}
	if (strcmp(cmd, "run") == 0)
		return cli_run(argc - 1, argv + 1);
	if (strcmp(cmd, "serve") == 0)
		return cli_serve(argc - 1, argv + 1);
	if (strcmp(cmd, "submit") == 0)
		return cli_submit(argc - 1, argv + 1);
	if (strcmp(cmd, "check") == 0)
		return cli_check(argc - 1, argv + 1);
	if (strcmp(cmd, "replay") == 0)
		return cli_replay(argc - 1, argv + 1);
	/* status, results and jobs read the state directory, unless a
	 * service's socket is named. */
	if (strcmp(cmd, "status") == 0 || strcmp(cmd, "results") == 0 || strcmp(cmd, "jobs") == 0 ||
	    strcmp(cmd, "metrics") == 0) {
		const char *sock = socket_flag(argc, argv);

		/* --signatures reads a state directory only: -s DIR is one. */
		if (strcmp(cmd, "results") == 0 && has_flag(argc, argv, "--signatures") &&
		    state_flag(argc, argv))
			sock = "";
		if (!(sock && sock[0] == '\0') && client_socket(sock) != NULL)
			return cli_control(cmd, argc - 1, argv + 1);
		if (strcmp(cmd, "status") == 0)
			return report_status(argc - 1, argv + 1);
		if (strcmp(cmd, "results") == 0)
			return report_results(argc - 1, argv + 1);
		if (strcmp(cmd, "metrics") == 0)
			return report_metrics(argc - 1, argv + 1);
		return report_jobs(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "why") == 0)
		return report_why(argc - 1, argv + 1);
	/* retry -s DIR with no socket named: the state directory itself, when
	 * no service owns it. */
	if (strcmp(cmd, "retry") == 0 && client_socket(socket_flag(argc, argv)) == NULL &&
	    state_flag(argc, argv))
		return report_retry(argc - 1, argv + 1);
	if (strcmp(cmd, "pause") == 0 || strcmp(cmd, "resume") == 0 || strcmp(cmd, "cancel") == 0 ||
	    strcmp(cmd, "delete") == 0 || strcmp(cmd, "retry") == 0 || strcmp(cmd, "workers") == 0 ||
	    strcmp(cmd, "watch") == 0)
		return cli_control(cmd, argc - 1, argv + 1);
	if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
		cli_usage(stdout);
		return EXIT_OK;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
		version();
		return EXIT_OK;
	}
	fprintf(stderr, "corral: unknown command '%s' (see 'corral --help')\n", sup_esc(cmd, strlen(cmd)));
	return EXIT_USAGE;
}
