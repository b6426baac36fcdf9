/* check_json.c -- unit tests for jsonin.c: strict parsing (syntax, UTF-8, NUL, depth) and field validation. */
#include "unit.h"

#include "jsonin.h"

static json_object *
parse(const char *s, const char **why)
{
	return jv_parse_strict(s, strlen(s), why);
}

/* Well-formed documents parse and print back canonically. */
static const struct {
	const char *in;
	const char *want;       /* compact re-serialisation */
} good[] = {
	{"{}", "{}"},
	{"[]", "[]"},
	{"{\"a\":1}", "{\"a\":1}"},
	{" \t\r\n{ \"a\" : [ 1 , 2 ] } \t\r\n", "{\"a\":[1,2]}"},
	{"{\"s\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "{\"s\":\"\\\"\\\\/\\b\\f\\n\\r\\t\"}"},
	{"{\"e\":\"\\u00e9\\u20ac\"}", "{\"e\":\"\xc3\xa9\xe2\x82\xac\"}"},
	{"{\"e\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}", "{\"e\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}"},
	{"{\"pair\":\"\\ud83d\\ude00\"}", "{\"pair\":\"\xf0\x9f\x98\x80\"}"},
	{"{\"n\":[0,-0,12,-12,1.5,-1.5e3,1E2,2e-2]}", NULL},
	{"{\"b\":[true,false,null]}", "{\"b\":[true,false,null]}"},
	{"{\"deep\":{\"er\":{\"est\":[]}}}", "{\"deep\":{\"er\":{\"est\":[]}}}"},
	{"{\"literal\":\"\\\\u0000\"}", "{\"literal\":\"\\\\u0000\"}"},   /* escaped backslash: text, not NUL */
	{"{\"\":\"\"}", "{\"\":\"\"}"},
	{"[{\"a\":1},{\"b\":2}]", "[{\"a\":1},{\"b\":2}]"},
};

START_TEST(test_good)
{
	const char *why = "unset";
	json_object *o = parse(good[_i].in, &why);

	ck_assert_msg(o != NULL, "rejected %s: %s", good[_i].in, why ? why : "(null)");
	ck_assert_ptr_null(why);
	if (good[_i].want != NULL)
		ck_assert_str_eq(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
		    JSON_C_TO_STRING_NOSLASHESCAPE), good[_i].want);
	json_object_put(o);
}
END_TEST

/* Exactly one JSON value, whatever its type (json.h: "Parse exactly one JSON value"). */
static const struct {
	const char *in;
	enum json_type type;
} scalars[] = {
	{"\"x\"", json_type_string},
	{"123", json_type_int},
	{"-1.5", json_type_double},
	{"true", json_type_boolean},
	{"false", json_type_boolean},
	{"0 ", json_type_int},
};

START_TEST(test_top_level_scalar)
{
	const char *why = NULL;
	json_object *o = parse(scalars[_i].in, &why);

	ck_assert_msg(o != NULL, "top-level %s rejected: %s", scalars[_i].in, why);
	ck_assert_int_eq(json_object_get_type(o), scalars[_i].type);
	json_object_put(o);
}
END_TEST

