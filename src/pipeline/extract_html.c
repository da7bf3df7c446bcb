/*
 * extract_html.c - HTML through libxml2's forgiving HTML parser.
 *
 * The title comes from <title>, author, description (subject), keywords and
 * generator (creator) from <meta name=...>. The text is the visible text of
 * the document: script, style, noscript, template, svg, math and the head
 * are skipped; block elements end lines, table cells are separated by a
 * space, white space is collapsed except inside <pre>. libxml2 decodes
 * entities and converts from the charset the document declares (or guesses)
 * to UTF-8; the text builder checks the UTF-8 again.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "pipeline/extract_int.h"
#include "base/xalloc.h"

#define HTML_MAX_BYTES ((size_t)64 << 20) /* more of a file is not read */

enum html_role { ROLE_INLINE, ROLE_SKIP, ROLE_BLOCK, ROLE_BREAK, ROLE_CELL, ROLE_PRE };

static const struct {
	const char *name;
	enum html_role role;
} html_roles[] = {
	{ "script", ROLE_SKIP }, { "style", ROLE_SKIP }, { "noscript", ROLE_SKIP },
	{ "template", ROLE_SKIP }, { "svg", ROLE_SKIP }, { "math", ROLE_SKIP },
	{ "head", ROLE_SKIP }, { "title", ROLE_SKIP }, { "select", ROLE_SKIP },
	{ "br", ROLE_BREAK }, { "hr", ROLE_BREAK },
	{ "td", ROLE_CELL }, { "th", ROLE_CELL },
	{ "pre", ROLE_PRE }, { "textarea", ROLE_PRE },
	{ "p", ROLE_BLOCK }, { "div", ROLE_BLOCK }, { "li", ROLE_BLOCK }, { "ul", ROLE_BLOCK },
	{ "ol", ROLE_BLOCK }, { "dl", ROLE_BLOCK }, { "dt", ROLE_BLOCK }, { "dd", ROLE_BLOCK },
	{ "h1", ROLE_BLOCK }, { "h2", ROLE_BLOCK }, { "h3", ROLE_BLOCK }, { "h4", ROLE_BLOCK },
	{ "h5", ROLE_BLOCK }, { "h6", ROLE_BLOCK }, { "tr", ROLE_BLOCK }, { "table", ROLE_BLOCK },
	{ "caption", ROLE_BLOCK }, { "section", ROLE_BLOCK }, { "article", ROLE_BLOCK },
	{ "aside", ROLE_BLOCK }, { "header", ROLE_BLOCK }, { "footer", ROLE_BLOCK },
	{ "nav", ROLE_BLOCK }, { "main", ROLE_BLOCK }, { "blockquote", ROLE_BLOCK },
	{ "address", ROLE_BLOCK }, { "figure", ROLE_BLOCK }, { "figcaption", ROLE_BLOCK },
	{ "form", ROLE_BLOCK }, { "fieldset", ROLE_BLOCK }, { "legend", ROLE_BLOCK },
	{ "details", ROLE_BLOCK }, { "summary", ROLE_BLOCK }, { "dialog", ROLE_BLOCK },
	{ "center", ROLE_BLOCK }, { "option", ROLE_BLOCK }, { "body", ROLE_BLOCK },
};

static enum html_role role_of(const xmlNode *n)
{
	if (n->type != XML_ELEMENT_NODE)
		return ROLE_INLINE;
	for (size_t i = 0; i < sizeof(html_roles) / sizeof(html_roles[0]); i++)
		if (strcmp((const char *)n->name, html_roles[i].name) == 0)
			return html_roles[i].role;
	return ROLE_INLINE;
}

struct html_walk {
	struct extract_out *o;
	int pre;   /* depth of <pre> elements around the current node */
	bool full; /* the text reached its cap */
};

/* Entering n; true when its children are to be visited. */
static bool html_enter(struct html_walk *w, const xmlNode *n)
{
	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		const char *s = (const char *)n->content;
		if (s && !extract_out_text(w->o, s, strlen(s)))
			w->full = true;
		return false;
	}
	switch (role_of(n)) {
	case ROLE_SKIP:
		return false;
	case ROLE_BREAK:
		if (!extract_out_char(w->o, '\n'))
			w->full = true;
		return false;
	case ROLE_PRE:
		w->full = !extract_out_break(w->o);
		w->pre++;
		w->o->collapse = false;
		break;
	case ROLE_BLOCK:
		w->full = !extract_out_break(w->o);
		break;
	case ROLE_INLINE:
	case ROLE_CELL:
		break;
	}
	return n->type == XML_ELEMENT_NODE || n->type == XML_DOCUMENT_NODE ||
	       n->type == XML_HTML_DOCUMENT_NODE;
}

