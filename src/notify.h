/* notify.h -- the notification hook (doc/api.md section 6, "Notifications"): queue in the change's transaction, deliver between requests. */
#ifndef OW_NOTIFY_H
#define OW_NOTIFY_H

#include <stdbool.h>
#include <time.h>

#include "config.h"
#include "db.h"

/* The events a user is told about (notification_outbox.event). */
#define NOTIFY_PASSWORD_CHANGED "password_changed"
#define NOTIFY_NEW_SIGN_IN "new_sign_in"
#define NOTIFY_API_KEY_CREATED "api_key_created"
#define NOTIFY_MFA_CHANGED "mfa_changed"
#define NOTIFY_ACTIVATION_LINK "activation_link"
#define NOTIFY_RESET_LINK "reset_link"

/* Whether the operator configured a mail server or a webhook ([notify]). */
bool notify_configured(const struct config *cfg);
/*
 * Queue event for the active user who (a user id, or an address when
 * by_email) with detail (NULL: none), in the caller's transaction, kept
 * ttl seconds (0: a day). Nothing, and DB_OK, when no hook is configured.
 * Asks this worker to deliver right after the request.
 */
enum db_result notify_queue(struct db *db, const struct config *cfg, const char *event, const char *who,
    bool by_email, const char *detail, long ttl);
/*
 * Between requests (src/worker.c): deliver a batch of due notifications,
 * at most once a second unless this worker queued one. Failures are
 * logged (never the message) and retried later; the request path never
 * waits on a delivery.
 */
void notify_drain(struct db *db, const struct config *cfg, time_t now);

/* src/notify_send.c: one delivery, bounded by [notify] timeout. 0 when delivered, else -1. */
int notify_send_mail(const struct config *cfg, const char *to, const char *message);
int notify_send_webhook(const struct config *cfg, const char *json);

#endif
