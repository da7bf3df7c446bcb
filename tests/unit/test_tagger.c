#include <libstemmer.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"
#include "base/arena.h"
#include "base/embed.h"
#include "pipeline/tagger.h"
#include "base/xalloc.h"

extern const struct embed_file pipeline_stopwords[];
extern const struct embed_file pipeline_lexicon[];

static const char english[] =
	"Solar panels on public libraries\n"
	"The city council approved a plan to install solar panels on the roofs of its public "
	"libraries. The solar panels will produce electricity for the reading rooms, and the "
	"council expects the libraries to save money on energy bills within five years. Critics "
	"of the plan said that solar panels are expensive to maintain, but the energy agency "
	"answered that modern solar panels need little maintenance. The first library to get "
	"solar panels is the central library, whose roof faces south. Energy bills of public "
	"libraries have doubled since 2015, and the council hopes that renewable energy will "
	"keep the libraries open longer in winter.";

static const char french[] =
	"Le développement durable des villes\n"
	"Le conseil municipal a présenté mardi son plan de développement durable. Les "
	"développements prévus concernent les transports publics, les pistes cyclables et la "
	"rénovation des écoles. Selon le maire, le développement des transports publics doit "
	"réduire la pollution de l'air. Les habitants pourront donner leur avis sur les "
	"développements urbains lors d'une réunion publique en mai. La rénovation des écoles "
	"commencera l'été prochain.";

struct run {
	struct arena a;
	struct tag *tags;
	size_t n;
	enum mtag_err err;
};

static struct tagger *tg;

static void tag(struct run *r, const char *text, size_t len, const char *lang, int max)
{
	arena_init(&r->a);
	r->err = tagger_extract(tg, &r->a, text, len, lang, max, &r->tags, &r->n);
}

static bool is_stopword(const char *lang_file, const char *w, size_t n)
{
	const struct embed_file *f = embed_find(pipeline_stopwords, lang_file);
	const char *p = (const char *)f->data, *end = p + f->len;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);
		if (len == n && !memcmp(p, w, n))
			return true;
		p += len + 1;
	}
	return false;
}

/* The tag's words, lower-cased (ASCII) and stemmed, joined by '|'. */
static void stem_key(struct sb_stemmer *st, const char *text, char *out, size_t outlen)
{
	char word[256];
	size_t o = 0;
	out[0] = '\0';
	for (const char *p = text; *p;) {
		size_t n = strcspn(p, " ");
		if (n >= sizeof(word))
			n = sizeof(word) - 1;
		for (size_t i = 0; i < n; i++)
			word[i] = (char)(p[i] >= 'A' && p[i] <= 'Z' ? p[i] + 32 : p[i]);
		const sb_symbol *s = sb_stemmer_stem(st, (const sb_symbol *)word, (int)n);
		o += (size_t)snprintf(out + o, outlen - o, "%.*s|", sb_stemmer_length(st),
				      (const char *)s);
		p += n + (p[n] == ' ');
	}
}

static bool valid_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		size_t n = *p < 0x80 ? 1 : (*p >> 5) == 6 ? 2 : (*p >> 4) == 14 ? 3 : (*p >> 3) == 30 ? 4 : 0;
		if (!n)
			return false;
		for (size_t i = 1; i < n; i++)
			if ((p[i] & 0xC0) != 0x80)
				return false;
		p += n;
	}
	return true;
}

static void test_deterministic(void)
{
	struct run r1, r2;
	tag(&r1, english, strlen(english), "en", 10);
	struct tagger *other = tagger_new();
	struct tagger *keep = tg;
	tg = other;
	tag(&r2, english, strlen(english), "en", 10);
	tg = keep;
	CHECK_INT(r1.err, ERR_OK);
	CHECK_INT(r2.err, ERR_OK);
	CHECK_INT(r1.n, 10);
	CHECK_INT(r1.n, r2.n);
	for (size_t i = 0; i < r1.n; i++) {
		CHECK_STR(r1.tags[i].text, r2.tags[i].text);
		CHECK(r1.tags[i].score == r2.tags[i].score);
	}
	CHECK_STR(r1.tags[0].text, "solar panels");
	tagger_free(other);
	arena_release(&r1.a);
	arena_release(&r2.a);
}