/* What a strict RFC 8259 parser refuses. */
static const struct {
	const char *label;
	const char *in;
	const char *why;        /* expected reason, substring */
} bad[] = {
	{"trailing garbage", "{\"a\":1} x", "Malformed"},
	{"trailing garbage no space", "{\"a\":1}x", "Malformed"},
	{"two values", "{\"a\":1}{\"b\":2}", "Malformed"},
	{"trailing NUL byte as text", "{\"a\":1}\\0", "Malformed"},
	{"single-quoted string", "{\"a\":'b'}", "Malformed"},
	{"single-quoted key", "{'a':1}", "Malformed"},
	{"unquoted key", "{a:1}", "Malformed"},
	{"block comment", "{/* c */\"a\":1}", "Malformed"},
	{"line comment", "{\"a\":1 // c\n}", "Malformed"},
	{"comment after value", "{\"a\":1}/* c */", "Malformed"},
	{"hash comment", "{\"a\":1 # c\n}", "Malformed"},
	{"trailing comma object", "{\"a\":1,}", "Malformed"},
	{"trailing comma array", "[1,2,]", "Malformed"},
	{"leading comma", "[,1]", "Malformed"},
	{"double comma", "[1,,2]", "Malformed"},
	{"missing comma", "[1 2]", "Malformed"},
	{"missing colon", "{\"a\" 1}", "Malformed"},
	{"NaN", "{\"a\":NaN}", "Malformed"},
	{"nan", "{\"a\":nan}", "Malformed"},
	{"Infinity", "{\"a\":Infinity}", "Malformed"},
	{"-Infinity", "{\"a\":-Infinity}", "Malformed"},
	{"number with trailing dot", "{\"a\":1.}", "Malformed"},
	{"number with leading dot", "{\"a\":.5}", "Malformed"},
	{"leading zero", "{\"a\":01}", "Malformed"},
	{"plus sign", "{\"a\":+1}", "Malformed"},
	{"hex number", "{\"a\":0x10}", "Malformed"},
	{"bare exponent", "{\"a\":1e}", "Malformed"},
	{"capital True", "{\"a\":True}", "Malformed"},
	{"capital NULL", "{\"a\":NULL}", "Malformed"},
	{"undefined", "{\"a\":undefined}", "Malformed"},
	{"\\x escape", "{\"a\":\"\\x41\"}", "Malformed"},
	{"bad escape", "{\"a\":\"\\q\"}", "Malformed"},
	{"short \\u escape", "{\"a\":\"\\u12\"}", "Malformed"},
	{"raw tab in string", "{\"a\":\"x\ty\"}", "Malformed"},
	{"raw newline in string", "{\"a\":\"x\ny\"}", "Malformed"},
	{"raw 0x1f in string", "{\"a\":\"x\x1fy\"}", "Malformed"},
	{"unterminated string", "{\"a\":\"b}", "Malformed"},
	{"unterminated object", "{\"a\":1", "Malformed"},
	{"unterminated array", "[1,2", "Malformed"},
	{"only a brace", "{", "Malformed"},
	{"close without open", "}", "Malformed"},
	{"mismatched brackets", "{\"a\":[1}", "Malformed"},
	{"whitespace only", " \n\t ", "Malformed"},
	{"byte order mark", "\xef\xbb\xbf{}", "Malformed"},
	{"\\u0000 in value", "{\"a\":\"\\u0000\"}", "NUL"},
	{"\\u0000 inside value", "{\"a\":\"ab\\u0000cd\"}", "NUL"},
	{"\\u0000 in nested array", "{\"a\":[\"x\",[\"\\u0000\"]]}", "NUL"},
	{"\\u0000 in nested object", "{\"a\":{\"b\":\"\\u0000\"}}", "NUL"},
	{"\\u0000 in key", "{\"a\\u0000b\":1}", "NUL"},
	{"\\u0000 as whole key", "{\"\\u0000\":1}", "NUL"},
	{"invalid UTF-8 FF", "{\"a\":\"\xff\"}", "UTF-8"},
	{"latin-1 byte", "{\"a\":\"caf\xe9\"}", "UTF-8"},
	{"overlong slash", "{\"a\":\"\xc0\xaf\"}", "UTF-8"},
	{"overlong NUL", "{\"a\":\"\xc0\x80\"}", "UTF-8"},
	{"encoded surrogate", "{\"a\":\"\xed\xa0\x80\"}", "UTF-8"},
	{"truncated sequence", "{\"a\":\"\xe2\x82\"}", "UTF-8"},
	{"above U+10FFFF", "{\"a\":\"\xf4\x90\x80\x80\"}", "UTF-8"},
	{"invalid UTF-8 in key", "{\"\xfe\":1}", "UTF-8"},
	{"invalid UTF-8 outside string", "{\"a\":1}\x80", "UTF-8"},
	/* A repeated key at any depth, however it is spelt: json-c would keep the last. */
	{"duplicate key", "{\"a\":1,\"a\":2}", "Duplicate key"},
	{"duplicate key, same value", "{\"a\":1,\"a\":1}", "Duplicate key"},
	{"duplicate key, escaped", "{\"a\":1,\"\\u0061\":2}", "Duplicate key"},
	{"duplicate key, nested object", "{\"a\":{\"b\":1,\"c\":2,\"b\":3}}", "Duplicate key"},
	{"duplicate key, in an array", "{\"a\":[{\"x\":1},{\"y\":1,\"y\":2}]}", "Duplicate key"},
	{"duplicate key, far apart", "{\"p\":\"1\",\"q\":[1,2],\"r\":{},\"p\":\"2\"}", "Duplicate key"},
};

