/*
 * test_store_open.c - store_open and databases that are not there: URL and
 * pool-size validation, SQLite creating its directory, and a PostgreSQL
 * server that does not answer. Needs no database (test_store.c has the suite
 * that does).
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harness.h"
#include "base/arena.h"
#include "base/log.h"
#include "store/store.h"
#include "base/xalloc.h"

static char tmp_dir[] = "/tmp/mtag-test-store-open.XXXXXX";

static void test_open_errors(void)
{
	struct store *s = (struct store *)&s; /* must come back NULL */
	char err[256] = "";

	CHECK_INT(store_open("mysql://localhost/x", 1, &s, err, sizeof(err)), ERR_VALIDATION);
	CHECK(s == NULL);
	CHECK(strstr(err, "sqlite://") != NULL);
	CHECK_INT(store_open(NULL, 1, &s, err, sizeof(err)), ERR_VALIDATION);
	CHECK_INT(store_open("sqlite://", 1, &s, err, sizeof(err)), ERR_VALIDATION);
	CHECK_INT(store_open("sqlite://:memory:", 1, &s, err, sizeof(err)), ERR_VALIDATION);
	CHECK_INT(store_open("sqlite:///tmp/x.db", 0, &s, err, sizeof(err)), ERR_VALIDATION);
	CHECK_INT(store_open("sqlite:///tmp/x.db", STORE_POOL_MAX + 1, &s, err, sizeof(err)),
		  ERR_VALIDATION);
	err[0] = '\0';
	CHECK_INT(store_open("postgresql://localhost/x?nosuchoption=1", 1, &s, err, sizeof(err)),
		  ERR_VALIDATION);
	CHECK(strstr(err, "nosuchoption") != NULL);
	CHECK(s == NULL);
	/* What libpq quotes of a URL it cannot read may be the password: not told. */
	CHECK_INT(store_open("postgresql://app:Tr0ub4dor%&3@db.internal:5432/mtag", 1, &s, err,
			     sizeof(err)), ERR_VALIDATION);
	CHECK_STR(err, "malformed postgresql URL: invalid percent-encoded token (a % @ : or / in"
		       " the user name or password is written %25 %40 %3A %2F)");
	CHECK_INT(store_open("postgresql://h/db?password=x%zz", 1, &s, err, sizeof(err)),
		  ERR_VALIDATION);
	CHECK(strstr(err, "x%zz") == NULL);
	store_close(NULL);
}

static void test_sqlite_creates_dirs(void)
{
	char url[512], dir[256], file[300];
	struct store *s = NULL;
	struct stat st;
	char err[256];

	snprintf(dir, sizeof(dir), "%s/nested/deeper", tmp_dir);
	snprintf(file, sizeof(file), "%s/x.db", dir);
	snprintf(url, sizeof(url), "sqlite://%s", file);
	CHECK_INT(store_open(url, 2, &s, err, sizeof(err)), ERR_OK);
	CHECK_STR(store_driver_name(s), "sqlite");
	CHECK(stat(dir, &st) == 0 && S_ISDIR(st.st_mode));
	CHECK_INT(st.st_mode & 0777, 0700);
	CHECK(access(file, F_OK) != 0); /* the file itself comes with the first connection */
	CHECK_INT(store_ping(s), ERR_OK);
	store_close(s);
	CHECK(access(file, F_OK) == 0);
}

static void test_sqlite_dir_blocked(void)
{
	char url[512], file[256];
	struct store *s = NULL;
	char err[256] = "";
	FILE *f;

	/* A file where the directory should be. */
	snprintf(file, sizeof(file), "%s/blocker", tmp_dir);
	f = fopen(file, "w");
	CHECK(f != NULL);
	fclose(f);
	snprintf(url, sizeof(url), "sqlite://%s/db/x.db", file);
	CHECK_INT(store_open(url, 1, &s, err, sizeof(err)), ERR_UNAVAILABLE);
	CHECK(s == NULL);
	CHECK(strstr(err, "cannot create directory") != NULL);
}

static void test_pg_unreachable(void)
{
	struct arena a = ARENA_INIT;
	struct store *s = NULL;
	struct store_user u;
	char err[256];
	int applied = -1, version = -1;
	enum mtag_err ping, migrate, get, ver;

	/* Nothing listens on port 1: open succeeds, every call is unavailable. */
	CHECK_INT(store_open("postgresql://postgres@127.0.0.1:1/none", 2, &s, err, sizeof(err)),
		  ERR_OK);
	CHECK_STR(store_driver_name(s), "postgresql");
	ping = store_ping(s);
	migrate = store_migrate(s, &applied);
	ver = store_schema_version(s, &version);
	get = store_user_get(s, &a, "0f8fad5b-d9cb-469f-a165-70867728950e", &u);
	store_close(s);
	arena_release(&a);
	CHECK_INT(ping, ERR_UNAVAILABLE);
	CHECK_INT(migrate, ERR_UNAVAILABLE);
	CHECK_INT(applied, 0);
	CHECK_INT(ver, ERR_UNAVAILABLE);
	CHECK_INT(get, ERR_UNAVAILABLE);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb, (void)flag, (void)ftw;
	return remove(path);
}

int main(void)
{
	log_set_level(LOG_ERROR);
	if (!mkdtemp(tmp_dir)) {
		perror("mkdtemp");
		return 1;
	}
	RUN(test_open_errors);
	RUN(test_sqlite_creates_dirs);
	RUN(test_sqlite_dir_blocked);
	RUN(test_pg_unreachable);
	nftw(tmp_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return unit_report("test_store_open");
}
