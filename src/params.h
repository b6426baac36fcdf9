/* params.h -- query and path parameters every list and item endpoint shares. */
#ifndef OW_PARAMS_H
#define OW_PARAMS_H

#include <stdbool.h>

#include "handlers.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 200

/* ?limit= (1..200, default 50) and ?offset= (>= 0); ST_VALIDATION_ERROR names the bad one. */
enum status params_paging(struct ctx *c, long *limit, long *offset);
/*
 * Path parameter i as a lower-case UUID in out; false when it is not a UUID
 * (the caller answers 404: such a resource cannot exist).
 */
bool params_uuid(struct ctx *c, size_t i, char out[UUID_STR_LEN]);

/* s as a lower-case UUID in out (ids are stored lower-case); false when not a UUID. */
bool params_uuid_text(const char *s, char out[UUID_STR_LEN]);
/* Add a field error to the reply: VALIDATION_ERROR for a body field, or for a query parameter. */
enum status params_field_error(struct ctx *c, const char *field, const char *message);
enum status params_query_error(struct ctx *c, const char *field, const char *message);

#endif
