#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/config.h"
#include "base/netaddr.h"
#include "base/random.h"
#include "base/xalloc.h"

/* Bytes of a generated secret key (written as hex). */
#define SECRET_BYTES 32
/* Shortest MTAG_SECRET_KEY accepted: HMAC-SHA256 wants at least 32 bytes. */
#define SECRET_MIN_LEN 32
/* A secret key is at most this long (a longer file was cut, and its tokens differed from the
 * same key given in MTAG_SECRET_KEY). */
#define SECRET_MAX_LEN 1024

typedef bool (*config_parse_fn)(struct config *c, const char *value, char *why, size_t whylen);

struct config_var {
	const char *env;         /* MTAG_... */
	const char *flag;        /* without the leading dashes; NULL: environment only */
	const char *default_doc; /* shown by `mtag help` */
	const char *help;
	config_parse_fn parse;
	bool secret;             /* never echo the value back */
};

static void replace(char **slot, const char *value)
{
	free(*slot);
	*slot = value ? xstrdup(value) : NULL;
}

static bool parse_int_range(const char *s, int min, int max, int *out)
{
	if (!s[0])
		return false;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = (int)v;
	return true;
}

/* An integer variable with its range and unit, checked by one parser. */
#define INT_PARSER(fn, field, min, max, unit)                                              \
	static bool fn(struct config *c, const char *v, char *why, size_t n)               \
	{                                                                                  \
		if (parse_int_range(v, min, max, &c->field))                               \
			return true;                                                       \
		snprintf(why, n, "must be an integer from %d to %d%s", min, max, unit);    \
		return false;                                                              \
	}

INT_PARSER(parse_workers, workers, 1, 256, "")
INT_PARSER(parse_max_upload, max_upload_mb, 1, 10240, " (megabytes)")
INT_PARSER(parse_max_download, max_download_mb, 1, 10240, " (megabytes)")
INT_PARSER(parse_http_threads, http_threads, 1, 64, "")
INT_PARSER(parse_db_pool, db_pool_size, 1, 200, "")
INT_PARSER(parse_max_json, max_json_kb, 1, 65536, " (kilobytes)")
INT_PARSER(parse_access_minutes, access_token_minutes, 1, 1440, " (minutes)")
INT_PARSER(parse_refresh_days, refresh_token_days, 1, 365, " (days)")
INT_PARSER(parse_rate_login, rate_login, 1, 100000, " (per minute)")
INT_PARSER(parse_rate_login_account, rate_login_account, 1, 100000, " (per minute)")
INT_PARSER(parse_rate_register, rate_register, 1, 100000, " (per minute)")
INT_PARSER(parse_rate_refresh, rate_refresh, 1, 100000, " (per minute)")
INT_PARSER(parse_anonymous_ttl, anonymous_ttl_hours, 1, 8760, " (hours)")
INT_PARSER(parse_extract_timeout, extract_timeout_s, 1, 3600, " (seconds)")
INT_PARSER(parse_fetch_per_host, fetch_per_host, 1, 64, "")
INT_PARSER(parse_lease, lease_s, 4, 3600, " (seconds)")
INT_PARSER(parse_max_running_jobs, max_running_jobs, 1, 100000, "")
INT_PARSER(parse_max_pending, max_pending_documents, 1, 100000000, "")

