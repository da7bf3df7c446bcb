/*
 * extract_office.c - DOCX and ODT: zip entries streamed through expat.
 *
 * DOCX: word/document.xml gives the text (w:t runs; w:p ends a line, w:tab
 * and w:br inside a run are a tab and a line break; mc:Fallback copies of
 * text boxes and w:moveFrom text are skipped, deleted text is never in w:t),
 * docProps/core.xml
 * and docProps/app.xml the properties. ODT: content.xml (text:p and text:h
 * lines, text:s spaces, text:tab, text:line-break; white space collapsed as
 * ODF says; tracked changes and annotations skipped), meta.xml the
 * properties. Entries are read through extract_zip_stream(), which refuses
 * bombs; a DTD in any entry is refused (neither format has one).
 */
#include <stdlib.h>
#include <string.h>

#include <expat.h>

#include "pipeline/extract_int.h"
#include "base/xalloc.h"

#define NS_W "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
#define NS_W_STRICT "http://purl.oclc.org/ooxml/wordprocessingml/main"
#define NS_MC "http://schemas.openxmlformats.org/markup-compatibility/2006"
#define NS_TEXT "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
#define NS_OFFICE "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
#define NS_META "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
#define NS_DC "http://purl.org/dc/elements/1.1/"
#define NS_DCTERMS "http://purl.org/dc/terms/"
#define NS_CP "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
#define NS_APP "http://schemas.openxmlformats.org/officeDocument/2006/extended-properties"

#define META_ENTRY_MAX ((uint64_t)1 << 20)

/* Property slots; the second of a pair is used when the first is absent. */
enum { P_TITLE, P_AUTHOR, P_AUTHOR2, P_SUBJECT, P_SUBJECT2, P_KEYWORDS, P_CREATOR,
       P_CREATED, P_MODIFIED, P__COUNT };

static const struct {
	const char *ns, *local;
	int slot;
} prop_names[] = {
	{ NS_DC, "title", P_TITLE },
	{ NS_META, "initial-creator", P_AUTHOR },
	{ NS_DC, "creator", P_AUTHOR2 },
	{ NS_DC, "subject", P_SUBJECT },
	{ NS_DC, "description", P_SUBJECT2 },
	{ NS_CP, "keywords", P_KEYWORDS },
	{ NS_META, "keyword", P_KEYWORDS },
	{ NS_META, "generator", P_CREATOR },
	{ NS_APP, "Application", P_CREATOR },
	{ NS_DCTERMS, "created", P_CREATED },
	{ NS_META, "creation-date", P_CREATED },
	{ NS_DCTERMS, "modified", P_MODIFIED },
	{ NS_DC, "date", P_MODIFIED },
};

struct xml_job {
	XML_Parser p;
	const char *label;       /* "DOCX" or "ODT", for messages */
	struct extract_out *o;   /* the body text; NULL while reading properties */
	bool full;               /* the text reached its cap */
	bool dtd;                /* the entry declared a DTD */
	bool xml_error;          /* expat refused the entry */
	int skip;                /* depth inside skipped elements */
	int text;                /* depth inside elements whose character data is text */
	int run;                 /* DOCX: depth inside w:r */
	struct arena *a;
	const char *props[P__COUNT];
	int slot;                /* property being read, or -1 */
	struct buf val;          /* its value so far */
};

/* The local part of an expat "uri|local" name when its namespace is ns, else NULL. */
static const char *local_in(const char *name, const char *ns)
{
	size_t n = strlen(ns);
	return strncmp(name, ns, n) == 0 && name[n] == '|' ? name + n + 1 : NULL;
}

static const char *docx_local(const char *name)
{
	const char *l = local_in(name, NS_W);
	return l ? l : local_in(name, NS_W_STRICT);
}

static void put_char(struct xml_job *j, char c)
{
	if (!extract_out_char(j->o, c))
		j->full = true;
}

static void put_break(struct xml_job *j)
{
	if (!extract_out_break(j->o))
		j->full = true;
}

static void XMLCALL on_text(void *user, const XML_Char *s, int len)
{
	struct xml_job *j = user;
	if (j->slot >= 0) {
		buf_append(&j->val, s, (size_t)len); /* past the cap, later pieces are dropped */
		return;
	}
	if (j->o && j->text > 0 && !j->skip && !j->full && !extract_out_text(j->o, s, (size_t)len))
		j->full = true;
	if (j->full)
		XML_StopParser(j->p, XML_FALSE);
}

/* mc:Fallback repeats mc:Choice; w:moveFrom is text moved to a w:moveTo. */
static bool docx_skipped(const char *name)
{
	const char *mc = local_in(name, NS_MC), *w = docx_local(name);
	return (mc && strcmp(mc, "Fallback") == 0) || (w && strcmp(w, "moveFrom") == 0);
}

