/*
 * cli_serve.c - `mtag serve`: open the core, start the HTTP server, wait for
 * SIGTERM or SIGINT, then shut down gracefully.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api.h"
#include "base/log.h"
#include "cli/cli.h"
#include "core/core.h"
#include "core/core_process.h"
#include "http/http.h"
#include "base/xalloc.h"

/* Open connections one address may hold (of the server's 1,024), without a proxy in front. */
#define PER_CLIENT_CONNECTIONS 256

/* In-flight requests get this long to finish after a stop signal. */
#define SHUTDOWN_GRACE_MS 9000

/* Print the address people open; an unspecified bind address is shown as loopback. */
static void print_url(const struct config *cfg, int port)
{
	const char *host = cfg->listen_host;
	if (!strcmp(host, "0.0.0.0") || !strcmp(host, "::") || !host[0])
		host = "127.0.0.1";
	bool v6 = strchr(host, ':') != NULL;
	fprintf(stderr, "mtag %s listening on http://%s%s%s:%d/\n", MTAG_VERSION,
		v6 ? "[" : "", host, v6 ? "]" : "", port);
}

/*
 * With port 0 the kernel chose the port: a public URL derived from
 * MTAG_LISTEN ("http://host:0") names the chosen one in the download links
 * (core_set_public_url). Returns that URL, to free once the server has
 * stopped, or NULL when the configured one stands.
 */
static char *public_url_with_port(const struct config *cfg, struct core *core, int port)
{
	char derived[300];
	snprintf(derived, sizeof(derived), "http://%s", cfg->listen);
	if (cfg->listen_port != 0 || strcmp(cfg->public_url, derived) != 0)
		return NULL;
	bool v6 = strchr(cfg->listen_host, ':') != NULL;
	snprintf(derived, sizeof(derived), "http://%s%s%s:%d", v6 ? "[" : "", cfg->listen_host,
		 v6 ? "]" : "", port);
	char *url = xstrdup(derived);
	core_set_public_url(core, url);
	return url;
}

enum { FLAG_ROLE };
static const struct cli_flag serve_flags[] = {
	[FLAG_ROLE] = { "role", true },
	{ NULL, false },
};

int cli_serve(int argc, char **argv)
{
	struct cli_args args;
	struct config cfg;
	struct core *core = NULL;
	struct http_server *srv = NULL;
	char *bound_public_url = NULL;
	char err[512];
	int status = CLI_FAILURE;

	config_init(&cfg);
	if (!cli_parse("serve", argc, argv, serve_flags, &args))
		return CLI_USAGE;
	const char *role = args.flags[FLAG_ROLE] ? args.flags[FLAG_ROLE] : "all";
	bool api = !strcmp(role, "all") || !strcmp(role, "api");
	bool workers = !strcmp(role, "all") || !strcmp(role, "worker");
	if (!api && !workers) {
		fprintf(stderr, "mtag serve: --role must be all, api or worker, got '%s'\n", role);
		return CLI_USAGE;
	}
	if (args.help) {
		cli_print_usage("serve");
		return CLI_OK;
	}
	if (args.npos) {
		fprintf(stderr, "mtag serve: unexpected argument '%s'\n", args.positional[0]);
		return CLI_USAGE;
	}
	if (!cli_load_config(&args, &cfg)) {
		status = CLI_USAGE;
		goto out;
	}
	if (config_load_secret(&cfg, err, sizeof(err))) {
		fprintf(stderr, "mtag: %s\n", err);
		goto out;
	}
	enum mtag_err storage = core_check_storage(&cfg, err, sizeof(err));
	if (storage) {
		fprintf(stderr, "mtag: MTAG_STORAGE_URL: %s\n", err);
		status = storage == ERR_VALIDATION ? CLI_USAGE : CLI_FAILURE;
		goto out;
	}
	/* Uploads land next to the data, on the disk meant for it: its directory made
	 * before anything starts (with PostgreSQL, S3 and a given secret key, nothing
	 * else makes the data directory). */
	char upload_dir[4200];
	core_upload_dir(&cfg, upload_dir, sizeof(upload_dir));
	if (config_mkdirs(upload_dir) < 0) {
		fprintf(stderr, "mtag: cannot create %s: %s\n", upload_dir, strerror(errno));
		goto out;
	}

	/* Block the stop signals before any thread starts, so that every thread
	 * inherits the mask and only sigwait() below receives them. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (core_open(&cfg, true, &core, err, sizeof(err))) {
		fprintf(stderr, "mtag: %s\n", err);
		goto out;
	}
	if (core_start_services(core, err, sizeof(err)) || core_claim_node(core, err, sizeof(err))) {
		fprintf(stderr, "mtag: %s\n", err);
		goto out;
	}
	core_start_janitor(core);
	core_start_lease_keeper(core);
	if (workers)
		core_start_workers(core);
	/* A worker node answers only its health checks and metrics. */
	size_t nroutes;
	const struct http_route *routes = api ? api_routes(&nroutes) : api_worker_routes(&nroutes);
	struct http_server_config hc = {
		.host = cfg.listen_host,
		.port = cfg.listen_port,
		.threads = cfg.http_threads,
		/* Slow handlers download and extract documents: enough threads that a
		 * few slow sources do not queue everyone else. */
		.offload_threads = 4 * cfg.http_threads,
		.upload_dir = upload_dir,
		.max_file_bytes = (uint64_t)cfg.max_upload_mb << 20,
		.max_files = 20,
		.max_body = (size_t)cfg.max_json_kb * 1024,
		.routes = routes,
		.nroutes = nroutes,
		.guard = api_guard,
		.app = core,
		.site = api ? api_site() : NULL,
		.hsts = strncmp(cfg.public_url, "https://", 8) == 0,
		/* One client cannot hold every connection (slow headers, idle streams); behind
		 * a proxy every connection is the proxy's. */
		.per_ip_limit = cfg.trusted_proxies[0] ? 0 : PER_CLIENT_CONNECTIONS,
	};
	if (http_server_start(&hc, &srv, err, sizeof(err))) {
		fprintf(stderr, "mtag: %s\n", err);
		goto out;
	}
	int port = http_server_port(srv);
	bound_public_url = public_url_with_port(&cfg, core, port);
	log_info("serve.start", "version=%s role=%s node=%s listen=%s:%d threads=%d", MTAG_VERSION,
		 role, cfg.node_id, cfg.listen_host, port, cfg.http_threads);
	print_url(&cfg, port);

	int sig = 0;
	sigwait(&stop, &sig);
	log_info("serve.stop", "signal=%s grace_ms=%d", sig == SIGTERM ? "SIGTERM" : "SIGINT",
		 SHUTDOWN_GRACE_MS);
	http_server_stop(srv, SHUTDOWN_GRACE_MS);
	srv = NULL;
	log_info("serve.exit", "status=0");
	status = CLI_OK;
out:
	http_server_stop(srv, 0);
	core_free(core);
	config_release(&cfg);
	free(bound_public_url);
	return status;
}