static void test_max_tags(void)
{
	static const int asks[] = { 1, 5, 100 };
	for (size_t i = 0; i < 3; i++) {
		struct run r;
		tag(&r, english, strlen(english), "en", asks[i]);
		CHECK_INT(r.err, ERR_OK);
		CHECK(r.n >= 1 && r.n <= (size_t)asks[i]);
		if (asks[i] <= 5)
			CHECK_INT(r.n, asks[i]);
		arena_release(&r.a);
	}
	struct run r;
	tag(&r, english, strlen(english), "en", 0);
	CHECK_INT(r.err, ERR_VALIDATION);
	CHECK_INT(r.n, 0);
	arena_release(&r.a);
	tag(&r, english, strlen(english), "en", TAGGER_MAX_TAGS + 1);
	CHECK_INT(r.err, ERR_VALIDATION);
	arena_release(&r.a);
}

static void test_tags_are_clean(void)
{
	static const struct {
		const char *text, *lang, *file, *stemmer;
	} cases[] = {
		{ english, "en", "en.txt", "english" },
		{ french, "fr", "fr.txt", "french" },
	};
	for (size_t c = 0; c < 2; c++) {
		struct run r;
		struct sb_stemmer *st = sb_stemmer_new(cases[c].stemmer, "UTF_8");
		char (*keys)[512] = xcalloc(TAGGER_MAX_TAGS, sizeof(*keys));
		tag(&r, cases[c].text, strlen(cases[c].text), cases[c].lang, 100);
		CHECK_INT(r.err, ERR_OK);
		CHECK(r.n >= 5);
		CHECK(r.tags[0].score == 1.0);
		for (size_t i = 0; i < r.n; i++) {
			const char *t = r.tags[i].text;
			CHECK(r.tags[i].score > 0 && r.tags[i].score <= 1.0);
			if (i)
				CHECK(r.tags[i].score <= r.tags[i - 1].score);
			/* no word of a tag is a stopword (so no tag is only stopwords) */
			for (const char *p = t; *p;) {
				size_t n = strcspn(p, " ");
				char low[128];
				for (size_t k = 0; k < n && k < sizeof(low); k++)
					low[k] = (char)(p[k] >= 'A' && p[k] <= 'Z' ? p[k] + 32 : p[k]);
				if (is_stopword(cases[c].file, low, n))
					FAIL_AT("tag \"%s\" holds a stopword", t);
				p += n + (p[n] == ' ');
			}
			stem_key(st, t, keys[i], sizeof(keys[i]));
			for (size_t j = 0; j < i; j++)
				if (!strcmp(keys[i], keys[j]))
					FAIL_AT("\"%s\" and \"%s\" share their stems", t, r.tags[j].text);
		}
		free(keys);
		sb_stemmer_delete(st);
		arena_release(&r.a);
	}
}

/* "développement" and "développements" are one French stem: one candidate, one tag,
 * in the earlier of its two equally common forms. */
static void test_french_stems(void)
{
	static const char text[] =
		"La croissance de la région. Le développement de la région. La croissance de la "
		"ville. Les développements de la ville. La croissance du port. Le développement du "
		"port. Les développements du port.";
	struct run r;
	int singular = 0, plural = 0;
	tag(&r, text, strlen(text), "fr", 5);
	CHECK_INT(r.err, ERR_OK);
	for (size_t i = 0; i < r.n; i++) {
		singular += !strcmp(r.tags[i].text, "développement");
		plural += !strcmp(r.tags[i].text, "développements");
	}
	CHECK_INT(singular, 1);
	CHECK_INT(plural, 0);
	arena_release(&r.a);
	/* The longer text: one tag for "développement durable", stems shared by none other. */
	tag(&r, french, strlen(french), "fr", 3);
	CHECK_INT(r.err, ERR_OK);
	CHECK_STR(r.tags[0].text, "développement durable");
	arena_release(&r.a);
}

static void test_surface_form(void)
{
	/* "Neural" at a sentence start is folded: the word is lower case elsewhere. */
	static const char text[] = "Neural networks are popular. We train neural networks on "
				   "images. Deep neural networks are large. The neural networks are fast.";
	struct run r;
	tag(&r, text, strlen(text), "en", 3);
	CHECK_INT(r.err, ERR_OK);
	CHECK(r.n >= 1);
	CHECK_STR(r.tags[0].text, "neural networks");
	arena_release(&r.a);
	static const char names[] = "Yesterday the Paris Opera opened. Critics loved the Paris "
				    "Opera and its new ballet. The ballet ran late.";
	tag(&r, names, strlen(names), "en", 3);
	CHECK_INT(r.err, ERR_OK);
	CHECK_STR(r.tags[0].text, "Paris Opera");
	arena_release(&r.a);
	/* A name only ever at a line's start keeps its capital: nothing says it is lower case. */
	static const char lines[] = "Angela Merkel visited Stuttgart.\nAngela Merkel spoke with workers.\n";
	tag(&r, lines, strlen(lines), "en", 5);
	CHECK_INT(r.err, ERR_OK);
	bool folded = false, kept = false;
	for (size_t i = 0; i < r.n; i++) {
		folded |= strstr(r.tags[i].text, "angela") != NULL;
		kept |= strstr(r.tags[i].text, "Angela Merkel") != NULL;
	}
	CHECK(kept);
	CHECK(!folded);
	arena_release(&r.a);
}

