/* store_org.c -- organizations: creation and lookup by id or slug. */
#include "store.h"

#include <stdio.h>

#include "store_catalog.h"
#include "util.h"

enum db_result
store_org_create(struct db *db, const char *id, const char *name, const char *slug)
{
	return STORE_RUN(db, STMT_ORG_CREATE, NULL, NULL, DBP_STR(id), DBP_STR(name), DBP_STR(slug));
}

enum db_result
store_org_find(struct db *db, struct arena *a, const char *id_or_slug, char *out, bool *found)
{
	struct db_rows rows;
	enum db_result r = STORE_ONE(db, a, STMT_ORG_FIND, &rows, found, DBP_STR(id_or_slug),
	    DBP_STR(id_or_slug));

	if (*found)
		snprintf(out, UUID_STR_LEN, "%s", db_cell(&rows, 0, 0));
	return r;
}
