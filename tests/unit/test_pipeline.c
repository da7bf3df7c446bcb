/*
 * test_pipeline.c - the pipeline's own rules on top of its parts: the title
 * chosen, the language, the tags, the hash and size, in-process (sandbox
 * NULL) on the fixtures of tests/data/extract.
 */
#include <stdio.h>

#include "harness.h"
#include "pipeline/pipeline.h"
#include "base/xalloc.h"

static void test_title_rules(void)
{
	CHECK(pipeline_title_is_real("Free Culture"));
	CHECK(pipeline_title_is_real("Geometrie und Topologie"));
	CHECK(!pipeline_title_is_real(NULL));
	CHECK(!pipeline_title_is_real(""));
	CHECK(!pipeline_title_is_real("  "));
	CHECK(!pipeline_title_is_real("ab"));
	CHECK(!pipeline_title_is_real("Untitled"));
	CHECK(!pipeline_title_is_real("untitled"));
	CHECK(!pipeline_title_is_real("Microsoft Word - thesis final.doc"));
	CHECK(!pipeline_title_is_real("report_v2.pdf"));
	CHECK(!pipeline_title_is_real("PowerPoint Presentation"));
}

static void test_pdf_with_own_title(void)
{
	struct pipeline *p = pipeline_new(NULL);
	struct pipeline_options o;
	struct pipeline_doc d;
	struct arena a = ARENA_INIT;
	char err[256] = "";
	pipeline_options_init(&o);
	CHECK_INT(pipeline_run_file(p, &a, "tests/data/extract/two-pages.pdf", NULL, &o, &d, err,
				    sizeof(err)), ERR_OK);
	CHECK_STR(d.title, "Golden Test — Café");
	CHECK_STR(d.filename, "two-pages.pdf");
	CHECK_STR(d.mime_type, "application/pdf");
	CHECK_INT(d.page_count, 2);
	CHECK_INT(d.text_len, 147);
	CHECK_STR(d.props.author, "Ada Lovelace");
	CHECK_INT(strlen(d.sha256), 64);
	CHECK(d.size_bytes > 0);
	CHECK(d.total_us >= d.extract_us);
	pipeline_free(p);
	arena_release(&a);
}

static void test_title_falls_back_to_file_name_then_first_line(void)
{
	struct pipeline *p = pipeline_new(NULL);
	struct pipeline_options o;
	struct pipeline_doc d;
	struct arena a = ARENA_INIT;
	char err[256] = "";
	pipeline_options_init(&o);
	/* Text has no title of its own: the display name wins. */
	CHECK_INT(pipeline_run_file(p, &a, "tests/data/extract/latin1.txt", "uploads/Notes 2024.txt",
				    &o, &d, err, sizeof(err)), ERR_OK);
	CHECK_STR(d.title, "Notes 2024.txt");
	CHECK_STR(d.source, "uploads/Notes 2024.txt");
	pipeline_free(p);
	arena_release(&a);
}

static void test_language_and_tags(void)
{
	const char *path = "/tmp/mtag-test-pipeline.txt";
	FILE *f = fopen(path, "w");
	fputs("Solar panels convert sunlight into electricity. Solar panel efficiency depends on the "
	      "semiconductor material and on the temperature of the solar cells. Modern solar cells "
	      "made of monocrystalline silicon reach an efficiency above twenty percent, while thin "
	      "film solar cells are cheaper but less efficient.\n", f);
	fclose(f);
	struct pipeline *p = pipeline_new(NULL);
	struct pipeline_options o;
	struct pipeline_doc d;
	struct arena a = ARENA_INIT;
	char err[256] = "";
	pipeline_options_init(&o);
	o.max_tags = 3;
	CHECK_INT(pipeline_run_file(p, &a, path, NULL, &o, &d, err, sizeof(err)), ERR_OK);
	CHECK_STR(d.language, "en");
	CHECK_INT(d.ntags, 3);
	bool solar = false;
	for (size_t i = 0; i < d.ntags; i++)
		solar |= strstr(d.tags[i].text, "solar") != NULL;
	CHECK(solar);
	/* Restricted to languages the text is not in: undetermined. */
	o.languages[0] = "de";
	o.languages[1] = "fr";
	o.nlanguages = 2;
	CHECK_INT(pipeline_run_file(p, &a, path, NULL, &o, &d, err, sizeof(err)), ERR_OK);
	CHECK_STR(d.language, "und");
	pipeline_free(p);
	arena_release(&a);
	remove(path);
}

static void test_failures_carry_the_reason(void)
{
	struct pipeline *p = pipeline_new(NULL);
	struct pipeline_options o;
	struct pipeline_doc d;
	struct arena a = ARENA_INIT;
	char err[256] = "";
	pipeline_options_init(&o);
	CHECK_INT(pipeline_run_file(p, &a, "tests/data/extract/image.png", NULL, &o, &d, err,
				    sizeof(err)), ERR_VALIDATION);
	CHECK_STR(err, "unsupported type: PNG image");
	CHECK_INT(pipeline_run_file(p, &a, "tests/data/extract/encrypted-user.pdf", NULL, &o, &d,
				    err, sizeof(err)), ERR_VALIDATION);
	CHECK_STR(err, "password-protected PDF: a password is needed to open it");
	CHECK(pipeline_run_file(p, &a, "/nonexistent", NULL, &o, &d, err, sizeof(err)) != ERR_OK);
	pipeline_free(p);
	arena_release(&a);
}

int main(void)
{
	RUN(test_title_rules);
	RUN(test_pdf_with_own_title);
	RUN(test_title_falls_back_to_file_name_then_first_line);
	RUN(test_language_and_tags);
	RUN(test_failures_carry_the_reason);
	return unit_report("test_pipeline");
}
