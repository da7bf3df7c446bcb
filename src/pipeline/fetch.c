/*
 * fetch.c - one download with libcurl: a fresh easy handle, the address
 * checks (open-socket and pre-request callbacks), the capped write callback,
 * and the translation of the outcome into one sentence. The URL helpers are
 * in fetch_url.c, the address policy in fetch_addr.c.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include "pipeline/fetch.h"
#include "pipeline/fetch_int.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xalloc.h"

#define MB ((size_t)1024 * 1024)

/* The state of one call, shared by the callbacks. */
struct fetch_call {
	const struct fetch_options *o;
	int fd;
	size_t bytes;           /* written to fd */
	bool too_large;         /* the write callback stopped at the cap */
	int write_errno;        /* the write callback failed to write fd */
	char blocked_ip[INET6_ADDRSTRLEN];
	char blocked_reason[64]; /* "" until an address is refused */
};

static pthread_once_t global_once = PTHREAD_ONCE_INIT;
static CURLcode global_rc = CURLE_FAILED_INIT;

static void global_init_once(void)
{
	global_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/*
 * Global libcurl set-up, once: on the first download, so a process that never
 * downloads never sets up TLS. Safe from any thread: Debian 12's libcurl 7.88
 * has a thread-safe curl_global_init (CURL_VERSION_THREADSAFE, since 7.84).
 */
static void fetch_global_init(void)
{
	pthread_once(&global_once, global_init_once);
}

void fetch_options_init(struct fetch_options *o)
{
	memset(o, 0, sizeof(*o));
	o->max_bytes = 100 * MB;
	o->connect_timeout_ms = 10 * 1000;
	o->total_timeout_ms = 60 * 1000;
	o->max_redirects = 5;
	o->allow_private = false;
	o->user_agent = "mtag/" MTAG_VERSION;
	o->address_policy = NULL;
	o->address_policy_ctx = NULL;
}

/* o with the values libcurl would read as "no limit" replaced (fail closed). */
static void effective_options(const struct fetch_options *o, struct fetch_options *eff)
{
	struct fetch_options d;
	fetch_options_init(&d);
	*eff = *o;
	if (eff->connect_timeout_ms <= 0)
		eff->connect_timeout_ms = d.connect_timeout_ms;
	if (eff->total_timeout_ms <= 0)
		eff->total_timeout_ms = d.total_timeout_ms;
	if (eff->max_redirects < 0)
		eff->max_redirects = 0;
	if (!eff->user_agent)
		eff->user_agent = d.user_agent;
}

__attribute__((format(printf, 2, 3)))
static void set_error(struct fetch_result *out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(out->error, sizeof(out->error), fmt, ap);
	va_end(ap);
}

/* ---- the address checks ------------------------------------------------- */

/* True when ip may be connected to; else remember the first refusal. */
static bool call_admit(struct fetch_call *c, const char *ip)
{
	char text[INET6_ADDRSTRLEN];
	size_t n = ip ? strcspn(ip, "%") : 0;
	if (n >= sizeof(text))
		n = 0;
	memcpy(text, ip ? ip : "", n);
	text[n] = '\0';

	const struct fetch_options *o = c->o;
	const char *why;
	if (o->address_policy)
		why = o->address_policy(text, o->address_policy_ctx);
	else
		why = o->allow_private ? NULL : fetch_blocked_reason(text);
	if (!why)
		return true;
	if (!c->blocked_reason[0]) {
		snprintf(c->blocked_ip, sizeof(c->blocked_ip), "%s", text);
		snprintf(c->blocked_reason, sizeof(c->blocked_reason), "%s", why);
	}
	char q[96];
	log_warn("fetch.blocked", "ip=%s reason=%s", text, log_quote(q, sizeof(q), why));
	return false;
}

/* The numeric address of a curl socket address; false for another family. */
static bool sockaddr_text(const struct curl_sockaddr *sa, char *out, size_t outsz)
{
	struct sockaddr_storage ss;
	if (sa->addrlen > sizeof(ss))
		return false;
	memcpy(&ss, &sa->addr, sa->addrlen);
	if (sa->family == AF_INET && sa->addrlen >= sizeof(struct sockaddr_in))
		return inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out,
				 (socklen_t)outsz) != NULL;
	if (sa->family == AF_INET6 && sa->addrlen >= sizeof(struct sockaddr_in6))
		return inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out,
				 (socklen_t)outsz) != NULL;
	return false;
}

