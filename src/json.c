/* json.c -- strict JSON parsing with limits, and kvalid-style field validation. */
#include "json.h"

#include <string.h>

#include "util.h"

/* Reject \u0000: C strings downstream would silently truncate at it. */
static bool
has_nul(json_object *o, int depth)
{
	switch (json_object_get_type(o)) {
	case json_type_string:
		return strlen(json_object_get_string(o)) != (size_t)json_object_get_string_len(o);
	case json_type_array: {
		size_t n = json_object_array_length(o);
		for (size_t i = 0; i < n; i++)
			if (has_nul(json_object_array_get_idx(o, i), depth + 1))
				return true;
		return false;
	}
	case json_type_object: {
		json_object_object_foreach(o, key, val) {
			(void)key;
			if (has_nul(val, depth + 1))
				return true;
		}
		return false;
	}
	default:
		return false;
	}
}

json_object *
json_parse_strict(const char *s, size_t n, const char **why)
{
	json_object *obj = NULL;

	*why = NULL;
	if (n == 0) {
		*why = "Request body is empty";
		return NULL;
	}
	if (n > 0x7fffffff || !util_utf8_valid(s, n)) {
		*why = "Request body is not valid UTF-8";
		return NULL;
	}
	/* json-c counts the outermost container as depth 1. */
	json_tokener *tok = json_tokener_new_ex(JSON_MAX_DEPTH);
	if (tok == NULL) {
		*why = "Out of memory";
		return NULL;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, s, (int)n);
	enum json_tokener_error err = json_tokener_get_error(tok);
	if (obj == NULL || err != json_tokener_success) {
		*why = err == json_tokener_error_depth ? "JSON nested too deeply" : "Malformed JSON";
		json_object_put(obj);
		obj = NULL;
		goto out;
	}
	/* Only whitespace may follow the value. */
	for (size_t i = json_tokener_get_parse_end(tok); i < n; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n') {
			*why = "Malformed JSON";
			json_object_put(obj);
			obj = NULL;
			goto out;
		}
	}
	if (has_nul(obj, 0)) {
		*why = "JSON strings must not contain NUL";
		json_object_put(obj);
		obj = NULL;
	}
out:
	json_tokener_free(tok);
	return obj;
}

void
field_error_add(struct field_errors *errs, const char *field, const char *message)
{
	if (errs->n < FIELD_ERRORS_MAX) {
		errs->e[errs->n].field = field;
		errs->e[errs->n].message = message;
		errs->n++;
	}
}

static bool
check_length(const char *s, size_t len, const struct field_spec *f, struct field_errors *errs)
{
	size_t chars = util_utf8_len(s, len);
	if ((long)chars < f->min) {
		field_error_add(errs, f->name, f->min <= 1 ? "must not be empty" : "is too short");
		return false;
	}
	if ((long)chars > f->max) {
		field_error_add(errs, f->name, "is too long");
		return false;
	}
	return true;
}

static bool
validate_one(json_object *v, const struct field_spec *f, struct field_errors *errs)
{
	enum json_type t = json_object_get_type(v);

	switch (f->type) {
	case FIELD_STRING:
		if (t != json_type_string) {
			field_error_add(errs, f->name, "must be a string");
			return false;
		}
		return check_length(json_object_get_string(v), (size_t)json_object_get_string_len(v), f, errs);
	case FIELD_INT: {
		if (t != json_type_int) {
			field_error_add(errs, f->name, "must be an integer");
			return false;
		}
		int64_t i = json_object_get_int64(v);
		if (i < f->min || i > f->max) {
			field_error_add(errs, f->name, "is out of range");
			return false;
		}
		return true;
	}
	case FIELD_BOOL:
		if (t != json_type_boolean) {
			field_error_add(errs, f->name, "must be a boolean");
			return false;
		}
		return true;
	case FIELD_ENUM:
		if (t != json_type_string) {
			field_error_add(errs, f->name, "must be a string");
			return false;
		}
		for (int i = 0; f->values[i] != NULL; i++)
			if (strcmp(json_object_get_string(v), f->values[i]) == 0)
				return true;
		field_error_add(errs, f->name, "is not one of the allowed values");
		return false;
	case FIELD_TIME: {
		time_t when;
		if (t != json_type_string || util_time_parse(json_object_get_string(v), &when) != 0) {
			field_error_add(errs, f->name, "must be an RFC 3339 date-time");
			return false;
		}
		return true;
	}
	case FIELD_STRING_ARRAY: {
		if (t != json_type_array) {
			field_error_add(errs, f->name, "must be an array of strings");
			return false;
		}
		size_t n = json_object_array_length(v);
		if ((long)n < f->min) {
			field_error_add(errs, f->name, "must not be empty");
			return false;
		}
		if ((long)n > f->max) {
			field_error_add(errs, f->name, "has too many items");
			return false;
		}
		for (size_t i = 0; i < n; i++) {
			if (json_object_get_type(json_object_array_get_idx(v, i)) != json_type_string) {
				field_error_add(errs, f->name, "must be an array of strings");
				return false;
			}
		}
		return true;
	}
	}
	return false;
}

bool
json_validate(json_object *obj, const struct field_spec *specs, size_t nspecs,
    struct field_errors *errs)
{
	bool ok = true;

	if (obj == NULL || json_object_get_type(obj) != json_type_object) {
		field_error_add(errs, "body", "must be a JSON object");
		return false;
	}
	for (size_t i = 0; i < nspecs; i++) {
		json_object *v = NULL;
		const struct field_spec *f = &specs[i];
		bool present = json_object_object_get_ex(obj, f->name, &v);
		if (present && v == NULL && f->nullable)
			present = false;
		if (!present) {
			if (f->required) {
				field_error_add(errs, f->name, "is required");
				ok = false;
			}
			continue;
		}
		if (v == NULL) {
			field_error_add(errs, f->name, "must not be null");
			ok = false;
			continue;
		}
		if (!validate_one(v, f, errs))
			ok = false;
	}
	return ok;
}

const char *
json_get_string(json_object *obj, const char *name)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(obj, name, &v) || v == NULL ||
	    json_object_get_type(v) != json_type_string)
		return NULL;
	return json_object_get_string(v);
}

bool
json_has(json_object *obj, const char *name)
{
	json_object *v = NULL;
	return json_object_object_get_ex(obj, name, &v) && v != NULL;
}
