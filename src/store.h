/* store.h -- queries of the database, one store_*.c per table family. */
#ifndef OW_STORE_H
#define OW_STORE_H

#include <stdbool.h>

#include "db.h"
#include "status.h"

/* The request status for a database outcome that is not DB_OK. */
enum status store_status(enum db_result r);

/* SELECT 1 on the worker's connection: DB_OK when the database answers. */
enum db_result store_ping(struct db *db, struct arena *a);

/* Create an organization; DB_DUPLICATE when the slug is taken. */
enum db_result store_org_create(struct db *db, const char *id, const char *name, const char *slug);
/* Organization id by id or slug into out (UUID_STR_LEN); DB_OK with *found. */
enum db_result store_org_find(struct db *db, struct arena *a, const char *id_or_slug,
    char *out, bool *found);

/* Create a user; email must be normalised. DB_DUPLICATE when the email is taken. */
enum db_result store_user_create(struct db *db, const char *id, const char *org_id,
    const char *email, const char *name, const char *role, const char *password_hash);
/* Clear the lockout of the user with this email; *changed says whether one existed. */
enum db_result store_user_unlock_by_email(struct db *db, struct arena *a, const char *email,
    bool *changed);

#endif