/* Before connect: a refused address never sees a packet. */
static curl_socket_t on_open_socket(void *clientp, curlsocktype purpose, struct curl_sockaddr *sa)
{
	struct fetch_call *c = clientp;
	char ip[INET6_ADDRSTRLEN];
	if (purpose != CURLSOCKTYPE_IPCXN || !sockaddr_text(sa, ip, sizeof(ip))) {
		call_admit(c, "");
		return CURL_SOCKET_BAD;
	}
	if (!call_admit(c, ip))
		return CURL_SOCKET_BAD;
	return socket(sa->family, sa->socktype | SOCK_CLOEXEC, sa->protocol);
}

/* After connect (new or reused connection), before the request is sent. */
static int on_prereq(void *clientp, char *primary_ip, char *local_ip, int primary_port,
		     int local_port)
{
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	return call_admit(clientp, primary_ip) ? CURL_PREREQFUNC_OK : CURL_PREREQFUNC_ABORT;
}

/* ---- the body ------------------------------------------------------------ */

/* Write all n bytes, retrying after signals and short writes. */
static bool write_all(int fd, const char *p, size_t n, int *err)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			*err = w < 0 ? errno : EIO;
			return false;
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* The decoded body: the hard cap, whatever Content-Length said. */
static size_t on_write(char *data, size_t size, size_t nmemb, void *clientp)
{
	struct fetch_call *c = clientp;
	size_t n = size * nmemb;
	if (n > c->o->max_bytes - c->bytes) {
		c->too_large = true;
		return 0;
	}
	if (!write_all(c->fd, data, n, &c->write_errno))
		return 0;
	c->bytes += n;
	return n;
}

/* ---- the outcome ---------------------------------------------------------- */

/* "1", "1.5", "60": milliseconds as seconds. */
static void seconds_text(int ms, char *out, size_t outsz)
{
	snprintf(out, outsz, "%g", ms / 1000.0);
}

/* TLS failures, or NULL when rc is not one. */
static const char *tls_problem(CURLcode rc)
{
	switch (rc) {
	case CURLE_SSL_CONNECT_ERROR:
		return "the handshake failed";
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
		return "the server's certificate could not be verified";
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
		return "the trusted certificates could not be loaded";
	case CURLE_SSL_CIPHER:
		return "no common cipher";
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_SSL_CLIENTCERT:
	case CURLE_USE_SSL_FAILED:
		return "the secure connection failed";
	default:
		return NULL;
	}
}

