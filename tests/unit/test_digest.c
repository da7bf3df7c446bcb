/* SHA-256 and HMAC-SHA256 against published vectors (FIPS 180-2, RFC 4231),
 * and against OpenSSL on inputs of every length around the block size. */
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "harness.h"
#include "base/digest.h"

static void hex_of(const unsigned char *md, char out[SHA256_HEX_LEN])
{
	digest_hex(md, SHA256_LEN, out);
}

static void test_sha256_vectors(void)
{
	char h[SHA256_HEX_LEN];
	digest_sha256_hex("abc", 3, h);
	CHECK_STR(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	digest_sha256_hex("", 0, h);
	CHECK_STR(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	digest_sha256_hex(two, strlen(two), h);
	CHECK_STR(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_stream_equals_one_call(void)
{
	/* A million 'a's in uneven pieces (the FIPS 180-2 long-message vector). */
	static char block[1000];
	memset(block, 'a', sizeof(block));
	struct sha256_stream s;
	sha256_stream_begin(&s);
	size_t left = 1000000, step = 1;
	while (left) {
		size_t k = step < left ? step : left;
		k = k < sizeof(block) ? k : sizeof(block);
		sha256_stream_add(&s, block, k);
		left -= k;
		step = step * 7 % 997 + 1;
	}
	unsigned char md[SHA256_LEN];
	sha256_stream_end(&s, md);
	char h[SHA256_HEX_LEN];
	hex_of(md, h);
	CHECK_STR(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_hmac_rfc4231(void)
{
	unsigned char mac[SHA256_LEN], key[131];
	char h[SHA256_HEX_LEN];
	/* Test case 1: 20 bytes of 0x0b, "Hi There". */
	memset(key, 0x0b, 20);
	digest_hmac_sha256(key, 20, "Hi There", 8, mac);
	hex_of(mac, h);
	CHECK_STR(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	/* Test case 2: a key shorter than the output. */
	const char *msg = "what do ya want for nothing?";
	digest_hmac_sha256("Jefe", 4, msg, strlen(msg), mac);
	hex_of(mac, h);
	CHECK_STR(h, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	/* Test case 6: a 131-byte key, longer than the block, is hashed first. */
	memset(key, 0xaa, sizeof(key));
	msg = "Test Using Larger Than Block-Size Key - Hash Key First";
	digest_hmac_sha256(key, sizeof(key), msg, strlen(msg), mac);
	hex_of(mac, h);
	CHECK_STR(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_agrees_with_openssl(void)
{
	unsigned char data[300], ours[SHA256_LEN], theirs[SHA256_LEN];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (unsigned char)(i * 31 + 7);
	for (size_t n = 0; n <= sizeof(data); n++) {
		unsigned int len = 0;
		digest_sha256(data, n, ours);
		EVP_Digest(data, n, theirs, &len, EVP_sha256(), NULL);
		CHECK(memcmp(ours, theirs, SHA256_LEN) == 0);
		digest_hmac_sha256(data, n % 100, data, n, ours);
		HMAC(EVP_sha256(), data, (int)(n % 100), data, n, theirs, &len);
		CHECK(memcmp(ours, theirs, SHA256_LEN) == 0);
	}
}

static void test_equal(void)
{
	CHECK(digest_equal("abcdef", "abcdef", 6));
	CHECK(!digest_equal("abcdef", "abcdeg", 6));
	CHECK(!digest_equal("xbcdef", "abcdef", 6));
	CHECK(digest_equal("a", "b", 0));
}

static void test_hex(void)
{
	static const unsigned char b[] = { 0x00, 0x0f, 0xa5, 0xff };
	char out[9];
	digest_hex(b, sizeof(b), out);
	CHECK_STR(out, "000fa5ff");
}

int main(void)
{
	RUN(test_sha256_vectors);
	RUN(test_stream_equals_one_call);
	RUN(test_hmac_rfc4231);
	RUN(test_agrees_with_openssl);
	RUN(test_equal);
	RUN(test_hex);
	return unit_report("test_digest");
}
