/*
 * sheet_zip.c - zip members of XLSX and ODS files, streamed into expat,
 * without trusting their headers.
 *
 * A member's declared size is checked against sheet_limits.max_member before
 * a byte is inflated (a zip bomb declaring 1 GB is refused at once), and the
 * bytes actually inflated are counted, so a member that declares less than
 * it holds is cut off at its claim. The spreadsheet formats have no DTD, so
 * a member that declares one is refused (no entity expansion, ever).
 * Unlike extract_zip.c, there is no compression-ratio rule: sheet XML is
 * very repetitive and legitimately compresses 100:1 and more, so the cap is
 * the member size itself.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/sheet_int.h"
#include "base/xalloc.h"

#define ZIP_CHUNK (64 * 1024)

static enum mtag_err pump(zip_file_t *f, const char *name, uint64_t declared, uint64_t max,
			  sheet_zip_sink sink, void *user, char *err, size_t errlen)
{
	uint64_t total = 0;
	enum mtag_err e = ERR_OK;
	char *chunk = xmalloc(ZIP_CHUNK);
	char size[32];
	for (;;) {
		zip_int64_t n = zip_fread(f, chunk, ZIP_CHUNK);
		if (n < 0) {
			e = sheet_error(err, errlen, ERR_VALIDATION, "damaged zip member %s: %s",
					name, zip_file_strerror(f));
			break;
		}
		if (n == 0)
			break;
		total += (uint64_t)n;
		if (total > max) {
			e = sheet_error(err, errlen, ERR_TOO_LARGE,
					"zip member %s would inflate to more than %s", name,
					sheet_size_text(max, size));
			break;
		}
		if (total > declared) {
			e = sheet_error(err, errlen, ERR_VALIDATION,
					"damaged zip member %s: it inflates to more than it declares", name);
			break;
		}
		if (!sink(user, chunk, (size_t)n))
			break;
	}
	free(chunk);
	return e;
}

enum mtag_err sheet_zip_stream(zip_t *za, const char *name, const struct sheet_limits *l,
			       sheet_zip_sink sink, void *user, char *err, size_t errlen)
{
	zip_int64_t idx = zip_name_locate(za, name, 0);
	if (idx < 0)
		return ERR_NOT_FOUND;
	zip_stat_t st;
	zip_stat_init(&st);
	if (zip_stat_index(za, (zip_uint64_t)idx, 0, &st) != 0)
		return sheet_error(err, errlen, ERR_VALIDATION, "damaged zip member %s: %s", name,
				   zip_strerror(za));
	char size[32];
	uint64_t declared = (st.valid & ZIP_STAT_SIZE) ? st.size : UINT64_MAX;
	if (declared != UINT64_MAX && declared > l->max_member)
		return sheet_error(err, errlen, ERR_TOO_LARGE,
				   "zip member %s would inflate to more than %s", name,
				   sheet_size_text(l->max_member, size));
	zip_file_t *f = zip_fopen_index(za, (zip_uint64_t)idx, 0);
	if (!f)
		return sheet_error(err, errlen, ERR_VALIDATION, "damaged zip member %s: %s", name,
				   zip_strerror(za));
	enum mtag_err e = pump(f, name, declared, l->max_member, sink, user, err, errlen);
	zip_fclose(f);
	return e;
}

/* ---- expat ------------------------------------------------------------------- */

const char *sheet_xml_local(const char *name)
{
	const char *bar = strrchr(name, '|');
	return bar ? bar + 1 : name;
}

const char *sheet_xml_attr(const char **atts, const char *local, bool bare)
{
	for (size_t i = 0; atts[i]; i += 2) {
		const char *bar = strrchr(atts[i], '|');
		if (bare ? !bar && !strcmp(atts[i], local) : bar && !strcmp(bar + 1, local))
			return atts[i + 1];
	}
	return NULL;
}

void sheet_xml_stop(struct sheet_xml *x)
{
	if (x->stopped)
		return;
	x->stopped = true;
	XML_StopParser(x->p, XML_FALSE);
}

static void XMLCALL on_doctype(void *user, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	struct sheet_xml *x = user;
	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	x->dtd = true;
	sheet_xml_stop(x);
}

struct feed {
	struct sheet_xml *x;
	bool xml_error;
};

static bool xml_sink(void *user, const char *data, size_t n)
{
	struct feed *f = user;
	if (XML_Parse(f->x->p, data, (int)n, XML_FALSE) == XML_STATUS_ERROR) {
		f->xml_error = !f->x->stopped;
		return false;
	}
	return !f->x->stopped;
}

enum mtag_err sheet_xml_parse(zip_t *za, const char *name, const char *label,
			      const struct sheet_limits *l, struct sheet_xml *x,
			      XML_StartElementHandler start, XML_EndElementHandler end,
			      XML_CharacterDataHandler text, char *err, size_t errlen)
{
	struct feed f = { x, false };
	x->p = XML_ParserCreateNS(NULL, '|');
	x->stopped = x->dtd = false;
	XML_SetUserData(x->p, x);
	XML_SetElementHandler(x->p, start, end);
	if (text)
		XML_SetCharacterDataHandler(x->p, text);
	XML_SetStartDoctypeDeclHandler(x->p, on_doctype);
	enum mtag_err e = sheet_zip_stream(za, name, l, xml_sink, &f, err, errlen);
	if (!e && !x->stopped && !f.xml_error && XML_Parse(x->p, "", 0, XML_TRUE) == XML_STATUS_ERROR)
		f.xml_error = !x->stopped;
	if (!e && x->dtd)
		e = sheet_error(err, errlen, ERR_VALIDATION, "malformed %s: %s declares a DTD", label, name);
	else if (!e && f.xml_error)
		e = sheet_error(err, errlen, ERR_VALIDATION, "malformed %s: %s line %lu: %s", label, name,
				(unsigned long)XML_GetCurrentLineNumber(x->p),
				XML_ErrorString(XML_GetErrorCode(x->p)));
	XML_ParserFree(x->p);
	x->p = NULL;
	return e;
}
