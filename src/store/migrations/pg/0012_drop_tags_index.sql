-- The GIN index of 0005 on the lower-cased tags is used by no statement:
-- the tag filter tests the tags as stored first, then lower-cased
-- (store_history.c, PG_TAGS_ALL), and an OR whose first arm has no index
-- cannot be answered from an index; the lists and the search narrow by tag
-- words through the search vector's index instead. Every document write paid
-- for it.
DROP INDEX IF EXISTS documents_tags_idx;
