/*
 * extract_zip.c - reading entries of zip-based documents (DOCX, ODT, and the
 * detection of EPUB and XPS) without trusting their headers.
 *
 * A zip entry declares its inflated size, and a bomb declares a small one or
 * a huge one. Both are checked: the declared size against our caps and the
 * compression ratio before a byte is inflated, then the bytes actually
 * inflated while reading, so an entry that lies is cut off at its claim.
 */
#include <inttypes.h>
#include <stdlib.h>

#include "pipeline/extract_int.h"
#include "base/log.h"
#include "base/xalloc.h"

#define ZIP_CHUNK (64 * 1024)

/* Refuse an entry by its declared sizes. */
static enum mtag_err check_sizes(const zip_stat_t *st, uint64_t max, char *err, size_t errlen)
{
	uint64_t size = st->size;
	uint64_t comp = (st->valid & ZIP_STAT_COMP_SIZE) ? st->comp_size : 0;
	if (size > EXTRACT_ZIP_BOMB_MIN && size / (comp ? comp : 1) > EXTRACT_ZIP_BOMB_RATIO) {
		char name[160]; /* the file's own text: quoted, never a key=value of its own */
		log_info("extract.zip_bomb", "entry=%s size=%" PRIu64 " compressed=%" PRIu64,
			 log_quote(name, sizeof(name), st->name ? st->name : ""), size, comp);
		return extract_fail(err, errlen, ERR_VALIDATION, "unsupported type: zip bomb");
	}
	if (size > max)
		return extract_fail(err, errlen, ERR_VALIDATION,
				    "document too large: %s inflates to %" PRIu64 " MB, more than %" PRIu64 " MB",
				    st->name, size >> 20, max >> 20);
	return ERR_OK;
}

static enum mtag_err pump(zip_file_t *f, const zip_stat_t *st, uint64_t max,
			  extract_zip_sink sink, void *user, char *err, size_t errlen)
{
	/* Never more than the entry claims, and never more than the cap. */
	uint64_t limit = (st->valid & ZIP_STAT_SIZE) && st->size < max ? st->size : max;
	uint64_t total = 0;
	enum mtag_err e = ERR_OK;
	char *chunk = xmalloc(ZIP_CHUNK);
	for (;;) {
		zip_int64_t n = zip_fread(f, chunk, ZIP_CHUNK);
		if (n < 0) {
			e = extract_fail(err, errlen, ERR_VALIDATION, "corrupt zip entry %s: %s",
					 st->name, zip_file_strerror(f));
			break;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > limit) {
			e = extract_fail(err, errlen, ERR_VALIDATION,
					 "corrupt zip entry %s: it inflates to more than it declares",
					 st->name);
			break;
		}
		if (!sink(user, chunk, (size_t)n))
			break;
	}
	free(chunk);
	return e;
}

enum mtag_err extract_zip_stream(zip_t *za, const char *name, uint64_t max,
				 extract_zip_sink sink, void *user, char *err, size_t errlen)
{
	zip_int64_t idx = zip_name_locate(za, name, 0);
	if (idx < 0)
		return ERR_NOT_FOUND;
	zip_stat_t st;
	zip_stat_init(&st);
	if (zip_stat_index(za, (zip_uint64_t)idx, 0, &st) != 0)
		return extract_fail(err, errlen, ERR_VALIDATION, "corrupt zip entry %s: %s",
				    name, zip_strerror(za));
	st.name = name;
	if (max > EXTRACT_ZIP_ENTRY_MAX)
		max = EXTRACT_ZIP_ENTRY_MAX;
	enum mtag_err e = (st.valid & ZIP_STAT_SIZE) ? check_sizes(&st, max, err, errlen) : ERR_OK;
	if (e)
		return e;
	zip_file_t *f = zip_fopen_index(za, (zip_uint64_t)idx, 0);
	if (!f)
		return extract_fail(err, errlen, ERR_VALIDATION, "corrupt zip entry %s: %s",
				    name, zip_strerror(za));
	e = pump(f, &st, max, sink, user, err, errlen);
	zip_fclose(f);
	return e;
}

static bool sink_buf(void *user, const char *data, size_t n)
{
	buf_append(user, data, n);
	return true;
}

enum mtag_err extract_zip_read_buf(zip_t *za, const char *name, size_t max, struct buf *b,
				   char *err, size_t errlen)
{
	return extract_zip_stream(za, name, max, sink_buf, b, err, errlen);
}
