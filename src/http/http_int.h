/*
 * http_int.h - helpers shared by the files of the http module only; nothing
 * outside src/http/ includes this. Stateless and thread-safe.
 */
#ifndef MTAG_HTTP_INT_H
#define MTAG_HTTP_INT_H

#include <stdbool.h>

/* True when content_type's media type (before any ';') is media, ignoring case and blanks. */
bool http_media_is(const char *content_type, const char *media);

#endif
