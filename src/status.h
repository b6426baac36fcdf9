/* status.h -- outcome of a request-path operation; reply.c maps it to HTTP. */
#ifndef OW_STATUS_H
#define OW_STATUS_H

enum status {
	ST_OK,
	ST_CREATED,
	ST_ACCEPTED,
	ST_NO_CONTENT,
	ST_FOUND,           /* 302: authorizer redirects browsers to the login page */
	ST_VALIDATION_ERROR,
	ST_INVALID_TOKEN,
	ST_INVALID_API_KEY,
	ST_INVALID_CREDENTIALS,
	ST_REAUTHENTICATION_REQUIRED,   /* step-up: the session's proof is too old */
	ST_INSUFFICIENT_PERMISSIONS,
	ST_CSRF_REJECTED,
	ST_HTTPS_REQUIRED,
	ST_SSO_REQUIRED,    /* a password where the organization requires single sign-on */
	ST_NOT_FOUND,
	ST_METHOD_NOT_ALLOWED,
	ST_CONFLICT,
	ST_PAYLOAD_TOO_LARGE,
	ST_UNSUPPORTED_MEDIA_TYPE,
	ST_ACCOUNT_LOCKED,
	ST_RATE_LIMITED,
	ST_INTERNAL_ERROR,
	ST_BAD_GATEWAY,     /* an upstream (an SSO identity provider) is down or answered nonsense */
	ST_SERVICE_UNAVAILABLE,
	ST_RETRY,           /* internal: deadlock or certification failure, run the handler again */
	ST_MAX
};

struct status_info {
	int http;            /* HTTP status code */
	const char *reason;  /* HTTP reason phrase */
	const char *code;    /* doc/api.md section 2 error code, NULL for successes */
	const char *detail;  /* default human-readable detail */
};

/* The row of the status table; never NULL for st < ST_MAX. */
const struct status_info *status_info(enum status st);

#endif
