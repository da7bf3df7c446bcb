#include <stdio.h>
#include <stdlib.h>

#include "base/clock.h"
#include "base/log.h"
#include "core/core.h"
#include "store/store.h"
#include "base/xalloc.h"

enum mtag_err core_open(const struct config *cfg, bool migrate, struct core **out,
			char *err, size_t errlen)
{
	struct core *c = xcalloc(1, sizeof(*c));
	c->cfg = cfg;
	c->started_us = clock_now_us();
	enum mtag_err e = store_open(cfg->database_url, cfg->db_pool_size, &c->store, err, errlen);
	if (e)
		goto fail;
	log_info("core.open", "database=%s pool=%d", store_driver_name(c->store), cfg->db_pool_size);
	if (migrate) {
		int applied = 0, version = 0;
		e = core_migrate(c, &applied, &version);
		if (e) {
			snprintf(err, errlen, "database migration failed (%s): is the %s database reachable?",
				 err_name(e), store_driver_name(c->store));
			goto fail;
		}
	}
	*out = c;
	return ERR_OK;
fail:
	core_free(c);
	return e;
}

void core_free(struct core *c)
{
	if (!c)
		return;
	store_close(c->store);
	free(c);
}

enum mtag_err core_migrate(struct core *c, int *applied, int *version)
{
	int n = 0, v = 0;
	enum mtag_err e = store_migrate(c->store, &n);
	if (!e)
		e = store_schema_version(c->store, &v);
	if (e)
		return e;
	log_info("core.migrate", "driver=%s applied=%d version=%d", store_driver_name(c->store), n, v);
	if (applied)
		*applied = n;
	if (version)
		*version = v;
	return ERR_OK;
}

void core_health(struct core *c, struct core_health *out)
{
	out->database = store_driver_name(c->store);
	out->database_ok = store_ping(c->store) == ERR_OK;
	out->ok = out->database_ok;
}
