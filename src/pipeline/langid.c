/*
 * langid.c - language detection with libexttextcat (Cavnar & Trenkle n-gram
 * fingerprints, Debian's libexttextcat-data).
 *
 * textcat_ClassifyFull answers the languages whose distance is within 3% of
 * the best one (at most 5; more means "unknown"), best first. Unrestricted,
 * the first of those with an ISO 639-1 code wins. Restricted to allowed
 * codes, the first of those that is allowed wins: an allowed language that is
 * not a near-tie of the best guess is not close enough, and the answer is
 * "und" (a French text with allowed {en, de} is "und", not "en").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <textcat.h>

#include "pipeline/langid.h"
#include "base/utf8.h"
#include "base/xalloc.h"

#define LANGID_CONF "/usr/share/libexttextcat/fpdb.conf"
#define LANGID_PREFIX "/usr/share/libexttextcat/"
#define LANGID_MAX_BYTES (64 * 1024)
/* Below this size (textcat counts the bytes it keeps) the answer is SHORT: "und".
 * 25 still let "Hello world, how are you today?" pass as Afrikaans. */
#define LANGID_MIN_DOC 40

struct langid {
	void *tc;                 /* textcat handle: not thread-safe */
	candidate_t *cands;       /* textcat_ClassifyFull output, one per fingerprint */
};

/*
 * The fingerprints of fpdb.conf that have an ISO 639-1 code, by the first
 * part of their name ("en--utf8", "zh-CN-utf8"). "sh" (Serbian in Latin
 * script) is Serbian. Three-letter-only languages are not listed: "und".
 */
static const char *const iso639_1[] = {
	"af", "am", "ar", "ay", "az", "be", "bg", "bi", "bm", "bn", "bo", "br", "bs", "ca",
	"cs", "cy", "da", "de", "dv", "ee", "el", "en", "eo", "es", "et", "eu", "fa", "fi",
	"fj", "fo", "fr", "fy", "ga", "gd", "gl", "gu", "gv", "ha", "he", "hi", "hr", "ht",
	"hu", "hy", "ia", "id", "is", "it", "ja", "ka", "kk", "kl", "km", "kn", "ko", "ky",
	"la", "lb", "lg", "ln", "lo", "lt", "lv", "mi", "mk", "ml", "mn", "mr", "ms", "mt",
	"my", "nb", "ne", "nl", "nn", "nr", "ny", "oc", "om", "pa", "pl", "pt", "rm", "ro",
	"ru", "rw", "sa", "sc", "sd", "se", "sg", "si", "sk", "sl", "so", "sq", "sr", "ss",
	"st", "sv", "sw", "ta", "tg", "th", "ti", "tk", "tl", "tn", "tr", "ts", "tt", "ty",
	"ug", "uk", "ur", "uz", "ve", "vi", "wa", "xh", "yi", "yo", "zh", "zu",
};

struct langid *langid_new(char *err, size_t errlen)
{
	void *tc = special_textcat_Init(LANGID_CONF, LANGID_PREFIX);
	if (!tc) {
		if (err && errlen)
			snprintf(err, errlen, "cannot load the language fingerprints %s", LANGID_CONF);
		return NULL;
	}
	textcat_SetProperty(tc, TCPROP_MINIMUM_DOCUMENT_SIZE, LANGID_MIN_DOC);
	struct langid *l = xcalloc(1, sizeof(*l));
	l->tc = tc;
	l->cands = textcat_GetClassifyFullOutput(tc);
	return l;
}

void langid_free(struct langid *l)
{
	if (!l)
		return;
	textcat_ReleaseClassifyFullOutput(l->tc, l->cands);
	textcat_Done(l->tc);
	free(l);
}

/* The ISO 639-1 code of a fingerprint name ("[pt--utf8]", "zh-TW-utf8"), or NULL. */
static const char *name_to_iso(const char *name)
{
	if (!name)
		return NULL;
	name += name[0] == '[';
	size_t n = strcspn(name, "-]");
	if (n != 2)
		return NULL;
	if (!strncmp(name, "sh", 2))
		return "sr";
	for (size_t i = 0; i < sizeof(iso639_1) / sizeof(iso639_1[0]); i++)
		if (!strncmp(name, iso639_1[i], 2))
			return iso639_1[i];
	return NULL;
}

/* Whether code ("fr") is one of allowed (compared on the primary subtag, any case). */
static int is_allowed(const char *code, const char *const *allowed, size_t nallowed)
{
	for (size_t i = 0; i < nallowed; i++) {
		const char *a = allowed[i];
		if (a && strcspn(a, "-_") == 2 && !strncasecmp(a, code, 2))
			return 1;
	}
	return 0;
}

/* At most max bytes of text, not cutting a UTF-8 sequence. */
static size_t cut_utf8(const char *text, size_t len, size_t max)
{
	if (len <= max)
		return len;
	return utf8_cut(text, max);
}

const char *langid_detect(struct langid *l, const char *text, size_t len,
			  const char *const *allowed, size_t nallowed)
{
	if (!l || !text || !len)
		return "und";
	len = cut_utf8(text, len, LANGID_MAX_BYTES);
	int n = textcat_ClassifyFull(l->tc, text, len, l->cands);
	if (n <= 0) /* TEXTCAT_RESULT_SHORT or _UNKNOWN (too many near-ties) */
		return "und";
	for (int i = 0; i < n; i++) {
		const char *code = name_to_iso(l->cands[i].name);
		if (code && (!allowed || !nallowed || is_allowed(code, allowed, nallowed)))
			return code;
	}
	return "und";
}
