/* check_config.c -- unit tests for config.c: defaults, INI parsing, environment overrides, validation. */
#include "unit.h"
#include <stddef.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"

extern char **environ;

/*
 * Every test gets a fresh directory and an environment without OVERWATCH_*.
 * The directories live under one base made and removed by the parent
 * process, so a failing test (which skips its checked teardown) leaves
 * nothing behind.
 */
static char basedir[] = "/tmp/check_config.XXXXXX";
static char tmpdir[sizeof basedir + 16];
static char *made[32];
static size_t nmade;

static void
clear_overwatch_env(void)
{
	for (;;) {
		char name[256] = "";
		for (char **e = environ; *e != NULL; e++) {
			if (strncmp(*e, "OVERWATCH_", 10) == 0) {
				size_t n = strcspn(*e, "=");
				if (n < sizeof name) {
					memcpy(name, *e, n);
					name[n] = '\0';
				}
				break;
			}
		}
		if (name[0] == '\0')
			break;
		unsetenv(name);
	}
}

static void
make_base(void)
{
	strcpy(basedir, "/tmp/check_config.XXXXXX");
	if (mkdtemp(basedir) == NULL) {
		perror("mkdtemp");
		exit(EXIT_FAILURE);
	}
}

static int
remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
remove_base(void)
{
	nftw(basedir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void
setup(void)
{
	snprintf(tmpdir, sizeof tmpdir, "%s/t.XXXXXX", basedir);
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	nmade = 0;
	clear_overwatch_env();
}

static void
teardown(void)
{
	for (size_t i = 0; i < nmade; i++) {
		unlink(made[i]);
		free(made[i]);
	}
	nmade = 0;
	rmdir(tmpdir);
	clear_overwatch_env();
}

/* Write content to tmpdir/name and return its path (freed by teardown). */
static const char *
write_file(const char *name, const char *content)
{
	char *path = NULL;
	FILE *f;

	ck_assert_int_ge(asprintf(&path, "%s/%s", tmpdir, name), 0);
	ck_assert_uint_lt(nmade, sizeof made / sizeof made[0]);
	made[nmade++] = path;
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fputs(content, f) >= 0, 1);
	ck_assert_int_eq(fclose(f), 0);
	return path;
}

static void
assert_load_fails(const char *path, const char *const *needles, const char *label)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "";

	ck_assert_msg(config_load(&cfg, path, err) == -1, "%s: accepted", label);
	for (size_t i = 0; needles[i] != NULL; i++)
		ck_assert_msg(strstr(err, needles[i]) != NULL, "%s: error \"%s\" lacks \"%s\"", label,
		    err, needles[i]);
	/* "cfg then holds nothing to free" */
	ck_assert_ptr_null(cfg.db_host);
	ck_assert_ptr_null(cfg.db_password);
	ck_assert_ptr_null(cfg.path);
	ck_assert_ptr_null(cfg.jwt_issuer);
}

/* Defaults of every key, checked through their offsets. */
static const struct {
	const char *name;
	size_t off;
	long want;
} long_defaults[] = {
	{"workers", offsetof(struct config, workers), 0},
	{"max_requests", offsetof(struct config, max_requests), 10000},
	{"shutdown_timeout", offsetof(struct config, shutdown_timeout), 10},
	{"max_body", offsetof(struct config, max_body), 65536},
	{"db_port", offsetof(struct config, db_port), 3306},
	{"db_connect_timeout", offsetof(struct config, db_connect_timeout), 3},
	{"db_query_timeout", offsetof(struct config, db_query_timeout), 5},
	{"jwt_access_ttl", offsetof(struct config, jwt_access_ttl), 3600},
	{"jwt_refresh_ttl", offsetof(struct config, jwt_refresh_ttl), 604800},
	{"jwt_idle_timeout", offsetof(struct config, jwt_idle_timeout), 0},
	{"jwt_browser_session_ttl", offsetof(struct config, jwt_browser_session_ttl), 43200},
	{"jwt_browser_idle_timeout", offsetof(struct config, jwt_browser_idle_timeout), 1800},
	{"jwt_refresh_grace", offsetof(struct config, jwt_refresh_grace), 10},
	{"jwt_reauthentication_window", offsetof(struct config, jwt_reauthentication_window), 600},
	{"argon2_memory", offsetof(struct config, argon2_memory), 19456},
	{"argon2_iterations", offsetof(struct config, argon2_iterations), 2},
	{"argon2_parallelism", offsetof(struct config, argon2_parallelism), 1},
	{"lockout_threshold", offsetof(struct config, lockout_threshold), 5},
	{"lockout_window", offsetof(struct config, lockout_window), 900},
	{"lockout_duration", offsetof(struct config, lockout_duration), 900},
	{"lockout_ip_failures_per_minute", offsetof(struct config, lockout_ip_failures_per_minute), 30},
	{"mfa_token_ttl", offsetof(struct config, mfa_token_ttl), 300},
	{"account_activation_ttl", offsetof(struct config, account_activation_ttl), 86400},
	{"account_reset_ttl", offsetof(struct config, account_reset_ttl), 1800},
	{"account_resets_per_hour", offsetof(struct config, account_resets_per_hour), 10},
	{"notify_timeout", offsetof(struct config, notify_timeout), 5},
	{"notify_retry_delay", offsetof(struct config, notify_retry_delay), 60},
	{"notify_max_attempts", offsetof(struct config, notify_max_attempts), 5},
	{"notify_batch", offsetof(struct config, notify_batch), 10},
	{"cache_size", offsetof(struct config, cache_size), 4096},
	{"cache_max_age", offsetof(struct config, cache_max_age), 60},
	{"cache_revocation_poll", offsetof(struct config, cache_revocation_poll), 1000},
	{"retention_audit_days", offsetof(struct config, retention_audit_days), 365},
	{"retention_deactivated_days", offsetof(struct config, retention_deactivated_days), 0},
};

