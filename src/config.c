/* config.c -- parse overwatch.conf (INI) and OVERWATCH_* overrides through one key table. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

enum cfg_type { CFG_STR, CFG_LONG, CFG_BOOL, CFG_ENUM };

struct cfg_key {
	const char *section;
	const char *key;
	enum cfg_type type;
	size_t offset;
	const char *def;
	long min, max;                  /* CFG_LONG bounds */
	const char *const *names;       /* CFG_ENUM values, NULL-terminated */
};

static const char *const environment_names[] = {"development", "production", NULL};
static const char *const log_sink_names[] = {"stderr", "syslog", NULL};
static const char *const log_level_names[] = {"error", "warning", "info", "debug", NULL};
static const char *const db_tls_names[] = {"off", "required", "verify", NULL};
static const char *const facility_names[] = {"authpriv", "auth", "daemon", "local0", "local1", "local2",
    "local3", "local4", "local5", "local6", "local7", NULL};
const int config_syslog_facilities[] = {LOG_AUTHPRIV, LOG_AUTH, LOG_DAEMON, LOG_LOCAL0, LOG_LOCAL1,
    LOG_LOCAL2, LOG_LOCAL3, LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};

#define OFF(f) offsetof(struct config, f)
/* One row per key, a macro per kind: the table reads as the README's. */
#define KEY_STR(sec, key, f, def) {sec, key, CFG_STR, OFF(f), def, 0, 0, NULL},
#define KEY_BOOL(sec, key, f, def) {sec, key, CFG_BOOL, OFF(f), def, 0, 0, NULL},
#define KEY_LONG(sec, key, f, def, min, max) {sec, key, CFG_LONG, OFF(f), def, min, max, NULL},
#define KEY_ENUM(sec, key, f, def, names) {sec, key, CFG_ENUM, OFF(f), def, 0, 0, names},
#define DAY 86400L
static const struct cfg_key cfg_keys[] = {
	KEY_ENUM("service", "environment", environment, "development", environment_names)
	KEY_LONG("service", "workers", workers, "0", 0, 256)
	KEY_LONG("service", "max_requests", max_requests, "10000", 1, 100000000L)
	KEY_LONG("service", "shutdown_timeout", shutdown_timeout, "10", 1, 3600)
	KEY_LONG("service", "max_body", max_body, "65536", 1024, 16L * 1024 * 1024)
	KEY_ENUM("service", "log", log_sink, "stderr", log_sink_names)
	KEY_ENUM("service", "log_level", log_level, "info", log_level_names)
	KEY_STR("service", "trusted_proxies", trusted_proxies, "")
	KEY_STR("service", "allowed_origins", allowed_origins, "")
	KEY_BOOL("service", "registration", registration, "false")
	KEY_LONG("service", "registrations_per_hour", registrations_per_hour, "20", 1, 1000000)
	KEY_STR("database", "socket", db_socket, "/run/mysqld/mysqld.sock")
	KEY_STR("database", "host", db_host, "127.0.0.1")
	KEY_LONG("database", "port", db_port, "3306", 1, 65535)
	KEY_STR("database", "servers", db_servers, "")
	KEY_LONG("database", "sync_wait", db_sync_wait, "0", 0, 15)
	KEY_STR("database", "name", db_name, "overwatch")
	KEY_STR("database", "user", db_user, "overwatch")
	KEY_STR("database", "password_file", db_password_file, "")
	KEY_LONG("database", "connect_timeout", db_connect_timeout, "3", 1, 300)
	KEY_LONG("database", "query_timeout", db_query_timeout, "5", 1, 3600)
	KEY_ENUM("database", "tls", db_tls, "off", db_tls_names)
	KEY_STR("database", "ca_file", db_ca_file, "")
	KEY_STR("database", "cert_file", db_cert_file, "")
	KEY_STR("database", "key_file", db_key_file, "")
	KEY_STR("database", "admin_user", db_admin_user, "")
	KEY_STR("database", "admin_password_file", db_admin_password_file, "")
	{"jwt", "secret_file", CFG_STR, OFF(jwt_secret_file), SYSCONFDIR "/overwatch/jwt.secret", 0, 0, NULL},
	KEY_STR("jwt", "verify_secret_files", jwt_verify_secret_files, "")
	KEY_STR("jwt", "issuer", jwt_issuer, "overwatch")
	KEY_LONG("jwt", "access_ttl", jwt_access_ttl, "3600", 10, DAY)
	KEY_LONG("jwt", "refresh_ttl", jwt_refresh_ttl, "604800", 60, 365 * DAY)
	KEY_LONG("jwt", "idle_timeout", jwt_idle_timeout, "0", 0, 365 * DAY)
	KEY_LONG("jwt", "browser_session_ttl", jwt_browser_session_ttl, "43200", 60, 365 * DAY)
	KEY_LONG("jwt", "browser_idle_timeout", jwt_browser_idle_timeout, "1800", 0, 365 * DAY)
	KEY_BOOL("jwt", "refresh_rotation", jwt_refresh_rotation, "false")
	KEY_BOOL("jwt", "cookie_refresh_rotation", jwt_cookie_refresh_rotation, "true")
	KEY_LONG("jwt", "refresh_grace", jwt_refresh_grace, "10", 0, 300)
	KEY_LONG("jwt", "reauthentication_window", jwt_reauthentication_window, "600", 1, DAY)
	KEY_LONG("password", "argon2_memory", argon2_memory, "19456", 8, 4L * 1024 * 1024)
	KEY_LONG("password", "argon2_iterations", argon2_iterations, "2", 1, 100)
	KEY_LONG("password", "argon2_parallelism", argon2_parallelism, "1", 1, 64)
	KEY_STR("password", "pepper_file", pepper_file, "")
	KEY_LONG("lockout", "threshold", lockout_threshold, "5", 1, 1000)
	KEY_LONG("lockout", "window", lockout_window, "900", 1, 30 * DAY)
	KEY_LONG("lockout", "duration", lockout_duration, "900", 1, 30 * DAY)
	KEY_LONG("lockout", "ip_failures_per_minute", lockout_ip_failures_per_minute, "30", 1, 1000000)
	KEY_LONG("lockout", "ipv6_prefix", lockout_ipv6_prefix, "64", 16, 128)
	KEY_STR("authorizer", "rules", authorizer_rules, "")
	KEY_STR("authorizer", "login_url", authorizer_login_url, "")
	KEY_STR("sso", "redirect_base", sso_redirect_base, "")
	KEY_STR("sso", "console_url", sso_console_url, "/")
	KEY_LONG("sso", "http_timeout", sso_http_timeout, "3", 1, 60)
	KEY_LONG("sso", "cache_ttl", sso_cache_ttl, "3600", 0, DAY)
	KEY_LONG("sso", "failure_ttl", sso_failure_ttl, "60", 0, DAY)
	KEY_BOOL("sso", "allow_private_networks", sso_allow_private_networks, "false")
	KEY_LONG("sso", "requests_per_minute", sso_requests_per_minute, "60", 1, 1000000)
	KEY_STR("mfa", "secret_file", mfa_secret_file, "")
	KEY_LONG("mfa", "token_ttl", mfa_token_ttl, "300", 1, 3600)
	KEY_STR("account", "link_base", account_link_base, "")
	KEY_LONG("account", "activation_ttl", account_activation_ttl, "86400", 60, 30 * DAY)
	KEY_LONG("account", "reset_ttl", account_reset_ttl, "1800", 60, DAY)
	KEY_LONG("account", "resets_per_hour", account_resets_per_hour, "10", 1, 1000000)
	KEY_STR("notify", "smtp_url", notify_smtp_url, "")
	KEY_STR("notify", "mail_from", notify_mail_from, "")
	KEY_STR("notify", "webhook_url", notify_webhook_url, "")
	KEY_LONG("notify", "timeout", notify_timeout, "5", 1, 60)
	KEY_LONG("notify", "retry_delay", notify_retry_delay, "60", 1, DAY)
	KEY_LONG("notify", "max_attempts", notify_max_attempts, "5", 1, 100)
	KEY_LONG("notify", "batch", notify_batch, "10", 1, 1000)
	KEY_BOOL("cache", "credentials", cache_credentials, "true")
	KEY_LONG("cache", "size", cache_size, "4096", 16, 1048576)
	KEY_LONG("cache", "max_age", cache_max_age, "60", 1, 86400)
	KEY_LONG("cache", "revocation_poll", cache_revocation_poll, "1000", 50, 60000)
	KEY_STR("cache", "segment", cache_segment, "/dev/shm/overwatch-auth.epoch")
	KEY_STR("cache", "segment_owner", cache_segment_owner, "")
	KEY_BOOL("audit", "syslog", audit_syslog, "false")
	KEY_ENUM("audit", "syslog_facility", audit_syslog_facility, "authpriv", facility_names)
	KEY_STR("audit", "syslog_socket", audit_syslog_socket, "/dev/log")
	KEY_LONG("retention", "audit_days", retention_audit_days, "365", 0, 36500)
	KEY_LONG("retention", "deactivated_user_days", retention_deactivated_days, "0", 0, 36500)
};
#define CFG_KEYS (sizeof(cfg_keys) / sizeof(cfg_keys[0]))

