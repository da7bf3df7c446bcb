#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "base/config.h"
#include "base/xalloc.h"

static const char *const vars[] = {
	"MTAG_LISTEN", "MTAG_DATA_DIR", "MTAG_DATABASE_URL", "MTAG_STORAGE_URL", "MTAG_SECRET_KEY",
	"MTAG_WORKERS", "MTAG_FETCH_ALLOW_PRIVATE", "MTAG_MAX_UPLOAD_MB", "MTAG_MAX_DOWNLOAD_MB",
	"MTAG_PUBLIC_URL", "MTAG_TRUSTED_PROXIES", "MTAG_LOG_LEVEL", "MTAG_LLM_URL",
	"MTAG_LLM_MODEL", "MTAG_LLM_API_KEY", "MTAG_HTTP_THREADS", "MTAG_DB_POOL_SIZE",
	"MTAG_MAX_JSON_KB",
};

static void clear_env(void)
{
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		unsetenv(vars[i]);
}

static void test_defaults(void)
{
	struct config c;
	char err[256] = "";
	clear_env();
	config_init(&c);
	CHECK_INT(config_load(&c, NULL, 0, err, sizeof(err)), ERR_OK);
	CHECK_STR(c.listen_host, "127.0.0.1");
	CHECK_INT(c.listen_port, 8000);
	CHECK_STR(c.data_dir, "./mtag-data");
	CHECK_STR(c.database_url, "sqlite://./mtag-data/mtag.db");
	CHECK_STR(c.storage_url, "file://./mtag-data/blobs");
	CHECK_STR(c.public_url, "http://127.0.0.1:8000");
	CHECK_INT(c.max_upload_mb, 100);
	CHECK_INT(c.max_download_mb, 100);
	CHECK_INT(c.max_json_kb, 1024);
	CHECK_INT(c.fetch_allow_private, 0);
	CHECK_INT(c.log_level, LOG_INFO);
	CHECK_INT(c.workers, sysconf(_SC_NPROCESSORS_ONLN));
	CHECK(c.secret_key == NULL);
	CHECK(c.llm_url == NULL);
	config_release(&c);
}

static void test_env_then_flags(void)
{
	struct config c;
	char err[256] = "";
	clear_env();
	setenv("MTAG_LISTEN", "[::1]:9000", 1);
	setenv("MTAG_DATA_DIR", "/tmp/x", 1);
	setenv("MTAG_WORKERS", "3", 1);
	setenv("MTAG_LOG_LEVEL", "debug", 1);
	setenv("MTAG_TRUSTED_PROXIES", "10.0.0.1, 192.168.0.0/16,::1", 1);
	struct config_override ov[] = { { "workers", "5" }, { "public-url", "https://tags.example.org/" } };
	config_init(&c);
	CHECK_INT(config_load(&c, ov, 2, err, sizeof(err)), ERR_OK);
	CHECK_STR(c.listen_host, "::1");
	CHECK_INT(c.listen_port, 9000);
	CHECK_INT(c.workers, 5);
	CHECK_INT(c.log_level, LOG_DEBUG);
	CHECK_STR(c.database_url, "sqlite:///tmp/x/mtag.db");
	CHECK_STR(c.public_url, "https://tags.example.org");
	config_release(&c);
	clear_env();
}

static void expect_bad(const char *var, const char *value, const char *want)
{
	struct config c;
	char err[256] = "";
	clear_env();
	setenv(var, value, 1);
	config_init(&c);
	enum mtag_err e = config_load(&c, NULL, 0, err, sizeof(err));
	config_release(&c);
	clear_env();
	if (e != ERR_VALIDATION || strcmp(err, want) != 0)
		FAIL_AT("%s=%s gave %d \"%s\", want \"%s\"", var, value, e, err, want);
}