START_TEST(test_bad)
{
	const char *why = NULL;
	json_object *o = parse(bad[_i].in, &why);

	if (o != NULL) {
		char shown[256];
		snprintf(shown, sizeof shown, "%s", json_object_to_json_string(o));
		json_object_put(o);
		ck_abort_msg("%s: accepted as %s", bad[_i].label, shown);
	}
	ck_assert_msg(why != NULL && strstr(why, bad[_i].why) != NULL, "%s: reason \"%s\", want \"%s\"",
	    bad[_i].label, why ? why : "(null)", bad[_i].why);
}
END_TEST

/* Raw bytes that strlen cannot see: a NUL byte inside the body. */
START_TEST(test_raw_nul_and_empty)
{
	static const char with_nul[] = "{\"a\":\"x\0y\"}";
	static const char nul_after[] = "{\"a\":1}\0";
	const char *why = NULL;

	ck_assert_ptr_null(jv_parse_strict(with_nul, sizeof with_nul - 1, &why));
	ck_assert_ptr_nonnull(why);
	why = NULL;
	ck_assert_ptr_null(jv_parse_strict(nul_after, sizeof nul_after - 1, &why));
	ck_assert_ptr_nonnull(why);
	/* Empty body. */
	why = NULL;
	ck_assert_ptr_null(jv_parse_strict("", 0, &why));
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, "empty") != NULL, "why: %s", why);
	/* The length, not a NUL, ends the input: a prefix is parsed alone. */
	why = NULL;
	json_object *o = jv_parse_strict("{\"a\":1}garbage", 7, &why);
	ck_assert_ptr_nonnull(o);
	json_object_put(o);
	ck_assert_ptr_null(jv_parse_strict("{\"a\":1}", 6, &why));
}
END_TEST

/*
 * Lone surrogate escapes: RFC 8259 leaves their meaning open, and they
 * cannot become valid UTF-8, so they are rejected like invalid UTF-8 is
 * (json-c alone would have replaced them with U+FFFD). A proper pair is
 * accepted (see good[]).
 */
static const char *const surrogates[] = {
	"{\"a\":\"\\ud800\"}",
	"{\"a\":\"\\udbff\"}",
	"{\"a\":\"\\udc00\"}",
	"{\"a\":\"\\udfff\"}",
	"{\"a\":\"\\ud800x\"}",
	"{\"a\":\"\\ud800\\u0041\"}",
	"{\"a\":\"\\ude00\\ud83d\"}",
	"{\"\\ud800\":1}",
	"[\"ok\",\"\\ud83d\"]",
};

START_TEST(test_lone_surrogate)
{
	const char *why = NULL;
	json_object *o = parse(surrogates[_i], &why);

	if (o != NULL) {
		char shown[128];
		snprintf(shown, sizeof shown, "%s", json_object_to_json_string(o));
		json_object_put(o);
		ck_abort_msg("%s accepted as %s", surrogates[_i], shown);
	}
	ck_assert_ptr_nonnull(why);
}
END_TEST

/* Build k nested containers around inner: arrays "[[...]]" or objects {"a":{"a":...}}. */
static char *
nest(int k, int objects, const char *inner)
{
	size_t cap = (size_t)k * 6 + strlen(inner) + 1, n = 0;
	char *b = malloc(cap);

	ck_assert_ptr_nonnull(b);
	for (int i = 0; i < k; i++) {
		memcpy(b + n, objects ? "{\"a\":" : "[", objects ? 5 : 1);
		n += objects ? 5 : 1;
	}
	memcpy(b + n, inner, strlen(inner));
	n += strlen(inner);
	for (int i = 0; i < k; i++)
		b[n++] = objects ? '}' : ']';
	b[n] = '\0';
	return b;
}

/*
 * doc/api.md: "JSON nested deeper than 32" is a 400; so 32 levels of containers
 * pass, whatever the innermost one holds, and 33 do not.
 */
static const struct {
	int depth;
	int objects;
	const char *inner;
	int ok;
} depths[] = {
	{1, 0, "", 1},
	{1, 1, "1", 1},
	{16, 0, "1", 1},
	{31, 0, "1", 1},
	{31, 1, "\"x\"", 1},
	{32, 0, "", 1},
	{32, 0, "1", 1},
	{32, 0, "\"x\"", 1},
	{32, 1, "1", 1},
	{32, 1, "null", 1},
	{32, 0, "{}", 0},       /* the {} is the 33rd level */
	{33, 0, "", 0},
	{33, 0, "1", 0},
	{33, 1, "1", 0},
	{33, 1, "{}", 0},
	{34, 0, "", 0},
	{100, 0, "", 0},
	{100000, 0, "", 0},
	{100000, 1, "1", 0},
};