static const struct cfg_key *
cfg_find(const char *section, const char *key)
{
	for (size_t i = 0; i < CFG_KEYS; i++)
		if (strcmp(cfg_keys[i].section, section) == 0 && strcmp(cfg_keys[i].key, key) == 0)
			return &cfg_keys[i];
	return NULL;
}

/* Store value into the field k names; message into why on a bad value. */
static int
cfg_set(struct config *cfg, const struct cfg_key *k, const char *value, const char **why)
{
	void *field = (char *)cfg + k->offset;
	long v;

	switch (k->type) {
	case CFG_STR: {
		char *copy = strdup(value);
		if (copy == NULL) {
			*why = "out of memory";
			return -1;
		}
		free(*(char **)field);
		*(char **)field = copy;
		return 0;
	}
	case CFG_LONG:
		if (util_parse_long(value, k->min, k->max, &v) != 0) {
			*why = "not a whole number in the allowed range";
			return -1;
		}
		*(long *)field = v;
		return 0;
	case CFG_BOOL:
		if (strcmp(value, "true") == 0 || strcmp(value, "yes") == 0 ||
		    strcmp(value, "on") == 0 || strcmp(value, "1") == 0) {
			*(bool *)field = true;
		} else if (strcmp(value, "false") == 0 || strcmp(value, "no") == 0 ||
		    strcmp(value, "off") == 0 || strcmp(value, "0") == 0) {
			*(bool *)field = false;
		} else {
			*why = "not a boolean (true or false)";
			return -1;
		}
		return 0;
	case CFG_ENUM:
		for (int i = 0; k->names[i] != NULL; i++) {
			if (strcmp(value, k->names[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		}
		*why = "not one of the allowed values";
		return -1;
	}
	*why = "unknown type";
	return -1;
}

static char *
trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

static int
cfg_read_file(struct config *cfg, const char *path, char *err)
{
	char line[4096], section[64] = "";
	int lineno = 0, rc = 0;
	FILE *f = fopen(path, "r");

	struct stat st;
	if (f == NULL) {
		snprintf(err, CONFIG_ERR_LEN, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, CONFIG_ERR_LEN, "%s: not a regular file", path);
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, CONFIG_ERR_LEN, "%s:%d: line too long", path, lineno);
			rc = -1;
			break;
		}
		char *s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *close = strchr(s, ']');
			if (close == NULL || close[1] != '\0' || (size_t)(close - s - 1) >= sizeof(section)) {
				snprintf(err, CONFIG_ERR_LEN, "%s:%d: bad section header", path, lineno);
				rc = -1;
				break;
			}
			*close = '\0';
			snprintf(section, sizeof(section), "%s", trim(s + 1));
			continue;
		}
		char *eq = strchr(s, '=');
		if (eq == NULL) {
			snprintf(err, CONFIG_ERR_LEN, "%s:%d: expected key = value", path, lineno);
			rc = -1;
			break;
		}
		*eq = '\0';
		char *key = trim(s), *value = trim(eq + 1);
		const struct cfg_key *k = cfg_find(section, key);
		const char *why = NULL;
		if (k == NULL) {
			snprintf(err, CONFIG_ERR_LEN, "%s:%d: unknown key [%s] %s", path, lineno, section, key);
			rc = -1;
			break;
		}
		if (cfg_set(cfg, k, value, &why) != 0) {
			snprintf(err, CONFIG_ERR_LEN, "%s:%d: [%s] %s: %s", path, lineno, section, key, why);
			rc = -1;
			break;
		}
	}
	fclose(f);
	return rc;
}

