/* params.c -- paging and id parameters, checked the same way on every endpoint. */
#include "params.h"

#include <ctype.h>
#include <string.h>

enum status
params_query_error(struct ctx *c, const char *field, const char *message)
{
	field_error_add(&c->rep->errors, field, message);
	return h_fail(c, ST_VALIDATION_ERROR, "Invalid query parameter");
}

enum status
params_field_error(struct ctx *c, const char *field, const char *message)
{
	field_error_add(&c->rep->errors, field, message);
	return h_fail(c, ST_VALIDATION_ERROR, "Request validation failed");
}

enum status
params_paging(struct ctx *c, long *limit, long *offset)
{
	const char *l = request_query(c->req, "limit"), *o = request_query(c->req, "offset");

	*limit = PAGE_DEFAULT;
	*offset = 0;
	if (l != NULL && util_parse_long(l, 1, PAGE_MAX, limit) != 0)
		return params_query_error(c, "limit", "must be a whole number from 1 to 200");
	if (o != NULL && util_parse_long(o, 0, 1000000000L, offset) != 0)
		return params_query_error(c, "offset", "must be a whole number of at least 0");
	return ST_OK;
}

bool
params_uuid(struct ctx *c, size_t i, char out[UUID_STR_LEN])
{
	return i < c->npath_params && params_uuid_text(c->path_params[i], out);
}

bool
params_uuid_text(const char *s, char out[UUID_STR_LEN])
{
	if (s == NULL || !util_uuid_valid(s))
		return false;
	for (size_t k = 0; k < UUID_STR_LEN; k++)
		out[k] = (char)tolower((unsigned char)s[k]);
	return true;
}