static const struct {
	const char *name;
	size_t off;
	const char *want;
} str_defaults[] = {
	{"trusted_proxies", offsetof(struct config, trusted_proxies), ""},
	{"allowed_origins", offsetof(struct config, allowed_origins), ""},
	{"db_socket", offsetof(struct config, db_socket), "/run/mysqld/mysqld.sock"},
	{"db_host", offsetof(struct config, db_host), "127.0.0.1"},
	{"db_name", offsetof(struct config, db_name), "overwatch"},
	{"db_user", offsetof(struct config, db_user), "overwatch"},
	{"db_password_file", offsetof(struct config, db_password_file), ""},
	{"jwt_verify_secret_files", offsetof(struct config, jwt_verify_secret_files), ""},
	{"jwt_issuer", offsetof(struct config, jwt_issuer), "overwatch"},
	{"mfa_secret_file", offsetof(struct config, mfa_secret_file), ""},
	{"pepper_file", offsetof(struct config, pepper_file), ""},
	{"account_link_base", offsetof(struct config, account_link_base), ""},
	{"notify_smtp_url", offsetof(struct config, notify_smtp_url), ""},
	{"notify_mail_from", offsetof(struct config, notify_mail_from), ""},
	{"notify_webhook_url", offsetof(struct config, notify_webhook_url), ""},
	{"cache_segment", offsetof(struct config, cache_segment), "/dev/shm/overwatch-auth.epoch"},
	{"cache_segment_owner", offsetof(struct config, cache_segment_owner), ""},
};

static void
assert_defaults(const struct config *cfg, const char *label)
{
	for (size_t i = 0; i < sizeof long_defaults / sizeof long_defaults[0]; i++) {
		long got = *(const long *)((const char *)cfg + long_defaults[i].off);
		ck_assert_msg(got == long_defaults[i].want, "%s: %s = %ld, want %ld", label,
		    long_defaults[i].name, got, long_defaults[i].want);
	}
	for (size_t i = 0; i < sizeof str_defaults / sizeof str_defaults[0]; i++) {
		const char *got = *(char *const *)((const char *)cfg + str_defaults[i].off);
		ck_assert_msg(got != NULL && strcmp(got, str_defaults[i].want) == 0,
		    "%s: %s = \"%s\", want \"%s\"", label, str_defaults[i].name, got ? got : "(null)",
		    str_defaults[i].want);
	}
	ck_assert_int_eq(cfg->environment, ENVIRONMENT_DEVELOPMENT);
	ck_assert_int_eq(cfg->log_sink, LOG_SINK_STDERR);
	ck_assert_int_eq(cfg->log_level, 2);     /* error, warning, info, debug */
	ck_assert(!cfg->registration);
	ck_assert(!cfg->jwt_refresh_rotation);
	ck_assert(cfg->jwt_cookie_refresh_rotation);
	ck_assert(cfg->cache_credentials);
	ck_assert_ptr_null(cfg->db_password);
	ck_assert_ptr_nonnull(cfg->jwt_secret_file);
	size_t n = strlen(cfg->jwt_secret_file);
	ck_assert_msg(n > 21 && strcmp(cfg->jwt_secret_file + n - 21, "/overwatch/jwt.secret") == 0,
	    "secret_file default %s", cfg->jwt_secret_file);
}

START_TEST(test_defaults_empty_file)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "";
	const char *path = write_file("empty.conf", "");

	ck_assert_msg(config_load(&cfg, path, err) == 0, "err: %s", err);
	assert_defaults(&cfg, "empty file");
	ck_assert_str_eq(cfg.path, path);
	config_free(&cfg);
	ck_assert_ptr_null(cfg.path);
	ck_assert_ptr_null(cfg.db_host);
	config_free(&cfg);      /* a second free is harmless */
}
END_TEST

/*
 * The shipped etc/overwatch.conf parses and restates the defaults, but for
 * [mfa] secret_file: the package's postinst makes that key, so an installed
 * service offers two-factor sign-in (README.md, "Debian package").
 */
