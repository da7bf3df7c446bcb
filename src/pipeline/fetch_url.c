/*
 * fetch_url.c - URL helpers of the fetch module: the pre-check of a URL to
 * download, the host and port for error sentences, the scheme of a refused
 * redirect, and the file name a URL suggests.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "pipeline/fetch_int.h"
#include "base/xalloc.h"

/* A sentence for a URL the parser refused. */
static const char *url_problem(CURLUcode uc)
{
	switch (uc) {
	case CURLUE_BAD_SCHEME:
	case CURLUE_NO_SCHEME:
		return "it must start with http:// or https://";
	case CURLUE_NO_HOST:
	case CURLUE_BAD_SLASHES:
		return "it has no host";
	case CURLUE_BAD_HOSTNAME:
	case CURLUE_BAD_IPV6:
	case CURLUE_LACKS_IDN:
		return "the host name is not valid";
	case CURLUE_BAD_PORT_NUMBER:
		return "the port is not a number from 1 to 65535";
	case CURLUE_BAD_LOGIN:
	case CURLUE_BAD_USER:
	case CURLUE_BAD_PASSWORD:
	case CURLUE_USER_NOT_ALLOWED:
		return "a user name or password is not allowed in it";
	case CURLUE_BAD_PATH:
	case CURLUE_BAD_QUERY:
	case CURLUE_BAD_FRAGMENT:
	case CURLUE_URLDECODE:
		return "it contains characters that are not allowed";
	default:
		return "it is malformed";
	}
}

/* True when the CURLU part is present and non-empty. */
static bool url_has(CURLU *u, CURLUPart part)
{
	char *v = NULL;
	bool has = curl_url_get(u, part, &v, 0) == CURLUE_OK && v && v[0];
	curl_free(v);
	return has;
}

/*
 * The length of url's scheme ("mailto" of "mailto:x@y"), 0 when it starts with
 * none; -1 for a host and port without one ("example.com:8080/a.pdf",
 * "localhost:8080"), which a scheme's syntax would also take.
 */
static int scheme_length(const char *url)
{
	int n = 0;
	bool dot = false;
	if (!((url[0] >= 'a' && url[0] <= 'z') || (url[0] >= 'A' && url[0] <= 'Z')))
		return 0;
	while (url[n] && (strchr("+-.", url[n]) || (url[n] >= '0' && url[n] <= '9') ||
			  (url[n] >= 'a' && url[n] <= 'z') || (url[n] >= 'A' && url[n] <= 'Z')))
		dot |= url[n++] == '.';
	if (url[n] != ':')
		return 0;
	return dot || (url[n + 1] >= '0' && url[n + 1] <= '9') ? -1 : n;
}

/* True when the URL's host holds a byte past ASCII (an international name not in its xn-- form). */
static bool host_not_ascii(CURLU *u)
{
	char *host = NULL;
	bool wide = false;
	if (curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host)
		for (const unsigned char *p = (const unsigned char *)host; *p && !wide; p++)
			wide = *p >= 0x80;
	curl_free(host);
	return wide;
}