static void XMLCALL docx_start(void *user, const XML_Char *name, const XML_Char **atts)
{
	struct xml_job *j = user;
	(void)atts;
	const char *l = docx_local(name);
	if (docx_skipped(name))
		j->skip++;
	if (!l || j->skip)
		return;
	if (strcmp(l, "t") == 0)
		j->text++;
	else if (strcmp(l, "r") == 0)
		j->run++;
	else if (j->run && strcmp(l, "tab") == 0)
		put_char(j, '\t');
	else if (j->run && (strcmp(l, "br") == 0 || strcmp(l, "cr") == 0))
		put_char(j, '\n');
	else if (j->run && strcmp(l, "noBreakHyphen") == 0)
		put_char(j, '-');
}

static void XMLCALL docx_end(void *user, const XML_Char *name)
{
	struct xml_job *j = user;
	const char *l = docx_local(name);
	if (docx_skipped(name)) {
		j->skip--;
		return;
	}
	if (!l || j->skip)
		return;
	if (strcmp(l, "t") == 0)
		j->text--;
	else if (strcmp(l, "r") == 0)
		j->run--;
	else if (strcmp(l, "p") == 0)
		put_break(j);
	if (j->full)
		XML_StopParser(j->p, XML_FALSE);
}

static bool odt_skipped(const char *name)
{
	const char *t = local_in(name, NS_TEXT), *o = local_in(name, NS_OFFICE);
	return (t && (strcmp(t, "tracked-changes") == 0 || strcmp(t, "note-citation") == 0)) ||
	       (o && strcmp(o, "annotation") == 0);
}

/* text:c of a text:s element: how many spaces (1 when absent, at most 1000). */
static int odt_spaces(const XML_Char **atts)
{
	for (int i = 0; atts[i]; i += 2) {
		const char *l = local_in(atts[i], NS_TEXT);
		if (l && strcmp(l, "c") == 0) {
			long c = strtol(atts[i + 1], NULL, 10);
			return c < 1 ? 1 : c > 1000 ? 1000 : (int)c;
		}
	}
	return 1;
}

static void XMLCALL odt_start(void *user, const XML_Char *name, const XML_Char **atts)
{
	struct xml_job *j = user;
	const char *l = local_in(name, NS_TEXT);
	if (odt_skipped(name))
		j->skip++;
	if (!l || j->skip)
		return;
	if (strcmp(l, "p") == 0 || strcmp(l, "h") == 0) {
		put_break(j);
		j->text++;
	} else if (strcmp(l, "s") == 0) {
		for (int n = odt_spaces(atts); n > 0 && !j->full; n--)
			put_char(j, ' ');
	} else if (strcmp(l, "tab") == 0) {
		put_char(j, '\t');
	} else if (strcmp(l, "line-break") == 0) {
		put_char(j, '\n');
	}
}

static void XMLCALL odt_end(void *user, const XML_Char *name)
{
	struct xml_job *j = user;
	const char *l = local_in(name, NS_TEXT);
	if (odt_skipped(name)) {
		j->skip--;
		return;
	}
	if (l && !j->skip && (strcmp(l, "p") == 0 || strcmp(l, "h") == 0)) {
		j->text--;
		put_break(j);
	}
	if (j->full)
		XML_StopParser(j->p, XML_FALSE);
}

static void XMLCALL prop_start(void *user, const XML_Char *name, const XML_Char **atts)
{
	struct xml_job *j = user;
	(void)atts;
	if (j->slot >= 0)
		return;
	for (size_t i = 0; i < sizeof(prop_names) / sizeof(prop_names[0]); i++) {
		const char *l = local_in(name, prop_names[i].ns);
		if (l && strcmp(l, prop_names[i].local) == 0) {
			j->slot = prop_names[i].slot;
			buf_reset(&j->val);
			return;
		}
	}
}

static void XMLCALL prop_end(void *user, const XML_Char *name)
{
	struct xml_job *j = user;
	(void)name;
	if (j->slot < 0)
		return;
	const char *v = extract_prop(j->a, j->val.ptr, j->val.len);
	const char **slot = &j->props[j->slot];
	if (v && *slot && j->slot == P_KEYWORDS)  /* ODT: one meta:keyword each */
		*slot = arena_printf(j->a, "%s, %s", *slot, v);
	else if (v && !*slot)
		*slot = v;
	j->slot = -1;
}

static void XMLCALL on_doctype(void *user, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	struct xml_job *j = user;
	(void)name, (void)sysid, (void)pubid, (void)has_internal_subset;
	j->dtd = true;
	XML_StopParser(j->p, XML_FALSE);
}