START_TEST(test_shipped_file)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "", path[4096];
	const char *srcdir = getenv("srcdir");

	snprintf(path, sizeof path, "%s/etc/overwatch.conf", srcdir != NULL ? srcdir : ".");
	ck_assert_msg(access(path, R_OK) == 0, "cannot read %s", path);
	ck_assert_msg(config_load(&cfg, path, err) == 0, "err: %s", err);
	ck_assert_str_eq(cfg.mfa_secret_file, "/etc/overwatch/mfa.secret");
	free(cfg.mfa_secret_file);
	cfg.mfa_secret_file = strdup("");
	ck_assert_ptr_nonnull(cfg.mfa_secret_file);
	assert_defaults(&cfg, "etc/overwatch.conf");
	config_free(&cfg);
}
END_TEST

START_TEST(test_ini_syntax)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "";
	const char *path = write_file("syntax.conf",
	    "# leading comment\n"
	    "; semicolon comment\n"
	    "\n"
	    "   \t  \n"
	    "[service]\n"
	    "workers=4\n"
	    "   max_requests   =   500   \n"
	    "\tshutdown_timeout\t=\t20\t\n"
	    "  # indented comment\n"
	    "  ; indented semicolon comment\n"
	    "allowed_origins = https://a.example https://b.example\n"
	    "trusted_proxies = 10.0.0.1=x\n"
	    "environment = production\r\n"
	    "log = syslog\n"
	    "log_level = debug\n"
	    "registration = yes\n"
	    "  [ database ]  \n"
	    "host =\n"
	    "port = 3307\n"
	    "name = ow_test\n"
	    "[jwt]\n"
	    "access_ttl = 600\n"
	    "refresh_ttl = 1200\n"
	    "refresh_rotation = on\n"
	    "[service]\n"
	    "workers = 6\n"
	    "[lockout]\n"
	    "ip_failures_per_minute = 99\n"
	    "threshold = 3");    /* no final newline */

	ck_assert_msg(config_load(&cfg, path, err) == 0, "err: %s", err);
	ck_assert_int_eq(cfg.workers, 6);           /* a later value wins */
	ck_assert_int_eq(cfg.max_requests, 500);
	ck_assert_int_eq(cfg.shutdown_timeout, 20);
	ck_assert_str_eq(cfg.allowed_origins, "https://a.example https://b.example");
	ck_assert_str_eq(cfg.trusted_proxies, "10.0.0.1=x");
	ck_assert_int_eq(cfg.environment, ENVIRONMENT_PRODUCTION);
	ck_assert_int_eq(cfg.log_sink, LOG_SINK_SYSLOG);
	ck_assert_int_eq(cfg.log_level, 3);
	ck_assert(cfg.registration);
	ck_assert_str_eq(cfg.db_host, "");
	ck_assert_str_eq(cfg.db_socket, "/run/mysqld/mysqld.sock");
	ck_assert_int_eq(cfg.db_port, 3307);
	ck_assert_str_eq(cfg.db_name, "ow_test");
	ck_assert_int_eq(cfg.jwt_access_ttl, 600);
	ck_assert_int_eq(cfg.jwt_refresh_ttl, 1200);
	ck_assert(cfg.jwt_refresh_rotation);
	ck_assert_int_eq(cfg.lockout_ip_failures_per_minute, 99);
	ck_assert_int_eq(cfg.lockout_threshold, 3);
	ck_assert_int_eq(cfg.lockout_window, 900);
	config_free(&cfg);
}
END_TEST

static const struct {
	const char *value;
	bool want;
} bools[] = {
	{"true", true}, {"yes", true}, {"on", true}, {"1", true},
	{"false", false}, {"no", false}, {"off", false}, {"0", false},
};

START_TEST(test_bool_values)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "", text[128];

	snprintf(text, sizeof text, "[service]\nregistration = %s\n", bools[_i].value);
	ck_assert_msg(config_load(&cfg, write_file("b.conf", text), err) == 0, "%s: %s",
	    bools[_i].value, err);
	ck_assert_msg(cfg.registration == bools[_i].want, "%s read as %d", bools[_i].value,
	    cfg.registration);
	config_free(&cfg);
}
END_TEST

/* Values at the bounds of their range load; the value is read back. */
static const struct {
	const char *text;
	size_t off;
	long want;
} bounds_ok[] = {
	{"[service]\nworkers = 0\n", offsetof(struct config, workers), 0},
	{"[service]\nworkers = 256\n", offsetof(struct config, workers), 256},
	{"[service]\nmax_body = 1024\n", offsetof(struct config, max_body), 1024},
	{"[service]\nmax_body = 16777216\n", offsetof(struct config, max_body), 16777216},
	{"[database]\nport = 1\n", offsetof(struct config, db_port), 1},
	{"[database]\nport = 65535\n", offsetof(struct config, db_port), 65535},
	{"[jwt]\naccess_ttl = 10\n", offsetof(struct config, jwt_access_ttl), 10},
	{"[jwt]\nrefresh_grace = 0\n", offsetof(struct config, jwt_refresh_grace), 0},
	{"[password]\nargon2_parallelism = 64\n", offsetof(struct config, argon2_parallelism), 64},
	{"[service]\nworkers = 007\n", offsetof(struct config, workers), 7},
	{"[retention]\naudit_days = 0\n", offsetof(struct config, retention_audit_days), 0},
	{"[retention]\ndeactivated_user_days = 36500\n",
	    offsetof(struct config, retention_deactivated_days), 36500},
};

