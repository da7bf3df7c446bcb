/*
 * test_metrics.c - the metrics registry: counters, histogram bucket
 * boundaries, the exact Prometheus text of a small family, label escaping
 * and the series cap.
 */
#include <stdlib.h>

#include "harness.h"
#include "base/metrics.h"
#include "base/xalloc.h"

static const int64_t bounds[] = { 1000, 500000, 2000000 };

static void test_counters(void)
{
	struct metrics_family f = { .name = "c_total", .help = "C.", .type = METRICS_COUNTER,
				    .labels = { "route", "code" }, .nlabels = 2,
				    .lock = PTHREAD_MUTEX_INITIALIZER };
	const char *const a[] = { "/health", "200" }, *const b[] = { "/health", "500" };
	CHECK_INT(metrics_value(&f, a), 0);
	metrics_counter_add(&f, a, 1);
	metrics_counter_add(&f, a, 2);
	metrics_counter_add(&f, b, 1);
	CHECK_INT(metrics_value(&f, a), 3);
	CHECK_INT(metrics_value(&f, b), 1);
	CHECK_INT(f.nseries, 2);
	metrics_family_release(&f);
	CHECK_INT(metrics_value(&f, a), 0);
}

static void test_histogram_boundaries(void)
{
	struct metrics_family f = { .name = "h_seconds", .help = "H.", .type = METRICS_HISTOGRAM,
				    .bounds = bounds, .nbounds = 3, .unit = 1000000,
				    .lock = PTHREAD_MUTEX_INITIALIZER };
	/* A value equal to a bound falls into that bucket (le is "less or equal"). */
	metrics_histogram_observe(&f, NULL, 1000);
	metrics_histogram_observe(&f, NULL, 1001);
	metrics_histogram_observe(&f, NULL, 2000000);
	metrics_histogram_observe(&f, NULL, 2000001);
	metrics_histogram_observe(&f, NULL, -5); /* counts as 0 */
	struct metrics_series *s = f.series[0];
	CHECK_INT(s->buckets[0], 2);
	CHECK_INT(s->buckets[1], 1);
	CHECK_INT(s->buckets[2], 1);
	CHECK_INT(s->buckets[3], 1);
	CHECK_INT(s->count, 5);
	CHECK_INT(s->sum, 1000 + 1001 + 2000000 + 2000001);
	metrics_family_release(&f);
}

static void test_render_exact(void)
{
	struct metrics_family c = { .name = "req_total", .help = "Requests.\nBy route.",
				    .type = METRICS_COUNTER, .labels = { "route" }, .nlabels = 1,
				    .lock = PTHREAD_MUTEX_INITIALIZER };
	struct metrics_family h = { .name = "dur_seconds", .help = "Durations.",
				    .type = METRICS_HISTOGRAM, .labels = { "stage" }, .nlabels = 1,
				    .bounds = bounds, .nbounds = 3, .unit = 1000000,
				    .lock = PTHREAD_MUTEX_INITIALIZER };
	const char *const r1[] = { "/a" }, *const r2[] = { "/b\"\\\n" }, *const st[] = { "tag" };
	metrics_counter_add(&c, r1, 7);
	metrics_counter_add(&c, r2, 1);
	metrics_histogram_observe(&h, st, 250);
	metrics_histogram_observe(&h, st, 1500000);
	struct buf out = BUF_INIT(1 << 16);
	CHECK_INT(metrics_render_family(&out, &c), ERR_OK);
	CHECK_INT(metrics_render_family(&out, &h), ERR_OK);
	CHECK_INT(metrics_render_gauge(&out, "g_bytes", "G.", 4096), ERR_OK);
	CHECK_STR(buf_cstr(&out),
		  "# HELP req_total Requests.\\nBy route.\n"
		  "# TYPE req_total counter\n"
		  "req_total{route=\"/a\"} 7\n"
		  "req_total{route=\"/b\\\"\\\\\\n\"} 1\n"
		  "# HELP dur_seconds Durations.\n"
		  "# TYPE dur_seconds histogram\n"
		  "dur_seconds_bucket{stage=\"tag\",le=\"0.001\"} 1\n"
		  "dur_seconds_bucket{stage=\"tag\",le=\"0.5\"} 1\n"
		  "dur_seconds_bucket{stage=\"tag\",le=\"2\"} 2\n"
		  "dur_seconds_bucket{stage=\"tag\",le=\"+Inf\"} 2\n"
		  "dur_seconds_sum{stage=\"tag\"} 1.50025\n"
		  "dur_seconds_count{stage=\"tag\"} 2\n"
		  "# HELP g_bytes G.\n"
		  "# TYPE g_bytes gauge\n"
		  "g_bytes 4096\n");
	buf_release(&out);
	metrics_family_release(&c);
	metrics_family_release(&h);
}

static void test_unlabelled_histogram(void)
{
	struct metrics_family h = { .name = "w_seconds", .help = "W.", .type = METRICS_HISTOGRAM,
				    .bounds = bounds, .nbounds = 1, .unit = 1000000,
				    .lock = PTHREAD_MUTEX_INITIALIZER };
	metrics_histogram_observe(&h, NULL, 3000000);
	struct buf out = BUF_INIT(4096);
	CHECK_INT(metrics_render_family(&out, &h), ERR_OK);
	CHECK_STR(buf_cstr(&out), "# HELP w_seconds W.\n# TYPE w_seconds histogram\n"
				  "w_seconds_bucket{le=\"0.001\"} 0\nw_seconds_bucket{le=\"+Inf\"} 1\n"
				  "w_seconds_sum 3\nw_seconds_count 1\n");
	buf_release(&out);
	metrics_family_release(&h);
}

static void test_cap_and_escaping(void)
{
	struct metrics_family f = { .name = "x_total", .help = "X.", .type = METRICS_COUNTER,
				    .labels = { "v" }, .nlabels = 1, .cap = 2,
				    .lock = PTHREAD_MUTEX_INITIALIZER };
	const char *const v[][1] = { { "a" }, { "b" }, { "c" }, { "d" } };
	for (int i = 0; i < 4; i++)
		metrics_counter_add(&f, v[i], 1);
	CHECK_INT(f.nseries, 2);
	struct buf out = BUF_INIT(4096);
	CHECK_INT(metrics_render_family(&out, &f), ERR_OK);
	CHECK_STR(buf_cstr(&out), "# HELP x_total X.\n# TYPE x_total counter\n"
				  "x_total{v=\"a\"} 1\nx_total{v=\"b\"} 1\nx_total{v=\"other\"} 2\n");
	buf_reset(&out);
	CHECK_INT(metrics_escape_label(&out, "a\\b\"c\nd"), ERR_OK);
	CHECK_STR(buf_cstr(&out), "a\\\\b\\\"c\\nd");
	/* Past the buffer's cap: an error, never a cut line. */
	struct buf tiny = BUF_INIT(10);
	CHECK_INT(metrics_render_family(&tiny, &f), ERR_TOO_LARGE);
	buf_release(&tiny);
	buf_release(&out);
	metrics_family_release(&f);
	CHECK(metrics_process_rss() > 0);
}

int main(void)
{
	RUN(test_counters);
	RUN(test_histogram_boundaries);
	RUN(test_render_exact);
	RUN(test_unlabelled_histogram);
	RUN(test_cap_and_escaping);
	return unit_report("test_metrics");
}