static bool xml_sink(void *user, const char *data, size_t n)
{
	struct xml_job *j = user;
	if (XML_Parse(j->p, data, (int)n, XML_FALSE) == XML_STATUS_ERROR) {
		j->xml_error = !j->full;
		return false;
	}
	return !j->full;
}

/* Stream one entry through expat with the given handlers. ERR_NOT_FOUND when absent. */
static enum mtag_err parse_entry(struct xml_job *j, zip_t *za, const char *entry, uint64_t max,
				 XML_StartElementHandler start, XML_EndElementHandler end,
				 char *err, size_t errlen)
{
	j->p = XML_ParserCreateNS(NULL, '|');
	XML_SetUserData(j->p, j);
	XML_SetElementHandler(j->p, start, end);
	XML_SetCharacterDataHandler(j->p, on_text);
	XML_SetStartDoctypeDeclHandler(j->p, on_doctype);
	j->skip = j->text = j->run = 0;
	j->slot = -1;
	j->xml_error = j->dtd = false;
	enum mtag_err e = extract_zip_stream(za, entry, max, xml_sink, j, err, errlen);
	if (!e && !j->full && !j->xml_error && !j->dtd &&
	    XML_Parse(j->p, "", 0, XML_TRUE) == XML_STATUS_ERROR)
		j->xml_error = !j->full;
	if (!e && j->dtd)
		e = extract_fail(err, errlen, ERR_VALIDATION, "corrupt %s: %s declares a DTD",
				 j->label, entry);
	else if (!e && j->xml_error)
		e = extract_fail(err, errlen, ERR_VALIDATION, "corrupt %s: %s line %lu: %s", j->label,
				 entry, (unsigned long)XML_GetCurrentLineNumber(j->p),
				 XML_ErrorString(XML_GetErrorCode(j->p)));
	XML_ParserFree(j->p);
	j->p = NULL;
	return e;
}

/* The property entries: optional, and a broken one only loses its properties. */
static void read_props(struct xml_job *j, zip_t *za, bool odt, struct extract_result *out)
{
	char ignored[256];
	struct extract_out *o = j->o;
	j->o = NULL;
	buf_init(&j->val, EXTRACT_PROP_MAX);
	if (odt) {
		parse_entry(j, za, "meta.xml", META_ENTRY_MAX, prop_start, prop_end, ignored, sizeof(ignored));
	} else {
		parse_entry(j, za, "docProps/core.xml", META_ENTRY_MAX, prop_start, prop_end, ignored, sizeof(ignored));
		parse_entry(j, za, "docProps/app.xml", META_ENTRY_MAX, prop_start, prop_end, ignored, sizeof(ignored));
	}
	buf_release(&j->val);
	j->o = o;
	const char **p = j->props;
	out->title = p[P_TITLE];
	out->author = p[P_AUTHOR] ? p[P_AUTHOR] : p[P_AUTHOR2];
	out->subject = p[P_SUBJECT] ? p[P_SUBJECT] : p[P_SUBJECT2];
	out->keywords = p[P_KEYWORDS];
	out->creator = p[P_CREATOR];
	out->created = p[P_CREATED];
	out->modified = p[P_MODIFIED];
}

enum mtag_err extract_office(struct arena *a, const char *path, const struct extract_limits *l,
			     struct extract_result *out, char *err, size_t errlen)
{
	bool odt = out->type == EXTRACT_ODT;
	struct xml_job j = { .label = odt ? "ODT" : "DOCX", .a = a, .slot = -1 };
	int zerr = 0;
	zip_t *za = zip_open(path, ZIP_RDONLY, &zerr);
	if (!za) {
		zip_error_t ze;
		zip_error_init_with_code(&ze, zerr);
		enum mtag_err e = extract_fail(err, errlen, ERR_VALIDATION, "corrupt %s: %s", j.label,
					       zip_error_strerror(&ze));
		zip_error_fini(&ze);
		return e;
	}
	struct extract_out o;
	extract_out_init(&o, l->max_text, odt);
	j.o = &o;
	const char *entry = odt ? "content.xml" : "word/document.xml";
	enum mtag_err e = parse_entry(&j, za, entry, EXTRACT_ZIP_ENTRY_MAX,
				      odt ? odt_start : docx_start, odt ? odt_end : docx_end, err, errlen);
	if (e == ERR_NOT_FOUND)
		e = extract_fail(err, errlen, ERR_VALIDATION, "corrupt %s: %s is missing", j.label, entry);
	if (!e) {
		read_props(&j, za, odt, out);
		extract_out_trim_end(&o);
		out->page_count = 1;
		extract_out_finish(&o, a, out);
	}
	extract_out_release(&o);
	zip_discard(za);
	return e;
}