static bool parse_listen(struct config *c, const char *v, char *why, size_t n)
{
	const char *colon = strrchr(v, ':');
	int port;
	if (!colon || colon == v || !parse_int_range(colon + 1, 0, 65535, &port)) {
		snprintf(why, n, "expected HOST:PORT (port 0-65535)");
		return false;
	}
	const char *host = v;
	size_t hlen = (size_t)(colon - v);
	if (host[0] == '[') {
		if (hlen < 3 || host[hlen - 1] != ']') {
			snprintf(why, n, "expected [IPV6]:PORT");
			return false;
		}
		host++;
		hlen -= 2;
	} else if (memchr(host, ':', hlen)) {
		snprintf(why, n, "IPv6 addresses go in brackets: [::1]:8000");
		return false;
	} else if (strspn(host, "0123456789.") == hlen) {
		/* Digits and dots are an IPv4 address or nothing (never a name to look up). */
		char ip[64];
		struct in_addr a;
		snprintf(ip, sizeof(ip), "%.*s", (int)hlen, host);
		if (hlen >= sizeof(ip) || inet_pton(AF_INET, ip, &a) != 1) {
			snprintf(why, n, "the host is not an IPv4 address");
			return false;
		}
	}
	replace(&c->listen, v);
	free(c->listen_host);
	c->listen_host = xstrndup(host, hlen);
	c->listen_port = port;
	return true;
}

static bool parse_path(char **slot, const char *v, char *why, size_t n)
{
	if (!v[0]) {
		snprintf(why, n, "must not be empty");
		return false;
	}
	replace(slot, v);
	return true;
}

static bool parse_data_dir(struct config *c, const char *v, char *why, size_t n)
{
	return parse_path(&c->data_dir, v, why, n);
}

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool parse_database_url(struct config *c, const char *v, char *why, size_t n)
{
	if ((has_prefix(v, "sqlite://") && v[9]) ||
	    (has_prefix(v, "postgresql://") && v[13]) ||
	    (has_prefix(v, "postgres://") && v[11])) {
		replace(&c->database_url, v);
		return true;
	}
	snprintf(why, n, "expected sqlite://PATH or postgresql://USER@HOST:PORT/DB");
	return false;
}

static bool parse_storage_url(struct config *c, const char *v, char *why, size_t n)
{
	if ((has_prefix(v, "file://") && v[7]) || (has_prefix(v, "s3://") && v[5] && v[5] != '?')) {
		replace(&c->storage_url, v);
		return true;
	}
	snprintf(why, n, "expected file://DIR or s3://BUCKET?endpoint=...&region=...");
	return false;
}

static bool parse_secret(struct config *c, const char *v, char *why, size_t n)
{
	if (strlen(v) < SECRET_MIN_LEN || strlen(v) > SECRET_MAX_LEN) {
		snprintf(why, n, "must be %d to %d characters", SECRET_MIN_LEN, SECRET_MAX_LEN);
		return false;
	}
	replace(&c->secret_key, v);
	c->secret_from_env = true;
	return true;
}

static bool parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "1") || !strcmp(v, "true") || !strcmp(v, "yes")) {
		*out = true;
		return true;
	}
	if (!strcmp(v, "0") || !strcmp(v, "false") || !strcmp(v, "no")) {
		*out = false;
		return true;
	}
	return false;
}

static bool parse_allow_private(struct config *c, const char *v, char *why, size_t n)
{
	if (parse_bool(v, &c->fetch_allow_private))
		return true;
	snprintf(why, n, "must be 0 or 1");
	return false;
}

static bool is_http_url(const char *v)
{
	return (has_prefix(v, "http://") && v[7]) || (has_prefix(v, "https://") && v[8]);
}

static bool parse_public_url(struct config *c, const char *v, char *why, size_t n)
{
	if (is_http_url(v)) {
		replace(&c->public_url, v);
		/* Links are built as public_url + path: keep no trailing slash. */
		size_t len = strlen(c->public_url);
		while (len > 8 && c->public_url[len - 1] == '/')
			c->public_url[--len] = '\0';
		return true;
	}
	snprintf(why, n, "expected an http:// or https:// URL");
	return false;
}

static bool parse_trusted_proxies(struct config *c, const char *v, char *why, size_t n)
{
	struct netaddr_list l;
	if (!netaddr_list_parse(v, &l)) {
		snprintf(why, n, "expected at most %d comma-separated IP addresses or CIDRs",
			 NETADDR_LIST_MAX);
		return false;
	}
	replace(&c->trusted_proxies, v);
	return true;
}

