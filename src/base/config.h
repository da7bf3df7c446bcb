/*
 * config.h - the configuration: environment variables, overridden by flags.
 *
 * Every variable is declared once, in the table of config.c, with its flag
 * name (MTAG_LISTEN <-> --listen), its default and its help line; `mtag help`
 * prints that table. A bad value is refused with one line naming the
 * variable. struct config owns its strings; it is filled once at start-up and
 * read-only afterwards, so threads may share it.
 */
#ifndef MTAG_CONFIG_H
#define MTAG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "base/err.h"
#include "base/log.h"

struct config {
	char *listen;          /* "host:port" as given */
	char *listen_host;     /* host part, brackets removed for IPv6 */
	int listen_port;       /* 0 lets the kernel choose */
	char *data_dir;
	char *database_url;
	char *storage_url;
	char *secret_key;      /* NULL until config_load_secret() */
	bool secret_from_env;
	int workers;
	bool fetch_allow_private;
	int max_upload_mb;
	int max_download_mb;
	char *public_url;
	char *trusted_proxies; /* comma-separated addresses or CIDRs, "" for none */
	enum log_level log_level;
	char *llm_url;         /* NULL when unset */
	char *llm_model;
	char *llm_api_key;
	int http_threads;
	int db_pool_size;
	int max_json_kb;
	int access_token_minutes;
	int refresh_token_days;
	int rate_login;         /* login attempts per minute per client address */
	int rate_login_account; /* login attempts per minute per account and address */
	int rate_register;      /* registrations per minute per client address */
	int rate_refresh;       /* refreshes per minute per client address */
	int anonymous_ttl_hours; /* anonymous jobs and their files are purged after this */
	int extract_timeout_s;  /* wall-clock limit of one document's extraction */
	int fetch_per_host;     /* downloads at once per host, per node */
	int max_running_jobs;   /* per user: jobs not ended */
	int max_pending_documents; /* per user: documents waiting */
	char *node_id;          /* names this process in the queue and the logs */
	int lease_s;            /* a claimed document's lease; renewed every quarter of it */
	char *metrics_token;    /* GET /metrics wants it as a bearer token; NULL: loopback only */
};

/* A flag given on the command line: name without the dashes ("listen"). */
struct config_override {
	const char *name;
	const char *value;
};

/* Zero the struct (no allocation). */
void config_init(struct config *c);
/* Free the strings. */
void config_release(struct config *c);
/* True when --name is a configuration flag. */
bool config_is_flag(const char *name);
/*
 * Fill c from the environment, then from the overrides, then derive the
 * defaults that depend on other values. On ERR_VALIDATION, err holds one line
 * naming the variable, e.g. "MTAG_WORKERS: must be an integer from 1 to 256, got 'x'".
 */
enum mtag_err config_load(struct config *c, const struct config_override *ov,
			  size_t nov, char *err, size_t errlen);
/*
 * Use MTAG_SECRET_KEY when given; else read $MTAG_DATA_DIR/secret.key, creating
 * the directory and the file (mode 0600, 32 random bytes as hex) on first start.
 */
enum mtag_err config_load_secret(struct config *c, char *err, size_t errlen);
/* Print every variable with its flag, default and meaning. */
void config_print_help(FILE *out);

/* mkdir -p with mode 0700 for the directories it creates: 0, or -1 with errno set. */
int config_mkdirs(const char *path);

#endif
