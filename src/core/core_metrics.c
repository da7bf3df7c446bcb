/*
 * core_metrics.c - what the domain records for GET /metrics: document
 * outcomes, claim latency, claim duration and pipeline stage durations (process-wide
 * families, lock-free once their few series exist), and the gauges read at
 * scrape time (core.h).
 */
#include <string.h>

#include "base/clock.h"
#include "base/metrics.h"
#include "core/core.h"
#include "core/core_int.h"
#include "pipeline/pipeline.h"
#include "store/store.h"

static struct metrics_family documents = {
	.name = "mtag_documents_total",
	.help = "Documents processed, by outcome (completed or failed).",
	.type = METRICS_COUNTER,
	.labels = { "outcome" },
	.nlabels = 1,
	.cap = 4,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static struct metrics_family claim_latency = {
	.name = "mtag_claim_latency_seconds",
	.help = "Time from a document's submission to its claim by a worker.",
	.type = METRICS_HISTOGRAM,
	.bounds = metrics_duration_bounds_us,
	.nbounds = METRICS_DURATION_NBOUNDS,
	.unit = 1000000,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static struct metrics_family claim_duration = {
	.name = "mtag_claim_duration_seconds",
	.help = "Time one claim transaction takes, including waiting on other workers' locks.",
	.type = METRICS_HISTOGRAM,
	.bounds = metrics_duration_bounds_us,
	.nbounds = METRICS_DURATION_NBOUNDS,
	.unit = 1000000,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static struct metrics_family stages = {
	.name = "mtag_pipeline_stage_duration_seconds",
	.help = "Pipeline stage durations of completed documents (fetch, extract, tag, total).",
	.type = METRICS_HISTOGRAM,
	.labels = { "stage" },
	.nlabels = 1,
	.bounds = metrics_duration_bounds_us,
	.nbounds = METRICS_DURATION_NBOUNDS,
	.unit = 1000000,
	.cap = 4,
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

void core_metrics_document(const char *status, const struct pipeline_doc *p)
{
	bool ok = !strcmp(status, "completed");
	const char *const outcome[] = { ok ? "completed" : "failed" };
	metrics_counter_add(&documents, outcome, 1);
	if (!ok || !p)
		return;
	const char *const fetch[] = { "fetch" }, *const extract[] = { "extract" },
			  *const tag[] = { "tag" }, *const total[] = { "total" };
	metrics_histogram_observe(&stages, fetch, p->fetch_us);
	metrics_histogram_observe(&stages, extract, p->extract_us);
	metrics_histogram_observe(&stages, tag, p->tag_us);
	metrics_histogram_observe(&stages, total, p->total_us);
}

void core_metrics_claimed(int64_t created_us, int64_t now_us)
{
	metrics_histogram_observe(&claim_latency, NULL, now_us - created_us);
}

void core_metrics_claim_call(int64_t took_us)
{
	metrics_histogram_observe(&claim_duration, NULL, took_us);
}

/* The gauges, read now. */
static enum mtag_err render_gauges(struct core *c, struct buf *out)
{
	enum mtag_err e = ERR_OK;
	int64_t depth = 0;
	if (store_queue_depth(c->store, &depth) == ERR_OK)
		e = metrics_render_gauge(out, "mtag_queue_depth",
					 "Documents waiting to be claimed (every node).", (double)depth);
	int in_use = 0, size = 0;
	store_pool_usage(c->store, &in_use, &size);
	if (!e)
		e = metrics_render_gauge(out, "mtag_db_pool_connections_in_use",
					 "Database pool connections held by a call now.", in_use);
	if (!e)
		e = metrics_render_gauge(out, "mtag_db_pool_size",
					 "Database pool connections at most.", size);
	if (!e)
		e = metrics_render_gauge(out, "process_resident_memory_bytes",
					 "Resident memory size in bytes.", (double)metrics_process_rss());
	if (!e)
		e = metrics_render_gauge(out, "process_start_time_seconds",
					 "Start time of the process since the epoch in seconds.",
					 (double)(c->started_us / 1000000));
	if (!e)
		e = metrics_render_gauge(out, "mtag_uptime_seconds", "Seconds since the process started.",
					 (double)((clock_now_us() - c->started_us) / 1000000));
	return e;
}

enum mtag_err core_metrics_render(struct core *c, struct buf *out)
{
	enum mtag_err e = metrics_render_family(out, &documents);
	if (!e)
		e = metrics_render_family(out, &claim_latency);
	if (!e)
		e = metrics_render_family(out, &claim_duration);
	if (!e)
		e = metrics_render_family(out, &stages);
	if (!e)
		e = render_gauges(c, out);
	return e;
}