static bool parse_log_level(struct config *c, const char *v, char *why, size_t n)
{
	if (log_level_parse(v, &c->log_level))
		return true;
	snprintf(why, n, "must be debug, info, warn or error");
	return false;
}

static bool parse_llm_url(struct config *c, const char *v, char *why, size_t n)
{
	if (!v[0] || is_http_url(v)) {
		replace(&c->llm_url, v[0] ? v : NULL);
		return true;
	}
	snprintf(why, n, "expected an http:// or https:// URL");
	return false;
}

static bool parse_llm_model(struct config *c, const char *v, char *why, size_t n)
{
	(void)why;
	(void)n;
	replace(&c->llm_model, v[0] ? v : NULL);
	return true;
}

static bool parse_llm_api_key(struct config *c, const char *v, char *why, size_t n)
{
	(void)why;
	(void)n;
	replace(&c->llm_api_key, v[0] ? v : NULL);
	return true;
}

static bool parse_node_id(struct config *c, const char *v, char *why, size_t n)
{
	size_t len = strlen(v);
	if (len == 0 || len > 128 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") != len) {
		snprintf(why, n, "must be 1 to 128 characters of letters, digits, '.', '_', ':' or '-'");
		return false;
	}
	replace(&c->node_id, v);
	return true;
}

/* The S3 keys: read by the S3 driver itself (blob_s3.c); listed and checked here. */
/* Checked here, read by the storage layer; empty is unset (as for the AWS_ names). */
static bool parse_s3_key(struct config *c, const char *v, char *why, size_t n)
{
	(void)c;
	if (strlen(v) <= 256)
		return true;
	snprintf(why, n, "must be at most 256 characters");
	return false;
}

