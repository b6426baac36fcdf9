/* notify.c -- the notification hook: what a user is told, queued with the change, delivered between requests. */
#include "notify.h"

#include <stdio.h>
#include <string.h>

#include <json.h>

#include "arena.h"
#include "log.h"
#include "store.h"
#include "store_catalog.h"
#include "util.h"

#define NOTIFY_DEFAULT_TTL 86400L
#define NOTIFY_ARENA (256 * 1024)

/* This worker queued something: deliver after this request rather than at the next tick. */
static bool queued;
static time_t last_drain;

static const struct {
	const char *event, *subject, *lead, *tail;      /* the text: lead, the detail, tail */
} messages[] = {
	{NOTIFY_PASSWORD_CHANGED, "Your password was changed",
	    "The password of your account was changed (request from ",
	    ").\r\nIf this was not you, ask your administrator to reset it now.\r\n"},
	{NOTIFY_NEW_SIGN_IN, "New sign-in to your account",
	    "Your account was signed in to from an address not seen before: ",
	    ".\r\nIf this was not you, change your password.\r\n"},
	{NOTIFY_API_KEY_CREATED, "A new API key was created",
	    "An API key was created with your account: ",
	    ".\r\nIf this was not you, delete it and change your password.\r\n"},
	{NOTIFY_MFA_CHANGED, "Two-factor sign-in changed",
	    "Two-factor sign-in of your account: ",
	    ".\r\nIf this was not you, ask your administrator for help now.\r\n"},
	{NOTIFY_ACTIVATION_LINK, "Activate your account",
	    "An account was created for you. Choose your password with this link, usable once:\r\n\r\n",
	    "\r\n"},
	{NOTIFY_RESET_LINK, "Reset your password",
	    "A password reset was asked for your account. Choose a new password with this link,\r\n"
	    "usable once and only for a short while:\r\n\r\n",
	    "\r\n\r\nIf you did not ask for it, ignore this message.\r\n"},
};
#define NMESSAGES (sizeof(messages) / sizeof(messages[0]))

bool
notify_configured(const struct config *cfg)
{
	return cfg->notify_smtp_url[0] != '\0' || cfg->notify_webhook_url[0] != '\0';
}

enum db_result
notify_queue(struct db *db, const struct config *cfg, const char *event, const char *who, bool by_email,
    const char *detail, long ttl)
{
	if (!notify_configured(cfg))
		return DB_OK;
	queued = true;
	return store_notify_queue(db, event, who, by_email, detail, ttl > 0 ? ttl : NOTIFY_DEFAULT_TTL);
}

/* The mail of one outbox row, in a; NULL for an event without a message or a full arena. */
static char *
mail_of(const struct config *cfg, struct arena *a, const char *event, const char *to, const char *detail,
    const char *created_at)
{
	for (size_t i = 0; i < NMESSAGES; i++) {
		if (strcmp(messages[i].event, event) != 0)
			continue;
		return arena_printf(a, "From: %s\r\nTo: %s\r\nSubject: %s\r\nX-Overwatch-Event: %s\r\n"
		    "X-Overwatch-Created: %s\r\nAuto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
		    "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
		    "%s%s%s", cfg->notify_mail_from, to, messages[i].subject, event, created_at,
		    messages[i].lead, detail != NULL ? detail : "", messages[i].tail);
	}
	return NULL;
}

/* The webhook's body: the row as JSON (json-c escapes whatever a tenant put into a key's name). */
static char *
json_of(struct arena *a, const char *event, const char *user_id, const char *to, const char *detail,
    const char *created_at)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "event", json_object_new_string(event));
	json_object_object_add(o, "user_id", json_object_new_string(user_id));
	json_object_object_add(o, "email", json_object_new_string(to));
	json_object_object_add(o, "detail", detail != NULL ? json_object_new_string(detail) : NULL);
	json_object_object_add(o, "created_at", json_object_new_string(created_at));
	char *s = arena_strdup(a, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return s;
}

/* Deliver row i through every configured way; 0 when all of them took it. */
static int
deliver(const struct config *cfg, struct arena *a, const struct db_rows *rows, size_t i)
{
	const char *event = db_cell(rows, i, NOTIFY_COL_EVENT), *to = db_cell(rows, i, NOTIFY_COL_RECIPIENT);
	const char *detail = db_cell(rows, i, NOTIFY_COL_DETAIL);
	const char *created = db_cell(rows, i, NOTIFY_COL_CREATED_AT);
	int rc = 0;

	if (cfg->notify_smtp_url[0] != '\0') {
		char *mail = mail_of(cfg, a, event, to, detail, created);
		rc |= mail == NULL ? -1 : notify_send_mail(cfg, to, mail);
		if (mail != NULL)
			explicit_bzero(mail, strlen(mail));
	}
	if (cfg->notify_webhook_url[0] != '\0') {
		char *json = json_of(a, event, db_cell(rows, i, NOTIFY_COL_USER_ID), to, detail, created);
		rc |= json == NULL ? -1 : notify_send_webhook(cfg, json);
		if (json != NULL)
			explicit_bzero(json, strlen(json));
	}
	return rc;
}

/* Deliver the claimed rows until done or the pass's time (one [notify] timeout) is spent. */
static void
deliver_claimed(struct db *db, const struct config *cfg, struct arena *a, struct db_rows *rows,
    time_t start)
{
	for (size_t i = 0; i < rows->nrows; i++) {
		long long id = db_cell_int(rows, i, NOTIFY_COL_ID);
		long attempts = (long)db_cell_int(rows, i, NOTIFY_COL_ATTEMPTS);
		/* The rest stay claimed: tried again after retry_delay (the claim counted an attempt). */
		if (time(NULL) - start >= cfg->notify_timeout)
			break;
		bool sent = deliver(cfg, a, rows, i) == 0;
		if (!sent)
			log_warning("notification %lld (%s) not delivered, attempt %ld of %ld", id,
			    db_cell(rows, i, NOTIFY_COL_EVENT), attempts, cfg->notify_max_attempts);
		if ((sent || attempts >= cfg->notify_max_attempts) && store_notify_done(db, id) != DB_OK)
			log_warning("notification %lld: could not be removed from the outbox", id);
	}
	/* A link in clear lives no longer than needed, in the database or here. */
	for (size_t i = 0; i < rows->nrows; i++) {
		char *d = rows->cells[i * rows->ncols + NOTIFY_COL_DETAIL];
		if (d != NULL)
			explicit_bzero(d, rows->lens[i * rows->ncols + NOTIFY_COL_DETAIL]);
	}
}

void
notify_drain(struct db *db, const struct config *cfg, time_t now)
{
	char claim[UUID_STR_LEN];
	struct db_rows rows;
	struct arena a;
	bool leased = false;

	if (!notify_configured(cfg) || (!queued && now - last_drain < 1))
		return;
	queued = false;
	last_drain = now;
	/*
	 * One deliverer at a time: a wedged server holds up this worker for at
	 * most a timeout and a delivery, and no other. The lease outlasts that.
	 */
	if (util_uuid(claim) != 0 ||
	    store_notify_lease(db, claim, 2 * cfg->notify_timeout + 5, &leased) != DB_OK || !leased)
		return;
	arena_init(&a, NOTIFY_ARENA);
	if (store_notify_claim(db, &a, claim, cfg->notify_retry_delay, cfg->notify_max_attempts,
	    cfg->notify_batch, &rows) == DB_OK)
		deliver_claimed(db, cfg, &a, &rows, now);
	arena_free(&a);
	if (store_notify_release(db, claim) != DB_OK)
		log_warning("notification lease not given back: it runs out by itself");
}