/* Leaving n, whose children (if any were visited) are done. */
static void html_leave(struct html_walk *w, const xmlNode *n)
{
	switch (role_of(n)) {
	case ROLE_PRE:
		if (--w->pre == 0)
			w->o->collapse = true;
		w->full = w->full || !extract_out_break(w->o);
		break;
	case ROLE_BLOCK:
		w->full = w->full || !extract_out_break(w->o);
		break;
	case ROLE_CELL:
		w->full = w->full || !extract_out_text(w->o, " ", 1);
		break;
	default:
		break;
	}
}

/* Depth-first over the tree without recursion (deep nesting cannot overflow the stack). */
static void html_walk_tree(struct html_walk *w, xmlNode *root)
{
	xmlNode *n = root;
	while (n && !w->full) {
		if (html_enter(w, n) && n->children) {
			n = n->children;
			continue;
		}
		for (;;) {
			html_leave(w, n);
			if (n == root) {
				n = NULL;
				break;
			}
			if (n->next) {
				n = n->next;
				break;
			}
			n = n->parent;
		}
	}
}

/* The first child element of n called name (the parser puts head under html, title under head). */
static xmlNode *child_element(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
			return c;
	return NULL;
}

static const char *node_prop(struct arena *a, xmlNode *n, const char *attr)
{
	xmlChar *v = attr ? xmlGetProp(n, (const xmlChar *)attr) : xmlNodeGetContent(n);
	const char *p = v ? extract_prop(a, (const char *)v, strlen((const char *)v)) : NULL;
	xmlFree(v);
	return p;
}

static void html_props(struct arena *a, xmlNode *head, struct extract_result *out)
{
	xmlNode *t = child_element(head, "title");
	out->title = t ? node_prop(a, t, NULL) : NULL;
	for (xmlNode *n = head ? head->children : NULL; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "meta") != 0)
			continue;
		xmlChar *name = xmlGetProp(n, (const xmlChar *)"name");
		const char *k = (const char *)name;
		const char **slot = !k ? NULL
			: !strcasecmp(k, "author") ? &out->author
			: !strcasecmp(k, "description") ? &out->subject
			: !strcasecmp(k, "keywords") ? &out->keywords
			: !strcasecmp(k, "generator") ? &out->creator : NULL;
		if (slot && !*slot)
			*slot = node_prop(a, n, "content");
		xmlFree(name);
	}
}

/* The first max bytes of the file (malloc'd). OUT: *len, *more (the file is longer). */
static char *read_capped(const char *path, size_t max, size_t *len, bool *more)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct stat st;
	size_t want = fstat(fileno(f), &st) == 0 && (uint64_t)st.st_size < max ? (size_t)st.st_size : max;
	char *data = xmalloc(want + 1);
	*len = fread(data, 1, want + 1, f);
	*more = *len > want;
	if (*len > want)
		*len = want;
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(data);
		return NULL;
	}
	return data;
}

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init(void)
{
	xmlInitParser();
}

enum mtag_err extract_html(struct arena *a, const char *path, const struct extract_limits *l,
			   struct extract_result *out, char *err, size_t errlen)
{
	pthread_once(&xml_once, xml_init);
	size_t len = 0;
	bool more = false;
	char *data = read_capped(path, HTML_MAX_BYTES, &len, &more);
	if (!data)
		return extract_fail(err, errlen, ERR_IO, "cannot read file");
	/* WHATWG: a byte order mark wins over any <meta charset>. libxml2 keeps a
	 * UTF-16 one, but lets the meta override a UTF-8 one (a page saved as UTF-8
	 * from a windows-1251 template became mojibake); naming the encoding stops that. */
	const char *enc = NULL;
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		enc = "UTF-8";
	/* XML_PARSE_HUGE: past 256 nested elements (old pages leave <font> and <div>
	 * unclosed) the parser dropped the rest of the text; the input is capped above. */
	htmlDocPtr doc = htmlReadMemory(data, (int)len, NULL, enc,
					HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET |
					HTML_PARSE_RECOVER | HTML_PARSE_COMPACT | XML_PARSE_HUGE);
	free(data);
	if (!doc)
		return extract_fail(err, errlen, ERR_VALIDATION, "corrupt HTML: it cannot be parsed");
	xmlNode *root = xmlDocGetRootElement(doc);
	html_props(a, child_element(root, "head"), out);
	struct extract_out o;
	extract_out_init(&o, l->max_text, true);
	struct html_walk w = { &o, 0, false };
	if (root)
		html_walk_tree(&w, root);
	xmlFreeDoc(doc);
	extract_out_trim_end(&o);
	out->page_count = 1;
	out->truncated = more;
	extract_out_finish(&o, a, out);
	extract_out_release(&o);
	return ERR_OK;
}