/* The sentence and error for a failed transfer (after the checks of ours). */
static enum mtag_err network_error(CURL *h, CURLcode rc, const struct fetch_options *o,
				   const char *where_url, int64_t elapsed_ms, struct fetch_result *out)
{
	char hp[300], secs[32];
	fetch_url_host_port(where_url, hp, sizeof(hp));
	const char *tls = tls_problem(rc);
	long os_errno = 0;
	switch (rc) {
	case CURLE_HTTP_RETURNED_ERROR:
		set_error(out, "download failed: HTTP %d", out->http_status);
		return ERR_UNAVAILABLE;
	case CURLE_COULDNT_RESOLVE_HOST: {
		char *colon = strrchr(hp, ':');
		if (colon && hp[0] != '[')
			*colon = '\0';
		set_error(out, "download failed: cannot resolve host %s", hp);
		return ERR_UNAVAILABLE;
	}
	case CURLE_COULDNT_CONNECT:
		curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &os_errno);
		if (os_errno == ECONNREFUSED)
			set_error(out, "download failed: connection refused by %s", hp);
		else
			set_error(out, "download failed: cannot connect to %s", hp);
		return ERR_UNAVAILABLE;
	case CURLE_OPERATION_TIMEDOUT:
		if (o->connect_timeout_ms < o->total_timeout_ms &&
		    elapsed_ms + 100 < o->total_timeout_ms) {
			seconds_text(o->connect_timeout_ms, secs, sizeof(secs));
			set_error(out, "timed out after %s s connecting to %s", secs, hp);
		} else {
			seconds_text(o->total_timeout_ms, secs, sizeof(secs));
			set_error(out, "timed out after %s s", secs);
		}
		return ERR_TIMEOUT;
	case CURLE_TOO_MANY_REDIRECTS:
		set_error(out, "download failed: more than %d redirects", o->max_redirects);
		return ERR_UNAVAILABLE;
	case CURLE_GOT_NOTHING:
		set_error(out, "download failed: %s closed the connection without a reply", hp);
		return ERR_UNAVAILABLE;
	case CURLE_PARTIAL_FILE:
		set_error(out, "download failed: the transfer ended early");
		return ERR_UNAVAILABLE;
	case CURLE_BAD_CONTENT_ENCODING:
		set_error(out, "download failed: the body could not be decoded");
		return ERR_UNAVAILABLE;
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		set_error(out, "download failed: %s sent an invalid reply", hp);
		return ERR_UNAVAILABLE;
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
		set_error(out, "download failed: the connection to %s broke", hp);
		return ERR_UNAVAILABLE;
	default:
		if (tls)
			set_error(out, "download failed: TLS: %s", tls);
		else
			set_error(out, "download failed: %s", curl_easy_strerror(rc));
		return ERR_UNAVAILABLE;
	}
}

/* Our own refusals first (they explain curl's error), then curl's outcome. */
static enum mtag_err outcome(CURL *h, CURLcode rc, const struct fetch_call *c, const char *url,
			     int64_t elapsed_ms, struct fetch_result *out)
{
	const struct fetch_options *o = c->o;
	const char *where = out->final_url ? out->final_url : url;
	if (rc != CURLE_OK && c->blocked_reason[0]) {
		/* The address is named only when the URL wrote it: what a host name resolves
		 * to inside the network is not told to whoever submits URLs. */
		char host[300];
		fetch_url_host_port(where, host, sizeof(host));
		char *colon = strrchr(host, ':');
		if (colon && host[0] != '[')
			*colon = '\0';
		else if (host[0] == '[' && (colon = strstr(host, "]:")))
			colon[1] = '\0';
		char bare[INET6_ADDRSTRLEN + 2];
		snprintf(bare, sizeof(bare), "%.*s", host[0] == '[' ? (int)strlen(host) - 2 : (int)strlen(host),
			 host[0] == '[' ? host + 1 : host);
		unsigned char ip[16];
		if (inet_pton(AF_INET, bare, ip) == 1 || inet_pton(AF_INET6, bare, ip) == 1)
			set_error(out, "blocked: %s is %s", c->blocked_ip, c->blocked_reason);
		else
			set_error(out, "blocked: %s resolves to %s", host, c->blocked_reason);
		return ERR_FORBIDDEN;
	}
	if (c->too_large || rc == CURLE_FILESIZE_EXCEEDED) {
		if (o->max_bytes % MB == 0)
			set_error(out, "too large: more than %zu MB", o->max_bytes / MB);
		else
			set_error(out, "too large: more than %zu bytes", o->max_bytes);
		return ERR_TOO_LARGE;
	}
	if (c->write_errno) {
		set_error(out, "cannot write the download: %s", strerror(c->write_errno));
		return ERR_IO;
	}
	if (rc == CURLE_UNSUPPORTED_PROTOCOL) {
		char *redirect = NULL;
		char scheme[32];
		curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &redirect);
		fetch_url_scheme(redirect ? redirect : where, scheme, sizeof(scheme));
		set_error(out, "blocked: a redirect to the unsupported scheme %s", scheme);
		return ERR_FORBIDDEN;
	}
	if (rc == CURLE_OK) {
		if (out->http_status >= 200 && out->http_status < 300)
			return ERR_OK;
		set_error(out, "download failed: HTTP %d", out->http_status);
		return ERR_UNAVAILABLE;
	}
	return network_error(h, rc, o, where, elapsed_ms, out);
}

/* ---- the transfer --------------------------------------------------------- */

