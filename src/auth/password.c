#include <argon2.h>
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/password.h"
#include "base/digest.h"
#include "base/log.h"
#include "base/random.h"
#include "base/xalloc.h"

#define ARGON2_T 2
#define ARGON2_M_KIB 19456
#define ARGON2_P 1
#define SALT_LEN 16
#define TAG_LEN 32
#define PASSWORD_MAX_PARALLEL 4
#define PASSWORD_WAIT_S 5

static sem_t slots;
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;
/* A real hash of a random password, verified against for unknown accounts. */
static char dummy_hash[128];

static void slots_init(void)
{
	sem_init(&slots, 0, PASSWORD_MAX_PARALLEL);
	char pw[33];
	unsigned char salt[SALT_LEN];
	random_hex(pw, 16);
	random_bytes(salt, sizeof(salt));
	argon2id_hash_encoded(ARGON2_T, ARGON2_M_KIB, ARGON2_P, pw, strlen(pw), salt,
			      sizeof(salt), TAG_LEN, dummy_hash, sizeof(dummy_hash));
}

static enum mtag_err slot_take(void)
{
	pthread_once(&slots_once, slots_init);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += PASSWORD_WAIT_S;
	while (sem_timedwait(&slots, &ts) < 0) {
		if (errno == EINTR)
			continue;
		log_warn("auth.password_busy", "wait_s=%d", PASSWORD_WAIT_S);
		return ERR_UNAVAILABLE;
	}
	return ERR_OK;
}

static void slot_give(void)
{
	sem_post(&slots);
}

enum mtag_err password_hash(struct arena *a, const char *pw, const char **out)
{
	unsigned char salt[SALT_LEN];
	char encoded[128];
	random_bytes(salt, sizeof(salt));
	enum mtag_err e = slot_take();
	if (e)
		return e;
	int rc = argon2id_hash_encoded(ARGON2_T, ARGON2_M_KIB, ARGON2_P, pw, strlen(pw), salt,
				       sizeof(salt), TAG_LEN, encoded, sizeof(encoded));
	slot_give();
	if (rc != ARGON2_OK) {
		log_error("auth.argon2_failed", "error=\"%s\"", argon2_error_message(rc));
		return ERR_INTERNAL;
	}
	*out = arena_strdup(a, encoded);
	return ERR_OK;
}

/* "$2a$", "$2b$" or "$2y$" then two cost digits and '$': anything else would
 * make crypt_r fall back to other (weaker) methods, e.g. DES. */
static bool is_bcrypt(const char *h)
{
	return h[0] == '$' && h[1] == '2' && (h[2] == 'a' || h[2] == 'b' || h[2] == 'y') &&
	       h[3] == '$' && h[4] >= '0' && h[4] <= '9' && h[5] >= '0' && h[5] <= '9' &&
	       h[6] == '$' && strlen(h) == 60;
}

static enum mtag_err verify_bcrypt(const char *hash, const char *pw)
{
	struct crypt_data *cd = xcalloc(1, sizeof(*cd)); /* 32 KiB: not for the stack */
	const char *got = crypt_r(pw, hash, cd);
	bool ok = got && got[0] == '$' && strlen(got) == strlen(hash) &&
		  digest_equal(got, hash, strlen(hash));
	free(cd);
	return ok ? ERR_OK : ERR_UNAUTHORIZED;
}

enum mtag_err password_verify(const char *hash, const char *pw, bool *needs_rehash)
{
	static const char current[] = "$argon2id$v=19$m=19456,t=2,p=1$";
	bool argon = strncmp(hash, "$argon2id$", 10) == 0;
	if (!argon && !is_bcrypt(hash))
		return ERR_UNAUTHORIZED;
	enum mtag_err e = slot_take();
	if (e)
		return e;
	if (argon)
		e = argon2id_verify(hash, pw, strlen(pw)) == ARGON2_OK ? ERR_OK : ERR_UNAUTHORIZED;
	else
		e = verify_bcrypt(hash, pw);
	slot_give();
	if (needs_rehash)
		*needs_rehash = !argon || strncmp(hash, current, sizeof(current) - 1) != 0;
	return e;
}

void password_verify_dummy(const char *pw)
{
	pthread_once(&slots_once, slots_init);
	password_verify(dummy_hash, pw, NULL);
}
