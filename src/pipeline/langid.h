/*
 * langid.h - language detection with libexttextcat and Debian's fingerprints,
 * answering ISO 639-1 codes ("en", "fr"), or "und" when the text is too short
 * or the language unknown.
 *
 * A struct langid holds a textcat handle, which is not thread-safe: one per
 * thread (or per helper process). The first 64 KB of text are enough and
 * keep the cost bounded.
 */
#ifndef MTAG_LANGID_H
#define MTAG_LANGID_H

#include <stddef.h>

struct langid;

/* A detector; NULL when the fingerprints cannot be loaded (err says why). */
struct langid *langid_new(char *err, size_t errlen);
/* Free the detector; NULL is a no-op. */
void langid_free(struct langid *l);
/*
 * The language of text: an ISO 639-1 code from a static table, or "und".
 * With allowed (n codes, e.g. {"en","fr"}), the best of those only: a text
 * that matches none of them well is "und".
 */
const char *langid_detect(struct langid *l, const char *text, size_t len,
			  const char *const *allowed, size_t nallowed);

#endif
