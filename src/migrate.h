/* migrate.h -- apply the numbered SQL files of a folder once each, recording them. */
#ifndef OW_MIGRATE_H
#define OW_MIGRATE_H

#include <stdio.h>

#include "db.h"

/*
 * Apply every *.sql file of dir not yet in schema_migrations, in name order,
 * printing one line per file to out. Returns 0, or -1 after printing why to
 * stderr.
 */
int migrate_apply(struct db *db, const char *dir, FILE *out);

#endif