START_TEST(test_depth)
{
	char *in = nest(depths[_i].depth, depths[_i].objects, depths[_i].inner);
	const char *why = NULL;
	json_object *o = parse(in, &why);

	free(in);
	if (depths[_i].ok) {
		ck_assert_msg(o != NULL, "%d nested %s around \"%s\" rejected: %s", depths[_i].depth,
		    depths[_i].objects ? "objects" : "arrays", depths[_i].inner, why);
	} else {
		ck_assert_msg(o == NULL, "%d nested %s around \"%s\" accepted", depths[_i].depth,
		    depths[_i].objects ? "objects" : "arrays", depths[_i].inner);
		ck_assert_msg(why != NULL && strstr(why, "deep") != NULL, "reason: %s", why);
	}
	json_object_put(o);
}
END_TEST

/* Mixed nesting counts the same as pure nesting. */
START_TEST(test_depth_mixed)
{
	char buf[512];
	size_t n = 0;
	const char *why = NULL;
	json_object *o;

	for (int i = 0; i < 32; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "%s", i % 2 ? "[" : "{\"k\":");
	n += (size_t)snprintf(buf + n, sizeof buf - n, "true");
	for (int i = 31; i >= 0; i--)
		buf[n++] = i % 2 ? ']' : '}';
	buf[n] = '\0';
	o = jv_parse_strict(buf, n, &why);
	ck_assert_msg(o != NULL, "32 mixed levels rejected: %s", why);
	json_object_put(o);
	/* A wide but shallow document is fine. */
	char *wide = malloc(20001);
	ck_assert_ptr_nonnull(wide);
	wide[0] = '[';
	for (int i = 0; i < 9999; i++) {
		wide[1 + 2 * i] = '1';
		wide[2 + 2 * i] = i == 9998 ? ']' : ',';
	}
	o = jv_parse_strict(wide, 1 + 2 * 9999, &why);
	free(wide);
	ck_assert_msg(o != NULL, "wide array rejected: %s", why);
	ck_assert_uint_eq(json_object_array_length(o), 9999);
	json_object_put(o);
}
END_TEST

/* A 64 KiB string: the default max_body. */
START_TEST(test_large_string)
{
	size_t n = 65536;
	char *b = malloc(n + 1);
	const char *why = NULL;

	ck_assert_ptr_nonnull(b);
	memcpy(b, "{\"a\":\"", 6);
	memset(b + 6, 'x', n - 8);
	memcpy(b + n - 2, "\"}", 2);
	b[n] = '\0';
	json_object *o = jv_parse_strict(b, n, &why);
	free(b);
	ck_assert_msg(o != NULL, "why: %s", why);
	ck_assert_uint_eq(strlen(jv_get_string(o, "a")), n - 8);
	json_object_put(o);
}
END_TEST

/* ---- jv_validate ---- */

static const char *const roles[] = {"admin", "engineer", "viewer", NULL};

static const struct field_spec specs[] = {
	{"email", FIELD_STRING, true, false, 3, 254, NULL},
	{"name", FIELD_STRING, true, false, 1, 5, NULL},
	{"age", FIELD_INT, false, false, 0, 150, NULL},
	{"active", FIELD_BOOL, false, false, 0, 0, NULL},
	{"role", FIELD_ENUM, false, false, 0, 0, roles},
	{"permissions", FIELD_STRING_ARRAY, false, false, 1, 3, NULL},
	{"expires_at", FIELD_TIME, false, true, 0, 0, NULL},
	{"note", FIELD_STRING, false, true, 0, 10, NULL},
	{"code", FIELD_STRING, false, false, 4, 4, NULL},
};
#define NSPECS (sizeof specs / sizeof specs[0])

#define BASE "\"email\":\"a@b.c\",\"name\":\"Ann\""