/* Every option of the handle; false when one is refused (fail closed). */
static bool setup_handle(CURL *h, const char *url, const struct fetch_options *o,
			 struct fetch_call *c, char *errbuf)
{
#define SET(opt, val)                                          \
	do {                                                   \
		if (curl_easy_setopt(h, opt, val) != CURLE_OK) { \
			log_error("fetch.setup", "option=%s", #opt); \
			return false;                          \
		}                                              \
	} while (0)
	SET(CURLOPT_ERRORBUFFER, errbuf);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SET(CURLOPT_FOLLOWLOCATION, 1L);
	SET(CURLOPT_MAXREDIRS, (long)o->max_redirects);
	SET(CURLOPT_CONNECTTIMEOUT_MS, (long)o->connect_timeout_ms);
	SET(CURLOPT_TIMEOUT_MS, (long)o->total_timeout_ms);
	SET(CURLOPT_USERAGENT, o->user_agent);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_HTTPGET, 1L);
	SET(CURLOPT_FAILONERROR, 1L);
	/* A hint (0 would mean none); on_write enforces the cap. */
	SET(CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)(o->max_bytes > INT64_MAX ? INT64_MAX : o->max_bytes));
	SET(CURLOPT_ACCEPT_ENCODING, ""); /* decoded bytes count against the cap */
	SET(CURLOPT_PROXY, "");           /* ignore http_proxy and friends */
	SET(CURLOPT_NOPROXY, "*");
	SET(CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
	SET(CURLOPT_SSL_VERIFYPEER, 1L);  /* CA bundle: libcurl's default, the system's */
	SET(CURLOPT_SSL_VERIFYHOST, 2L);
	SET(CURLOPT_WRITEFUNCTION, on_write);
	SET(CURLOPT_WRITEDATA, c);
	SET(CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
	SET(CURLOPT_OPENSOCKETDATA, c);
	SET(CURLOPT_PREREQFUNCTION, on_prereq);
	SET(CURLOPT_PREREQDATA, c);
#undef SET
	return true;
}

/* Copy the facts of the last response into out (strings in a). */
static void collect_info(CURL *h, struct arena *a, struct fetch_call *c, struct fetch_result *out)
{
	long status = 0;
	char *eff = NULL, *ctype = NULL;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(h, CURLINFO_EFFECTIVE_URL, &eff);
	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ctype);
	out->http_status = (int)status;
	out->bytes = c->bytes;
	out->final_url = eff ? arena_strdup(a, eff) : NULL;
	out->content_type = ctype ? arena_strdup(a, ctype) : NULL;
}

enum mtag_err fetch_to_fd(struct arena *a, const char *url, const struct fetch_options *opts,
			  int fd, struct fetch_result *out)
{
	struct fetch_options eff;
	const struct fetch_options *o = &eff;
	effective_options(opts, &eff);
	memset(out, 0, sizeof(*out));
	enum mtag_err e = fetch_url_check(url, out->error, sizeof(out->error));
	if (e)
		return e;
	fetch_global_init();
	struct fetch_call c = { .o = o, .fd = fd };
	char errbuf[CURL_ERROR_SIZE] = "";
	CURL *h = global_rc == CURLE_OK ? curl_easy_init() : NULL;
	if (!h || !setup_handle(h, url, o, &c, errbuf)) {
		set_error(out, "download failed: the transfer could not be set up");
		e = ERR_INTERNAL;
		goto out;
	}
	int64_t t0 = clock_mono_us();
	CURLcode rc = curl_easy_perform(h);
	int64_t elapsed_ms = (clock_mono_us() - t0) / 1000;
	collect_info(h, a, &c, out);
	e = outcome(h, rc, &c, url, elapsed_ms, out);
	if (e == ERR_OK && out->final_url)
		out->filename = fetch_url_filename(a, out->final_url);
	if (e != ERR_OK && rc != CURLE_OK && errbuf[0]) {
		char q[CURL_ERROR_SIZE + 8];
		log_debug("fetch.curl", "code=%d detail=%s", (int)rc, log_quote(q, sizeof(q), errbuf));
	}
out:
	if (h)
		curl_easy_cleanup(h);
	return e;
}