START_TEST(test_bounds_ok)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "";

	ck_assert_msg(config_load(&cfg, write_file("ok.conf", bounds_ok[_i].text), err) == 0,
	    "%s: %s", bounds_ok[_i].text, err);
	ck_assert_int_eq(*(long *)((char *)&cfg + bounds_ok[_i].off), bounds_ok[_i].want);
	config_free(&cfg);
}
END_TEST

/* Bad files: the error names the file, the line and the key. */
static const struct {
	const char *label;
	const char *text;
	const char *line;       /* ":N:" */
	const char *key;        /* NULL: no key to name */
} bad_files[] = {
	{"unknown key", "[service]\n\nbogus = 1\n", ":3:", "bogus"},
	{"key of another section", "[database]\nworkers = 1\n", ":2:", "workers"},
	{"key before any section", "workers = 4\n", ":1:", "workers"},
	{"unknown section", "# hi\n[nope]\nworkers = 1\n", ":3:", "workers"},
	{"key case matters", "[service]\nWorkers = 1\n", ":2:", "Workers"},
	{"int not a number", "[service]\nworkers = four\n", ":2:", "workers"},
	{"int with unit", "[service]\nshutdown_timeout = 10s\n", ":2:", "shutdown_timeout"},
	{"int empty", "[service]\nmax_requests =\n", ":2:", "max_requests"},
	{"int negative", "[service]\nworkers = -1\n", ":2:", "workers"},
	{"int plus sign", "[service]\nworkers = +1\n", ":2:", "workers"},
	{"int hex", "[database]\nport = 0x50\n", ":2:", "port"},
	{"int fraction", "[database]\nport = 80.5\n", ":2:", "port"},
	{"int above max", "[service]\nworkers = 257\n", ":2:", "workers"},
	{"port zero", "[database]\nport = 0\n", ":2:", "port"},
	{"port too big", "[database]\nport = 65536\n", ":2:", "port"},
	{"max_body below min", "[service]\nmax_body = 1023\n", ":2:", "max_body"},
	{"max_body above max", "[service]\nmax_body = 16777217\n", ":2:", "max_body"},
	{"audit_days above max", "[retention]\naudit_days = 36501\n", ":2:", "audit_days"},
	{"deactivated_user_days negative", "[retention]\ndeactivated_user_days = -1\n", ":2:",
	    "deactivated_user_days"},
	{"access_ttl below min", "[jwt]\naccess_ttl = 9\n", ":2:", "access_ttl"},
	{"int overflow", "[jwt]\naccess_ttl = 99999999999999999999999\n", ":2:", "access_ttl"},
	{"int inline comment", "[service]\nworkers = 4 # four\n", ":2:", "workers"},
	{"bool word", "[service]\nregistration = maybe\n", ":2:", "registration"},
	{"bool number", "[jwt]\nrefresh_rotation = 2\n", ":2:", "refresh_rotation"},
	{"bool empty", "[jwt]\nrefresh_rotation =\n", ":2:", "refresh_rotation"},
	{"enum unknown", "[service]\nenvironment = staging\n", ":2:", "environment"},
	{"enum empty", "[service]\nenvironment =\n", ":2:", "environment"},
	{"enum log sink", "[service]\nlog = file\n", ":2:", "log"},
	{"enum log level", "[service]\nlog_level = verbose\n", ":2:", "log_level"},
	{"no equals sign", "[service]\nworkers\n", ":2:", NULL},
	{"unclosed section", "[service\nworkers = 1\n", ":1:", NULL},
	{"text after section", "[service] x\n", ":1:", NULL},
	{"error on a later line", "[service]\nworkers = 1\nmax_requests = 5\n\n[jwt]\nissuer = x\nnope = 1\n",
	    ":7:", "nope"},
};

START_TEST(test_bad_file)
{
	const char *path = write_file("bad.conf", bad_files[_i].text);
	const char *needles[] = {path, bad_files[_i].line, bad_files[_i].key, NULL};

	assert_load_fails(path, needles, bad_files[_i].label);
}
END_TEST

/* A line longer than the reader's buffer is an error, not two lines. */
START_TEST(test_long_line)
{
	size_t n = 10000;
	char *text = malloc(n + 64);
	const char *needles[3];

	ck_assert_ptr_nonnull(text);
	strcpy(text, "[service]\nallowed_origins = ");
	size_t off = strlen(text);
	memset(text + off, 'a', n);
	strcpy(text + off + n, "\nworkers = 1\n");
	const char *path = write_file("long.conf", text);
	needles[0] = path;
	needles[1] = ":2:";
	needles[2] = NULL;
	assert_load_fails(path, needles, "long line");
	free(text);
}
END_TEST

