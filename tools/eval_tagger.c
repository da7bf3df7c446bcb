/*
 * eval_tagger - run the built-in tagger over a keyphrase benchmark.
 *
 * usage: eval_tagger DOCS.jsonl PREDICTIONS.jsonl [MAX_TAGS]
 * Reads {"id", "lang", "text", ...} per line, tags each text in its "lang"
 * with MAX_TAGS (default 15) tags, and writes {"id", "keyphrases": [...]} per
 * line, the format of ../shared/eval/keyphrase/score.py. Prints the tagging
 * speed (one thread, tagging time only) on stderr. Built by `make eval`; it
 * never ships in mtag.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "pipeline/tagger.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Tag one document line; writes its prediction line. Returns 0, or -1 on a bad line. */
static int tag_line(struct tagger *t, const char *line, int max_tags, FILE *out, double *secs,
		    size_t *bytes)
{
	json_error_t jerr;
	json_t *doc = json_loads(line, 0, &jerr), *pred = NULL, *kps = NULL;
	struct arena a = ARENA_INIT;
	int rc = -1;
	if (!doc)
		goto out;
	json_t *id = json_object_get(doc, "id"), *text = json_object_get(doc, "text");
	const char *lang = json_string_value(json_object_get(doc, "lang"));
	if (!id || !json_is_string(text))
		goto out;
	struct tag *tags;
	size_t n;
	double t0 = now();
	if (tagger_extract(t, &a, json_string_value(text), json_string_length(text), lang,
			   max_tags, &tags, &n) != 0)
		goto out;
	*secs += now() - t0;
	*bytes += json_string_length(text);
	kps = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(kps, json_string(tags[i].text));
	pred = json_pack("{s:O,s:O}", "id", id, "keyphrases", kps);
	char *s = json_dumps(pred, JSON_COMPACT | JSON_ENSURE_ASCII);
	fprintf(out, "%s\n", s);
	free(s);
	rc = 0;
out:
	json_decref(kps);
	json_decref(pred);
	json_decref(doc);
	arena_release(&a);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: eval_tagger DOCS.jsonl PREDICTIONS.jsonl [MAX_TAGS]\n");
		return 2;
	}
	int max_tags = argc == 4 ? (int)strtol(argv[3], NULL, 10) : 15;
	FILE *in = fopen(argv[1], "r"), *out = fopen(argv[2], "w");
	if (!in || !out) {
		perror(!in ? argv[1] : argv[2]);
		return 1;
	}
	struct tagger *t = tagger_new();
	char *line = NULL;
	size_t cap = 0, docs = 0, bytes = 0;
	double secs = 0;
	int status = 0;
	while (getline(&line, &cap, in) > 0) {
		if (line[strspn(line, " \t\r\n")] == '\0')
			continue;
		if (tag_line(t, line, max_tags, out, &secs, &bytes) != 0) {
			fprintf(stderr, "%s: bad line %zu\n", argv[1], docs + 1);
			status = 1;
		}
		docs++;
	}
	fprintf(stderr, "%s: %zu docs, %.1f ms, %.0f docs/s, %.2f MB/s (one thread)\n", argv[1],
		docs, secs * 1e3, secs > 0 ? (double)docs / secs : 0.0,
		secs > 0 ? (double)bytes / secs / 1e6 : 0.0);
	free(line);
	tagger_free(t);
	fclose(in);
	if (fclose(out) != 0)
		status = 1;
	return status;
}
