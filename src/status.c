/* status.c -- the one table of statuses: HTTP code, API error code, default detail. */
#include "status.h"

#include <stddef.h>

/* One row per status: HTTP code, reason phrase, API error code, default detail. */
#define STATUS(id, code, reason, error, detail) [id] = {code, reason, error, detail},
static const struct status_info status_table[ST_MAX] = {
	STATUS(ST_OK, 200, "OK", NULL, NULL)
	STATUS(ST_CREATED, 201, "Created", NULL, NULL)
	STATUS(ST_ACCEPTED, 202, "Accepted", NULL, NULL)
	STATUS(ST_NO_CONTENT, 204, "No Content", NULL, NULL)
	STATUS(ST_FOUND, 302, "Found", NULL, NULL)
	STATUS(ST_VALIDATION_ERROR, 400, "Bad Request", "VALIDATION_ERROR", "Request validation failed")
	STATUS(ST_INVALID_TOKEN, 401, "Unauthorized", "INVALID_TOKEN", "Token is missing")
	STATUS(ST_INVALID_API_KEY, 401, "Unauthorized", "INVALID_API_KEY", "Invalid API key")
	STATUS(ST_INVALID_CREDENTIALS, 401, "Unauthorized", "INVALID_CREDENTIALS", "Invalid email or password")
	STATUS(ST_REAUTHENTICATION_REQUIRED, 401, "Unauthorized", "REAUTHENTICATION_REQUIRED", "Recent authentication required")
	STATUS(ST_INSUFFICIENT_PERMISSIONS, 403, "Forbidden", "INSUFFICIENT_PERMISSIONS", "Insufficient permissions")
	STATUS(ST_SSO_REQUIRED, 403, "Forbidden", "SSO_REQUIRED", "This organization requires single sign-on: sign in through its identity provider")
	STATUS(ST_CSRF_REJECTED, 403, "Forbidden", "CSRF_REJECTED", "Cross-site request rejected")
	STATUS(ST_HTTPS_REQUIRED, 403, "Forbidden", "HTTPS_REQUIRED", "HTTPS is required")
	STATUS(ST_NOT_FOUND, 404, "Not Found", "NOT_FOUND", "Not found")
	STATUS(ST_METHOD_NOT_ALLOWED, 405, "Method Not Allowed", "METHOD_NOT_ALLOWED", "Method not allowed")
	STATUS(ST_CONFLICT, 409, "Conflict", "CONFLICT", "Conflict")
	STATUS(ST_PAYLOAD_TOO_LARGE, 413, "Payload Too Large", "PAYLOAD_TOO_LARGE", "Request body too large")
	STATUS(ST_UNSUPPORTED_MEDIA_TYPE, 415, "Unsupported Media Type", "UNSUPPORTED_MEDIA_TYPE", "Content-Type must be application/json")
	STATUS(ST_ACCOUNT_LOCKED, 423, "Locked", "ACCOUNT_LOCKED", "Account is temporarily locked")
	STATUS(ST_RATE_LIMITED, 429, "Too Many Requests", "RATE_LIMITED", "Too many failed login attempts")
	STATUS(ST_INTERNAL_ERROR, 500, "Internal Server Error", "INTERNAL_ERROR", "Internal server error")
	STATUS(ST_BAD_GATEWAY, 502, "Bad Gateway", "SSO_PROVIDER_ERROR", "The identity provider is unavailable")
	STATUS(ST_SERVICE_UNAVAILABLE, 503, "Service Unavailable", "SERVICE_UNAVAILABLE", "Service temporarily unavailable")
	/* Never sent: dispatch retries; if retries run out the client sees this 503. */
	STATUS(ST_RETRY, 503, "Service Unavailable", "SERVICE_UNAVAILABLE", "Service temporarily unavailable")
};

const struct status_info *
status_info(enum status st)
{
	if ((unsigned)st >= ST_MAX)
		st = ST_INTERNAL_ERROR;
	return &status_table[st];
}
