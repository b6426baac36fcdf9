/* migrate.c -- schema migrations: numbered files applied in order, each recorded once. */
#include "migrate.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define MIGRATION_MAX_BYTES (4 * 1024 * 1024)

static int
by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int
is_sql(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 4 && strcmp(d->d_name + n - 4, ".sql") == 0 && d->d_name[0] != '.';
}

static char *
slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	if (f == NULL)
		return NULL;
	buf = malloc(MIGRATION_MAX_BYTES + 1);
	if (buf != NULL) {
		size_t n = fread(buf, 1, MIGRATION_MAX_BYTES + 1, f);
		if (n > MIGRATION_MAX_BYTES || ferror(f)) {
			free(buf);
			buf = NULL;
		} else {
			buf[n] = '\0';
		}
	}
	fclose(f);
	return buf;
}

/*
 * CREATE TABLE only when the table is missing: with nothing pending,
 * migrate then needs no DDL right, so the service's own user (SELECT,
 * INSERT, UPDATE, DELETE) can check that the schema is up to date.
 */
static int
migrations_table(struct db *db, struct arena *a)
{
	static const char create[] =
	    "CREATE TABLE IF NOT EXISTS schema_migrations (\n"
	    "  version VARCHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,\n"
	    "  applied_at DATETIME NOT NULL DEFAULT (UTC_TIMESTAMP())\n"
	    ") ENGINE=InnoDB;\n";
	static struct db_query has_table = DB_QUERY(
	    "SELECT COUNT(*) FROM information_schema.TABLES "
	    "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'schema_migrations'");
	struct db_rows rows;
	char err[512];

	if (db_exec(db, &has_table, NULL, 0, &rows, a) != DB_OK) {
		fprintf(stderr, "overwatch-admin: migrate: cannot read the database's tables\n");
		return -1;
	}
	bool missing = db_cell_int(&rows, 0, 0) == 0;
	arena_reset(a);
	if (missing && db_exec_script(db, create, err, sizeof(err)) != DB_OK) {
		fprintf(stderr, "overwatch-admin: migrate: %s\n", err);
		return -1;
	}
	return 0;
}

int
migrate_apply(struct db *db, const char *dir, FILE *out)
{
	static struct db_query applied = DB_QUERY("SELECT 1 FROM schema_migrations WHERE version = ?");
	static struct db_query record = DB_QUERY("INSERT INTO schema_migrations (version) VALUES (?)");
	struct dirent **names = NULL;
	struct arena a;
	char err[512];
	int n, rc = 0, done = 0;

	arena_init(&a, 1024 * 1024);
	if (migrations_table(db, &a) != 0) {
		arena_free(&a);
		return -1;
	}
	n = scandir(dir, &names, is_sql, by_name);
	if (n < 0) {
		fprintf(stderr, "overwatch-admin: migrate: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		const char *name = names[i]->d_name;
		struct db_param p = DBP_STR(name);
		struct db_rows rows;
		char path[4096];
		if (strlen(name) > 64) {
			fprintf(stderr, "overwatch-admin: migrate: %s: name longer than 64 characters\n", name);
			rc = -1;
			break;
		}
		if (db_exec(db, &applied, &p, 1, &rows, &a) != DB_OK) {
			fprintf(stderr, "overwatch-admin: migrate: cannot read schema_migrations\n");
			rc = -1;
			break;
		}
		arena_reset(&a);
		if (rows.nrows > 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		char *sql = slurp(path);
		if (sql == NULL) {
			fprintf(stderr, "overwatch-admin: migrate: cannot read %s\n", path);
			rc = -1;
			break;
		}
		if (db_exec_script(db, sql, err, sizeof(err)) != DB_OK) {
			fprintf(stderr, "overwatch-admin: migrate: %s: %s\n", name, err);
			rc = -1;
		} else if (db_exec(db, &record, &p, 1, NULL, NULL) != DB_OK) {
			fprintf(stderr, "overwatch-admin: migrate: cannot record %s\n", name);
			rc = -1;
		} else {
			fprintf(out, "applied %s\n", name);
			done++;
		}
		free(sql);
	}
	for (int i = 0; i < n; i++)
		free(names[i]);
	free(names);
	arena_free(&a);
	if (rc == 0)
		fprintf(out, "%s\n", done > 0 ? "schema up to date" : "schema already up to date");
	return rc;
}