/* Whether the tags of r hold the phrase (exactly) / a tag with the word (a whole word). */
static bool has_tag(const struct run *r, const char *phrase)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->tags[i].text, phrase))
			return true;
	return false;
}

static bool has_word(const struct run *r, const char *word)
{
	size_t n = strlen(word);
	for (size_t i = 0; i < r->n; i++)
		for (const char *p = r->tags[i].text; (p = strstr(p, word)); p += n)
			if ((p == r->tags[i].text || p[-1] == ' ') && (p[n] == ' ' || !p[n]))
				return true;
	return false;
}

/* English word classes (data/lexicon/en.txt, from WordNet): verbs end phrases, adjectives
 * end none, an -ing form after a noun is a noun; verbs are also told by their neighbours. */
static void test_english_word_classes(void)
{
	const struct embed_file *f = embed_find(pipeline_lexicon, "en.txt");
	CHECK(f && strstr((const char *)f->data, "\n[verb]\n") && strstr((const char *)f->data, "WordNet"));
	static const char text[] =
		"Engineers assess controller performance with phase unwrapping. Using neural "
		"networks, the controllers implement a method for phase unwrapping. We assess "
		"controller performance again, and we model controller performance as neural. "
		"Phase unwrapping remains hard for neural networks.";
	struct run r;
	tag(&r, text, strlen(text), "en", 20);
	CHECK_INT(r.err, ERR_OK);
	CHECK(has_tag(&r, "controller performance"));
	CHECK(has_tag(&r, "phase unwrapping"));
	CHECK(has_tag(&r, "neural networks"));
	CHECK(!has_word(&r, "assess"));     /* a verb only */
	CHECK(!has_word(&r, "using"));      /* -ing after no noun: a verb */
	CHECK(!has_word(&r, "implement"));  /* a noun too, but before "a" */
	CHECK(!has_word(&r, "model"));      /* a noun too, but after "we" */
	CHECK(!has_tag(&r, "neural"));      /* an adjective ends no phrase */
	arena_release(&r.a);
	/* French has no lexicon: the same words are left to stopwords. */
	static const char fr[] = "Les ingénieurs assess la performance.";
	tag(&r, fr, strlen(fr), "fr", 10);
	CHECK_INT(r.err, ERR_OK);
	CHECK(has_word(&r, "assess"));
	arena_release(&r.a);
}

/* English prefers phrases to single words: "control", though the most frequent word,
 * ranks below the phrases it is part of. */
static void test_english_prefers_phrases(void)
{
	static const char text[] =
		"Control is hard. Control is key. Adaptive control of robot arms uses feedback "
		"control. Feedback control and adaptive control are compared on robot arms. We "
		"study control.";
	struct run r;
	tag(&r, text, strlen(text), "en", 3);
	CHECK_INT(r.err, ERR_OK);
	CHECK_INT(r.n, 3);
	CHECK(has_tag(&r, "adaptive control") && has_tag(&r, "feedback control"));
	for (size_t i = 0; i < r.n; i++)
		CHECK(strchr(r.tags[i].text, ' '));
	arena_release(&r.a);
}

/* Fails unless every word of every tag is a whole word of text: there, it starts the text
 * or follows a space, and is followed by a space, the end, '.' or the string stop. */
static void check_whole_words(const struct run *r, const char *text, const char *stop)
{
	char word[256];
	for (size_t i = 0; i < r->n; i++) {
		for (const char *w = r->tags[i].text; *w;) {
			size_t n = strcspn(w, " ");
			bool found = false;
			snprintf(word, sizeof(word), "%.*s", (int)n, w);
			for (const char *p = text; !found && (p = strstr(p, word)) != NULL; p++)
				found = (p == text || p[-1] == ' ') &&
					(!p[n] || p[n] == ' ' || p[n] == '.' ||
					 !strncmp(p + n, stop, strlen(stop)));
			if (!found)
				FAIL_AT("tag \"%s\" cuts the word \"%s\"", r->tags[i].text, word);
			w += n + (w[n] == ' ');
		}
	}
}

/* Combining marks (a virama, Thai tone marks) are inside words: "लोकतंत्र" was tagged
 * "लोकतंत" and "มงคลพิทักษ์สุข" "มงคลพิทักษ". Thai words are not segmented: the runs between
 * spaces are the words. */
