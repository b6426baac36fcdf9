/* admin.h -- what overwatch-admin's command files share: exit codes, a command's context, helpers. */
#ifndef OW_ADMIN_H
#define OW_ADMIN_H

#include <stdbool.h>

#include "config.h"
#include "db.h"

/* Exit codes (sysexits.h values, so scripts can tell the cases apart). */
#define EXIT_USAGE 64
#define EXIT_DATAERR 65
#define EXIT_NOTFOUND 66
#define EXIT_NOUSER 67
#define EXIT_UNAVAILABLE 69
#define EXIT_SOFTWARE 70
#define EXIT_OSERR 71
#define EXIT_CANTCREATE 73
#define EXIT_NOPERM 77
#define EXIT_CONFIG 78

/* What a command gets: the loaded configuration and, for a database command, a connection. */
struct admin {
	const struct config *cfg;   /* NULL for a command that needs none */
	struct db *db;              /* NULL unless the command needs the database */
};

/* The exit code for a failed database call, after saying what failed on stderr. */
int admin_db_fail(enum db_result r, const char *what);
/* Write a new random JWT secret (hex, mode 0600) to path; 0 or -1 with errno. */
int admin_secret_write(const char *path, bool force);
/* Apply the migrations of dir with ad's connection; 0 or an exit code. */
int admin_migrate_dir(struct admin *ad, const char *dir);

int admin_create_org(struct admin *ad, int argc, char **argv);
int admin_create_user(struct admin *ad, int argc, char **argv);
/* setup-instance (admin_instance.c): one customer's instance on a shared host. */
int admin_setup_instance(struct admin *ad, int argc, char **argv);

#endif