START_TEST(test_missing_file)
{
	char path[512];
	const char *needles[] = {path, NULL, NULL};

	snprintf(path, sizeof path, "%s/does-not-exist.conf", tmpdir);
	assert_load_fails(path, needles, "missing file");
}
END_TEST

/* A directory named as the file must not read as an empty configuration. */
START_TEST(test_directory_as_file)
{
	const char *needles[] = {tmpdir, NULL};

	assert_load_fails(tmpdir, needles, "directory as config file");
}
END_TEST

/* OVERWATCH_<SECTION>_<KEY> beats the file, for every type. */
static const struct {
	const char *var;
	const char *value;
	size_t off;
	int type;               /* 0 long, 1 string, 2 bool, 3 enum (int) */
	long want_long;
	const char *want_str;
} env_ok[] = {
	{"OVERWATCH_SERVICE_WORKERS", "8", offsetof(struct config, workers), 0, 8, NULL},
	{"OVERWATCH_SERVICE_MAX_BODY", "2048", offsetof(struct config, max_body), 0, 2048, NULL},
	{"OVERWATCH_JWT_ACCESS_TTL", "600", offsetof(struct config, jwt_access_ttl), 0, 600, NULL},
	{"OVERWATCH_DATABASE_CONNECT_TIMEOUT", "7", offsetof(struct config, db_connect_timeout), 0, 7, NULL},
	{"OVERWATCH_LOCKOUT_IP_FAILURES_PER_MINUTE", "60",
	    offsetof(struct config, lockout_ip_failures_per_minute), 0, 60, NULL},
	{"OVERWATCH_DATABASE_HOST", "db.example", offsetof(struct config, db_host), 1, 0, "db.example"},
	{"OVERWATCH_DATABASE_SOCKET", "", offsetof(struct config, db_socket), 1, 0, ""},
	{"OVERWATCH_SERVICE_ALLOWED_ORIGINS", "https://x.example",
	    offsetof(struct config, allowed_origins), 1, 0, "https://x.example"},
	{"OVERWATCH_SERVICE_REGISTRATION", "false", offsetof(struct config, registration), 2, 0, NULL},
	{"OVERWATCH_JWT_REFRESH_ROTATION", "true", offsetof(struct config, jwt_refresh_rotation), 2, 1, NULL},
	{"OVERWATCH_SERVICE_ENVIRONMENT", "development", offsetof(struct config, environment), 3,
	    ENVIRONMENT_DEVELOPMENT, NULL},
	{"OVERWATCH_SERVICE_LOG", "stderr", offsetof(struct config, log_sink), 3, LOG_SINK_STDERR, NULL},
};

/* The file sets every key above to something else. */
static const char env_base_file[] =
    "[service]\nworkers = 4\nmax_body = 4096\nallowed_origins = https://file.example\n"
    "registration = true\nenvironment = production\nlog = syslog\n"
    "[database]\nhost = file-host\nsocket = /file.sock\nconnect_timeout = 9\n"
    "[jwt]\naccess_ttl = 1800\nrefresh_rotation = false\n"
    "[lockout]\nip_failures_per_minute = 5\n";

START_TEST(test_env_override)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "";
	const char *path = write_file("env.conf", env_base_file);
	void *field;

	ck_assert_int_eq(setenv(env_ok[_i].var, env_ok[_i].value, 1), 0);
	ck_assert_msg(config_load(&cfg, path, err) == 0, "%s=%s: %s", env_ok[_i].var, env_ok[_i].value,
	    err);
	field = (char *)&cfg + env_ok[_i].off;
	switch (env_ok[_i].type) {
	case 0:
		ck_assert_int_eq(*(long *)field, env_ok[_i].want_long);
		break;
	case 1:
		ck_assert_str_eq(*(char **)field, env_ok[_i].want_str);
		break;
	case 2:
		ck_assert_int_eq(*(bool *)field, env_ok[_i].want_long);
		break;
	default:
		ck_assert_int_eq(*(int *)field, env_ok[_i].want_long);
		break;
	}
	/* Keys without a variable keep the file's value. */
	if (strcmp(env_ok[_i].var, "OVERWATCH_SERVICE_WORKERS") != 0)
		ck_assert_int_eq(cfg.workers, 4);
	if (strcmp(env_ok[_i].var, "OVERWATCH_DATABASE_HOST") != 0)
		ck_assert_str_eq(cfg.db_host, "file-host");
	config_free(&cfg);
	unsetenv(env_ok[_i].var);
}
END_TEST

/* Only the exact upper-case name counts. */
START_TEST(test_env_name_exact)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "";
	const char *path = write_file("env.conf", "[service]\nworkers = 4\n");

	setenv("overwatch_service_workers", "9", 1);
	setenv("OVERWATCH_SERVICE_WORKERS_X", "9", 1);
	setenv("OVERWATCH_WORKERS", "9", 1);
	ck_assert_msg(config_load(&cfg, path, err) == 0, "err: %s", err);
	ck_assert_int_eq(cfg.workers, 4);
	config_free(&cfg);
	unsetenv("overwatch_service_workers");
}
END_TEST

