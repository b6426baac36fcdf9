/* jsonin.c -- strict JSON parsing with limits, and kvalid-style field validation. */
#include "jsonin.h"

#include <string.h>

#include "util.h"

/*
 * RFC 8259 grammar, checked before json-c sees the bytes: json-c's strict
 * mode still takes NaN, Infinity, "1.", single quotes and raw control
 * characters in strings. Also refuses \u0000 (C strings downstream would
 * stop at it) and unpaired surrogate escapes. Depth counts containers: the
 * outermost object or array is depth 1.
 */
struct scan {
	const char *p, *end;
	const char *why;
	size_t members;         /* object members seen, duplicates included */
};

static void
skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool
fail(struct scan *s, const char *why)
{
	if (s->why == NULL)
		s->why = why;
	return false;
}

static int
hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

static bool
scan_string(struct scan *s)
{
	s->p++;     /* opening quote */
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p;
		if (c == '"') {
			s->p++;
			return true;
		}
		if (c < 0x20)
			return fail(s, "Malformed JSON");
		if (c != '\\') {
			s->p++;
			continue;
		}
		if (s->end - s->p < 2)
			return fail(s, "Malformed JSON");
		char e = s->p[1];
		if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' || e == 't') {
			s->p += 2;
			continue;
		}
		if (e != 'u' || s->end - s->p < 6)
			return fail(s, "Malformed JSON");
		int u = hex4(s->p + 2);
		if (u < 0)
			return fail(s, "Malformed JSON");
		if (u == 0)
			return fail(s, "JSON strings must not contain NUL");
		s->p += 6;
		if (u >= 0xdc00 && u <= 0xdfff)
			return fail(s, "Invalid Unicode escape in JSON string");
		if (u >= 0xd800 && u <= 0xdbff) {
			int lo = s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u' ? hex4(s->p + 2) : -1;
			if (lo < 0xdc00 || lo > 0xdfff)
				return fail(s, "Invalid Unicode escape in JSON string");
			s->p += 6;
		}
	}
	return fail(s, "Malformed JSON");
}

static bool
digits(struct scan *s)
{
	const char *start = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start;
}

static bool
scan_number(struct scan *s)
{
	if (*s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (!digits(s))
		return fail(s, "Malformed JSON");
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!digits(s))
			return fail(s, "Malformed JSON");
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!digits(s))
			return fail(s, "Malformed JSON");
	}
	return true;
}

static bool
scan_literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return fail(s, "Malformed JSON");
	s->p += n;
	return true;
}

static bool scan_value(struct scan *s, int depth);

static bool
scan_container(struct scan *s, int depth, char close)
{
	if (depth > JV_MAX_DEPTH)
		return fail(s, "JSON nested too deeply");
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return true;
	}
	for (;;) {
		skip_ws(s);
		if (close == '}') {
			if (s->p >= s->end || *s->p != '"' || !scan_string(s))
				return fail(s, "Malformed JSON");
			skip_ws(s);
			if (s->p >= s->end || *s->p != ':')
				return fail(s, "Malformed JSON");
			s->p++;
			s->members++;
		}
		if (!scan_value(s, depth))
			return false;
		skip_ws(s);
		if (s->p >= s->end)
			return fail(s, "Malformed JSON");
		if (*s->p == close) {
			s->p++;
			return true;
		}
		if (*s->p != ',')
			return fail(s, "Malformed JSON");
		s->p++;
	}
}

static bool
scan_value(struct scan *s, int depth)
{
	skip_ws(s);
	if (s->p >= s->end)
		return fail(s, "Malformed JSON");
	switch (*s->p) {
	case '{':
		return scan_container(s, depth + 1, '}');
	case '[':
		return scan_container(s, depth + 1, ']');
	case '"':
		return scan_string(s);
	case 't':
		return scan_literal(s, "true");
	case 'f':
		return scan_literal(s, "false");
	case 'n':
		return scan_literal(s, "null");
	default:
		if (*s->p == '-' || (*s->p >= '0' && *s->p <= '9'))
			return scan_number(s);
		return fail(s, "Malformed JSON");
	}
}

static bool
check_syntax(const char *text, size_t n, const char **why, size_t *members)
{
	struct scan s = {.p = text, .end = text + n, .why = NULL, .members = 0};
	bool ok = scan_value(&s, 0);
	if (ok) {
		skip_ws(&s);
		if (s.p != s.end)
			ok = fail(&s, "Malformed JSON");
	}
	*why = ok ? NULL : s.why;
	*members = s.members;
	return ok;
}

bool
jv_check_syntax(const char *text, size_t n, const char **why)
{
	size_t members;

	return check_syntax(text, n, why, &members);
}

/*
 * Members of every object in the tree. json-c keeps one member per key (a
 * repeated key replaces the earlier value), so fewer here than the scanner
 * counted in the text means a key was repeated in some object. The depth is
 * bounded by the scanner's JV_MAX_DEPTH.
 */
static size_t
tree_members(json_object *o)
{
	size_t n = 0;

	if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, key, v) {
			(void)key;
			n += 1 + tree_members(v);
		}
	} else if (json_object_is_type(o, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(o); i++)
			n += tree_members(json_object_array_get_idx(o, i));
	}
	return n;
}