static void test_bad_values_name_the_variable(void)
{
	expect_bad("MTAG_WORKERS", "many", "MTAG_WORKERS: must be an integer from 1 to 256, got 'many'");
	expect_bad("MTAG_WORKERS", "0", "MTAG_WORKERS: must be an integer from 1 to 256, got '0'");
	expect_bad("MTAG_LISTEN", "8000", "MTAG_LISTEN: expected HOST:PORT (port 0-65535), got '8000'");
	expect_bad("MTAG_LISTEN", "::1:80", "MTAG_LISTEN: IPv6 addresses go in brackets: [::1]:8000, got '::1:80'");
	expect_bad("MTAG_LISTEN", "h:70000", "MTAG_LISTEN: expected HOST:PORT (port 0-65535), got 'h:70000'");
	expect_bad("MTAG_LISTEN", "999.1.1.1:80", "MTAG_LISTEN: the host is not an IPv4 address, got '999.1.1.1:80'");
	expect_bad("MTAG_LISTEN", "10.0.0:80", "MTAG_LISTEN: the host is not an IPv4 address, got '10.0.0:80'");
	expect_bad("MTAG_DATABASE_URL", "mysql://x", "MTAG_DATABASE_URL: expected sqlite://PATH or postgresql://USER@HOST:PORT/DB");
	expect_bad("MTAG_STORAGE_URL", "ftp://x", "MTAG_STORAGE_URL: expected file://DIR or s3://BUCKET?endpoint=...&region=..., got 'ftp://x'");
	expect_bad("MTAG_LOG_LEVEL", "loud", "MTAG_LOG_LEVEL: must be debug, info, warn or error, got 'loud'");
	expect_bad("MTAG_FETCH_ALLOW_PRIVATE", "maybe", "MTAG_FETCH_ALLOW_PRIVATE: must be 0 or 1, got 'maybe'");
	expect_bad("MTAG_MAX_UPLOAD_MB", "-1", "MTAG_MAX_UPLOAD_MB: must be an integer from 1 to 10240 (megabytes), got '-1'");
	expect_bad("MTAG_PUBLIC_URL", "tags.example.org", "MTAG_PUBLIC_URL: expected an http:// or https:// URL, got 'tags.example.org'");
	expect_bad("MTAG_TRUSTED_PROXIES", "10.0.0.1,evil", "MTAG_TRUSTED_PROXIES: expected at most 32 comma-separated IP addresses or CIDRs, got '10.0.0.1,evil'");
	/* A secret is never echoed back. */
	expect_bad("MTAG_SECRET_KEY", "short", "MTAG_SECRET_KEY: must be 32 to 1024 characters");
	expect_bad("MTAG_MAX_JSON_KB", "1k", "MTAG_MAX_JSON_KB: must be an integer from 1 to 65536 (kilobytes), got '1k'");
}

static void test_bad_flag(void)
{
	struct config c;
	char err[256] = "";
	clear_env();
	struct config_override ov[] = { { "http-threads", "999" } };
	config_init(&c);
	CHECK_INT(config_load(&c, ov, 1, err, sizeof(err)), ERR_VALIDATION);
	CHECK_STR(err, "--http-threads: must be an integer from 1 to 64, got '999'");
	struct config_override unknown[] = { { "colour", "blue" } };
	CHECK_INT(config_load(&c, unknown, 1, err, sizeof(err)), ERR_VALIDATION);
	CHECK_STR(err, "--colour: unknown option");
	CHECK(config_is_flag("database-url"));
	CHECK(!config_is_flag("colour"));
	config_release(&c);
}

static void test_secret_generated_once_0600(void)
{
	struct config c;
	char err[256] = "", dir[] = "/tmp/mtag-test-config-XXXXXX";
	CHECK(mkdtemp(dir) != NULL);
	char sub[512];
	snprintf(sub, sizeof(sub), "%s/nested/data", dir);
	clear_env();
	setenv("MTAG_DATA_DIR", sub, 1);
	config_init(&c);
	CHECK_INT(config_load(&c, NULL, 0, err, sizeof(err)), ERR_OK);
	CHECK_INT(config_load_secret(&c, err, sizeof(err)), ERR_OK);
	CHECK_INT(strlen(c.secret_key), 64);
	char first[65];
	snprintf(first, sizeof(first), "%s", c.secret_key);
	char path[600];
	snprintf(path, sizeof(path), "%s/secret.key", sub);
	struct stat st;
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	/* A second start reads the same key. */
	CHECK_INT(config_load(&c, NULL, 0, err, sizeof(err)), ERR_OK);
	CHECK_INT(config_load_secret(&c, err, sizeof(err)), ERR_OK);
	CHECK_STR(c.secret_key, first);
	/* The environment wins over the file. */
	setenv("MTAG_SECRET_KEY", "0123456789abcdef0123456789abcdef-env", 1);
	CHECK_INT(config_load(&c, NULL, 0, err, sizeof(err)), ERR_OK);
	CHECK_INT(config_load_secret(&c, err, sizeof(err)), ERR_OK);
	CHECK_STR(c.secret_key, "0123456789abcdef0123456789abcdef-env");
	config_release(&c);
	clear_env();
	/* A file longer than a key may be is refused, not cut (the same key given in the
	 * environment signed otherwise). */
	setenv("MTAG_DATA_DIR", sub, 1);
	FILE *f = fopen(path, "w");
	for (int i = 0; f && i < 1025; i++)
		fputc('k', f);
	if (f)
		fclose(f);
	config_init(&c);
	CHECK_INT(config_load(&c, NULL, 0, err, sizeof(err)), ERR_OK);
	CHECK_INT(config_load_secret(&c, err, sizeof(err)), ERR_VALIDATION);
	CHECK(strstr(err, "holds more than 1024 characters") != NULL);
	config_release(&c);
	clear_env();
	unlink(path);
	char d1[600];
	rmdir(sub);
	snprintf(d1, sizeof(d1), "%s/nested", dir);
	rmdir(d1);
	rmdir(dir);
}

int main(void)
{
	RUN(test_defaults);
	RUN(test_env_then_flags);
	RUN(test_bad_values_name_the_variable);
	RUN(test_bad_flag);
	RUN(test_secret_generated_once_0600);
	return unit_report("test_config");
}