static const struct {
	const char *var;
	const char *value;
} env_bad[] = {
	{"OVERWATCH_SERVICE_WORKERS", "abc"},
	{"OVERWATCH_SERVICE_WORKERS", ""},
	{"OVERWATCH_SERVICE_WORKERS", " 4"},
	{"OVERWATCH_SERVICE_WORKERS", "\t4"},
	{"OVERWATCH_SERVICE_WORKERS", "4 "},
	{"OVERWATCH_SERVICE_WORKERS", "1000"},
	{"OVERWATCH_DATABASE_PORT", "70000"},
	{"OVERWATCH_JWT_ACCESS_TTL", "-5"},
	{"OVERWATCH_SERVICE_REGISTRATION", "maybe"},
	{"OVERWATCH_SERVICE_REGISTRATION", "TRUE "},
	{"OVERWATCH_SERVICE_ENVIRONMENT", "staging"},
	{"OVERWATCH_SERVICE_LOG_LEVEL", "trace"},
};

START_TEST(test_env_bad)
{
	const char *path = write_file("env.conf", "[service]\nworkers = 4\n");
	const char *needles[] = {env_bad[_i].var, NULL};
	char label[128], vis[64];

	snprintf(label, sizeof label, "%s=\"%s\"", env_bad[_i].var,
	    unit_visible(env_bad[_i].value, vis, sizeof vis));
	ck_assert_int_eq(setenv(env_bad[_i].var, env_bad[_i].value, 1), 0);
	assert_load_fails(path, needles, label);
	unsetenv(env_bad[_i].var);
}
END_TEST

/* The environment can make a valid file invalid, and the reverse. */
START_TEST(test_env_fixes_file_values)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "";
	const char *path = write_file("ttl.conf", "[jwt]\naccess_ttl = 3600\nrefresh_ttl = 3600\n");

	ck_assert_int_eq(config_load(&cfg, path, err), -1);
	ck_assert_msg(strstr(err, "refresh_ttl") != NULL, "err: %s", err);
	setenv("OVERWATCH_JWT_REFRESH_TTL", "7200", 1);
	ck_assert_msg(config_load(&cfg, path, err) == 0, "err: %s", err);
	ck_assert_int_eq(cfg.jwt_refresh_ttl, 7200);
	config_free(&cfg);
	setenv("OVERWATCH_JWT_ACCESS_TTL", "7200", 1);
	ck_assert_int_eq(config_load(&cfg, path, err), -1);
	ck_assert_msg(strstr(err, "refresh_ttl") != NULL, "err: %s", err);
}
END_TEST

/* Cross-key checks after everything is read. */
static const struct {
	const char *label;
	const char *text;
	const char *needle;
	int ok;
} validate_cases[] = {
	{"refresh equal to access", "[jwt]\naccess_ttl = 600\nrefresh_ttl = 600\n", "refresh_ttl", 0},
	{"refresh below access", "[jwt]\naccess_ttl = 3600\nrefresh_ttl = 1800\n", "refresh_ttl", 0},
	{"refresh one above access", "[jwt]\naccess_ttl = 600\nrefresh_ttl = 601\n", NULL, 1},
	/* A browser's session lasts 12 hours by default: an access token may not outlive it. */
	{"default browser session, access a second shorter", "[jwt]\naccess_ttl = 43199\n", NULL, 1},
	{"default browser session, access a day", "[jwt]\naccess_ttl = 86400\n", "browser_session_ttl", 0},
	{"browser session a day, access a day", "[jwt]\naccess_ttl = 86400\nbrowser_session_ttl = 86400\n",
	    "browser_session_ttl", 0},
	{"browser session and access a day apart",
	    "[jwt]\naccess_ttl = 86400\nbrowser_session_ttl = 86401\n", NULL, 1},
	{"empty database name", "[database]\nname =\n", "name", 0},
	{"database name 65 chars",
	    "[database]\nname = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", "name", 0},
	{"database name 64 chars",
	    "[database]\nname = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", NULL, 1},
	{"empty database user", "[database]\nuser =\n", "user", 0},
	{"neither socket nor host", "[database]\nsocket =\nhost =\n", "socket", 0},
	{"host only", "[database]\nsocket =\nhost = db\n", NULL, 1},
	{"empty issuer", "[jwt]\nissuer =\n", "issuer", 0},
	/* [notify]: only mail servers and webhooks, and mail needs a sender. */
	{"smtp with a sender", "[notify]\nsmtp_url = smtp://127.0.0.1:25\nmail_from = ow@example.com\n",
	    NULL, 1},
	{"smtp without a sender", "[notify]\nsmtp_url = smtp://127.0.0.1:25\n", "mail_from", 0},
	{"smtp sender with a bracket",
	    "[notify]\nsmtp_url = smtp://127.0.0.1\nmail_from = <ow@example.com>\n", "mail_from", 0},
	{"smtp url of another scheme", "[notify]\nsmtp_url = http://127.0.0.1\nmail_from = a@b\n",
	    "smtp_url", 0},
	{"webhook https", "[notify]\nwebhook_url = https://hooks.example.com/ow\n", NULL, 1},
	{"webhook of another scheme", "[notify]\nwebhook_url = file:///etc/passwd\n", "webhook_url", 0},
	{"webhook with a space", "[notify]\nwebhook_url = http://a b/\n", "webhook_url", 0},
	/* [database] tls: verify without a CA would check nothing; files only where TLS is on. */
	{"tls verify with a CA", "[database]\ntls = verify\nca_file = /etc/ssl/ca.pem\n", NULL, 1},
	{"tls verify without a CA", "[database]\ntls = verify\n", "ca_file", 0},
	{"tls required without a CA", "[database]\ntls = required\n", NULL, 1},
	{"tls off with a CA", "[database]\nca_file = /etc/ssl/ca.pem\n", "ca_file", 0},
	{"tls of another value", "[database]\ntls = yes\n", "tls", 0},
	{"client certificate without its key",
	    "[database]\ntls = required\ncert_file = /etc/ssl/c.pem\n", "key_file", 0},
	{"client certificate with its key",
	    "[database]\ntls = required\ncert_file = /c.pem\nkey_file = /c.key\n", NULL, 1},
	{"admin password file without admin user", "[database]\nadmin_password_file = /x\n",
	    "admin_user", 0},
	{"syslog facility local7", "[audit]\nsyslog = true\nsyslog_facility = local7\n", NULL, 1},
	{"syslog facility kern", "[audit]\nsyslog_facility = kern\n", "syslog_facility", 0},
};