static bool parse_metrics_token(struct config *c, const char *v, char *why, size_t n)
{
	size_t len = strlen(v);
	if (len && (len < 16 || len > 256 || strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=") != len)) {
		snprintf(why, n, "must be 16 to 256 characters of letters, digits or -._~+/=");
		return false;
	}
	replace(&c->metrics_token, len ? v : NULL);
	return true;
}

static const struct config_var config_vars[] = {
	{ "MTAG_LISTEN", "listen", "127.0.0.1:8000", "address:port of the HTTP server", parse_listen, false },
	{ "MTAG_DATA_DIR", "data-dir", "./mtag-data", "where the embedded defaults live", parse_data_dir, false },
	{ "MTAG_DATABASE_URL", "database-url", "sqlite://$MTAG_DATA_DIR/mtag.db", "sqlite://PATH or postgresql://USER:PASS@HOST:PORT/DB", parse_database_url, true },
	{ "MTAG_STORAGE_URL", "storage-url", "file://$MTAG_DATA_DIR/blobs", "file://DIR or s3://BUCKET?endpoint=URL&region=REGION", parse_storage_url, false },
	/* Environment only: the storage layer reads them there (blob_s3.c), and a flag would show them to ps. */
	{ "MTAG_S3_ACCESS_KEY", NULL, "AWS_ACCESS_KEY_ID", "S3 access key (for s3:// storage)", parse_s3_key, true },
	{ "MTAG_S3_SECRET_KEY", NULL, "AWS_SECRET_ACCESS_KEY", "S3 secret key (for s3:// storage)", parse_s3_key, true },
	{ "MTAG_SECRET_KEY", "secret-key", "generated in $MTAG_DATA_DIR/secret.key", "signs tokens and download links (32 to 1024 characters)", parse_secret, true },
	{ "MTAG_WORKERS", "workers", "number of cores", "processing threads per node", parse_workers, false },
	{ "MTAG_FETCH_ALLOW_PRIVATE", "fetch-allow-private", "0", "allow downloads from loopback and private addresses", parse_allow_private, false },
	{ "MTAG_MAX_UPLOAD_MB", "max-upload-mb", "100", "largest upload accepted, in megabytes", parse_max_upload, false },
	{ "MTAG_MAX_DOWNLOAD_MB", "max-download-mb", "100", "largest download accepted, in megabytes", parse_max_download, false },
	{ "MTAG_PUBLIC_URL", "public-url", "http://$MTAG_LISTEN", "the address users reach; https makes cookies Secure", parse_public_url, false },
	{ "MTAG_TRUSTED_PROXIES", "trusted-proxies", "none", "comma-separated addresses whose X-Forwarded-For is believed", parse_trusted_proxies, false },
	{ "MTAG_LOG_LEVEL", "log-level", "info", "debug, info, warn or error", parse_log_level, false },
	{ "MTAG_LLM_URL", "llm-url", "unset", "OpenAI-compatible chat endpoint for tagging (not used yet)", parse_llm_url, false },
	{ "MTAG_LLM_MODEL", "llm-model", "unset", "model name for the LLM endpoint (not used yet)", parse_llm_model, false },
	{ "MTAG_LLM_API_KEY", "llm-api-key", "unset", "API key for the LLM endpoint (not used yet)", parse_llm_api_key, true },
	{ "MTAG_HTTP_THREADS", "http-threads", "2 x cores (2 to 16)", "HTTP server threads", parse_http_threads, false },
	{ "MTAG_DB_POOL_SIZE", "db-pool-size", "http threads + workers", "database connections per node", parse_db_pool, false },
	{ "MTAG_MAX_JSON_KB", "max-json-kb", "1024", "largest JSON request body, in kilobytes", parse_max_json, false },
	{ "MTAG_ACCESS_TOKEN_MINUTES", "access-token-minutes", "15", "lifetime of an access token", parse_access_minutes, false },
	{ "MTAG_REFRESH_TOKEN_DAYS", "refresh-token-days", "7", "lifetime of a session without use", parse_refresh_days, false },
	{ "MTAG_RATE_LOGIN", "rate-login", "20", "login attempts per minute per client address", parse_rate_login, false },
	{ "MTAG_RATE_LOGIN_ACCOUNT", "rate-login-account", "5", "login attempts per minute per account and address (6x per account overall)", parse_rate_login_account, false },
	{ "MTAG_RATE_REGISTER", "rate-register", "10", "registrations per minute per client address", parse_rate_register, false },
	{ "MTAG_RATE_REFRESH", "rate-refresh", "60", "token refreshes per minute per client address", parse_rate_refresh, false },
	{ "MTAG_ANONYMOUS_TTL_HOURS", "anonymous-ttl-hours", "24", "anonymous jobs and their files are deleted after this", parse_anonymous_ttl, false },
	{ "MTAG_EXTRACT_TIMEOUT_S", "extract-timeout-s", "60", "time limit of one document's extraction", parse_extract_timeout, false },
	{ "MTAG_FETCH_PER_HOST", "fetch-per-host", "2", "downloads at once from one host, per node", parse_fetch_per_host, false },
	{ "MTAG_MAX_RUNNING_JOBS", "max-running-jobs", "10", "per user (anonymous work: per client address): jobs not finished (more is 429)", parse_max_running_jobs, false },
	{ "MTAG_MAX_PENDING_DOCUMENTS", "max-pending-documents", "20000", "per user (anonymous work: per client address): documents waiting (more is 429)", parse_max_pending, false },
	{ "MTAG_NODE_ID", "node-id", "HOST:PID", "names this process in the queue and the logs", parse_node_id, false },
	{ "MTAG_LEASE_S", "lease-s", "60", "how long a claimed document is held without renewal (a dead worker's documents return after this)", parse_lease, false },
	{ "MTAG_METRICS_TOKEN", "metrics-token", "unset", "GET /metrics wants Authorization: Bearer <token>; unset: loopback clients only", parse_metrics_token, true },
};

#define NVARS (sizeof(config_vars) / sizeof(config_vars[0]))

void config_init(struct config *c)
{
	memset(c, 0, sizeof(*c));
}

void config_release(struct config *c)
{
	char **strings[] = { &c->listen, &c->listen_host, &c->data_dir, &c->database_url,
			     &c->storage_url, &c->secret_key, &c->public_url,
			     &c->trusted_proxies, &c->llm_url, &c->llm_model, &c->llm_api_key,
			     &c->node_id, &c->metrics_token };
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
		if (*strings[i] == c->secret_key && c->secret_key)
			memset(c->secret_key, 0, strlen(c->secret_key));
		free(*strings[i]);
	}
	config_init(c);
}

