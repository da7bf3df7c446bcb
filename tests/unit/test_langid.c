#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "pipeline/langid.h"
#include "base/xalloc.h"

static const struct {
	const char *lang, *text;
} paragraphs[] = {
	{ "en", "The city council met on Tuesday evening to discuss the new budget for public "
		"libraries. Several members argued that opening hours should be extended during the "
		"winter, while others worried about the cost of heating the older buildings." },
	{ "es", "El ayuntamiento se reunió el martes por la tarde para hablar del nuevo presupuesto "
		"de las bibliotecas públicas. Varios concejales defendieron que el horario debería "
		"ampliarse durante el invierno, mientras otros temían el coste de la calefacción." },
	{ "fr", "Le conseil municipal s'est réuni mardi soir pour discuter du nouveau budget des "
		"bibliothèques publiques. Plusieurs élus ont estimé que les horaires d'ouverture "
		"devraient être élargis pendant l'hiver, tandis que d'autres craignaient le coût du "
		"chauffage des vieux bâtiments." },
	{ "de", "Der Stadtrat traf sich am Dienstagabend, um über den neuen Haushalt der "
		"öffentlichen Bibliotheken zu beraten. Mehrere Mitglieder meinten, die Öffnungszeiten "
		"sollten im Winter verlängert werden, während andere die Heizkosten der alten Gebäude "
		"fürchteten." },
	{ "pt", "A câmara municipal reuniu-se na terça-feira à noite para discutir o novo orçamento "
		"das bibliotecas públicas. Vários vereadores defenderam que o horário de abertura "
		"deveria ser alargado durante o inverno, enquanto outros temiam o custo do "
		"aquecimento dos edifícios antigos." },
	{ "it", "Il consiglio comunale si è riunito martedì sera per discutere il nuovo bilancio "
		"delle biblioteche pubbliche. Diversi consiglieri hanno sostenuto che l'orario di "
		"apertura dovrebbe essere esteso durante l'inverno, mentre altri temevano il costo del "
		"riscaldamento degli edifici più vecchi." },
	{ "nl", "De gemeenteraad kwam dinsdagavond bijeen om de nieuwe begroting van de openbare "
		"bibliotheken te bespreken. Verschillende raadsleden vonden dat de openingstijden in "
		"de winter verlengd moesten worden, terwijl anderen zich zorgen maakten over de kosten "
		"van het verwarmen van de oude gebouwen." },
};

#define NPARA (sizeof(paragraphs) / sizeof(paragraphs[0]))

static struct langid *detector(void)
{
	char err[256] = "";
	struct langid *l = langid_new(err, sizeof(err));
	if (!l)
		fprintf(stderr, "langid_new: %s\n", err);
	return l;
}

static void test_paragraphs(void)
{
	struct langid *l = detector();
	CHECK(l != NULL);
	for (size_t i = 0; i < NPARA; i++) {
		const char *text = paragraphs[i].text;
		CHECK(strlen(text) >= 200);
		CHECK_STR(langid_detect(l, text, strlen(text), NULL, 0), paragraphs[i].lang);
	}
	langid_free(l);
}

static void test_short_and_empty(void)
{
	struct langid *l = detector();
	CHECK(l != NULL);
	CHECK_STR(langid_detect(l, "hi", 2, NULL, 0), "und");
	CHECK_STR(langid_detect(l, "", 0, NULL, 0), "und");
	CHECK_STR(langid_detect(l, NULL, 0, NULL, 0), "und");
	CHECK_STR(langid_detect(l, "short text here", 15, NULL, 0), "und");
	CHECK_STR(langid_detect(l, "Hello world, how are you today?", 31, NULL, 0), "und");
	CHECK_STR(langid_detect(l, "   \n\t  ", 7, NULL, 0), "und");
	CHECK_STR(langid_detect(NULL, "hello", 5, NULL, 0), "und");
	langid_free(l);
}

/* The rule: restricted, the answer is the best near-tie (within 3% of textcat's best
 * distance) that is allowed; an allowed language that is no near-tie gives "und". */
static void test_restricted(void)
{
	struct langid *l = detector();
	CHECK(l != NULL);
	const char *fr = paragraphs[2].text;
	const char *en_de[] = { "en", "de" }, *fr_en[] = { "fr", "en" }, *upper[] = { "FR-ca" };
	CHECK_STR(langid_detect(l, fr, strlen(fr), en_de, 2), "und");
	CHECK_STR(langid_detect(l, fr, strlen(fr), fr_en, 2), "fr");
	CHECK_STR(langid_detect(l, fr, strlen(fr), upper, 1), "fr");
	/* Every paragraph is found among all seven. With the others only, the answer is
	 * "und", or a near-tie: Portuguese is within 3% of Spanish here. */
	const char *all[] = { "en", "es", "fr", "de", "pt", "it", "nl" };
	for (size_t i = 0; i < NPARA; i++) {
		const char *text = paragraphs[i].text, *others[NPARA];
		size_t n = 0;
		CHECK_STR(langid_detect(l, text, strlen(text), all, NPARA), paragraphs[i].lang);
		for (size_t j = 0; j < NPARA; j++)
			if (j != i)
				others[n++] = all[j];
		const char *want = !strcmp(paragraphs[i].lang, "pt") ? "es" : "und";
		CHECK_STR(langid_detect(l, text, strlen(text), others, n), want);
	}
	langid_free(l);
}

static void test_large_and_binary(void)
{
	struct langid *l = detector();
	CHECK(l != NULL);
	/* 1 MB of English: only the first 64 KB are read. */
	size_t one = strlen(paragraphs[0].text), n = 0, cap = 1 << 20;
	char *big = xmalloc(cap);
	while (n + one + 1 <= cap) {
		memcpy(big + n, paragraphs[0].text, one);
		n += one;
		big[n++] = ' ';
	}
	CHECK_STR(langid_detect(l, big, n, NULL, 0), "en");
	/* Bytes that are no text: "und" or any code, but no crash. */
	for (size_t i = 0; i < 4096; i++)
		big[i] = (char)(i * 131 + 7);
	const char *r = langid_detect(l, big, 4096, NULL, 0);
	CHECK(r != NULL && strlen(r) >= 2);
	free(big);
	langid_free(l);
}

int main(void)
{
	RUN(test_paragraphs);
	RUN(test_short_and_empty);
	RUN(test_restricted);
	RUN(test_large_and_binary);
	return unit_report("test_langid");
}