START_TEST(test_validate)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "";
	const char *path = write_file("v.conf", validate_cases[_i].text);

	if (validate_cases[_i].ok) {
		ck_assert_msg(config_load(&cfg, path, err) == 0, "%s: %s", validate_cases[_i].label, err);
		config_free(&cfg);
	} else {
		const char *needles[] = {validate_cases[_i].needle, NULL};
		assert_load_fails(path, needles, validate_cases[_i].label);
	}
}
END_TEST

/* The database password: first line of its file, line ending removed, nothing else. */
static const struct {
	const char *label;
	const char *content;
	const char *want;
} passwords[] = {
	{"trailing newline", "s3cret-pw\n", "s3cret-pw"},
	{"CRLF", "s3cret-pw\r\n", "s3cret-pw"},
	{"no newline", "s3cret-pw", "s3cret-pw"},
	{"only the first line", "first\nsecond\n", "first"},
	{"inner and outer spaces kept", "  pass word \t\n", "  pass word \t"},
	{"empty file", "", ""},
	{"just a newline", "\n", ""},
	{"UTF-8", "p\xc3\xa4ss\n", "p\xc3\xa4ss"},
	{"hash and semicolon are not comments", "#pw;x = y\n", "#pw;x = y"},
};

START_TEST(test_password_file)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "", text[1024];
	const char *pw = write_file("db.pw", passwords[_i].content);

	snprintf(text, sizeof text, "[database]\npassword_file = %s\n", pw);
	ck_assert_msg(config_load(&cfg, write_file("pw.conf", text), err) == 0, "%s: %s",
	    passwords[_i].label, err);
	ck_assert_ptr_nonnull(cfg.db_password);
	ck_assert_msg(strcmp(cfg.db_password, passwords[_i].want) == 0, "%s: got \"%s\"",
	    passwords[_i].label, cfg.db_password);
	ck_assert_str_eq(cfg.db_password_file, pw);
	config_free(&cfg);
	ck_assert_ptr_null(cfg.db_password);
}
END_TEST

START_TEST(test_password_file_env)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "";
	const char *pw = write_file("env.pw", "from-env\n");
	const char *path = write_file("pw.conf", "[database]\npassword_file = /nonexistent/pw\n");

	setenv("OVERWATCH_DATABASE_PASSWORD_FILE", pw, 1);
	ck_assert_msg(config_load(&cfg, path, err) == 0, "err: %s", err);
	ck_assert_str_eq(cfg.db_password, "from-env");
	config_free(&cfg);
}
END_TEST

START_TEST(test_password_file_missing)
{
	char text[1024];
	const char *path;
	const char *needles[] = {"password_file", "/nonexistent-dir/db.pw", NULL};

	snprintf(text, sizeof text, "[database]\npassword_file = /nonexistent-dir/db.pw\n");
	path = write_file("pw.conf", text);
	assert_load_fails(path, needles, "missing password file");
}
END_TEST

/*
 * overwatch-admin's user: config_use_admin_user swaps in admin_user and
 * its password; the service's load never reads admin_password_file (it may
 * be root's only), and without admin_user nothing changes.
 */