static const struct {
	const char *label;
	const char *in;
	const char *errs[4][2];     /* expected (field, message) in order; NULL-terminated */
} vcases[] = {
	{"minimal", "{" BASE "}", {{NULL}}},
	{"all fields", "{" BASE ",\"age\":30,\"active\":true,\"role\":\"viewer\",\"permissions\":[\"a\",\"b\"],"
	    "\"expires_at\":\"2026-02-20T14:30:00Z\",\"note\":\"hi\",\"code\":\"abcd\"}", {{NULL}}},
	{"unknown field refused", "{" BASE ",\"extra\":{\"x\":[1]}}",
	    {{"extra", "is not a field of this request"}, {NULL}}},
	{"misspelt field refused", "{" BASE ",\"Age\":3}", {{"Age", "is not a field of this request"}, {NULL}}},
	{"empty object", "{}", {{"email", "is required"}, {"name", "is required"}, {NULL}}},
	{"one missing", "{\"name\":\"Ann\"}", {{"email", "is required"}, {NULL}}},
	{"string as number", "{\"email\":5,\"name\":\"Ann\"}", {{"email", "must be a string"}, {NULL}}},
	{"string as array", "{\"email\":[\"a@b.c\"],\"name\":\"Ann\"}", {{"email", "must be a string"}, {NULL}}},
	{"required null", "{\"email\":null,\"name\":\"Ann\"}", {{"email", "must not be null"}, {NULL}}},
	{"optional not nullable null", "{" BASE ",\"age\":null}", {{"age", "must not be null"}, {NULL}}},
	{"nullable null", "{" BASE ",\"expires_at\":null,\"note\":null}", {{NULL}}},
	{"empty string min 1", "{\"email\":\"a@b.c\",\"name\":\"\"}", {{"name", "must not be empty"}, {NULL}}},
	{"max 5 ascii ok", "{\"email\":\"a@b.c\",\"name\":\"abcde\"}", {{NULL}}},
	{"max 5 ascii over", "{\"email\":\"a@b.c\",\"name\":\"abcdef\"}", {{"name", "is too long"}, {NULL}}},
	{"5 two-byte chars", "{\"email\":\"a@b.c\",\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", {{NULL}}},
	{"5 three-byte chars", "{\"email\":\"a@b.c\",\"name\":\"\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe6\x97\xa5\xe6\x9c\xac\"}", {{NULL}}},
	{"5 four-byte chars", "{\"email\":\"a@b.c\",\"name\":\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"}", {{NULL}}},
	{"5 escaped chars", "{\"email\":\"a@b.c\",\"name\":\"\\u00e9\\u20ac\\ud83d\\ude00ab\"}", {{NULL}}},
	{"6 two-byte chars", "{\"email\":\"a@b.c\",\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", {{"name", "is too long"}, {NULL}}},
	{"6 four-byte chars", "{\"email\":\"a@b.c\",\"name\":\"\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\"}", {{"name", "is too long"}, {NULL}}},
	{"min 3 with 2 chars", "{\"email\":\"ab\",\"name\":\"Ann\"}", {{"email", "is too short"}, {NULL}}},
	{"exact 4: 3 chars", "{" BASE ",\"code\":\"abc\"}", {{"code", "is too short"}, {NULL}}},
	{"exact 4: 4 chars of 8 bytes", "{" BASE ",\"code\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"}", {{NULL}}},
	{"exact 4: 5 chars", "{" BASE ",\"code\":\"abcde\"}", {{"code", "is too long"}, {NULL}}},
	{"int ok bounds", "{" BASE ",\"age\":0}", {{NULL}}},
	{"int upper bound", "{" BASE ",\"age\":150}", {{NULL}}},
	{"int below", "{" BASE ",\"age\":-1}", {{"age", "is out of range"}, {NULL}}},
	{"int above", "{" BASE ",\"age\":151}", {{"age", "is out of range"}, {NULL}}},
	{"int huge", "{" BASE ",\"age\":99999999999999999999}", {{"age", "is out of range"}, {NULL}}},
	{"int huge negative", "{" BASE ",\"age\":-99999999999999999999}", {{"age", "is out of range"}, {NULL}}},
	{"int as string", "{" BASE ",\"age\":\"30\"}", {{"age", "must be an integer"}, {NULL}}},
	{"int as float", "{" BASE ",\"age\":30.0}", {{"age", "must be an integer"}, {NULL}}},
	{"int as bool", "{" BASE ",\"age\":true}", {{"age", "must be an integer"}, {NULL}}},
	{"bool as string", "{" BASE ",\"active\":\"true\"}", {{"active", "must be a boolean"}, {NULL}}},
	{"bool as int", "{" BASE ",\"active\":1}", {{"active", "must be a boolean"}, {NULL}}},
	{"bool false ok", "{" BASE ",\"active\":false}", {{NULL}}},
	{"enum bad case", "{" BASE ",\"role\":\"Admin\"}", {{"role", "is not one of the allowed values"}, {NULL}}},
	{"enum empty", "{" BASE ",\"role\":\"\"}", {{"role", "is not one of the allowed values"}, {NULL}}},
	{"enum prefix", "{" BASE ",\"role\":\"adm\"}", {{"role", "is not one of the allowed values"}, {NULL}}},
	{"enum as int", "{" BASE ",\"role\":0}", {{"role", "must be a string"}, {NULL}}},
	{"array empty", "{" BASE ",\"permissions\":[]}", {{"permissions", "must not be empty"}, {NULL}}},
	{"array max", "{" BASE ",\"permissions\":[\"a\",\"b\",\"c\"]}", {{NULL}}},
	{"array over max", "{" BASE ",\"permissions\":[\"a\",\"b\",\"c\",\"d\"]}", {{"permissions", "has too many items"}, {NULL}}},
	{"array of ints", "{" BASE ",\"permissions\":[1]}", {{"permissions", "must be an array of strings"}, {NULL}}},
	{"array with null", "{" BASE ",\"permissions\":[\"a\",null]}", {{"permissions", "must be an array of strings"}, {NULL}}},
	{"array nested", "{" BASE ",\"permissions\":[[\"a\"]]}", {{"permissions", "must be an array of strings"}, {NULL}}},
	{"array as string", "{" BASE ",\"permissions\":\"a\"}", {{"permissions", "must be an array of strings"}, {NULL}}},
	{"array null", "{" BASE ",\"permissions\":null}", {{"permissions", "must not be null"}, {NULL}}},
	{"time with offset", "{" BASE ",\"expires_at\":\"2026-02-20T16:30:00+02:00\"}", {{NULL}}},
	{"time with fraction", "{" BASE ",\"expires_at\":\"2026-02-20T14:30:00.123Z\"}", {{NULL}}},
	{"time Feb 30", "{" BASE ",\"expires_at\":\"2026-02-30T14:30:00Z\"}", {{"expires_at", "must be an RFC 3339 date-time"}, {NULL}}},
	{"time date only", "{" BASE ",\"expires_at\":\"2026-02-20\"}", {{"expires_at", "must be an RFC 3339 date-time"}, {NULL}}},
	{"time no zone", "{" BASE ",\"expires_at\":\"2026-02-20T14:30:00\"}", {{"expires_at", "must be an RFC 3339 date-time"}, {NULL}}},
	{"time as number", "{" BASE ",\"expires_at\":1771597800}", {{"expires_at", "must be an RFC 3339 date-time"}, {NULL}}},
	{"several errors in spec order", "{\"name\":7,\"age\":-3,\"role\":\"root\",\"email\":\"x\"}",
	    {{"email", "is too short"}, {"name", "must be a string"}, {"age", "is out of range"}, {"role", "is not one of the allowed values"}}},
};

