/* jsonin.h -- JSON input: strict parsing (depth, UTF-8) and table-driven field validation. */
#ifndef OW_JSONIN_H
#define OW_JSONIN_H

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

#include "arena.h"

#define JV_MAX_DEPTH 32

/*
 * Parse exactly one JSON value from s[0..n): strict syntax, valid UTF-8, no
 * \u0000, nesting at most JV_MAX_DEPTH, nothing after the value. Returns a
 * new object (caller puts it) or NULL with a reason in *why.
 */
json_object *jv_parse_strict(const char *s, size_t n, const char **why);

/* True when s[0..n) is one JSON value by RFC 8259 within the limits above; else *why. */
bool jv_check_syntax(const char *s, size_t n, const char **why);

enum field_type { FIELD_STRING, FIELD_INT, FIELD_BOOL, FIELD_STRING_ARRAY, FIELD_ENUM, FIELD_TIME };

struct field_spec {
	const char *name;
	enum field_type type;
	bool required;
	bool nullable;          /* JSON null accepted (reads as absent) */
	long min, max;          /* characters for strings, value for ints, items for arrays */
	const char *const *values;  /* FIELD_ENUM: NULL-terminated */
};

/* A field error: the `errors` array of a VALIDATION_ERROR body. */
struct field_error {
	const char *field;
	const char *message;
};

#define FIELD_ERRORS_MAX 16

struct field_errors {
	struct field_error e[FIELD_ERRORS_MAX];
	size_t n;
};

/*
 * Check obj (must be an object) against specs; strings are trimmed of nothing
 * and counted in code points. Adds one error per bad field. Returns true when
 * all fields pass.
 */
bool jv_validate(json_object *obj, const struct field_spec *specs, size_t nspecs,
    struct field_errors *errs);
void field_error_add(struct field_errors *errs, const char *field, const char *message);

/* Field accessors for validated objects: NULL / default when absent or null. */
const char *jv_get_string(json_object *obj, const char *name);
bool jv_has(json_object *obj, const char *name);

#endif