bool config_is_flag(const char *name)
{
	for (size_t i = 0; i < NVARS; i++)
		if (config_vars[i].flag && !strcmp(config_vars[i].flag, name))
			return true;
	return false;
}

static bool apply(struct config *c, const struct config_var *v, const char *value,
		  bool from_flag, char *err, size_t errlen)
{
	char why[160];
	if (v->parse(c, value, why, sizeof(why)))
		return true;
	const char *name = v->env;
	char flag[64];
	if (from_flag) {
		snprintf(flag, sizeof(flag), "--%s", v->flag);
		name = flag;
	}
	if (v->secret)
		snprintf(err, errlen, "%s: %s", name, why);
	else
		snprintf(err, errlen, "%s: %s, got '%.80s'", name, why, value);
	return false;
}

static int cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

enum mtag_err config_load(struct config *c, const struct config_override *ov,
			  size_t nov, char *err, size_t errlen)
{
	config_release(c);
	c->log_level = LOG_INFO;
	c->max_upload_mb = 100;
	c->max_download_mb = 100;
	c->max_json_kb = 1024;
	c->access_token_minutes = 15;
	c->refresh_token_days = 7;
	c->rate_login = 20;
	c->rate_login_account = 5;
	c->rate_register = 10;
	c->rate_refresh = 60;
	c->anonymous_ttl_hours = 24;
	c->extract_timeout_s = 60;
	c->fetch_per_host = 2;
	c->lease_s = 60;
	c->max_running_jobs = 10;
	c->max_pending_documents = 20000;
	c->workers = cores();
	c->http_threads = 2 * cores() < 2 ? 2 : 2 * cores() > 16 ? 16 : 2 * cores();
	c->trusted_proxies = xstrdup("");
	parse_listen(c, "127.0.0.1:8000", err, errlen);
	c->data_dir = xstrdup("./mtag-data");

	for (size_t i = 0; i < NVARS; i++) {
		const char *value = getenv(config_vars[i].env);
		if (value && !apply(c, &config_vars[i], value, false, err, errlen))
			return ERR_VALIDATION;
	}
	for (size_t k = 0; k < nov; k++) {
		size_t i;
		for (i = 0; i < NVARS; i++)
			if (config_vars[i].flag && !strcmp(config_vars[i].flag, ov[k].name))
				break;
		if (i == NVARS) {
			snprintf(err, errlen, "--%s: unknown option", ov[k].name);
			return ERR_VALIDATION;
		}
		if (!apply(c, &config_vars[i], ov[k].value, true, err, errlen))
			return ERR_VALIDATION;
	}

	char tmp[4096];
	if (!c->database_url) {
		snprintf(tmp, sizeof(tmp), "sqlite://%s/mtag.db", c->data_dir);
		c->database_url = xstrdup(tmp);
	}
	if (!c->storage_url) {
		snprintf(tmp, sizeof(tmp), "file://%s/blobs", c->data_dir);
		c->storage_url = xstrdup(tmp);
	}
	if (!c->public_url) {
		snprintf(tmp, sizeof(tmp), "http://%s", c->listen);
		c->public_url = xstrdup(tmp);
	}
	if (!c->node_id) {
		char host[64] = "mtag";
		gethostname(host, sizeof(host) - 1);
		host[strcspn(host, ".")] = '\0';
		snprintf(tmp, sizeof(tmp), "%s:%ld", host, (long)getpid());
		c->node_id = xstrdup(tmp);
	}
	if (!c->db_pool_size)
		c->db_pool_size = c->http_threads + c->workers > 200 ? 200 : c->http_threads + c->workers;
	return ERR_OK;
}