json_object *
jv_parse_strict(const char *s, size_t n, const char **why)
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
	size_t members;
	if (!check_syntax(s, n, why, &members))
		return NULL;
	/* The grammar is settled; json-c builds the tree (its depth counts differ: leave room). */
	json_tokener *tok = json_tokener_new_ex(JV_MAX_DEPTH * 2);
	if (tok == NULL) {
		*why = "Out of memory";
		return NULL;
	}
	obj = json_tokener_parse_ex(tok, s, (int)n);
	/* A bare number at the very end waits for more input: whitespace ends it. */
	if (obj == NULL && json_tokener_get_error(tok) == json_tokener_continue)
		obj = json_tokener_parse_ex(tok, " ", 1);
	if (obj == NULL || json_tokener_get_error(tok) != json_tokener_success) {
		/* Valid syntax that yields no object is a bare null. */
		*why = json_tokener_get_error(tok) == json_tokener_success ?
		    "Request body must be a JSON object" : "Malformed JSON";
		json_object_put(obj);
		obj = NULL;
	} else if (tree_members(obj) != members) {
		/* "Last one wins" would let two readers of one body disagree. */
		*why = "Duplicate key in JSON object";
		json_object_put(obj);
		obj = NULL;
	}
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

/* The parsed value of v, which validate_one accepted for f. */
static void
parse_one(json_object *v, const struct field_spec *f, struct jv_value *out)
{
	out->present = true;
	switch (f->type) {
	case FIELD_STRING:
	case FIELD_ENUM:
		out->s = json_object_get_string(v);
		break;
	case FIELD_TIME:
		out->s = json_object_get_string(v);
		if (util_time_parse(out->s, &out->t) != 0)
			out->t = 0;
		break;
	case FIELD_INT:
		out->i = json_object_get_int64(v);
		break;
	case FIELD_BOOL:
		out->b = json_object_get_boolean(v);
		break;
	case FIELD_STRING_ARRAY:
		out->array = v;
		out->n = json_object_array_length(v);
		break;
	}
}

/*
 * A member the route does not declare is refused rather than ignored: a
 * misspelt optional field would otherwise pass unseen, and a client could
 * not tell which fields were applied. The key names the error; it borrows
 * from obj.
 */
static bool
unknown_members(json_object *obj, const struct field_spec *specs, size_t nspecs,
    struct field_errors *errs)
{
	bool ok = true;

	json_object_object_foreach(obj, key, v) {
		size_t i = 0;
		(void)v;
		while (i < nspecs && strcmp(specs[i].name, key) != 0)
			i++;
		if (i == nspecs) {
			field_error_add(errs, key, "is not a field of this request");
			ok = false;
		}
	}
	return ok;
}

bool
jv_validate(json_object *obj, const struct field_spec *specs, size_t nspecs,
    struct field_errors *errs)
{
	return jv_validate_into(obj, specs, nspecs, errs, NULL);
}

bool
jv_validate_into(json_object *obj, const struct field_spec *specs, size_t nspecs,
    struct field_errors *errs, struct jv_values *out)
{
	bool ok = true;

	if (obj == NULL || json_object_get_type(obj) != json_type_object) {
		field_error_add(errs, "body", "must be a JSON object");
		return false;
	}
	if (out != NULL) {
		if (nspecs > JV_FIELDS_MAX)
			return false;
		memset(out, 0, sizeof(*out));
		out->specs = specs;
		out->n = nspecs;
	}
	for (size_t i = 0; i < nspecs; i++) {
		json_object *v = NULL;
		const struct field_spec *f = &specs[i];
		bool present = json_object_object_get_ex(obj, f->name, &v);
		if (out != NULL)
			out->v[i].given = present;
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
		else if (out != NULL)
			parse_one(v, f, &out->v[i]);
	}
	return unknown_members(obj, specs, nspecs, errs) && ok;
}

const struct jv_value *
jv_field(const struct jv_values *in, const char *name)
{
	static const struct jv_value absent;

	for (size_t i = 0; in != NULL && i < in->n; i++)
		if (strcmp(in->specs[i].name, name) == 0)
			return &in->v[i];
	return &absent;
}

const char *
jv_str(const struct jv_values *in, const char *name)
{
	return jv_field(in, name)->s;
}

bool
jv_bool(const struct jv_values *in, const char *name, bool def)
{
	const struct jv_value *v = jv_field(in, name);
	return v->present ? v->b : def;
}

const char *
jv_get_string(json_object *obj, const char *name)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(obj, name, &v) || v == NULL ||
	    json_object_get_type(v) != json_type_string)
		return NULL;
	return json_object_get_string(v);
}

bool
jv_has(json_object *obj, const char *name)
{
	json_object *v = NULL;
	return json_object_object_get_ex(obj, name, &v) && v != NULL;
}

void
jv_wipe(json_object *obj)
{
	if (json_object_is_type(obj, json_type_string)) {
		/* json-c's own buffer: the value is not shared with anyone else. */
		explicit_bzero((char *)json_object_get_string(obj), (size_t)json_object_get_string_len(obj));
	} else if (json_object_is_type(obj, json_type_object)) {
		json_object_object_foreach(obj, key, v) {
			(void)key;
			jv_wipe(v);
		}
	} else if (json_object_is_type(obj, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(obj); i++)
			jv_wipe(json_object_array_get_idx(obj, i));
	}
}