START_TEST(test_admin_user)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "", text[1024];
	const char *svc = write_file("svc.pw", "service-pw\n");
	const char *adm = write_file("adm.pw", "admin-pw\n");

	snprintf(text, sizeof text, "[database]\npassword_file = %s\nadmin_user = ow_admin\n"
	    "admin_password_file = /nonexistent-dir/adm.pw\n", svc);
	ck_assert_msg(config_load(&cfg, write_file("a.conf", text), err) == 0, "err: %s", err);
	ck_assert_str_eq(cfg.db_password, "service-pw");
	ck_assert_int_ne(config_use_admin_user(&cfg, err), 0);
	ck_assert_msg(strstr(err, "admin_password_file") != NULL, "err: %s", err);
	config_free(&cfg);

	snprintf(text, sizeof text, "[database]\npassword_file = %s\nadmin_user = ow_admin\n"
	    "admin_password_file = %s\n", svc, adm);
	ck_assert_msg(config_load(&cfg, write_file("a.conf", text), err) == 0, "err: %s", err);
	ck_assert_int_eq(config_use_admin_user(&cfg, err), 0);
	ck_assert_str_eq(cfg.db_user, "ow_admin");
	ck_assert_str_eq(cfg.db_password, "admin-pw");
	config_free(&cfg);

	snprintf(text, sizeof text, "[database]\npassword_file = %s\n", svc);
	ck_assert_msg(config_load(&cfg, write_file("a.conf", text), err) == 0, "err: %s", err);
	ck_assert_int_eq(config_use_admin_user(&cfg, err), 0);
	ck_assert_str_eq(cfg.db_user, "overwatch");
	ck_assert_str_eq(cfg.db_password, "service-pw");
	config_free(&cfg);
}
END_TEST

/* A password longer than the reader's line buffer must not be cut silently. */
START_TEST(test_password_file_long)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "", text[1024], pwtext[2002];

	memset(pwtext, 'p', 2000);
	pwtext[2000] = '\n';
	pwtext[2001] = '\0';
	snprintf(text, sizeof text, "[database]\npassword_file = %s\n", write_file("long.pw", pwtext));
	if (config_load(&cfg, write_file("pw.conf", text), err) == 0) {
		size_t got = strlen(cfg.db_password);
		config_free(&cfg);
		ck_assert_msg(got == 2000, "2000-byte password read as %zu bytes without an error", got);
	} else {
		ck_assert_msg(strstr(err, "password_file") != NULL, "err: %s", err);
	}
}
END_TEST

START_TEST(test_workers_and_names)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN] = "";

	ck_assert_int_eq(config_load(&cfg, write_file("w.conf", "[service]\nworkers = 3\n"), err), 0);
	ck_assert_int_eq(config_workers(&cfg), 3);
	cfg.workers = 0;
	ck_assert_int_ge(config_workers(&cfg), 1);
	ck_assert_int_eq(config_workers(&cfg), sysconf(_SC_NPROCESSORS_ONLN) > 0 ?
	    sysconf(_SC_NPROCESSORS_ONLN) : 1);
	config_free(&cfg);
	ck_assert_str_eq(config_environment_name(ENVIRONMENT_DEVELOPMENT), "development");
	ck_assert_str_eq(config_environment_name(ENVIRONMENT_PRODUCTION), "production");
	ck_assert_str_eq(config_environment_name(-1), "unknown");
	ck_assert_str_eq(config_environment_name(ENVIRONMENT_MAX), "unknown");
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc;

	tc = unit_tcase(s, "file", 10);
	tcase_add_unchecked_fixture(tc, make_base, remove_base);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_defaults_empty_file);
	tcase_add_test(tc, test_shipped_file);
	tcase_add_test(tc, test_ini_syntax);
	tcase_add_loop_test(tc, test_bool_values, 0, sizeof bools / sizeof bools[0]);
	tcase_add_loop_test(tc, test_bounds_ok, 0, sizeof bounds_ok / sizeof bounds_ok[0]);
	tcase_add_loop_test(tc, test_bad_file, 0, sizeof bad_files / sizeof bad_files[0]);
	tcase_add_test(tc, test_long_line);
	tcase_add_test(tc, test_missing_file);
	tcase_add_test(tc, test_directory_as_file);

	tc = unit_tcase(s, "environment", 10);
	tcase_add_unchecked_fixture(tc, make_base, remove_base);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_env_override, 0, sizeof env_ok / sizeof env_ok[0]);
	tcase_add_test(tc, test_env_name_exact);
	tcase_add_loop_test(tc, test_env_bad, 0, sizeof env_bad / sizeof env_bad[0]);
	tcase_add_test(tc, test_env_fixes_file_values);

	tc = unit_tcase(s, "validate", 10);
	tcase_add_unchecked_fixture(tc, make_base, remove_base);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_validate, 0, sizeof validate_cases / sizeof validate_cases[0]);
	tcase_add_loop_test(tc, test_password_file, 0, sizeof passwords / sizeof passwords[0]);
	tcase_add_test(tc, test_password_file_env);
	tcase_add_test(tc, test_password_file_missing);
	tcase_add_test(tc, test_password_file_long);
	tcase_add_test(tc, test_admin_user);
	tcase_add_test(tc, test_workers_and_names);
	return s;
}

int
main(void)
{
	return unit_run(config_suite(), false);
}