int config_mkdirs(const char *path)
{
	char tmp[4096];
	size_t len = strlen(path);
	if (len == 0 || len >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(tmp, path, len + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

/* Read the key file; false with errno set on failure. */
static bool read_secret(const char *path, char *out, size_t outsz)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, out, outsz - 1);
	int saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return false;
	}
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		n--;
	out[n] = '\0';
	return true;
}

enum mtag_err config_load_secret(struct config *c, char *err, size_t errlen)
{
	if (c->secret_key)
		return ERR_OK;
	char path[4096], key[SECRET_MAX_LEN + 2]; /* one more: a longer file is told, not cut */
	if (config_mkdirs(c->data_dir) < 0) {
		snprintf(err, errlen, "MTAG_DATA_DIR: cannot create %s: %s", c->data_dir, strerror(errno));
		return ERR_IO;
	}
	snprintf(path, sizeof(path), "%s/secret.key", c->data_dir);
	/* O_EXCL makes two processes starting at once agree on one key. */
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		random_hex(key, SECRET_BYTES);
		key[2 * SECRET_BYTES] = '\n';
		ssize_t w = write(fd, key, 2 * SECRET_BYTES + 1);
		bool ok = w == 2 * SECRET_BYTES + 1 && fsync(fd) == 0;
		close(fd);
		if (!ok) {
			unlink(path);
			snprintf(err, errlen, "MTAG_SECRET_KEY: cannot write %s", path);
			return ERR_IO;
		}
		log_info("config.secret_created", "path=%s", path);
	} else if (errno != EEXIST) {
		snprintf(err, errlen, "MTAG_SECRET_KEY: cannot create %s: %s", path, strerror(errno));
		return ERR_IO;
	}
	/* A racing creator may not have written yet: give it a moment. */
	for (int tries = 0;; tries++) {
		if (!read_secret(path, key, sizeof(key))) {
			snprintf(err, errlen, "MTAG_SECRET_KEY: cannot read %s: %s", path, strerror(errno));
			return ERR_IO;
		}
		if (strlen(key) > SECRET_MAX_LEN) {
			memset(key, 0, sizeof(key));
			snprintf(err, errlen, "MTAG_SECRET_KEY: %s holds more than %d characters", path,
				 SECRET_MAX_LEN);
			return ERR_VALIDATION;
		}
		if (strlen(key) >= SECRET_MIN_LEN)
			break;
		if (tries == 20) {
			snprintf(err, errlen, "MTAG_SECRET_KEY: %s holds fewer than %d characters", path, SECRET_MIN_LEN);
			return ERR_VALIDATION;
		}
		usleep(50 * 1000);
	}
	struct stat st;
	if (stat(path, &st) == 0 && (st.st_mode & 077)) {
		log_warn("config.secret_mode", "path=%s mode=%o fixed=0600", path, (unsigned)(st.st_mode & 0777));
		chmod(path, 0600);
	}
	c->secret_key = xstrdup(key);
	memset(key, 0, sizeof(key));
	return ERR_OK;
}

void config_print_help(FILE *out)
{
	fprintf(out, "Configuration (environment variable, flag, default):\n");
	for (size_t i = 0; i < NVARS; i++) {
		const struct config_var *v = &config_vars[i];
		char flag[32] = "(environment only)";
		if (v->flag)
			snprintf(flag, sizeof(flag), "--%s", v->flag);
		fprintf(out, "  %-26s %-22s default: %s\n  %26s %s\n", v->env, flag, v->default_doc, "",
			v->help);
	}
	fprintf(out, "Also read: TMPDIR (temporary files: downloads, exports; default /tmp) and,\n"
		"by mtag batch, MTAG_BATCH_PROGRESS_S (seconds between progress lines, default 5).\n");
}
