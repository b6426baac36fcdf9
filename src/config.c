/* config.c -- parse overwatch.conf (INI) and OVERWATCH_* overrides through one key table. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

#define OFF(f) offsetof(struct config, f)
#define DAY 86400L
static const struct cfg_key cfg_keys[] = {
	{"service", "environment", CFG_ENUM, OFF(environment), "development", 0, 0, environment_names},
	{"service", "workers", CFG_LONG, OFF(workers), "0", 0, 256, NULL},
	{"service", "max_requests", CFG_LONG, OFF(max_requests), "10000", 1, 100000000L, NULL},
	{"service", "shutdown_timeout", CFG_LONG, OFF(shutdown_timeout), "10", 1, 3600, NULL},
	{"service", "max_body", CFG_LONG, OFF(max_body), "65536", 1024, 16L * 1024 * 1024, NULL},
	{"service", "log", CFG_ENUM, OFF(log_sink), "stderr", 0, 0, log_sink_names},
	{"service", "log_level", CFG_ENUM, OFF(log_level), "info", 0, 0, log_level_names},
	{"service", "trusted_proxies", CFG_STR, OFF(trusted_proxies), "", 0, 0, NULL},
	{"service", "allowed_origins", CFG_STR, OFF(allowed_origins), "", 0, 0, NULL},
	{"service", "registration", CFG_BOOL, OFF(registration), "false", 0, 0, NULL},
	{"service", "registrations_per_hour", CFG_LONG, OFF(registrations_per_hour), "20", 1, 1000000, NULL},
	{"database", "socket", CFG_STR, OFF(db_socket), "/run/mysqld/mysqld.sock", 0, 0, NULL},
	{"database", "host", CFG_STR, OFF(db_host), "127.0.0.1", 0, 0, NULL},
	{"database", "port", CFG_LONG, OFF(db_port), "3306", 1, 65535, NULL},
	{"database", "servers", CFG_STR, OFF(db_servers), "", 0, 0, NULL},
	{"database", "sync_wait", CFG_LONG, OFF(db_sync_wait), "0", 0, 15, NULL},
	{"database", "name", CFG_STR, OFF(db_name), "overwatch", 0, 0, NULL},
	{"database", "user", CFG_STR, OFF(db_user), "overwatch", 0, 0, NULL},
	{"database", "password_file", CFG_STR, OFF(db_password_file), "", 0, 0, NULL},
	{"database", "connect_timeout", CFG_LONG, OFF(db_connect_timeout), "3", 1, 300, NULL},
	{"database", "query_timeout", CFG_LONG, OFF(db_query_timeout), "5", 1, 3600, NULL},
	{"jwt", "secret_file", CFG_STR, OFF(jwt_secret_file), SYSCONFDIR "/overwatch/jwt.secret", 0, 0, NULL},
	{"jwt", "verify_secret_files", CFG_STR, OFF(jwt_verify_secret_files), "", 0, 0, NULL},
	{"jwt", "issuer", CFG_STR, OFF(jwt_issuer), "overwatch", 0, 0, NULL},
	{"jwt", "access_ttl", CFG_LONG, OFF(jwt_access_ttl), "3600", 10, DAY, NULL},
	{"jwt", "refresh_ttl", CFG_LONG, OFF(jwt_refresh_ttl), "604800", 60, 365 * DAY, NULL},
	{"jwt", "idle_timeout", CFG_LONG, OFF(jwt_idle_timeout), "0", 0, 365 * DAY, NULL},
	{"jwt", "browser_session_ttl", CFG_LONG, OFF(jwt_browser_session_ttl), "43200", 60, 365 * DAY, NULL},
	{"jwt", "browser_idle_timeout", CFG_LONG, OFF(jwt_browser_idle_timeout), "1800", 0, 365 * DAY, NULL},
	{"jwt", "refresh_rotation", CFG_BOOL, OFF(jwt_refresh_rotation), "false", 0, 0, NULL},
	{"jwt", "cookie_refresh_rotation", CFG_BOOL, OFF(jwt_cookie_refresh_rotation), "true", 0, 0, NULL},
	{"jwt", "refresh_grace", CFG_LONG, OFF(jwt_refresh_grace), "10", 0, 300, NULL},
	{"jwt", "reauthentication_window", CFG_LONG, OFF(jwt_reauthentication_window), "600", 1, DAY, NULL},
	{"password", "argon2_memory", CFG_LONG, OFF(argon2_memory), "19456", 8, 4L * 1024 * 1024, NULL},
	{"password", "argon2_iterations", CFG_LONG, OFF(argon2_iterations), "2", 1, 100, NULL},
	{"password", "argon2_parallelism", CFG_LONG, OFF(argon2_parallelism), "1", 1, 64, NULL},
	{"password", "pepper_file", CFG_STR, OFF(pepper_file), "", 0, 0, NULL},
	{"lockout", "threshold", CFG_LONG, OFF(lockout_threshold), "5", 1, 1000, NULL},
	{"lockout", "window", CFG_LONG, OFF(lockout_window), "900", 1, 30 * DAY, NULL},
	{"lockout", "duration", CFG_LONG, OFF(lockout_duration), "900", 1, 30 * DAY, NULL},
	{"lockout", "ip_failures_per_minute", CFG_LONG, OFF(lockout_ip_failures_per_minute), "30", 1, 1000000, NULL},
	{"lockout", "ipv6_prefix", CFG_LONG, OFF(lockout_ipv6_prefix), "64", 16, 128, NULL},
	{"authorizer", "rules", CFG_STR, OFF(authorizer_rules), "", 0, 0, NULL},
	{"authorizer", "login_url", CFG_STR, OFF(authorizer_login_url), "", 0, 0, NULL},
	{"sso", "redirect_base", CFG_STR, OFF(sso_redirect_base), "", 0, 0, NULL},
	{"sso", "console_url", CFG_STR, OFF(sso_console_url), "/", 0, 0, NULL},
	{"sso", "http_timeout", CFG_LONG, OFF(sso_http_timeout), "3", 1, 60, NULL},
	{"sso", "cache_ttl", CFG_LONG, OFF(sso_cache_ttl), "3600", 0, DAY, NULL},
	{"sso", "failure_ttl", CFG_LONG, OFF(sso_failure_ttl), "60", 0, DAY, NULL},
	{"sso", "allow_private_networks", CFG_BOOL, OFF(sso_allow_private_networks), "false", 0, 0, NULL},
	{"sso", "requests_per_minute", CFG_LONG, OFF(sso_requests_per_minute), "60", 1, 1000000, NULL},
	{"mfa", "secret_file", CFG_STR, OFF(mfa_secret_file), "", 0, 0, NULL},
	{"mfa", "token_ttl", CFG_LONG, OFF(mfa_token_ttl), "300", 1, 3600, NULL},
	{"account", "link_base", CFG_STR, OFF(account_link_base), "", 0, 0, NULL},
	{"account", "activation_ttl", CFG_LONG, OFF(account_activation_ttl), "86400", 60, 30 * DAY, NULL},
	{"account", "reset_ttl", CFG_LONG, OFF(account_reset_ttl), "1800", 60, DAY, NULL},
	{"account", "resets_per_hour", CFG_LONG, OFF(account_resets_per_hour), "10", 1, 1000000, NULL},
	{"notify", "smtp_url", CFG_STR, OFF(notify_smtp_url), "", 0, 0, NULL},
	{"notify", "mail_from", CFG_STR, OFF(notify_mail_from), "", 0, 0, NULL},
	{"notify", "webhook_url", CFG_STR, OFF(notify_webhook_url), "", 0, 0, NULL},
	{"notify", "timeout", CFG_LONG, OFF(notify_timeout), "5", 1, 60, NULL},
	{"notify", "retry_delay", CFG_LONG, OFF(notify_retry_delay), "60", 1, DAY, NULL},
	{"notify", "max_attempts", CFG_LONG, OFF(notify_max_attempts), "5", 1, 100, NULL},
	{"notify", "batch", CFG_LONG, OFF(notify_batch), "10", 1, 1000, NULL},
	{"cache", "credentials", CFG_BOOL, OFF(cache_credentials), "true", 0, 0, NULL},
	{"cache", "size", CFG_LONG, OFF(cache_size), "4096", 16, 1048576, NULL},
	{"cache", "max_age", CFG_LONG, OFF(cache_max_age), "60", 1, 86400, NULL},
	{"cache", "revocation_poll", CFG_LONG, OFF(cache_revocation_poll), "1000", 50, 60000, NULL},
	{"cache", "segment", CFG_STR, OFF(cache_segment), "/dev/shm/overwatch-auth.epoch", 0, 0, NULL},
	{"cache", "segment_owner", CFG_STR, OFF(cache_segment_owner), "", 0, 0, NULL},
	{"retention", "audit_days", CFG_LONG, OFF(retention_audit_days), "365", 0, 36500, NULL},
	{"retention", "deactivated_user_days", CFG_LONG, OFF(retention_deactivated_days), "0", 0, 36500, NULL},
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
	if (cfg->db_password_file[0] != '\0') {
		char buf[1024];
		FILE *f = fopen(cfg->db_password_file, "r");
		if (f == NULL) {
			snprintf(err, CONFIG_ERR_LEN, "[database] password_file: %s: %s",
			    cfg->db_password_file, strerror(errno));
			return -1;
		}
		if (fgets(buf, sizeof(buf), f) == NULL)
			buf[0] = '\0';
		bool whole = strchr(buf, '\n') != NULL || feof(f);
		fclose(f);
		if (!whole) {
			explicit_bzero(buf, sizeof(buf));
			snprintf(err, CONFIG_ERR_LEN, "[database] password_file: %s: first line longer than %zu bytes",
			    cfg->db_password_file, sizeof(buf) - 2);
			return -1;
		}
		buf[strcspn(buf, "\r\n")] = '\0';
		cfg->db_password = strdup(buf);
		explicit_bzero(buf, sizeof(buf));
		if (cfg->db_password == NULL) {
			snprintf(err, CONFIG_ERR_LEN, "out of memory");
			return -1;
		}
	}
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