enum mtag_err fetch_url_check(const char *url, char *err, size_t errsz)
{
	enum mtag_err e = ERR_VALIDATION;
	CURLU *u = curl_url();
	char *scheme = NULL;
	CURLUcode uc;
	int sn = url ? scheme_length(url) : 0;
	if (!url || !url[0]) {
		snprintf(err, errsz, "invalid URL: it is empty");
	} else if (strlen(url) > FETCH_URL_MAX) {
		snprintf(err, errsz, "invalid URL: it is longer than %d KB", FETCH_URL_MAX / 1024);
	} else if (sn < 0) {
		snprintf(err, errsz, "invalid URL: %s", url_problem(CURLUE_NO_SCHEME));
	} else if (sn && !(sn == 4 && !strncasecmp(url, "http", 4)) &&
		   !(sn == 5 && !strncasecmp(url, "https", 5))) {
		/* Before parsing: "mailto:x@y" is another scheme, not an address without a host. */
		char lower[33];
		size_t n = sn < 32 ? (size_t)sn : 32;
		for (size_t i = 0; i < n; i++)
			lower[i] = url[i] >= 'A' && url[i] <= 'Z' ? (char)(url[i] + 32) : url[i];
		lower[n] = '\0';
		snprintf(err, errsz, "unsupported scheme: %s", lower);
	} else if (!u) {
		e = ERR_INTERNAL;
		snprintf(err, errsz, "download failed: out of memory");
	} else if ((uc = curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME))) {
		snprintf(err, errsz, "invalid URL: %s", url_problem(uc));
	} else if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) || !scheme) {
		snprintf(err, errsz, "invalid URL: %s", url_problem(CURLUE_NO_SCHEME));
	} else if (strcasecmp(scheme, "http") != 0 && strcasecmp(scheme, "https") != 0) {
		snprintf(err, errsz, "unsupported scheme: %s", scheme);
	} else if (url_has(u, CURLUPART_USER) || url_has(u, CURLUPART_PASSWORD)) {
		snprintf(err, errsz, "invalid URL: %s", url_problem(CURLUE_USER_NOT_ALLOWED));
	} else if (!url_has(u, CURLUPART_HOST)) {
		snprintf(err, errsz, "invalid URL: %s", url_problem(CURLUE_NO_HOST));
	} else if (host_not_ascii(u)) {
		snprintf(err, errsz, "invalid URL: the host name is not ASCII (write an international"
			 " name in its xn-- form)");
	} else {
		e = ERR_OK;
	}
	curl_free(scheme);
	curl_url_cleanup(u);
	return e;
}

void fetch_url_host_port(const char *url, char *out, size_t outsz)
{
	CURLU *u = curl_url();
	char *host = NULL, *port = NULL;
	if (u && url && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK)
		snprintf(out, outsz, "%s:%s", host, port);
	else if (host)
		snprintf(out, outsz, "%s", host);
	else
		snprintf(out, outsz, "?");
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* Percent-decode s into out (room for strlen(s)+1); returns the length. */
static size_t percent_decode(const char *s, char *out)
{
	size_t n = 0;
	for (; *s; s++) {
		int hi, lo;
		if (*s == '%' && (hi = hex_value(s[1])) >= 0 && (lo = hex_value(s[2])) >= 0) {
			out[n++] = (char)(hi << 4 | lo);
			s += 2;
		} else {
			out[n++] = *s;
		}
	}
	out[n] = '\0';
	return n;
}

/* True when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or > U+10FFFF). */
static bool utf8_valid(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned char b = s[i];
		size_t len = b < 0x80 ? 1 : (b & 0xe0) == 0xc0 ? 2 : (b & 0xf0) == 0xe0 ? 3 :
			     (b & 0xf8) == 0xf0 ? 4 : 0;
		if (len == 0 || i + len > n)
			return false;
		uint32_t cp = len == 1 ? b : (uint32_t)(b & (0xff >> (len + 1)));
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
		if (cp < min_cp[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

/* True when name (n bytes decoded) can serve as a file name. */
static bool filename_ok(const char *name, size_t n)
{
	if (n == 0 || n > 255 || strlen(name) != n || strcmp(name, ".") == 0 ||
	    strcmp(name, "..") == 0)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)name[i];
		if (ch == '/' || ch < 0x20 || ch == 0x7f)
			return false;
	}
	return utf8_valid((const unsigned char *)name, n);
}

const char *fetch_url_filename(struct arena *a, const char *url)
{
	const char *name = NULL;
	char *path = NULL;
	CURLU *u = curl_url();
	if (!u || curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &path, 0) != CURLUE_OK || !path)
		goto out;
	const char *seg = strrchr(path, '/');
	seg = seg ? seg + 1 : path;
	char *dec = arena_alloc(a, strlen(seg) + 1);
	size_t n = percent_decode(seg, dec);
	if (filename_ok(dec, n))
		name = dec;
out:
	curl_free(path);
	curl_url_cleanup(u);
	return name;
}

void fetch_url_scheme(const char *url, char *out, size_t outsz)
{
	size_t n = url ? strcspn(url, ":") : 0;
	if (!url || !url[n] || n == 0 || n >= outsz)
		n = 0;
	for (size_t i = 0; i < n; i++)
		out[i] = (char)((url[i] >= 'A' && url[i] <= 'Z') ? url[i] + 32 : url[i]);
	out[n] = '\0';
	if (n == 0)
		snprintf(out, outsz, "?");
}
