/*
 * metrics.h - counters and fixed-bucket histograms, rendered in the
 * Prometheus text exposition format 0.0.4.
 *
 * A struct metrics_family is one metric name (with HELP, TYPE and up to
 * METRICS_LABELS_MAX label names); each distinct tuple of label values is one
 * series, made on first use and kept for the life of the family. A family
 * holds at most `cap` series (at most METRICS_SERIES_MAX): past it every new
 * tuple is counted in one overflow series whose label values are all
 * "other", so a label can never grow without bound. Callers still pass label
 * values from a bounded set (route patterns, status codes, outcomes).
 *
 * Families are declared statically by the module that records into them
 * (METRICS_FAMILY_INIT-style designated initialisers, zero atomics) and are
 * owned by it; metrics_family_release frees the series (tests; a static
 * family simply lives as long as the process). There is no global registry:
 * the owner renders its families itself (metrics_render_family).
 *
 * Histograms observe integers in the family's unit (microseconds for
 * durations: unit 1000000) and render bounds, sums and values divided by the
 * unit, exactly (unit is a power of ten).
 *
 * Thread-safety: recording is lock-free once a series exists (atomic
 * increments, relaxed); making a series takes the family's mutex once.
 * Rendering may run at any time, concurrently with recording: each value is
 * read atomically, a histogram's buckets, sum and count may be a few
 * observations apart.
 */
#ifndef MTAG_METRICS_H
#define MTAG_METRICS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"

#define METRICS_LABELS_MAX 3
#define METRICS_BUCKETS_MAX 16
#define METRICS_SERIES_MAX 256
/* Longest label value kept; longer ones are cut. */
#define METRICS_VALUE_MAX 128

enum metrics_type {
	METRICS_COUNTER = 0,
	METRICS_HISTOGRAM,
};

/* One tuple of label values and its numbers. */
struct metrics_series {
	uint64_t hash;
	char values[METRICS_LABELS_MAX][METRICS_VALUE_MAX];
	atomic_uint_least64_t count;  /* counter value, or histogram observations */
	atomic_uint_least64_t sum;    /* histogram: sum of observations (unit) */
	atomic_uint_least64_t buckets[METRICS_BUCKETS_MAX]; /* histogram: per bucket, not cumulative */
};

struct metrics_family {
	const char *name;               /* "http_requests_total" */
	const char *help;
	enum metrics_type type;
	const char *labels[METRICS_LABELS_MAX]; /* label names, NULL-padded */
	size_t nlabels;
	const int64_t *bounds;          /* histogram: upper bounds, ascending, in unit */
	size_t nbounds;                 /* at most METRICS_BUCKETS_MAX - 1 (+Inf is implied) */
	int64_t unit;                   /* histogram: a power of ten; 0 or 1: plain integers */
	size_t cap;                     /* series at most (0: METRICS_SERIES_MAX) */
	/* Private: */
	pthread_mutex_t lock;           /* PTHREAD_MUTEX_INITIALIZER in the initialiser */
	atomic_size_t nseries;
	_Atomic(struct metrics_series *) series[METRICS_SERIES_MAX];
	struct metrics_series overflow; /* label values "other" */
};

/* Bounds for request and stage durations in microseconds, 1 ms to 10 s. */
#define METRICS_DURATION_NBOUNDS 13
extern const int64_t metrics_duration_bounds_us[METRICS_DURATION_NBOUNDS];

/* Add n to the counter series of these label values (nlabels of them). */
void metrics_counter_add(struct metrics_family *f, const char *const *values, uint64_t n);
/* Record one observation v (in the family's unit; negative counts as 0). */
void metrics_histogram_observe(struct metrics_family *f, const char *const *values, int64_t v);
/* The counter value (or histogram count) of these label values; 0 when the series does not exist. */
uint64_t metrics_value(struct metrics_family *f, const char *const *values);
/* Free the family's series (the family is empty again). Not concurrently with recording. */
void metrics_family_release(struct metrics_family *f);

/*
 * Append the family: HELP, TYPE, then every series (in the order they were
 * made; the overflow series last when used). ERR_TOO_LARGE past out's cap.
 */
enum mtag_err metrics_render_family(struct buf *out, struct metrics_family *f);
/* Append one unlabelled gauge: HELP, TYPE gauge and "name value" (%.17g; integers exact). */
enum mtag_err metrics_render_gauge(struct buf *out, const char *name, const char *help, double v);
/* Append s as a label value: backslash, double quote and newline escaped. */
enum mtag_err metrics_escape_label(struct buf *out, const char *s);
/* This process's resident set in bytes (/proc/self/statm), or 0 when unknown. */
uint64_t metrics_process_rss(void);

#endif
