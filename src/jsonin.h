/* jsonin.h -- JSON input: strict parsing (depth, UTF-8) and table-driven field validation. */
#ifndef OW_JSONIN_H
#define OW_JSONIN_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

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
 * A field's value as validation parsed it (kcgi's kpair.parsed): handlers
 * read these and never look into the body again. Pointers borrow from the
 * body object, valid until the request ends.
 */
struct jv_value {
	bool given;             /* the member is in the object, even as null */
	bool present;           /* given and not null */
	const char *s;          /* FIELD_STRING, FIELD_ENUM, FIELD_TIME: the text */
	long long i;            /* FIELD_INT */
	bool b;                 /* FIELD_BOOL */
	time_t t;               /* FIELD_TIME: the instant */
	json_object *array;     /* FIELD_STRING_ARRAY: the array (strings only) */
	size_t n;               /* FIELD_STRING_ARRAY: its length */
};

#define JV_FIELDS_MAX 16

/* The values of one field table, in the table's order. */
struct jv_values {
	const struct field_spec *specs;
	size_t n;
	struct jv_value v[JV_FIELDS_MAX];
};

/*
 * Check obj (must be an object) against specs; strings are trimmed of nothing
 * and counted in code points. Adds one error per bad field. Returns true when
 * all fields pass. out (may be NULL) receives every field's parsed value;
 * a table of more than JV_FIELDS_MAX fields fails.
 */
bool jv_validate(json_object *obj, const struct field_spec *specs, size_t nspecs,
    struct field_errors *errs);
bool jv_validate_into(json_object *obj, const struct field_spec *specs, size_t nspecs,
    struct field_errors *errs, struct jv_values *out);

/*
 * The value of the field called name; an absent value (nothing given) when
 * there is none, or in is NULL or was never filled (a route without a body).
 */
const struct jv_value *jv_field(const struct jv_values *in, const char *name);
/* Shorthands: the text of a string-like field (NULL when absent); a boolean or def. */
const char *jv_str(const struct jv_values *in, const char *name);
bool jv_bool(const struct jv_values *in, const char *name, bool def);
void field_error_add(struct field_errors *errs, const char *field, const char *message);

/* Field accessors for validated objects: NULL / default when absent or null. */
const char *jv_get_string(json_object *obj, const char *name);
bool jv_has(json_object *obj, const char *name);

/*
 * Overwrite every string value in the tree of obj (NULL is fine) with zeros,
 * in place, before its owner puts it: a password or token of a request body
 * is not left in freed heap memory (doc/SECURITY.md section 8). Values read
 * from it afterwards are empty strings.
 */
void jv_wipe(json_object *obj);

#endif
