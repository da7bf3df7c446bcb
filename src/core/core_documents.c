/*
 * core_documents.c - download links (core_documents.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/clock.h"
#include "base/digest.h"
#include "blob/blob.h"
#include "core/core_documents.h"
#include "store/store.h"
#include "base/xalloc.h"

/* HMAC-SHA256(download key, "<id>\n<exp>") as hex. */
static void link_signature(const struct core *c, const char *id, long long exp, char hex[65])
{
	char msg[128];
	unsigned char mac[SHA256_LEN];
	int n = snprintf(msg, sizeof(msg), "%s\n%lld", id, exp);
	digest_hmac_sha256(c->download_key, sizeof(c->download_key), msg, (size_t)n, mac);
	digest_hex(mac, sizeof(mac), hex);
}

/* A name for the Content-Disposition: ASCII fallback and RFC 5987 UTF-8 form. */
static const char *disposition(struct arena *a, const char *name)
{
	struct buf ascii = BUF_INIT(1024), enc = BUF_INIT(4096);
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		bool plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' || *p == '_';
		buf_putc(&ascii, plain || *p == ' ' ? (char)*p : '_');
		if (plain)
			buf_putc(&enc, (char)*p);
		else
			buf_printf(&enc, "%%%02X", *p);
	}
	const char *d = arena_printf(a, "attachment; filename=\"%s\"; filename*=UTF-8''%s",
				     buf_cstr(&ascii), buf_cstr(&enc));
	buf_release(&ascii);
	buf_release(&enc);
	return d;
}

/* The file name a download gets: the document's own, else document.<ext>. */
static const char *download_name(struct arena *a, const struct store_document *d)
{
	if (d->filename && d->filename[0])
		return d->filename;
	const char *dot = d->blob_key ? strrchr(d->blob_key, '.') : NULL;
	return arena_printf(a, "document%s", dot ? dot : "");
}

enum mtag_err core_download_url(struct core *c, struct arena *a, const char *owner_id,
				const char *document_id, const char **url)
{
	struct store_document d;
	enum mtag_err e = store_document_get(c->store, a, document_id, owner_id, &d);
	if (e)
		return e;
	if (!d.blob_key)
		return ERR_NOT_FOUND;
	const char *type = d.mime_type ? d.mime_type : "application/octet-stream";
	char err[256];
	e = blob_presign_get(c->blob, a, d.blob_key, CORE_DOWNLOAD_TTL_S, type,
			     disposition(a, download_name(a, &d)), url, err, sizeof(err));
	if (e || *url)
		return e;
	/* The local driver: a link to ourselves. */
	long long exp = clock_now_us() / 1000000 + CORE_DOWNLOAD_TTL_S;
	char sig[65];
	link_signature(c, d.id, exp, sig);
	*url = arena_printf(a, "%s/api/files/%s?exp=%lld&sig=%s", core_public_url(c), d.id, exp, sig);
	return ERR_OK;
}

enum mtag_err core_download_file(struct core *c, struct arena *a, const char *document_id,
				 const char *exp, const char *sig, struct core_file *f,
				 const char **why)
{
	*why = "this download link is not valid";
	char want[65];
	char *end = NULL;
	long long e_at = exp ? strtoll(exp, &end, 10) : 0;
	if (!exp || !sig || !*exp || *end || strlen(sig) != 64 || !uuid_valid(document_id))
		return ERR_FORBIDDEN;
	link_signature(c, document_id, e_at, want);
	if (!digest_equal(want, sig, 64))
		return ERR_FORBIDDEN;
	if (e_at < clock_now_us() / 1000000) {
		*why = "this download link has expired";
		return ERR_FORBIDDEN;
	}
	*why = NULL;
	struct store_document d;
	enum mtag_err e = store_document_get(c->store, a, document_id, NULL, &d);
	if (e)
		return e;
	if (!d.blob_key || blob_local_path(c->blob, a, d.blob_key, &f->path) || !f->path)
		return ERR_NOT_FOUND;
	f->content_type = d.mime_type ? d.mime_type : "application/octet-stream";
	f->disposition = disposition(a, download_name(a, &d));
	return ERR_OK;
}
