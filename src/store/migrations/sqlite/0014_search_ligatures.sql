-- The index's tokens with ß, æ, œ, þ and ĳ written as two letters, as
-- PostgreSQL's unaccent writes them: "strasse" and "GRÖSSE" find "Straße"
-- and "Größe" (each query's phrases go through the same tokenizer). The
-- tokenizer's option "ligatures" (store_sqlite_fts.c) does it; a binary
-- without it cannot open this table, so cannot write tokens the index does
-- not have. Same columns and source as 0008; the triggers of 0011 write to
-- it by name. Rebuilt from the documents (~28 s per 200,000).
DROP TABLE documents_fts;
CREATE VIRTUAL TABLE documents_fts USING fts5 (
    title, tags, extracted_text,
    content = 'documents_fts_source', content_rowid = 'rid',
    tokenize = 'mtag ligatures remove_diacritics 2'
);
INSERT INTO documents_fts (documents_fts) VALUES ('rebuild');
