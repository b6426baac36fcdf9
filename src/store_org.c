/* store_org.c -- organizations: creation and lookup by id or slug. */
#include "store.h"

#include <stdio.h>
#include <string.h>

#include "util.h"

enum db_result
store_org_create(struct db *db, const char *id, const char *name, const char *slug)
{
	static struct db_query q = DB_QUERY(
	    "INSERT INTO organizations (id, name, slug) VALUES (?, ?, ?)");
	struct db_param p[] = {DBP_STR(id), DBP_STR(name), DBP_STR(slug)};
	return db_exec(db, &q, p, 3, NULL, NULL);
}

enum db_result
store_org_find(struct db *db, struct arena *a, const char *id_or_slug, char *out, bool *found)
{
	static struct db_query q = DB_QUERY(
	    "SELECT id FROM organizations WHERE id = ? OR slug = ? LIMIT 1");
	struct db_param p[] = {DBP_STR(id_or_slug), DBP_STR(id_or_slug)};
	struct db_rows rows;
	enum db_result r = db_exec(db, &q, p, 2, &rows, a);

	*found = false;
	if (r == DB_OK && rows.nrows == 1) {
		snprintf(out, UUID_STR_LEN, "%s", db_cell(&rows, 0, 0));
		*found = true;
	}
	return r;
}
