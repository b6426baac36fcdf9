/*
 * fuzz_json.c -- jv_check_syntax, jv_parse_strict and jv_validate
 * against the field specs of every route that takes a body (router_routes()),
 * plus the accessors handlers use. The input is the request body, unterminated
 * (exactly as many bytes as libFuzzer gives, so ASan sees any overread).
 *
 * Also a differential check: when the RFC 8259 scanner accepts valid UTF-8,
 * json-c must build the tree (a mismatch is a 400 for a valid body, or worse,
 * a tree from bytes the scanner never vetted).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"

#include "jsonin.h"
#include "router.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* True when s[0..n) is the literal null with optional JSON whitespace around it. */
static bool
is_null(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && strchr(" \t\r\n", s[i]) != NULL && s[i] != '\0')
		i++;
	if (n - i < 4 || memcmp(s + i, "null", 4) != 0)
		return false;
	for (i += 4; i < n; i++)
		if (strchr(" \t\r\n", s[i]) == NULL || s[i] == '\0')
			return false;
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	size_t nroutes = 0;
	const struct route *routes = router_routes(&nroutes);
	/* An exact-size heap copy: libFuzzer's own buffer is exact too, this keeps it independent. */
	char *s = malloc(size > 0 ? size : 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	bool syntax_ok = jv_check_syntax(s, size, &why);
	if (!syntax_ok && why == NULL)
		abort();
	json_object *obj = jv_parse_strict(s, size, &why);
	if (obj == NULL && why == NULL)
		abort();
	if (obj != NULL && !syntax_ok)
		abort();        /* a tree from a body the scanner refused */
	/*
	 * json-c represents a JSON null as a NULL object, so a body that is just
	 * `null` comes back NULL ("Malformed JSON") although it is valid JSON;
	 * a repeated key is valid grammar that jv_parse_strict refuses.
	 */
	if (obj == NULL && syntax_ok && size > 0 && util_utf8_valid(s, size) && !is_null(s, size) &&
	    strstr(why, "Duplicate key") == NULL) {
		fprintf(stderr, "scanner accepted, jv_parse_strict refused: %s\n", why);
		abort();
	}
	if (obj != NULL) {
		for (size_t i = 0; i < nroutes; i++) {
			struct field_errors errs = {.n = 0};
			if (routes[i].nfields == 0)
				continue;
			bool ok = jv_validate(obj, routes[i].fields, routes[i].nfields, &errs);
			if (ok != (errs.n == 0) || errs.n > FIELD_ERRORS_MAX)
				abort();
			for (size_t k = 0; k < routes[i].nfields; k++) {
				const char *v = jv_get_string(obj, routes[i].fields[k].name);
				if (v != NULL)
					(void)strlen(v);
				(void)jv_has(obj, routes[i].fields[k].name);
			}
			for (size_t k = 0; k < errs.n; k++)
				if (errs.e[k].field == NULL || errs.e[k].message == NULL)
					abort();
		}
		/* Re-serialising is what reply.c does with bodies built from validated input. */
		(void)json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	}
	json_object_put(obj);
	free(s);
	return 0;
}
