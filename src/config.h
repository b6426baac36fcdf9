/* config.h -- the service's configuration: INI file, then OVERWATCH_* environment. */
#ifndef OW_CONFIG_H
#define OW_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include "password.h"

#define CONFIG_DEFAULT_PATH SYSCONFDIR "/overwatch/overwatch.conf"
#define CONFIG_ERR_LEN 512

enum environment { ENVIRONMENT_DEVELOPMENT, ENVIRONMENT_PRODUCTION, ENVIRONMENT_MAX };
enum log_sink { LOG_SINK_STDERR, LOG_SINK_SYSLOG, LOG_SINK_MAX };
/* [database] tls: none; encrypted without checking the server; chain and host name checked. */
enum db_tls { DB_TLS_OFF, DB_TLS_REQUIRED, DB_TLS_VERIFY, DB_TLS_MAX };

struct config {
	/* [service] */
	int environment;
	long workers;
	long max_requests;
	long shutdown_timeout;
	long max_body;
	int log_sink;
	int log_level;
	char *trusted_proxies;
	char *allowed_origins;
	bool registration;
	long registrations_per_hour;    /* per client address (IPv6: per lockout_ipv6_prefix) */
	/* [database] */
	char *db_socket;
	char *db_host;
	long db_port;
	char *db_servers;           /* "host[:port] ..." tried in order; empty: socket or host */
	long db_sync_wait;          /* Galera wsrep_sync_wait for this service's sessions */
	char *db_name;
	char *db_user;
	char *db_password_file;
	long db_connect_timeout;
	long db_query_timeout;
	char *db_password;          /* read from db_password_file; wiped on free */
	int db_tls;                 /* enum db_tls */
	char *db_ca_file;           /* PEM CA certificates the server's chain must end in (verify) */
	char *db_cert_file;         /* client certificate (PEM); empty: none */
	char *db_key_file;          /* its private key (PEM) */
	char *db_admin_user;        /* overwatch-admin's user (schema, purge); empty: db_user */
	char *db_admin_password_file;
	/* [jwt] */
	char *jwt_secret_file;
	char *jwt_verify_secret_files;
	char *jwt_issuer;
	long jwt_access_ttl;
	long jwt_refresh_ttl;        /* an API client's session: absolute lifetime */
	long jwt_idle_timeout;       /* an API client's session unused this long has ended; 0: never */
	long jwt_browser_session_ttl;       /* a browser's session: absolute lifetime */
	long jwt_browser_idle_timeout;      /* a browser's session unused this long has ended; 0: never */
	bool jwt_refresh_rotation;
	bool jwt_cookie_refresh_rotation;   /* rotate refreshes that came by cookie */
	long jwt_refresh_grace;
	long jwt_reauthentication_window;   /* step-up: how recent a proof must be */
	/* [password] */
	long argon2_memory;
	long argon2_iterations;
	long argon2_parallelism;
	char *pepper_file;          /* password pepper keys (src/pepper.c); empty: no pepper */
	/* [lockout] */
	long lockout_threshold;
	long lockout_window;
	long lockout_duration;
	long lockout_ip_failures_per_minute;
	long lockout_ipv6_prefix;       /* IPv6 clients are grouped by this prefix for every per-IP limit */
	/* [authorizer] */
	char *authorizer_rules;
	char *authorizer_login_url;
	/* [sso] */
	char *sso_redirect_base;    /* scheme://host[:port] the browser reaches us at; empty: from Host */
	char *sso_console_url;      /* where a browser goes after signing in */
	long sso_http_timeout;      /* seconds for one call to an identity provider */
	long sso_cache_ttl;         /* no longer used (metadata is stored with the connection) */
	long sso_failure_ttl;       /* seconds a provider that did not answer is not asked again */
	bool sso_allow_private_networks;    /* provider calls may reach loopback and private ranges */
	long sso_requests_per_minute;   /* /start and /callback per client address */
	/* [mfa] */
	char *mfa_secret_file;      /* key file of the TOTP secrets at rest; empty: no two-factor sign-in */
	long mfa_token_ttl;         /* seconds an mfa_token of the password step lives */
	/* [account] */
	char *account_link_base;    /* a link is this text and the token; empty: the token alone */
	long account_activation_ttl;    /* seconds an activation link lives */
	long account_reset_ttl;     /* seconds a password reset link lives */
	long account_resets_per_hour;   /* reset requests per client address */
	/* [notify]: set by the operator only, never by a tenant */
	char *notify_smtp_url;      /* smtp://host[:port] of the local MTA; empty: no mail */
	char *notify_mail_from;     /* the envelope and From: address of the mail */
	char *notify_webhook_url;   /* http(s) URL every notification is POSTed to; empty: none */
	long notify_timeout;        /* seconds for one delivery */
	long notify_retry_delay;    /* seconds before a failed delivery is tried again */
	long notify_max_attempts;   /* deliveries tried before a notification is dropped */
	long notify_batch;          /* notifications one worker sends between two requests */
	/* [cache] */
	bool cache_credentials;     /* per-worker cache of verified credentials (src/credcache.c) */
	long cache_size;            /* entries per worker */
	long cache_max_age;         /* seconds an entry is trusted at most */
	long cache_revocation_poll; /* ms between polls of the revocation log: the cross-host bound */
	char *cache_segment;        /* the host's revocation epoch file (src/epoch.c) */
	char *cache_segment_owner;  /* the user that must own it; empty: the process's own */
	/* [audit] */
	bool audit_syslog;          /* every audit event also to syslog (src/audit_syslog.c) */
	int audit_syslog_facility;  /* index into config_syslog_facilities */
	char *audit_syslog_socket;  /* the syslog daemon's datagram socket */
	/* [retention] */
	long retention_audit_days;  /* overwatch-admin purge: audit events older than this go; 0 keeps them */
	long retention_deactivated_days; /* ... and users deactivated this long ago; 0 keeps them */

	char *path;                 /* the file read, or NULL when none was */
};

/*
 * Load defaults, then the INI file at path (NULL: the default path, which
 * may be absent), then OVERWATCH_<SECTION>_<KEY> variables from the
 * environment. On failure returns -1 with a message naming the file, line
 * and key in err; cfg then holds nothing to free.
 */
int config_load(struct config *cfg, const char *path, char err[CONFIG_ERR_LEN]);
/* Free every string of cfg and wipe the database password. */
void config_free(struct config *cfg);
/*
 * overwatch-admin: connect as [database] admin_user with the password of
 * admin_password_file instead of the service's user, when admin_user is
 * set (the service's own user may not change the schema or delete audit
 * events: README.md, "Database users"). -1 with a message in err when the
 * file cannot be read.
 */
int config_use_admin_user(struct config *cfg, char err[CONFIG_ERR_LEN]);
/* syslog(3) facility codes of [audit] syslog_facility, by index. */
extern const int config_syslog_facilities[];
/* Workers to run: the configured count, or one per CPU when it is 0. */
long config_workers(const struct config *cfg);
/* Name of an environment value (for logs). */
const char *config_environment_name(int environment);

/*
 * One configuration key as the documentation shows it (README's table,
 * overwatch.conf(5)): the unit test that keeps them in step reads this.
 * kind: "text", "n" (min..max), "bool" or "enum" (names, NULL-terminated).
 */
struct config_key_doc {
	const char *section, *key, *kind, *def;
	long min, max;
	const char *const *names;
};
/* Key i of the table in file order; false past the end. */
bool config_key_doc(size_t i, struct config_key_doc *out);

/* The argon2id cost [password] sets, as password.h takes it. */
struct password_params config_password_params(const struct config *cfg);

#endif