static void test_combining_marks(void)
{
	static const char hindi[] =
		"भारत ने 1947 में स्वतंत्रता प्राप्त की। स्वतंत्रता के बाद भारत ने लोकतंत्र को अपनाया। "
		"भारतीय लोकतंत्र दुनिया का सबसे बड़ा लोकतंत्र है। संविधान सभा ने भारतीय संविधान का "
		"निर्माण किया। प्रधानमंत्री नेहरू ने राष्ट्र निर्माण की नींव रखी। आज भारतीय लोकतंत्र में "
		"चुनाव आयोग स्वतंत्र चुनाव कराता है।";
	static const char thai[] =
		"นายคณิต มงคลพิทักษ์สุข เป็นครูสอนคณิตศาสตร์ ครูคณิต มงคลพิทักษ์สุข สอนเรื่องจำนวนเชิงซ้อน "
		"และเวกเตอร์ นักเรียนของครูคณิต มงคลพิทักษ์สุข ชอบเรื่องเวกเตอร์ จำนวนเชิงซ้อน มีส่วนจริง";
	struct run r;
	tag(&r, hindi, strlen(hindi), "hi", 10);
	CHECK_INT(r.err, ERR_OK);
	CHECK(has_word(&r, "लोकतंत्र"));
	CHECK(!has_word(&r, "लोकतंत"));
	check_whole_words(&r, hindi, "।");
	arena_release(&r.a);
	tag(&r, thai, strlen(thai), "th", 10);
	CHECK_INT(r.err, ERR_OK);
	CHECK(has_word(&r, "มงคลพิทักษ์สุข"));
	CHECK(!has_word(&r, "มงคลพิทักษ"));
	check_whole_words(&r, thai, " ");
	arena_release(&r.a);
	/* Persian writes a zero-width non-joiner inside words: "می‌شوند", not "می" and "شوند". */
	static const char persian[] =
		"کتاب\u200cهای تاریخی در کتابخانه ملی نگهداری می\u200cشوند. کتاب\u200cهای تاریخی "
		"ارزشمند هستند و پژوهشگران کتاب\u200cهای تاریخی را بررسی می\u200cکنند.";
	tag(&r, persian, strlen(persian), "fa", 10);
	CHECK_INT(r.err, ERR_OK);
	CHECK(has_word(&r, "می\u200cشوند"));
	CHECK(!has_word(&r, "شوند") && !has_word(&r, "کنند") && !has_word(&r, "های"));
	arena_release(&r.a);
}

/* A contraction is one word, a stopword: "Don't ignore" was tagged "Don", "aren't" ended
 * "special cases aren". A possessive still tags as its noun; French elisions still split. */
static void test_contractions(void)
{
	static const char en[] =
		"Don't ignore coastal flooding. Coastal flooding isn\u2019t rare any more, and the "
		"town's sea wall wasn't built for it. Special cases aren't special enough. Don\u2019t "
		"wait: coastal flooding won't stop by itself. The company's engineers say the "
		"company's flood barriers needn't be tall. We've seen storm surges that you'd not "
		"believe, and they'll come again. I'm sure the sea wall can't hold.";
	static const char *const cut[] = { "Don", "don", "isn", "wasn", "aren", "won", "needn",
					   "ve", "re", "ll", "t", "d", "m", "can" };
	static const char fr[] =
		"Aujourd'hui, l'\u00e9rosion de l'estuaire menace la c\u00f4te. L\u2019\u00e9rosion de "
		"l\u2019estuaire est rapide aujourd\u2019hui. Quelqu'un doit prot\u00e9ger l'estuaire "
		"contre l'\u00e9rosion, qu'il pleuve ou non.";
	struct run r;
	tag(&r, en, strlen(en), "en", 20);
	CHECK_INT(r.err, ERR_OK);
	CHECK(has_tag(&r, "coastal flooding"));
	CHECK(has_tag(&r, "special cases"));
	CHECK(has_word(&r, "company"));
	for (size_t i = 0; i < sizeof(cut) / sizeof(cut[0]); i++)
		if (has_word(&r, cut[i]))
			FAIL_AT("a tag holds \"%s\", a piece of a contraction", cut[i]);
	for (size_t i = 0; i < r.n; i++)
		CHECK(!strchr(r.tags[i].text, '\'') && !strstr(r.tags[i].text, "\u2019"));
	arena_release(&r.a);
	tag(&r, fr, strlen(fr), "fr", 20);
	CHECK_INT(r.err, ERR_OK);
	CHECK(has_tag(&r, "\u00e9rosion"));
	CHECK(has_word(&r, "estuaire"));
	CHECK(!has_word(&r, "hui") && !has_word(&r, "Aujourd") && !has_word(&r, "Quelqu"));
	arena_release(&r.a);
}

