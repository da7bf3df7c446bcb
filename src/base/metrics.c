/*
 * metrics.c - counters and histograms as atomics, rendered in the
 * Prometheus text format (metrics.h).
 *
 * A series is found by a linear scan over the family's series (at most
 * cap, compared by hash first); a missing one is made under the family's
 * mutex and published with a release store, so readers never lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/metrics.h"
#include "base/xalloc.h"

const int64_t metrics_duration_bounds_us[METRICS_DURATION_NBOUNDS] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000,
};

/* FNV-1a over the label values, each ended by a 0 byte. */
static uint64_t values_hash(const struct metrics_family *f, const char *const *values)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < f->nlabels; i++) {
		const char *s = values[i] ? values[i] : "";
		for (size_t n = 0; s[n] && n < METRICS_VALUE_MAX - 1; n++)
			h = (h ^ (unsigned char)s[n]) * 1099511628211ULL;
		h = (h ^ 0) * 1099511628211ULL;
	}
	return h;
}

static bool series_is(const struct metrics_family *f, const struct metrics_series *s,
		      uint64_t h, const char *const *values)
{
	if (s->hash != h)
		return false;
	for (size_t i = 0; i < f->nlabels; i++)
		if (strncmp(s->values[i], values[i] ? values[i] : "", METRICS_VALUE_MAX - 1) != 0)
			return false;
	return true;
}

static struct metrics_series *find(struct metrics_family *f, size_t n, uint64_t h,
				   const char *const *values)
{
	for (size_t i = 0; i < n; i++) {
		struct metrics_series *s = atomic_load_explicit(&f->series[i], memory_order_acquire);
		if (s && series_is(f, s, h, values))
			return s;
	}
	return NULL;
}

static size_t family_cap(const struct metrics_family *f)
{
	return f->cap && f->cap < METRICS_SERIES_MAX ? f->cap : METRICS_SERIES_MAX;
}

/* The series of these values, made if missing (create); the overflow series past the cap. */
static struct metrics_series *series_get(struct metrics_family *f, const char *const *values,
					 bool create)
{
	uint64_t h = values_hash(f, values);
	size_t n = atomic_load_explicit(&f->nseries, memory_order_acquire);
	struct metrics_series *s = find(f, n, h, values);
	if (s || !create)
		return s;
	pthread_mutex_lock(&f->lock);
	n = atomic_load_explicit(&f->nseries, memory_order_acquire);
	s = find(f, n, h, values);
	if (!s && n < family_cap(f)) {
		s = xcalloc(1, sizeof(*s));
		s->hash = h;
		for (size_t i = 0; i < f->nlabels; i++)
			snprintf(s->values[i], sizeof(s->values[i]), "%s", values[i] ? values[i] : "");
		atomic_store_explicit(&f->series[n], s, memory_order_release);
		atomic_store_explicit(&f->nseries, n + 1, memory_order_release);
	} else if (!s) {
		s = &f->overflow;
	}
	pthread_mutex_unlock(&f->lock);
	return s;
}

void metrics_counter_add(struct metrics_family *f, const char *const *values, uint64_t n)
{
	struct metrics_series *s = series_get(f, values, true);
	atomic_fetch_add_explicit(&s->count, n, memory_order_relaxed);
}

void metrics_histogram_observe(struct metrics_family *f, const char *const *values, int64_t v)
{
	struct metrics_series *s = series_get(f, values, true);
	if (v < 0)
		v = 0;
	size_t b = 0;
	while (b < f->nbounds && b < METRICS_BUCKETS_MAX - 1 && v > f->bounds[b])
		b++;
	atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->sum, (uint64_t)v, memory_order_relaxed);
	atomic_fetch_add_explicit(&s->count, 1, memory_order_relaxed);
}

uint64_t metrics_value(struct metrics_family *f, const char *const *values)
{
	struct metrics_series *s = series_get(f, values, false);
	return s ? atomic_load_explicit(&s->count, memory_order_relaxed) : 0;
}

void metrics_family_release(struct metrics_family *f)
{
	size_t n = atomic_load(&f->nseries);
	for (size_t i = 0; i < n; i++) {
		free(atomic_load(&f->series[i]));
		atomic_store(&f->series[i], NULL);
	}
	atomic_store(&f->nseries, 0);
	memset(&f->overflow, 0, sizeof(f->overflow));
}

enum mtag_err metrics_escape_label(struct buf *out, const char *s)
{
	enum mtag_err e = ERR_OK;
	for (; *s && !e; s++) {
		if (*s == '\\')
			e = buf_puts(out, "\\\\");
		else if (*s == '"')
			e = buf_puts(out, "\\\"");
		else if (*s == '\n')
			e = buf_puts(out, "\\n");
		else
			e = buf_putc(out, *s);
	}
	return e;
}

/* HELP text: backslash and newline escaped. */
static enum mtag_err escape_help(struct buf *out, const char *s)
{
	enum mtag_err e = ERR_OK;
	for (; *s && !e; s++)
		e = *s == '\\' ? buf_puts(out, "\\\\") : *s == '\n' ? buf_puts(out, "\\n")
								  : buf_putc(out, *s);
	return e;
}

static enum mtag_err header(struct buf *out, const char *name, const char *help,
			    const char *type)
{
	enum mtag_err e = buf_printf(out, "# HELP %s ", name);
	if (!e)
		e = escape_help(out, help ? help : "");
	if (!e)
		e = buf_printf(out, "\n# TYPE %s %s\n", name, type);
	return e;
}

