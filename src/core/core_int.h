/*
 * core_int.h - helpers shared by the files of core/ and by nothing else.
 */
#ifndef MTAG_CORE_INT_H
#define MTAG_CORE_INT_H

#include "core/core_auth.h"
#include "store/store.h"

/* Copy the public fields of a store user (strings are shared, not copied). */
void core_user_from_store(struct core_user *out, const struct store_user *u);
/* Append to the audit log; a failure is logged, never returned (auditing must not block a login). */
void core_audit(struct core *c, const char *user_id, const char *event, const char *ip,
		const char *detail_json);
/* Take a token from a rate-limit bucket; ERR_RATE_LIMITED with f filled when empty. */
enum mtag_err core_rate_check(struct core *c, const char *key, int per_minute,
			      struct core_failure *f);
/*
 * Take a token from each login bucket: the address, the account (email,
 * trimmed and lower-cased) from this address, the account anywhere. Every try of a password
 * takes them - a login, a change of password - so a stolen access token
 * cannot guess the password faster than the login form can.
 */
enum mtag_err core_login_rate(struct core *c, struct arena *a, const struct core_client *cl,
			      const char *email, struct core_failure *f);
/* Create a session for the user and sign its first tokens. */
enum mtag_err core_start_session(struct core *c, struct arena *a, const struct core_client *cl,
				 const char *user_id, struct core_tokens *t);
/* The email as stored (trimmed, lower-case), without validating it: for lookups. */
const char *core_normalize_email_loose(struct arena *a, const char *email);
/*
 * Store every email as core_normalize_email_loose writes it: accounts made
 * when only ASCII letters were lower-cased ("Élodie@x.fr") are re-keyed, so
 * that "élodie@x.fr" can neither register beside them nor log in as another
 * account. A clash with an existing key is logged and left. OUT: *rekeyed.
 */
enum mtag_err core_rekey_emails(struct core *c, int *rekeyed);
/*
 * The user of this email (as typed: trimmed and lower-cased here), or of its
 * ASCII-only lower-casing, the key of an account made before non-ASCII
 * letters were lower-cased. ERR_NOT_FOUND when neither.
 */
enum mtag_err core_user_by_email(struct core *c, struct arena *a, const char *email,
				 struct store_user *u);
/* A job as the log names it: its id, or "anonymous" for anonymous work, whose id is the
 * capability to read it (never logged). */
static inline const char *core_job_log_id(const char *job_id, const char *user_id)
{
	return user_id && user_id[0] ? job_id : "anonymous";
}
/* Replace a bcrypt (or outdated) hash by argon2id; failures are logged only. */
void core_upgrade_hash(struct core *c, struct arena *a, const char *user_id, const char *password);

/*
 * Anonymous work is limited per client, by this key of its address (an
 * HMAC of it, 16 hex digits: the address itself is never stored). "" for
 * a signed-in owner.
 */
#define CORE_ANON_CLIENT_LEN 16
/* All anonymous work together has at most this many users' limits. */
#define ANON_TOTAL_USERS 10
/* The files an anonymous client keeps (until claimed or purged): at most this many
 * uploads of MTAG_MAX_UPLOAD_MB. */
#define ANON_KEPT_UPLOADS 10
void core_anon_client(const struct core *c, const char *owner_id, const char *ip,
		      char out[CORE_ANON_CLIENT_LEN + 1]);
/*
 * The owner's per-user limits before more documents are queued (core_jobs.c):
 * a job more running (unless adds_job is false: the job runs already) and
 * more documents waiting. ERR_RATE_LIMITED with err said otherwise; the
 * anonymous work (owner "") of one client (anon_client, core_anon_client)
 * has one owner's limits, and all anonymous work ANON_TOTAL_USERS owners';
 * anonymous work also keeps at most ANON_KEPT_UPLOADS uploads' bytes per
 * client with more_bytes (about to be stored) counted.
 */
enum mtag_err core_check_limits(struct core *c, const char *owner_id, const char *anon_client,
				bool adds_job, size_t more, uint64_t more_bytes, char *err,
				size_t errlen);
/*
 * Delete the stored files of rows gone (what: "job", "document"... for the
 * log). A file storage does not delete is kept (store_blob_delete_later)
 * and deleted again by core_delete_queued: by the janitor, and after any
 * delete storage takes. No file outlives its document.
 */
void core_delete_files(struct core *c, const char *const *keys, size_t n, const char *what);
/* Delete up to max of the files kept to be deleted again, until storage fails. */
void core_delete_queued(struct core *c, size_t max);
/*
 * Submit a job and its documents (store_job_submit) with the owner's (or
 * anonymous client's) limits counted in the submission's own transaction:
 * submissions at once, on any node, cannot pass them together, as they did
 * past core_check_limits' count. ERR_RATE_LIMITED with err said when they
 * would be passed.
 */
enum mtag_err core_submit(struct core *c, const struct store_job *j,
			  const struct store_document *docs, size_t n, char *err, size_t errlen);
/*
 * Hold a document processed at once for a request: its lease is renewed
 * with the workers' until core_unhold. Returns the slot, -1 when every slot
 * is taken (then its lease is not renewed: logged).
 */
int core_hold(struct core *c, const char *id);
void core_unhold(struct core *c, int slot);
/* Process a document taken from the queue, and record its outcome (core_process.c). */
void core_process_claimed(struct core *c, struct arena *a, const struct store_document *d);
/*
 * Wait for a download slot of the URL's host (MTAG_FETCH_PER_HOST at once),
 * then take it. wait_s > 0 bounds the wait: false when no slot came by then
 * (nothing taken). A worker waits for as long as it takes (wait_s 0): each
 * download holding a slot has its own time limit.
 */
bool core_host_take(struct core *c, const char *url, int wait_s);
/* Give the slot back. */
void core_host_give(struct core *c, const char *url);
/*
 * Room for one more document processed at once for a request of owner (a
 * user id, or an anonymous client's key): at most twice MTAG_HTTP_THREADS
 * in all, half the HTTP offload pool, so that sign-ins and the rest always
 * find a thread however many slow downloads are asked for, and a quarter of
 * that per owner. False, with err said, when there is none (nothing waits).
 */
bool core_sync_take(struct core *c, const char *owner, char *err, size_t errlen);
void core_sync_give(struct core *c, const char *owner);
/*
 * Storage failed a worker's document: the workers claim nothing more until
 * it answers again (core_storage_back), so that an outage of a few seconds
 * does not fail every queued document.
 */
void core_storage_down(struct core *c);
/* Whether the workers may claim: storage has not failed, or answers again. */
bool core_storage_back(struct core *c);

struct pipeline_doc;
/* Count a recorded outcome ("completed" or "failed"); for completed ones, the stage timings of p (core_metrics.c). */
void core_metrics_document(const char *status, const struct pipeline_doc *p);
/* Record how long a claimed document waited, from its submission (created_us) to now_us. */
void core_metrics_claimed(int64_t created_us, int64_t now_us);
/* Record one claim call that took took_us, whether it found a document or not. */
void core_metrics_claim_call(int64_t took_us);

#endif