START_TEST(test_validate)
{
	const char *why = NULL;
	json_object *o = parse(vcases[_i].in, &why);
	struct field_errors errs = {0};
	size_t want = 0;

	ck_assert_msg(o != NULL, "%s: parse failed: %s", vcases[_i].label, why);
	while (want < 4 && vcases[_i].errs[want][0] != NULL)
		want++;
	bool ok = jv_validate(o, specs, NSPECS, &errs);
	ck_assert_msg(ok == (want == 0), "%s: returned %d with %zu errors", vcases[_i].label, ok,
	    errs.n);
	ck_assert_msg(errs.n == want, "%s: %zu errors (first %s: %s), want %zu", vcases[_i].label,
	    errs.n, errs.n ? errs.e[0].field : "-", errs.n ? errs.e[0].message : "-", want);
	for (size_t i = 0; i < want; i++) {
		ck_assert_msg(strcmp(errs.e[i].field, vcases[_i].errs[i][0]) == 0 &&
		    strcmp(errs.e[i].message, vcases[_i].errs[i][1]) == 0,
		    "%s: error %zu is %s \"%s\", want %s \"%s\"", vcases[_i].label, i, errs.e[i].field,
		    errs.e[i].message, vcases[_i].errs[i][0], vcases[_i].errs[i][1]);
	}
	json_object_put(o);
}
END_TEST

