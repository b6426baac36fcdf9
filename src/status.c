/* status.c -- the one table of statuses: HTTP code, API error code, default detail. */
#include "status.h"

#include <stddef.h>

static const struct status_info status_table[ST_MAX] = {
	[ST_OK] = {200, "OK", NULL, NULL},
	[ST_CREATED] = {201, "Created", NULL, NULL},
	[ST_ACCEPTED] = {202, "Accepted", NULL, NULL},
	[ST_NO_CONTENT] = {204, "No Content", NULL, NULL},
	[ST_FOUND] = {302, "Found", NULL, NULL},
	[ST_VALIDATION_ERROR] = {400, "Bad Request", "VALIDATION_ERROR", "Request validation failed"},
	[ST_INVALID_TOKEN] = {401, "Unauthorized", "INVALID_TOKEN", "Token is missing"},
	[ST_INVALID_API_KEY] = {401, "Unauthorized", "INVALID_API_KEY", "Invalid API key"},
	[ST_INVALID_CREDENTIALS] = {401, "Unauthorized", "INVALID_CREDENTIALS", "Invalid email or password"},
	[ST_REAUTHENTICATION_REQUIRED] = {401, "Unauthorized", "REAUTHENTICATION_REQUIRED",
	    "Recent authentication required"},
	[ST_INSUFFICIENT_PERMISSIONS] = {403, "Forbidden", "INSUFFICIENT_PERMISSIONS", "Insufficient permissions"},
	[ST_SSO_REQUIRED] = {403, "Forbidden", "SSO_REQUIRED",
	    "This organization requires single sign-on: sign in through its identity provider"},
	[ST_CSRF_REJECTED] = {403, "Forbidden", "CSRF_REJECTED", "Cross-site request rejected"},
	[ST_HTTPS_REQUIRED] = {403, "Forbidden", "HTTPS_REQUIRED", "HTTPS is required"},
	[ST_NOT_FOUND] = {404, "Not Found", "NOT_FOUND", "Not found"},
	[ST_METHOD_NOT_ALLOWED] = {405, "Method Not Allowed", "METHOD_NOT_ALLOWED", "Method not allowed"},
	[ST_CONFLICT] = {409, "Conflict", "CONFLICT", "Conflict"},
	[ST_PAYLOAD_TOO_LARGE] = {413, "Payload Too Large", "PAYLOAD_TOO_LARGE", "Request body too large"},
	[ST_UNSUPPORTED_MEDIA_TYPE] = {415, "Unsupported Media Type", "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json"},
	[ST_ACCOUNT_LOCKED] = {423, "Locked", "ACCOUNT_LOCKED", "Account is temporarily locked"},
	[ST_RATE_LIMITED] = {429, "Too Many Requests", "RATE_LIMITED", "Too many failed login attempts"},
	[ST_INTERNAL_ERROR] = {500, "Internal Server Error", "INTERNAL_ERROR", "Internal server error"},
	[ST_BAD_GATEWAY] = {502, "Bad Gateway", "SSO_PROVIDER_ERROR", "The identity provider is unavailable"},
	[ST_SERVICE_UNAVAILABLE] = {503, "Service Unavailable", "SERVICE_UNAVAILABLE", "Service temporarily unavailable"},
	/* Never sent: dispatch retries; if retries run out the client sees this 503. */
	[ST_RETRY] = {503, "Service Unavailable", "SERVICE_UNAVAILABLE", "Service temporarily unavailable"},
};

const struct status_info *
status_info(enum status st)
{
	if ((unsigned)st >= ST_MAX)
		st = ST_INTERNAL_ERROR;
	return &status_table[st];
}