static int
cfg_read_env(struct config *cfg, char *err)
{
	for (size_t i = 0; i < CFG_KEYS; i++) {
		char name[128];
		const struct cfg_key *k = &cfg_keys[i];
		snprintf(name, sizeof(name), "OVERWATCH_%s_%s", k->section, k->key);
		for (char *p = name; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		const char *value = getenv(name);
		const char *why = NULL;
		if (value != NULL && cfg_set(cfg, k, value, &why) != 0) {
			snprintf(err, CONFIG_ERR_LEN, "environment %s ([%s] %s): %s", name, k->section, k->key, why);
			return -1;
		}
	}
	return 0;
}

/* Printable ASCII without spaces: the value ends up in a Location header. */
static bool
cfg_url_chars(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= 0x20 || (unsigned char)*s >= 0x7f)
			return false;
	return true;
}

/* [sso]: the base is scheme://host[:port] (a trailing '/' dropped); the console a path or URL. */
static int
cfg_sso_check(struct config *cfg, char *err)
{
	char *b = cfg->sso_redirect_base;
	size_t n = strlen(b);

	while (n > 0 && b[n - 1] == '/')
		b[--n] = '\0';
	if (n > 0) {
		const char *host = strncmp(b, "https://", 8) == 0 ? b + 8 :
		    strncmp(b, "http://", 7) == 0 ? b + 7 : NULL;
		if (host == NULL || *host == '\0' || strpbrk(host, "?#@") != NULL || n > 400 ||
		    !cfg_url_chars(b)) {
			snprintf(err, CONFIG_ERR_LEN, "[sso] redirect_base: must be http(s)://host[:port][/path] "
			    "without query or fragment");
			return -1;
		}
	}
	const char *u = cfg->sso_console_url;
	bool path = u[0] == '/' && u[1] != '/' && u[1] != '\\';
	if ((!path && strncmp(u, "https://", 8) != 0 && strncmp(u, "http://", 7) != 0) ||
	    !cfg_url_chars(u) || strlen(u) > 2000) {
		snprintf(err, CONFIG_ERR_LEN, "[sso] console_url: must be a path starting with '/' or an "
		    "http(s) URL");
		return -1;
	}
	return 0;
}

