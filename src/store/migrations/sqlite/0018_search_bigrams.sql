-- Chinese and Japanese, written without spaces, indexed by pairs of letters:
-- unicode61 gave a whole run of them as one token ("第一季度报告全文"), so a
-- word within it ("季度报告", "电气") was never found. The tokenizer's option
-- "bigrams" (store_sqlite_fts.c) indexes a run as its overlapping pairs and
-- its last letter, and a query's run as a phrase of its pairs; a binary
-- without it cannot open this table. Same columns and source as 0016.
-- Rebuilt from the documents (~28 s per 200,000).
DROP TABLE documents_fts;
CREATE VIRTUAL TABLE documents_fts USING fts5 (
    title, tags, extracted_text,
    content = 'documents_fts_source', content_rowid = 'rid',
    tokenize = 'mtag bigrams letters remove_diacritics 2'
);
INSERT INTO documents_fts (documents_fts) VALUES ('rebuild');
