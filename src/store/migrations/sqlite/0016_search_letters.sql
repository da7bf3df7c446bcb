-- The index's tokens with more letters written as PostgreSQL's unaccent
-- writes them: Latin letters with a stroke, hook or bar (ð, ø, ł, đ, ħ...)
-- as their base letters, Greek letters without their accents, ё as е,
-- full-width letters and digits as ASCII, Roman numerals as letters
-- ("oresund" finds "Øresund", "αθηνα" "Αθήνα", "xii" "Ⅻ"), besides the
-- ligatures of 0014. The
-- tokenizer's option "letters" (store_sqlite_fts.c) does it; a binary
-- without it cannot open this table. Same columns and source as 0014.
-- Rebuilt from the documents (~28 s per 200,000).
DROP TABLE documents_fts;
CREATE VIRTUAL TABLE documents_fts USING fts5 (
    title, tags, extracted_text,
    content = 'documents_fts_source', content_rowid = 'rid',
    tokenize = 'mtag letters remove_diacritics 2'
);
INSERT INTO documents_fts (documents_fts) VALUES ('rebuild');