/* Checks that involve several keys or the file system. */
/*
 * [notify]: the hook reaches only what the operator wrote here: an SMTP
 * server (the local MTA) with a sender, and an http(s) webhook. The mail
 * addresses go into SMTP commands and headers: no spaces, controls or
 * angle brackets.
 */
static int
cfg_notify_check(const struct config *cfg, char *err)
{
	const char *smtp = cfg->notify_smtp_url, *from = cfg->notify_mail_from, *hook = cfg->notify_webhook_url;

	if (smtp[0] != '\0' && ((strncmp(smtp, "smtp://", 7) != 0 && strncmp(smtp, "smtps://", 8) != 0) ||
	    !cfg_url_chars(smtp))) {
		snprintf(err, CONFIG_ERR_LEN, "[notify] smtp_url: must be smtp://host[:port] or smtps://");
		return -1;
	}
	if (smtp[0] != '\0' && (strchr(from, '@') == NULL || strpbrk(from, " <>\t\r\n") != NULL ||
	    !cfg_url_chars(from))) {
		snprintf(err, CONFIG_ERR_LEN, "[notify] mail_from: an address is needed with smtp_url");
		return -1;
	}
	if (hook[0] != '\0' && ((strncmp(hook, "http://", 7) != 0 && strncmp(hook, "https://", 8) != 0) ||
	    !cfg_url_chars(hook))) {
		snprintf(err, CONFIG_ERR_LEN, "[notify] webhook_url: must be an http(s) URL");
		return -1;
	}
	return 0;
}