/* Required and nullable: null reads as absent, so it is still required. */
START_TEST(test_required_nullable)
{
	static const struct field_spec rn[] = {{"x", FIELD_STRING, true, true, 0, 10, NULL}};
	struct field_errors errs = {0};
	const char *why;
	json_object *o = parse("{\"x\":null}", &why);

	ck_assert(!jv_validate(o, rn, 1, &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.e[0].message, "is required");
	json_object_put(o);
}
END_TEST

static const char *const not_objects[] = {"[]", "[{\"email\":\"a@b.c\",\"name\":\"Ann\"}]", "\"x\""};

START_TEST(test_validate_not_object)
{
	struct field_errors errs = {0};
	const char *why;
	json_object *o = parse(not_objects[_i], &why);

	ck_assert_ptr_nonnull(o);
	ck_assert(!jv_validate(o, specs, NSPECS, &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.e[0].field, "body");
	ck_assert_str_eq(errs.e[0].message, "must be a JSON object");
	json_object_put(o);
	/* NULL (a JSON null body) too. */
	errs.n = 0;
	ck_assert(!jv_validate(NULL, specs, NSPECS, &errs));
	ck_assert_uint_eq(errs.n, 1);
	/* No specs: only the empty object passes. */
	errs.n = 0;
	o = parse("{\"a\":1}", &why);
	ck_assert(!jv_validate(o, NULL, 0, &errs));
	ck_assert_uint_eq(errs.n, 1);
	ck_assert_str_eq(errs.e[0].field, "a");
	json_object_put(o);
	errs.n = 0;
	o = parse("{}", &why);
	ck_assert(jv_validate(o, NULL, 0, &errs));
	ck_assert_uint_eq(errs.n, 0);
	json_object_put(o);
}
END_TEST

/* More bad fields than FIELD_ERRORS_MAX: capped, still a failure. */
START_TEST(test_errors_capped)
{
	struct field_spec many[FIELD_ERRORS_MAX + 4];
	static char names[FIELD_ERRORS_MAX + 4][8];
	struct field_errors errs = {0};
	const char *why;
	json_object *o = parse("{}", &why);

	for (size_t i = 0; i < FIELD_ERRORS_MAX + 4; i++) {
		snprintf(names[i], sizeof names[i], "f%zu", i);
		many[i] = (struct field_spec){names[i], FIELD_STRING, true, false, 0, 10, NULL};
	}
	ck_assert(!jv_validate(o, many, FIELD_ERRORS_MAX + 4, &errs));
	ck_assert_uint_eq(errs.n, FIELD_ERRORS_MAX);
	ck_assert_str_eq(errs.e[0].field, "f0");
	ck_assert_str_eq(errs.e[FIELD_ERRORS_MAX - 1].field, names[FIELD_ERRORS_MAX - 1]);
	field_error_add(&errs, "more", "ignored");
	ck_assert_uint_eq(errs.n, FIELD_ERRORS_MAX);
	json_object_put(o);
}
END_TEST

START_TEST(test_accessors)
{
	const char *why;
	json_object *o = parse("{\"s\":\"v\",\"n\":null,\"i\":3,\"e\":\"\"}", &why);

	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(jv_get_string(o, "s"), "v");
	ck_assert_str_eq(jv_get_string(o, "e"), "");
	ck_assert_ptr_null(jv_get_string(o, "n"));
	ck_assert_ptr_null(jv_get_string(o, "i"));
	ck_assert_ptr_null(jv_get_string(o, "missing"));
	ck_assert(jv_has(o, "s"));
	ck_assert(jv_has(o, "i"));
	ck_assert(!jv_has(o, "n"));
	ck_assert(!jv_has(o, "missing"));
	json_object_put(o);
}
END_TEST

/* What a handler reads: every field's value as the field table parsed it. */
/* Every string value of a parsed body, at any depth, is zero after jv_wipe; the tree stays valid. */
START_TEST(test_wipe)
{
	static const char text[] = "{\"password\":\"correct horse battery\",\"n\":1,"
	    "\"list\":[\"a secret\",{\"token\":\"eyJhbGciOi\"},[\"deep value\"]],\"flag\":true}";
	const char *why = NULL;
	json_object *o = parse(text, &why), *v;
	const char *p[4];
	size_t len[4];

	ck_assert_ptr_nonnull(o);
	ck_assert(json_object_object_get_ex(o, "password", &v));
	p[0] = json_object_get_string(v);
	ck_assert(json_object_object_get_ex(o, "list", &v));
	p[1] = json_object_get_string(json_object_array_get_idx(v, 0));
	json_object *t = NULL;
	ck_assert(json_object_object_get_ex(json_object_array_get_idx(v, 1), "token", &t));
	p[2] = json_object_get_string(t);
	p[3] = json_object_get_string(json_object_array_get_idx(json_object_array_get_idx(v, 2), 0));
	for (int i = 0; i < 4; i++)
		len[i] = strlen(p[i]);
	jv_wipe(o);
	for (int i = 0; i < 4; i++)
		for (size_t k = 0; k < len[i]; k++)
			ck_assert_msg(p[i][k] == '\0', "string %d byte %zu not wiped", i, k);
	ck_assert(json_object_object_get_ex(o, "n", &v) && json_object_get_int(v) == 1);
	jv_wipe(NULL);
	json_object_put(o);
}
END_TEST

START_TEST(test_parsed_values)
{
	static const char *const colours[] = {"red", "blue", NULL};
	static const struct field_spec pspecs[] = {
		{"s", FIELD_STRING, true, false, 1, 10, NULL},
		{"i", FIELD_INT, false, false, 0, 100, NULL},
		{"b", FIELD_BOOL, false, false, 0, 0, NULL},
		{"t", FIELD_TIME, false, true, 0, 0, NULL},
		{"a", FIELD_STRING_ARRAY, false, false, 0, 5, NULL},
		{"e", FIELD_ENUM, false, false, 0, 0, colours},
		{"n", FIELD_STRING, false, true, 0, 10, NULL},
		{"missing", FIELD_BOOL, false, false, 0, 0, NULL},
	};
	const char *why;
	json_object *o = parse("{\"s\":\"v\",\"i\":42,\"b\":true,\"t\":\"1970-01-02T00:00:00Z\","
	    "\"a\":[\"x\",\"y\"],\"e\":\"blue\",\"n\":null}", &why);
	struct field_errors errs = {.n = 0};
	struct jv_values in;

	ck_assert_ptr_nonnull(o);
	ck_assert(jv_validate_into(o, pspecs, sizeof pspecs / sizeof pspecs[0], &errs, &in));
	ck_assert_str_eq(jv_str(&in, "s"), "v");
	ck_assert_int_eq(jv_field(&in, "i")->i, 42);
	ck_assert(jv_bool(&in, "b", false));
	ck_assert(jv_bool(&in, "missing", true));
	ck_assert_int_eq((long)jv_field(&in, "t")->t, 86400);
	ck_assert_int_eq(jv_field(&in, "a")->n, 2);
	ck_assert_ptr_nonnull(jv_field(&in, "a")->array);
	ck_assert_str_eq(jv_str(&in, "e"), "blue");
	/* null in a nullable field: given, not present. */
	ck_assert(jv_field(&in, "n")->given);
	ck_assert(!jv_field(&in, "n")->present);
	ck_assert_ptr_null(jv_str(&in, "n"));
	ck_assert(!jv_field(&in, "missing")->given);
	ck_assert(!jv_field(&in, "not in the table")->present);
	ck_assert(!jv_field(NULL, "s")->present);
	json_object_put(o);
}
END_TEST

static Suite *
json_suite(void)
{
	Suite *s = suite_create("json");
	TCase *tc;

	tc = unit_tcase(s, "parse", 10);
	tcase_add_loop_test(tc, test_good, 0, sizeof good / sizeof good[0]);
	tcase_add_loop_test(tc, test_top_level_scalar, 0, sizeof scalars / sizeof scalars[0]);
	tcase_add_loop_test(tc, test_bad, 0, sizeof bad / sizeof bad[0]);
	tcase_add_test(tc, test_raw_nul_and_empty);
	tcase_add_loop_test(tc, test_lone_surrogate, 0, sizeof surrogates / sizeof surrogates[0]);
	tcase_add_test(tc, test_large_string);

	tc = unit_tcase(s, "depth", 10);
	tcase_add_loop_test(tc, test_depth, 0, sizeof depths / sizeof depths[0]);
	tcase_add_test(tc, test_depth_mixed);

	tc = unit_tcase(s, "validate", 10);
	tcase_add_loop_test(tc, test_validate, 0, sizeof vcases / sizeof vcases[0]);
	tcase_add_test(tc, test_required_nullable);
	tcase_add_loop_test(tc, test_validate_not_object, 0, sizeof not_objects / sizeof not_objects[0]);
	tcase_add_test(tc, test_errors_capped);
	tcase_add_test(tc, test_accessors);
	tcase_add_test(tc, test_parsed_values);
	tcase_add_test(tc, test_wipe);
	return s;
}

int
main(void)
{
	return unit_run(json_suite(), false);
}
