/*
 * err.h - the one error enum of the whole program.
 *
 * Every fallible function of ours returns an enum mtag_err; 0 is success.
 * The list below is the only place an error is declared: it gives each one
 * its name (the "code" of an API error body) and its HTTP status.
 */
#ifndef MTAG_ERR_H
#define MTAG_ERR_H

/*         symbol              name                      http  default detail */
#define MTAG_ERRORS(X)                                                                 \
	X(OK,                 "ok",                       200, "ok")                           \
	X(BAD_REQUEST,        "bad_request",              400, "the request is malformed")     \
	X(UNAUTHORIZED,       "unauthorized",             401, "authentication is required")   \
	X(FORBIDDEN,          "forbidden",                403, "this is not allowed")          \
	X(NOT_FOUND,          "not_found",                404, "not found")                    \
	X(METHOD_NOT_ALLOWED, "method_not_allowed",       405, "method not allowed")           \
	X(CONFLICT,           "conflict",                 409, "this conflicts with existing data") \
	X(TOO_LARGE,          "too_large",                413, "too large")                    \
	X(URI_TOO_LONG,       "uri_too_long",             414, "the request's address is too long") \
	X(UNSUPPORTED_TYPE,   "unsupported_media_type",   415, "unsupported content type")     \
	X(VALIDATION,         "validation_error",         422, "invalid value")                \
	X(RATE_LIMITED,       "rate_limited",             429, "too many requests")            \
	X(INTERNAL,           "internal_error",           500, "internal error")               \
	X(UNAVAILABLE,        "unavailable",              503, "a dependency is unavailable")  \
	X(TIMEOUT,            "timeout",                  504, "the operation timed out")      \
	X(IO,                 "io_error",                 500, "input/output error")

enum mtag_err {
#define MTAG_ERR_ENUM(sym, name, status, detail) ERR_##sym,
	MTAG_ERRORS(MTAG_ERR_ENUM)
#undef MTAG_ERR_ENUM
	ERR__COUNT
};

/* The error's API name, e.g. "not_found"; "unknown" for an out-of-range value. */
const char *err_name(enum mtag_err e);
/* The HTTP status that carries this error. */
int err_http_status(enum mtag_err e);
/* A generic human sentence for the error, used when no better detail exists. */
const char *err_detail(enum mtag_err e);

#endif