/*
 * The first line of a password file into a fresh *out (NULL until then):
 * key names it in err. The stack copy is wiped.
 */
static int
cfg_read_password(const char *path, const char *key, char **out, char *err)
{
	char buf[1024];
	FILE *f = fopen(path, "r");

	if (f == NULL) {
		snprintf(err, CONFIG_ERR_LEN, "[database] %s: %s: %s", key, path, strerror(errno));
		return -1;
	}
	if (fgets(buf, sizeof(buf), f) == NULL)
		buf[0] = '\0';
	bool whole = strchr(buf, '\n') != NULL || feof(f);
	fclose(f);
	if (!whole) {
		explicit_bzero(buf, sizeof(buf));
		snprintf(err, CONFIG_ERR_LEN, "[database] %s: %s: first line longer than %zu bytes",
		    key, path, sizeof(buf) - 2);
		return -1;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	*out = strdup(buf);
	explicit_bzero(buf, sizeof(buf));
	if (*out == NULL) {
		snprintf(err, CONFIG_ERR_LEN, "out of memory");
		return -1;
	}
	return 0;
}

/*
 * [database] tls: verify needs the CA that signs the server's certificate
 * (no silent fall-back to no check); a client certificate comes with its
 * key; files are named only where TLS is on, so that a CA written under
 * tls = off is not mistaken for protection.
 */
static int
cfg_db_tls_check(const struct config *cfg, char *err)
{
	const char *why = NULL;

	if (cfg->db_tls == DB_TLS_VERIFY && cfg->db_ca_file[0] == '\0')
		why = "ca_file: needed with tls = verify";
	else if ((cfg->db_cert_file[0] == '\0') != (cfg->db_key_file[0] == '\0'))
		why = "cert_file and key_file: set both or neither";
	else if (cfg->db_tls == DB_TLS_OFF &&
	    (cfg->db_ca_file[0] != '\0' || cfg->db_cert_file[0] != '\0'))
		why = "ca_file, cert_file: set tls = required or verify to use them";
	else if (cfg->db_admin_user[0] == '\0' && cfg->db_admin_password_file[0] != '\0')
		why = "admin_password_file: needs admin_user";
	if (why != NULL) {
		snprintf(err, CONFIG_ERR_LEN, "[database] %s", why);
		return -1;
	}
	return 0;
}

static int
cfg_validate(struct config *cfg, char *err)
{
	if (cfg->db_name[0] == '\0' || strlen(cfg->db_name) > 64) {
		snprintf(err, CONFIG_ERR_LEN, "[database] name: must be 1 to 64 characters");
		return -1;
	}
	if (cfg->db_user[0] == '\0') {
		snprintf(err, CONFIG_ERR_LEN, "[database] user: must not be empty");
		return -1;
	}
	if (cfg->db_socket[0] == '\0' && cfg->db_host[0] == '\0') {
		snprintf(err, CONFIG_ERR_LEN, "[database] socket or host must be set");
		return -1;
	}
	if (cfg->jwt_issuer[0] == '\0') {
		snprintf(err, CONFIG_ERR_LEN, "[jwt] issuer: must not be empty");
		return -1;
	}
	if (cfg->jwt_refresh_ttl <= cfg->jwt_access_ttl || cfg->jwt_browser_session_ttl <= cfg->jwt_access_ttl) {
		snprintf(err, CONFIG_ERR_LEN, "[jwt] %s: must be longer than access_ttl",
		    cfg->jwt_refresh_ttl <= cfg->jwt_access_ttl ? "refresh_ttl" : "browser_session_ttl");
		return -1;
	}
	if (cfg_sso_check(cfg, err) != 0 || cfg_notify_check(cfg, err) != 0)
		return -1;
	if (cfg->argon2_memory < 8 * cfg->argon2_parallelism) {
		/* libargon2 refuses less than 8 KiB per lane: every hash would fail. */
		snprintf(err, CONFIG_ERR_LEN, "[password] argon2_memory: must be at least 8 x argon2_parallelism");
		return -1;
	}
	if (cfg_db_tls_check(cfg, err) != 0)
		return -1;
	if (cfg->db_password_file[0] != '\0' &&
	    cfg_read_password(cfg->db_password_file, "password_file", &cfg->db_password, err) != 0)
		return -1;
	return 0;
}

int
config_load(struct config *cfg, const char *path, char err[CONFIG_ERR_LEN])
{
	const char *why = NULL;

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < CFG_KEYS; i++) {
		if (cfg_set(cfg, &cfg_keys[i], cfg_keys[i].def, &why) != 0) {
			snprintf(err, CONFIG_ERR_LEN, "default of [%s] %s: %s",
			    cfg_keys[i].section, cfg_keys[i].key, why);
			goto fail;
		}
	}
	/* The default file may be absent (environment-only set-ups); a named one may not. */
	if (path != NULL || access(CONFIG_DEFAULT_PATH, F_OK) == 0) {
		const char *p = path != NULL ? path : CONFIG_DEFAULT_PATH;
		if (cfg_read_file(cfg, p, err) != 0)
			goto fail;
		cfg->path = strdup(p);
	}
	if (cfg_read_env(cfg, err) != 0 || cfg_validate(cfg, err) != 0)
		goto fail;
	return 0;
fail:
	config_free(cfg);
	return -1;
}

