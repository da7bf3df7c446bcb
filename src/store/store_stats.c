/*
 * store_stats.c - a user's tag counts and statistics, read from the counts
 * the writes keep (migrations 0007 and 0010: user_tags, user_stats,
 * user_days), whatever the library's size; on either driver (the
 * statements: store_history.c, struct store_history_sql).
 *
 * Ownership: strings of returned records are copied into the caller's arena.
 */
#include <stdint.h>
#include <string.h>

#include "base/utf8.h"
#include "store_int.h"

static enum mtag_err row_tag(struct store_row *r, void *out)
{
	struct store_tag_count *t = out;
	t->tag = store_col_text(r, 0);
	t->count = store_col_int(r, 1);
	return store_row_done(r, "documents");
}

enum mtag_err store_tag_counts(struct store *s, struct arena *a, const char *owner,
			       const char *prefix, size_t limit, struct store_tag_count **out,
			       size_t *n)
{
	char who[UUID_STR_LEN];
	const char *pre = prefix && prefix[0] ? prefix : NULL;
	void *rows = NULL;

	*out = NULL;
	*n = 0;
	if (!store_copy_uuid(who, owner) || !utf8_valid(prefix))
		return ERR_OK;
	struct store_param p[] = { STORE_TEXT(who), STORE_TEXT(pre),
				   STORE_INT(store_list_cap(limit)) };
	enum mtag_err e = store_read_many(s, a, "tag_counts", s->drv->dialect->history->tag_counts,
					  p, 3, row_tag, sizeof(**out), store_list_cap(limit),
					  &rows, n);
	*out = rows;
	return e;
}

/* What the statistics' readers add up. */
struct stats {
	const char *per_day_sql;
	struct store_param p[3]; /* owner, first day, the day after today */
	int64_t first_day;       /* days since the epoch of per_day[0] */
	struct store_stats *out;
};

#define DAY_US (86400LL * 1000000LL)

/* The user's counts by status (migration 0010: user_stats), in store_stats' order. */
static enum mtag_err stats_row(struct store_row *r, void *ctx)
{
	struct stats *st = ctx;
	struct store_stats *o = st->out;

	for (int i = 0; i < 6; i++) {
		o->jobs_by_status[i] = store_col_int(r, i);
		o->total_jobs += o->jobs_by_status[i];
	}
	for (int i = 6; i < 10; i++)
		o->total_documents += store_col_int(r, i);
	o->documents_processed = store_col_int(r, 8);
	o->documents_failed = store_col_int(r, 9);
	return store_row_done(r, "user_stats");
}

static enum mtag_err stats_day_each(struct store_row *r, void *ctx)
{
	struct stats *st = ctx;
	int64_t t = store_col_time(r, 0);
	int64_t day = t / DAY_US - st->first_day;

	if (day >= 0 && day < STORE_STATS_DAYS)
		st->out->per_day[day] += store_col_int(r, 1);
	return store_row_done(r, "user_days");
}

static enum mtag_err stats_tx(struct store_conn *c, void *ctx)
{
	struct stats *st = ctx;
	const struct store_driver *d = c->s->drv;
	enum mtag_err e = d->query(c, "stats", "SELECT jobs_pending, jobs_processing,"
				   " jobs_completed, jobs_partial, jobs_failed, jobs_cancelled,"
				   " docs_pending, docs_processing, docs_completed, docs_failed"
				   " FROM user_stats WHERE user_id = $1", st->p, 1, NULL, SIZE_MAX,
				   stats_row, st);
	if (!e)
		e = d->query(c, "stats", st->per_day_sql, st->p, 3, NULL, SIZE_MAX, stats_day_each, st);
	return e;
}

enum mtag_err store_stats(struct store *s, const char *owner, int64_t now, struct store_stats *out)
{
	char who[UUID_STR_LEN];
	int64_t today = now / DAY_US;
	struct stats st = {
		s->drv->dialect->history->per_day, { STORE_TEXT(who),
		STORE_TIME((today - STORE_STATS_DAYS + 1) * DAY_US), STORE_TIME((today + 1) * DAY_US) },
		today - STORE_STATS_DAYS + 1, out,
	};

	memset(out, 0, sizeof(*out));
	if (!store_copy_uuid(who, owner))
		return ERR_OK;
	enum mtag_err e = store_tx(s, "stats", STORE_TX_SNAPSHOT, stats_tx, &st);
	if (e)
		memset(out, 0, sizeof(*out));
	return e;
}
