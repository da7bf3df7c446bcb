/*
 * test_blob_sign.c - the parts of blob/ that need no server: presigned URLs
 * against AWS's published SigV4 example, and the storage URL rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "base/arena.h"
#include "base/log.h"
#include "blob/blob.h"
#include "blob/blob_int.h"
#include "base/xalloc.h"

static char errbuf[512];

/* 2013-05-24T00:00:00Z, the date of AWS's examples. */
#define AWS_EXAMPLE_TIME ((time_t)1369353600)

static void use_example_keys(void)
{
	setenv("MTAG_S3_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE", 1);
	setenv("MTAG_S3_SECRET_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", 1);
}

/*
 * "Authenticating Requests: Using Query Parameters (AWS Signature Version 4)",
 * the example GET of examplebucket/test.txt, valid for 86400 seconds.
 */
static void test_presign_aws_example(void)
{
	struct blob *b;
	struct arena a = ARENA_INIT;
	const char *url;
	use_example_keys();
	CHECK_INT(blob_open("s3://examplebucket?endpoint=https://s3.amazonaws.com&path_style=0",
			    false, &b, errbuf, sizeof(errbuf)),
		  ERR_OK);
	CHECK_INT(blob_s3_presign_at(b, &a, "test.txt", 86400, NULL, NULL, AWS_EXAMPLE_TIME, &url,
				     errbuf, sizeof(errbuf)),
		  ERR_OK);
	CHECK_STR(url, "https://examplebucket.s3.amazonaws.com/test.txt"
		       "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
		       "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
		       "&X-Amz-Date=20130524T000000Z"
		       "&X-Amz-Expires=86400"
		       "&X-Amz-SignedHeaders=host"
		       "&X-Amz-Signature="
		       "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	blob_close(b);
	arena_release(&a);
}

/* Path style, response overrides: encoded, sorted after the X-Amz-* parameters. */
static void test_presign_shape(void)
{
	struct blob *b;
	struct arena a = ARENA_INIT;
	const char *url;
	use_example_keys();
	CHECK_INT(blob_open("s3://examplebucket?endpoint=http%3A%2F%2F127.0.0.1%3A9000&region=eu-west-1",
			    false, &b, errbuf, sizeof(errbuf)),
		  ERR_OK);
	CHECK_INT(blob_s3_presign_at(b, &a, "u/j/d.pdf", 300, "application/pdf",
				     "attachment; filename=\"a b.pdf\"", AWS_EXAMPLE_TIME, &url,
				     errbuf, sizeof(errbuf)),
		  ERR_OK);
	const char *want = "http://127.0.0.1:9000/examplebucket/u/j/d.pdf"
			   "?X-Amz-Algorithm=AWS4-HMAC-SHA256"
			   "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Feu-west-1%2Fs3%2Faws4_request"
			   "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=300&X-Amz-SignedHeaders=host"
			   "&response-content-disposition=attachment%3B%20filename%3D%22a%20b.pdf%22"
			   "&response-content-type=application%2Fpdf&X-Amz-Signature=";
	CHECK(strncmp(url, want, strlen(want)) == 0);
	CHECK_INT(strlen(url), strlen(want) + 64);
	/* Default port dropped, as the Host header a client sends has none. */
	blob_close(b);
	CHECK_INT(blob_open("s3://examplebucket?endpoint=https://minio.example:443/", false, &b,
			    errbuf, sizeof(errbuf)),
		  ERR_OK);
	CHECK_INT(blob_s3_presign_at(b, &a, "k", 60, NULL, NULL, AWS_EXAMPLE_TIME, &url, errbuf,
				     sizeof(errbuf)),
		  ERR_OK);
	CHECK(strncmp(url, "https://minio.example/examplebucket/k?", 38) == 0);
	CHECK_INT(blob_s3_presign_at(b, &a, "k", 0, NULL, NULL, AWS_EXAMPLE_TIME, &url, errbuf,
				     sizeof(errbuf)),
		  ERR_VALIDATION);
	CHECK_INT(blob_s3_presign_at(b, &a, "k", 7 * 86400 + 1, NULL, NULL, AWS_EXAMPLE_TIME, &url,
				     errbuf, sizeof(errbuf)),
		  ERR_VALIDATION);
	CHECK_INT(blob_s3_presign_at(b, &a, "k", 60, "text/plain\r\nX-Evil: 1", NULL,
				     AWS_EXAMPLE_TIME, &url, errbuf, sizeof(errbuf)),
		  ERR_VALIDATION);
	blob_close(b);
	arena_release(&a);
}

static void open_fails(const char *url, const char *needle)
{
	struct blob *b = (struct blob *)1;
	enum mtag_err e = blob_open(url, false, &b, errbuf, sizeof(errbuf));
	if (e != ERR_VALIDATION)
		FAIL_AT("blob_open(\"%s\") = %s, want validation_error", url, err_name(e));
	if (b != NULL)
		FAIL_AT("blob_open(\"%s\") left *out set", url);
	if (!strstr(errbuf, needle))
		FAIL_AT("blob_open(\"%s\"): error \"%s\" lacks \"%s\"", url, errbuf, needle);
}

static void test_open_urls(void)
{
	use_example_keys();
	open_fails("", "empty");
	open_fails("ftp://x", "file:// or s3://");
	open_fails("s3://", "bucket name");
	open_fails("s3://Bad_Bucket", "bucket name");
	open_fails("s3://ok-bucket?endpoint=ftp://x", "http:// or https://");
	open_fails("s3://ok-bucket?endpoint=http://h:9000/sub", "without a path");
	open_fails("s3://ok-bucket?endpoint=http://us%40h", "not allowed");
	open_fails("s3://ok-bucket?path_style=2", "path_style");
	open_fails("s3://ok-bucket?create_bucket=yes", "create_bucket");
	open_fails("s3://ok-bucket?region=US_EAST", "region");
	open_fails("s3://ok-bucket?colour=blue", "unknown parameter 'colour'");
	open_fails("s3://ok-bucket?endpoint=%zz", "percent");
	open_fails("s3://ok-bucket?endpoint=http://10.0.0.1:9000&path_style=0", "host name");
	if (unit_current_failed)
		return;

	struct blob *b;
	CHECK_INT(blob_open("s3://ok-bucket?endpoint=http://127.0.0.1:9000&region=eu-west-1&"
			    "path_style=1&create_bucket=0",
			    true, &b, errbuf, sizeof(errbuf)),
		  ERR_OK);
	CHECK_STR(blob_driver_name(b), "s3");
	struct arena a = ARENA_INIT;
	const char *p = "x";
	CHECK_INT(blob_local_path(b, &a, "k", &p), ERR_OK);
	CHECK(p == NULL);
	blob_close(b);
	CHECK_INT(blob_open("s3://ok-bucket", false, &b, errbuf, sizeof(errbuf)), ERR_OK);
	blob_close(b);

	unsetenv("MTAG_S3_ACCESS_KEY");
	unsetenv("MTAG_S3_SECRET_KEY");
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	open_fails("s3://ok-bucket", "MTAG_S3_ACCESS_KEY");
	setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
	CHECK_INT(blob_open("s3://ok-bucket", false, &b, errbuf, sizeof(errbuf)), ERR_OK);
	blob_close(b);
	blob_close(NULL);
	arena_release(&a);
}

static void test_key_rules(void)
{
	CHECK(blob_key_valid("anonymous/0190c6a4-7a8e-7b1c-9d2e-3f4a5b6c7d8e/doc-1.pdf"));
	CHECK(!blob_key_valid(NULL));
	CHECK(!blob_key_valid("a/../b"));
	CHECK(!blob_key_valid("a/b\\c"));
	CHECK(blob_prefix_valid(""));
	CHECK(blob_prefix_valid("a/"));
	CHECK(blob_prefix_valid("a/b"));
	CHECK(blob_prefix_valid("a/."));   /* may match "a/.x" */
	CHECK(!blob_prefix_valid("../"));
	CHECK(!blob_prefix_valid("/a"));
	CHECK(!blob_prefix_valid("a//"));
}

int main(void)
{
	log_set_level(LOG_ERROR);
	RUN(test_presign_aws_example);
	RUN(test_presign_shape);
	RUN(test_open_urls);
	RUN(test_key_rules);
	return unit_report("test_blob_sign");
}