void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < CFG_KEYS; i++) {
		if (cfg_keys[i].type == CFG_STR) {
			char **field = (char **)((char *)cfg + cfg_keys[i].offset);
			free(*field);
			*field = NULL;
		}
	}
	if (cfg->db_password != NULL) {
		explicit_bzero(cfg->db_password, strlen(cfg->db_password));
		free(cfg->db_password);
		cfg->db_password = NULL;
	}
	free(cfg->path);
	cfg->path = NULL;
}

int
config_use_admin_user(struct config *cfg, char err[CONFIG_ERR_LEN])
{
	char *password = NULL, *user;

	if (cfg->db_admin_user[0] == '\0')
		return 0;
	if (cfg->db_admin_password_file[0] != '\0' &&
	    cfg_read_password(cfg->db_admin_password_file, "admin_password_file", &password, err) != 0)
		return -1;
	if ((user = strdup(cfg->db_admin_user)) == NULL) {
		free(password);
		snprintf(err, CONFIG_ERR_LEN, "out of memory");
		return -1;
	}
	if (cfg->db_password != NULL) {
		explicit_bzero(cfg->db_password, strlen(cfg->db_password));
		free(cfg->db_password);
	}
	free(cfg->db_user);
	cfg->db_user = user;
	cfg->db_password = password;
	return 0;
}

long
config_workers(const struct config *cfg)
{
	if (cfg->workers > 0)
		return cfg->workers;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? n : 1;
}

bool
config_key_doc(size_t i, struct config_key_doc *out)
{
	static const char *const kinds[] = {
		[CFG_STR] = "text", [CFG_LONG] = "n", [CFG_BOOL] = "bool", [CFG_ENUM] = "enum",
	};
	if (i >= CFG_KEYS)
		return false;
	const struct cfg_key *k = &cfg_keys[i];
	*out = (struct config_key_doc){k->section, k->key, kinds[k->type], k->def, k->min, k->max,
	    k->names};
	return true;
}

const char *
config_environment_name(int environment)
{
	if (environment < 0 || environment >= ENVIRONMENT_MAX)
		return "unknown";
	return environment_names[environment];
}

struct password_params
config_password_params(const struct config *cfg)
{
	struct password_params p = {(uint32_t)cfg->argon2_memory, (uint32_t)cfg->argon2_iterations,
	    (uint32_t)cfg->argon2_parallelism};
	return p;
}