/* v / unit exactly, as a decimal without trailing zeros (unit a power of ten). */
static enum mtag_err put_scaled(struct buf *out, uint64_t v, int64_t unit)
{
	if (unit <= 1)
		return buf_printf(out, "%llu", (unsigned long long)v);
	uint64_t u = (uint64_t)unit, frac = v % u;
	if (!frac)
		return buf_printf(out, "%llu", (unsigned long long)(v / u));
	int digits = 0;
	for (uint64_t x = u; x > 1; x /= 10)
		digits++;
	while (frac % 10 == 0) {
		frac /= 10;
		digits--;
	}
	return buf_printf(out, "%llu.%0*llu", (unsigned long long)(v / u), digits,
			  (unsigned long long)frac);
}

/* "{a="x",b="y"" - without the closing brace, so that "le" may follow. */
static enum mtag_err open_labels(struct buf *out, const struct metrics_family *f,
				 const struct metrics_series *s)
{
	enum mtag_err e = buf_putc(out, '{');
	for (size_t i = 0; i < f->nlabels && !e; i++) {
		e = buf_printf(out, "%s%s=\"", i ? "," : "", f->labels[i]);
		if (!e)
			e = metrics_escape_label(out, s == &f->overflow ? "other" : s->values[i]);
		if (!e)
			e = buf_putc(out, '"');
	}
	return e;
}

static enum mtag_err render_counter(struct buf *out, const struct metrics_family *f,
				    const struct metrics_series *s)
{
	enum mtag_err e = buf_puts(out, f->name);
	if (!e && f->nlabels) {
		e = open_labels(out, f, s);
		if (!e)
			e = buf_putc(out, '}');
	}
	if (!e)
		e = buf_printf(out, " %llu\n",
			       (unsigned long long)atomic_load_explicit(&s->count, memory_order_relaxed));
	return e;
}

/* The start of a histogram line, "name_suffix{labels[,le=\"...\"]} ": le NULL and !le_inf: no le. */
static enum mtag_err histo_line(struct buf *out, const struct metrics_family *f,
				const struct metrics_series *s, const char *suffix,
				const int64_t *le, bool le_inf)
{
	enum mtag_err e = buf_printf(out, "%s%s", f->name, suffix);
	bool braces = f->nlabels || le || le_inf;
	if (!e && braces)
		e = f->nlabels ? open_labels(out, f, s) : buf_putc(out, '{');
	if (!e && (le || le_inf)) {
		e = buf_printf(out, "%sle=\"", f->nlabels ? "," : "");
		if (!e)
			e = le_inf ? buf_puts(out, "+Inf") : put_scaled(out, (uint64_t)*le, f->unit);
		if (!e)
			e = buf_putc(out, '"');
	}
	if (!e && braces)
		e = buf_putc(out, '}');
	if (!e)
		e = buf_putc(out, ' ');
	return e;
}

static enum mtag_err render_histogram(struct buf *out, const struct metrics_family *f,
				      const struct metrics_series *s)
{
	enum mtag_err e = ERR_OK;
	uint64_t cum = 0;
	size_t nb = f->nbounds < METRICS_BUCKETS_MAX - 1 ? f->nbounds : METRICS_BUCKETS_MAX - 1;
	for (size_t b = 0; b <= nb && !e; b++) {
		cum += atomic_load_explicit(&s->buckets[b], memory_order_relaxed);
		e = histo_line(out, f, s, "_bucket", b < nb ? &f->bounds[b] : NULL, b == nb);
		if (!e)
			e = buf_printf(out, "%llu\n", (unsigned long long)cum);
	}
	if (!e)
		e = histo_line(out, f, s, "_sum", NULL, false);
	if (!e)
		e = put_scaled(out, atomic_load_explicit(&s->sum, memory_order_relaxed), f->unit);
	if (!e)
		e = buf_putc(out, '\n');
	if (!e)
		e = histo_line(out, f, s, "_count", NULL, false);
	if (!e)
		e = buf_printf(out, "%llu\n",
			       (unsigned long long)atomic_load_explicit(&s->count, memory_order_relaxed));
	return e;
}

enum mtag_err metrics_render_family(struct buf *out, struct metrics_family *f)
{
	bool histo = f->type == METRICS_HISTOGRAM;
	enum mtag_err e = header(out, f->name, f->help, histo ? "histogram" : "counter");
	size_t n = atomic_load_explicit(&f->nseries, memory_order_acquire);
	for (size_t i = 0; i <= n && !e; i++) {
		const struct metrics_series *s =
			i < n ? atomic_load_explicit(&f->series[i], memory_order_acquire) : &f->overflow;
		if (!s || (s == &f->overflow && !atomic_load(&f->overflow.count)))
			continue;
		e = histo ? render_histogram(out, f, s) : render_counter(out, f, s);
	}
	return e;
}

enum mtag_err metrics_render_gauge(struct buf *out, const char *name, const char *help, double v)
{
	enum mtag_err e = header(out, name, help, "gauge");
	if (!e)
		e = buf_printf(out, "%s %.17g\n", name, v);
	return e;
}

uint64_t metrics_process_rss(void)
{
	FILE *fp = fopen("/proc/self/statm", "r");
	unsigned long long size = 0, resident = 0;
	if (!fp)
		return 0;
	int got = fscanf(fp, "%llu %llu", &size, &resident);
	fclose(fp);
	long page = sysconf(_SC_PAGESIZE);
	return got == 2 && page > 0 ? (uint64_t)resident * (uint64_t)page : 0;
}
