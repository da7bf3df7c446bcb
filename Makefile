# mtag - one Makefile, pkg-config for every library.
#
#   make                 build/mtag (optimised)
#   make SANITIZER=address,undefined   build/san/mtag and the unit tests, sanitized
#   make test            the whole test suite (tools/test.sh)
#   make run             install missing packages, build, serve on the embedded default
#   make bench           the benchmarks under bench/

CC      ?= gcc
PKGS    := libmicrohttpd jansson sqlite3 libpq libargon2 libxcrypt nettle libcurl \
           libxml-2.0 libzip expat libexttextcat
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
WARN    := -Wall -Wextra -Werror -Wmissing-prototypes -Wshadow -Wformat=2 -Wvla
CFLAGS_COMMON := -std=c17 -D_GNU_SOURCE -DMTAG_VERSION='"$(VERSION)"' $(WARN) -Isrc $(PKG_CFLAGS)
# MuPDF: Debian's mupdf.pc is wrong (../shared/LIBRARIES.md); libstemmer and libcsv have no .pc.
MUPDF_LIBS := -lmupdf -lmupdf-third -lmujs -lgumbo -lopenjp2 -ljbig2dec -ljpeg -lharfbuzz \
              -lfreetype -lz
LDLIBS  := $(PKG_LIBS) $(MUPDF_LIBS) -lstemmer -lcsv -lunistring -lpthread -lm
# The unit tests check our digests against OpenSSL's, an implementation we do not use.
TEST_LIBS := $(shell pkg-config --libs openssl 2>/dev/null)

ifeq ($(SANITIZER),)
  OUT     := build
  CFLAGS  ?= -O2 -g
  SANFLAGS :=
else
  OUT     := build/san
  CFLAGS  ?= -O1 -g -fno-omit-frame-pointer
  SANFLAGS := -fsanitize=$(SANITIZER) -fno-sanitize-recover=all
endif

SRC      := $(wildcard src/*/*.c)
OBJ      := $(SRC:%.c=$(OUT)/obj/%.o)
GEN_SRC  := $(OUT)/gen/migrations_sqlite.c $(OUT)/gen/migrations_pg.c $(OUT)/gen/openapi.c \
            $(OUT)/gen/stopwords.c $(OUT)/gen/lexicon.c $(OUT)/gen/web.c
GEN_OBJ  := $(GEN_SRC:%.c=%.o)
LIB_OBJ  := $(OBJ) $(GEN_OBJ)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(OUT)/tests/%)

.PHONY: all deps test run bench clean units
# The binary by a second make once the packages are in: the pkg-config flags above are
# read when make starts, so on a fresh machine the first make would build without them.
all: deps
	@$(MAKE) --no-print-directory $(OUT)/mtag

# Installs nothing and prints nothing when every package is present.
deps:
	@tools/install-deps.sh build

$(OUT)/mtag: $(OUT)/obj/src/main.o $(LIB_OBJ)
	$(CC) $(SANFLAGS) -o $@ $^ $(LDLIBS)

units: $(UNIT_BIN)

# Tests link against an archive, so each pulls in only the objects it uses
# (most need no MuPDF, whose fonts alone are 40 MB).
$(OUT)/libmtag.a: $(LIB_OBJ)
	rm -f $@
	ar rcs $@ $^

$(OUT)/tests/%: tests/unit/%.c $(wildcard tests/unit/*.h) $(OUT)/libmtag.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(SANFLAGS) -Itests/unit -o $@ $< $(OUT)/libmtag.a $(LDLIBS) $(TEST_LIBS)

$(OUT)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(SANFLAGS) -MMD -MP -c -o $@ $<

$(OUT)/gen/%.o: $(OUT)/gen/%.c
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(SANFLAGS) -c -o $@ $<

$(OUT)/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -Werror -o $@ $<

# Each directory too: its time changes when a file goes, which no file's does.
$(OUT)/gen/migrations_sqlite.c: $(OUT)/embed src/store/migrations/sqlite $(sort $(wildcard src/store/migrations/sqlite/*.sql))
	@mkdir -p $(dir $@)
	$(OUT)/embed store_migrations_sqlite src/store/migrations/sqlite $@ $(sort $(wildcard src/store/migrations/sqlite/*.sql))

$(OUT)/gen/migrations_pg.c: $(OUT)/embed src/store/migrations/pg $(sort $(wildcard src/store/migrations/pg/*.sql))
	@mkdir -p $(dir $@)
	$(OUT)/embed store_migrations_pg src/store/migrations/pg $@ $(sort $(wildcard src/store/migrations/pg/*.sql))

$(OUT)/gen/openapi.c: $(OUT)/embed src/api/openapi.json
	@mkdir -p $(dir $@)
	$(OUT)/embed api_openapi_files src/api $@ src/api/openapi.json

$(OUT)/gen/stopwords.c: $(OUT)/embed data/stopwords $(sort $(wildcard data/stopwords/*.txt))
	@mkdir -p $(dir $@)
	$(OUT)/embed pipeline_stopwords data/stopwords $@ $(sort $(wildcard data/stopwords/*.txt))

$(OUT)/gen/lexicon.c: $(OUT)/embed $(sort $(wildcard data/lexicon/*.txt))
	@mkdir -p $(dir $@)
	$(OUT)/embed pipeline_lexicon data/lexicon $@ $(sort $(wildcard data/lexicon/*.txt))

WEB_FILES := $(sort $(shell find web -type f 2>/dev/null))
$(OUT)/gen/web.c: $(OUT)/embed $(WEB_FILES)
	@mkdir -p $(dir $@)
	$(OUT)/embed api_web_files web $@ $(WEB_FILES)

test:
	tools/test.sh

run: all
	tools/run.sh

$(OUT)/bench_extract: bench/bench_extract.c $(OUT)/libmtag.a
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(SANFLAGS) -o $@ $< $(OUT)/libmtag.a $(LDLIBS)

$(OUT)/seed_history: bench/seed_history.c $(OUT)/libmtag.a
	$(CC) $(CFLAGS_COMMON) $(CFLAGS) $(SANFLAGS) -o $@ $< $(OUT)/libmtag.a $(LDLIBS)

bench: all $(OUT)/bench_extract $(OUT)/seed_history
	bench/run.sh

clean:
	rm -rf build

-include $(OBJ:.o=.d)

# Keyphrase quality (F1@5, F1@10 from ../shared/eval/keyphrase/score.py) and speed
# of the built-in tagger on Inspec and Wikinews-fr. Needs python3-nltk (French stems).
EVAL_SETS := ../shared/eval/keyphrase
.PHONY: eval
eval: build/eval_tagger
	@tools/install-deps.sh eval
	@for set in inspec wikinews-fr; do \
	    build/eval_tagger $(EVAL_SETS)/$$set/docs.jsonl build/eval-$$set.jsonl 15 || exit 1; \
	    /usr/bin/python3 $(EVAL_SETS)/score.py $(EVAL_SETS)/$$set/docs.jsonl build/eval-$$set.jsonl \
	        | awk -v s=$$set '/^@5 /{f5=$$4} /^@10 /{f10=$$4} END{printf "%s: F1@5=%s F1@10=%s\n", s, f5, f10}'; \
	done

build/eval_tagger: tools/eval_tagger.c build/libmtag.a
	$(CC) $(CFLAGS_COMMON) -O2 -g -o $@ $< build/libmtag.a $(LDLIBS)
