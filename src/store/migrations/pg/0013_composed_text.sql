-- Texts and titles are stored composed (NFC) since this version (pipeline.c,
-- utf8_normalize): "e" followed by a combining acute, as macOS writes it,
-- was indexed as the words "e" and the rest (mtag_search_text turns the mark
-- into a separator), so "amelie" never found "Ame\u0301lie". Older rows are
-- composed here once; the trigger indexes each one it changes. normalize()
-- needs a UTF8 database (initdb's default here; another is left as it was).
DO $$
BEGIN
    IF current_setting('server_encoding') = 'UTF8' THEN
        UPDATE documents
           SET title = normalize(title, NFC), extracted_text = normalize(extracted_text, NFC)
         WHERE title IS NOT NFC NORMALIZED OR extracted_text IS NOT NFC NORMALIZED;
    END IF;
END
$$;
