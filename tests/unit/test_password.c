#include "harness.h"
#include "auth/password.h"
#include "base/xalloc.h"

static void test_argon2id_hash_and_verify(void)
{
	struct arena a = ARENA_INIT;
	const char *h1 = NULL, *h2 = NULL;
	bool rehash = true;
	CHECK_INT(password_hash(&a, "correct horse battery", &h1), ERR_OK);
	CHECK_INT(password_hash(&a, "correct horse battery", &h2), ERR_OK);
	CHECK(strncmp(h1, "$argon2id$v=19$m=19456,t=2,p=1$", 31) == 0);
	CHECK(strcmp(h1, h2) != 0); /* salted */
	CHECK_INT(password_verify(h1, "correct horse battery", &rehash), ERR_OK);
	CHECK(!rehash);
	CHECK_INT(password_verify(h1, "correct horse batterY", NULL), ERR_UNAUTHORIZED);
	CHECK_INT(password_verify(h1, "", NULL), ERR_UNAUTHORIZED);
	arena_release(&a);
}

static void test_bcrypt_verifies_and_asks_rehash(void)
{
	/* The OpenBSD test vector for "U*U", and its $2b$/$2y$ spellings. */
	const char *v = "$2a$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW";
	bool rehash = false;
	CHECK_INT(password_verify(v, "U*U", &rehash), ERR_OK);
	CHECK(rehash);
	CHECK_INT(password_verify(v, "U*V", NULL), ERR_UNAUTHORIZED);
	CHECK_INT(password_verify("$2b$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", NULL), ERR_OK);
	CHECK_INT(password_verify("$2y$05$CCCCCCCCCCCCCCCCCCCCC.E5YPO9kmyuRGyh0XouQYb4YMJKvyOeW", "U*U", NULL), ERR_OK);
}

static void test_other_forms_refused(void)
{
	/* crypt(3) would take these as DES or MD5 settings: never accepted. */
	CHECK_INT(password_verify("ga3B1/aPyo5qQ", "garbage", NULL), ERR_UNAUTHORIZED);
	CHECK_INT(password_verify("$1$saltsalt$2vnaRpHa6Jxjz5n83ok8Z0", "password", NULL), ERR_UNAUTHORIZED);
	CHECK_INT(password_verify("", "", NULL), ERR_UNAUTHORIZED);
	CHECK_INT(password_verify("$argon2i$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$Zm9v", "foo", NULL), ERR_UNAUTHORIZED);
	CHECK_INT(password_verify("$2a$05$short", "U*U", NULL), ERR_UNAUTHORIZED);
}

static void test_outdated_argon2_params_ask_rehash(void)
{
	/* argon2id with weaker parameters (m=4096,t=1) verifies but is upgraded. */
	const char *weak = "$argon2id$v=19$m=4096,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$"
			   "2gwotFrXd0+zAFJqh3DHaDnAxcUpU8hrA/whR9a0Ls0";
	bool rehash = false;
	enum mtag_err e = password_verify(weak, "password", &rehash);
	CHECK_INT(e, ERR_OK);
	CHECK(rehash);
}

int main(void)
{
	RUN(test_argon2id_hash_and_verify);
	RUN(test_bcrypt_verifies_and_asks_rehash);
	RUN(test_other_forms_refused);
	RUN(test_outdated_argon2_params_ask_rehash);
	return unit_report("test_password");
}