/* The words of URLs and e-mail addresses are no candidates, and no phrase runs across one:
 * this text was tagged "Visit www", "https", "html", "Contact info", "com". */
static void test_links(void)
{
	static const char text[] =
		"Flood insurance claims rose again this year. Visit www.example.com/about.html or "
		"https://example.org, contact info@example.com for flood insurance questions. Our "
		"flood insurance guide (see http://example.net/guide?id=3) explains claims. Powered "
		"by Tecnick.com and <www.tcpdf.org>. Write to mailto:help@example.org about flood maps.";
	static const char *const parts[] = { "www", "com", "org", "net", "html", "https", "http",
					     "info", "example", "about", "guide?id", "tcpdf", "Tecnick",
					     "mailto", "help", "id" };
	struct run r;
	tag(&r, text, strlen(text), "en", 20);
	CHECK_INT(r.err, ERR_OK);
	CHECK(has_tag(&r, "flood insurance guide"));
	CHECK(has_tag(&r, "flood maps"));
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (has_word(&r, parts[i]))
			FAIL_AT("a tag holds \"%s\", a piece of a link", parts[i]);
	arena_release(&r.a);
	/* Dots between words are no link when nothing says one is: "Node.js", a lost space. */
	static const char dots[] = "Node.js servers. Fast servers.Small servers. VB.NET compilers.";
	tag(&r, dots, strlen(dots), "en", 20);
	CHECK_INT(r.err, ERR_OK);
	CHECK(has_word(&r, "Node") && has_word(&r, "Small") && has_word(&r, "NET"));
	arena_release(&r.a);
}

static void test_nothing_to_tag(void)
{
	static const char *const texts[] = { "", "   \n\t  ", "word", "the and of", "42 3.14 2015" };
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		struct run r;
		tag(&r, texts[i], strlen(texts[i]), "en", 10);
		CHECK_INT(r.err, ERR_OK);
		CHECK_INT(r.n, i == 2 ? 1 : 0); /* one word is one candidate */
		arena_release(&r.a);
	}
	struct run r;
	tag(&r, NULL, 0, NULL, 10);
	CHECK_INT(r.err, ERR_OK);
	CHECK_INT(r.n, 0);
	arena_release(&r.a);
}

static void test_garbage(void)
{
	size_t len = 1 << 16;
	char *bin = xmalloc(len);
	static const char mix[] = "ab\xc3\xa9\xff "; /* letters, é, a bad byte, space */
	unsigned x = 12345;
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < len; i++) {
			x = x * 1103515245u + 12345u;
			if (round == 0) /* any bytes */
				bin[i] = (char)(x >> 16);
			else if (round == 1) /* continuation bytes only */
				bin[i] = (char)(0x80 | (x >> 20));
			else
				bin[i] = mix[(x >> 16) % 6];
		}
		struct run r;
		tag(&r, bin, len, round == 2 ? "fr" : "en", 20);
		CHECK_INT(r.err, ERR_OK);
		for (size_t i = 0; i < r.n; i++) {
			CHECK(valid_utf8(r.tags[i].text));
			CHECK(!isnan(r.tags[i].score));
		}
		arena_release(&r.a);
	}
	free(bin);
}

static void test_large_text_is_bounded(void)
{
	size_t one = strlen(english), len = 0, cap = 5u << 20;
	char *big = xmalloc(cap + 1);
	for (unsigned i = 0; len + one + 32 < cap; i++)
		len += (size_t)snprintf(big + len, cap - len, "%s word%u ", english, i);
	struct run r;
	clock_t t0 = clock();
	tag(&r, big, len, "en", 20);
	double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
	CHECK_INT(r.err, ERR_OK);
	CHECK_INT(r.n, 20);
	CHECK(secs < 30);
	arena_release(&r.a);
	free(big);
}

int main(void)
{
	tg = tagger_new();
	RUN(test_deterministic);
	RUN(test_max_tags);
	RUN(test_tags_are_clean);
	RUN(test_french_stems);
	RUN(test_surface_form);
	RUN(test_english_word_classes);
	RUN(test_english_prefers_phrases);
	RUN(test_combining_marks);
	RUN(test_contractions);
	RUN(test_links);
	RUN(test_nothing_to_tag);
	RUN(test_garbage);
	RUN(test_large_text_is_bounded);
	tagger_free(tg);
	return unit_report("test_tagger");
}
