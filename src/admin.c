/* admin.c -- overwatch-admin: the operator's command line (migrations, tenants, users, secrets). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <mysql.h>

#include "config.h"
#include "db.h"
#include "dispatch.h"
#include "encoding.h"
#include "log.h"
#include "migrate.h"
#include "oidc.h"
#include "password.h"
#include "permission.h"
#include "sso.h"
#include "sso_provider.h"
#include "store.h"
#include "util.h"

/* Exit codes (sysexits.h values, so scripts can tell the cases apart). */
#define EXIT_USAGE 64
#define EXIT_DATAERR 65
#define EXIT_NOTFOUND 66
#define EXIT_UNAVAILABLE 69
#define EXIT_SOFTWARE 70
#define EXIT_CANTCREATE 73
#define EXIT_CONFIG 78

#define SECRET_BYTES 64

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: overwatch-admin [--config PATH] COMMAND [ARGS]\n"
	    "commands:\n"
	    "  migrate [--dir DIR]             apply pending SQL migrations (default %s/sql)\n"
	    "  create-org NAME [--slug SLUG]   create an organization, print its id\n"
	    "  create-user --org ID|SLUG --email EMAIL --name NAME --role admin|engineer|viewer\n"
	    "                                  create a user; the password is read from stdin\n"
	    "  unlock EMAIL                    clear a user's failed-login lockout\n"
	    "  gen-secret PATH [--force]       write a new random JWT secret file (mode 0600)\n"
	    "  purge                           delete expired sessions, revoked tokens and\n"
	    "                                  throttle windows (run it daily, e.g. from cron)\n"
	    "  sso-set --org ID|SLUG --issuer URL --client-id ID [--domains D1,D2]\n"
	    "          [--auto-create] [--link-existing-accounts] [--default-role ROLE]\n"
	    "          [--disabled] [--keep-secret]\n"
	    "                                  set the organization's OpenID Connect connection\n"
	    "                                  (its discovery document and keys are fetched now);\n"
	    "                                  the client secret is read from stdin\n"
	    "  sso-show --org ID|SLUG          show it (never the secret)\n"
	    "  check-config                    load and check the configuration\n",
	    PKGDATADIR);
}

static int
db_fail(enum db_result r, const char *what)
{
	if (r == DB_UNAVAILABLE) {
		fprintf(stderr, "overwatch-admin: %s: the database is unreachable\n", what);
		return EXIT_UNAVAILABLE;
	}
	fprintf(stderr, "overwatch-admin: %s: database error\n", what);
	return EXIT_SOFTWARE;
}

static int
cmd_migrate(struct db *db, int argc, char **argv)
{
	const char *dir = PKGDATADIR "/sql";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else
			return EXIT_USAGE;
	}
	return migrate_apply(db, dir, stdout) == 0 ? 0 : EXIT_SOFTWARE;
}

static int
cmd_create_org(struct db *db, int argc, char **argv)
{
	const char *name = NULL, *slug_arg = NULL;
	char id[UUID_STR_LEN], slug[101];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--slug") == 0 && i + 1 < argc)
			slug_arg = argv[++i];
		else if (name == NULL)
			name = argv[i];
		else
			return EXIT_USAGE;
	}
	if (name == NULL)
		return EXIT_USAGE;
	size_t len = strlen(name);
	if (len == 0 || !util_utf8_valid(name, len) || util_utf8_len(name, len) > 200) {
		fprintf(stderr, "overwatch-admin: create-org: the name must be 1 to 200 characters\n");
		return EXIT_DATAERR;
	}
	if (slug_arg != NULL) {
		util_slugify(slug_arg, slug, sizeof(slug));
		if (strcmp(slug, slug_arg) != 0) {
			fprintf(stderr, "overwatch-admin: create-org: a slug has lower-case letters, digits and '-' only\n");
			return EXIT_DATAERR;
		}
	} else {
		util_slugify(name, slug, 90);
	}
	if (util_uuid(id) != 0)
		return EXIT_SOFTWARE;
	enum db_result r = store_org_create(db, id, name, slug);
	if (r == DB_DUPLICATE && slug_arg == NULL) {
		/* A taken slug from the name: keep the name, make the slug unique. */
		size_t n = strlen(slug);
		snprintf(slug + n, sizeof(slug) - n, "-%.8s", id);
		r = store_org_create(db, id, name, slug);
	}
	if (r == DB_DUPLICATE) {
		fprintf(stderr, "overwatch-admin: create-org: slug '%s' is taken\n", slug);
		return EXIT_DATAERR;
	}
	if (r != DB_OK)
		return db_fail(r, "create-org");
	printf("%s\n", id);
	return 0;
}

/* One line from stdin, prompting without echo on a terminal. -1 on EOF or too long. */
static int
read_hidden(const char *prompt, char *buf, size_t size)
{
	struct termios old, quiet;
	bool tty = isatty(0) && tcgetattr(0, &old) == 0;

	if (tty) {
		fprintf(stderr, "%s", prompt);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &quiet);
	}
	char *got = fgets(buf, (int)size, stdin);
	if (tty) {
		tcsetattr(0, TCSAFLUSH, &old);
		fprintf(stderr, "\n");
	}
	if (got == NULL)
		return -1;
	size_t n = strcspn(buf, "\r\n");
	if (buf[n] == '\0' && n == size - 1)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int
read_password(char *buf, size_t size)
{
	return read_hidden("Password: ", buf, size);
}

static int
cmd_create_user(struct db *db, const struct config *cfg, int argc, char **argv)
{
	const char *org = NULL, *email_in = NULL, *name = NULL, *role = NULL;
	char email[256], org_id[UUID_STR_LEN], id[UUID_STR_LEN], hash[PASSWORD_HASH_MAX];
	char pw[PASSWORD_MAX_CHARS * 4 + 2];
	struct arena a;
	bool found = false;
	int rc = 0;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--org") == 0)
			org = argv[i + 1];
		else if (strcmp(argv[i], "--email") == 0)
			email_in = argv[i + 1];
		else if (strcmp(argv[i], "--name") == 0)
			name = argv[i + 1];
		else if (strcmp(argv[i], "--role") == 0)
			role = argv[i + 1];
		else
			return EXIT_USAGE;
	}
	if (argc % 2 == 0 || org == NULL || email_in == NULL || name == NULL || role == NULL)
		return EXIT_USAGE;
	if (util_email_normalize(email_in, email, sizeof(email)) != 0) {
		fprintf(stderr, "overwatch-admin: create-user: not a valid email address\n");
		return EXIT_DATAERR;
	}
	if (role_parse(role) < 0) {
		fprintf(stderr, "overwatch-admin: create-user: role must be admin, engineer or viewer\n");
		return EXIT_DATAERR;
	}
	size_t nlen = strlen(name);
	if (nlen == 0 || !util_utf8_valid(name, nlen) || util_utf8_len(name, nlen) > 200) {
		fprintf(stderr, "overwatch-admin: create-user: the name must be 1 to 200 characters\n");
		return EXIT_DATAERR;
	}
	if (read_password(pw, sizeof(pw)) != 0) {
		fprintf(stderr, "overwatch-admin: create-user: no password on standard input\n");
		return EXIT_DATAERR;
	}
	long chars = password_char_count(pw, strlen(pw));
	if (chars < PASSWORD_MIN_CHARS || chars > PASSWORD_MAX_CHARS) {
		fprintf(stderr, "overwatch-admin: create-user: the password must be %d to %d characters\n",
		    PASSWORD_MIN_CHARS, PASSWORD_MAX_CHARS);
		rc = EXIT_DATAERR;
		goto out;
	}
	struct password_params pp = {(uint32_t)cfg->argon2_memory, (uint32_t)cfg->argon2_iterations,
	    (uint32_t)cfg->argon2_parallelism};
	if (password_hash(&pp, pw, strlen(pw), hash) != 0 || util_uuid(id) != 0) {
		rc = EXIT_SOFTWARE;
		goto out;
	}
	arena_init(&a, 64 * 1024);
	enum db_result r = store_org_find(db, &a, org, org_id, &found);
	arena_free(&a);
	if (r != DB_OK) {
		rc = db_fail(r, "create-user");
		goto out;
	}
	if (!found) {
		fprintf(stderr, "overwatch-admin: create-user: no organization '%s'\n", org);
		rc = EXIT_NOTFOUND;
		goto out;
	}
	r = store_user_create(db, id, org_id, email, name, role, hash);
	if (r == DB_DUPLICATE) {
		fprintf(stderr, "overwatch-admin: create-user: %s is already registered\n", email);
		rc = EXIT_DATAERR;
	} else if (r != DB_OK) {
		rc = db_fail(r, "create-user");
	} else {
		printf("%s\n", id);
	}
out:
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

static int
cmd_unlock(struct db *db, int argc, char **argv)
{
	char email[256];
	struct arena a;
	bool changed = false;

	if (argc != 2)
		return EXIT_USAGE;
	if (util_email_normalize(argv[1], email, sizeof(email)) != 0) {
		fprintf(stderr, "overwatch-admin: unlock: not a valid email address\n");
		return EXIT_DATAERR;
	}
	arena_init(&a, 64 * 1024);
	enum db_result r = store_user_unlock_by_email(db, &a, email, &changed);
	arena_free(&a);
	if (r != DB_OK)
		return db_fail(r, "unlock");
	if (!changed) {
		fprintf(stderr, "overwatch-admin: unlock: no user %s\n", email);
		return EXIT_NOTFOUND;
	}
	printf("unlocked %s\n", email);
	return 0;
}

static int
cmd_purge(struct db *db, int argc)
{
	struct purge_counts n;

	if (argc != 1)
		return EXIT_USAGE;
	enum db_result r = store_purge(db, &n);
	if (r != DB_OK)
		return db_fail(r, "purge");
	printf("purged %llu revoked tokens, %llu sessions, %llu throttle windows, %llu SSO states\n",
	    n.revoked_tokens, n.sessions, n.login_attempts, n.sso_states);
	return 0;
}

#define SSO_SECRET_MAX 1024

static int
cmd_sso_set(struct db *db, const struct config *cfg, int argc, char **argv)
{
	const char *org = NULL, *issuer = NULL, *client_id = NULL, *domains_arg = "";
	const char *role = "viewer", *domains[SSO_DOMAINS_MAX + 1], *bad = NULL;
	bool auto_create = false, enabled = true, keep = false, found = false, link_existing = false;
	struct oidc_opts opts = sso_provider_opts(cfg);
	struct oidc_provider p;
	const char *problem, *jwks = NULL;
	char secret[SSO_SECRET_MAX + 2], list[SSO_DOMAINS_JSON_MAX + 1];
	struct sso_org o;
	struct sso_connection conn;
	struct arena a;
	size_t n = 0;
	int rc = 0;
	enum db_result r;

	for (int i = 1; i < argc; i++) {
		bool more = i + 1 < argc;
		if (strcmp(argv[i], "--org") == 0 && more)
			org = argv[++i];
		else if (strcmp(argv[i], "--issuer") == 0 && more)
			issuer = argv[++i];
		else if (strcmp(argv[i], "--client-id") == 0 && more)
			client_id = argv[++i];
		else if (strcmp(argv[i], "--domains") == 0 && more)
			domains_arg = argv[++i];
		else if (strcmp(argv[i], "--default-role") == 0 && more)
			role = argv[++i];
		else if (strcmp(argv[i], "--auto-create") == 0)
			auto_create = true;
		else if (strcmp(argv[i], "--link-existing-accounts") == 0)
			link_existing = true;
		else if (strcmp(argv[i], "--disabled") == 0)
			enabled = false;
		else if (strcmp(argv[i], "--keep-secret") == 0)
			keep = true;
		else
			return EXIT_USAGE;
	}
	if (org == NULL || issuer == NULL || client_id == NULL)
		return EXIT_USAGE;
	if ((problem = oidc_issuer_problem(issuer, &opts)) != NULL) {
		fprintf(stderr, "overwatch-admin: sso-set: the issuer %s\n", problem);
		return EXIT_DATAERR;
	}
	size_t cid = strlen(client_id);
	if (cid == 0 || cid > 255 || strcspn(client_id, " \t\r\n") != cid) {
		fprintf(stderr, "overwatch-admin: sso-set: the client id must be 1 to 255 characters without spaces\n");
		return EXIT_DATAERR;
	}
	if (role_parse(role) < 0) {
		fprintf(stderr, "overwatch-admin: sso-set: the default role must be admin, engineer or viewer\n");
		return EXIT_DATAERR;
	}
	if (strlen(domains_arg) >= sizeof(list)) {
		fprintf(stderr, "overwatch-admin: sso-set: too many domains\n");
		return EXIT_DATAERR;
	}
	snprintf(list, sizeof(list), "%s", domains_arg);
	for (char *save = NULL, *d = strtok_r(list, ", ", &save); d != NULL; d = strtok_r(NULL, ", ", &save)) {
		if (n == SSO_DOMAINS_MAX + 1)
			break;
		domains[n++] = d;
	}
	if (!keep) {
		if (read_hidden("Client secret: ", secret, sizeof(secret)) != 0 || secret[0] == '\0' ||
		    strlen(secret) > SSO_SECRET_MAX) {
			fprintf(stderr, "overwatch-admin: sso-set: no client secret (1 to %d bytes) on standard "
			    "input\n", SSO_SECRET_MAX);
			rc = EXIT_DATAERR;
			goto wipe;
		}
	}
	arena_init(&a, 256 * 1024);
	const char *domains_json = sso_domains_json(domains, n, &a, &bad);
	if (domains_json == NULL) {
		if (bad != NULL)
			fprintf(stderr, "overwatch-admin: sso-set: '%s' is not a domain name\n", bad);
		else
			fprintf(stderr, "overwatch-admin: sso-set: at most %d domains\n", SSO_DOMAINS_MAX);
		rc = EXIT_DATAERR;
		goto out;
	}
	if ((r = store_sso_org_connection(db, &a, org, &o, &conn, &found)) != DB_OK) {
		rc = db_fail(r, "sso-set");
		goto out;
	}
	if (conn.client_secret != NULL)
		explicit_bzero(conn.client_secret, conn.client_secret_len);
	if (!o.found) {
		fprintf(stderr, "overwatch-admin: sso-set: no organization '%s'\n", org);
		rc = EXIT_NOTFOUND;
		goto out;
	}
	if (!found && keep) {
		fprintf(stderr, "overwatch-admin: sso-set: --keep-secret: the organization has no connection yet\n");
		rc = EXIT_DATAERR;
		goto out;
	}
	/* The provider is fetched and checked now: sign-ins are served from what is stored. */
	enum oidc_error e = sso_provider_fetch(db, cfg, &a, issuer, &p, &jwks, &r);
	if (e == OIDC_E_INTERNAL && r != DB_OK) {
		rc = db_fail(r, "sso-set");
		goto out;
	}
	if (e != OIDC_OK) {
		fprintf(stderr, "overwatch-admin: sso-set: the identity provider could not be used (%s): %s\n",
		    oidc_error_info(e)->reason, oidc_error_info(e)->detail);
		rc = EXIT_DATAERR;
		goto out;
	}
	/* The stored secret goes only to the token endpoint it was typed for. */
	if (keep && (!oidc_same_issuer(conn.issuer, issuer) || conn.token_endpoint == NULL ||
	    strcmp(conn.token_endpoint, p.token_endpoint) != 0)) {
		fprintf(stderr, "overwatch-admin: sso-set: --keep-secret: the issuer or its token endpoint "
		    "changed; give the client secret again\n");
		rc = EXIT_DATAERR;
		goto out;
	}
	struct audit_event ev = {
		.org_id = o.id, .action = found ? "sso_connection.updated" : "sso_connection.created",
		.outcome = "success", .actor_type = "system", .target_type = "organization", .target_id = o.id,
		.detail = "overwatch-admin sso-set",
	};
	struct sso_connection_write w = {
		.issuer = issuer, .client_id = client_id, .allowed_domains = domains_json,
		.default_role = role, .client_secret = keep ? NULL : secret, .auto_create = auto_create,
		.enabled = enabled, .link_existing_accounts = link_existing,
		.provider_issuer = p.issuer, .authorization_endpoint = p.authorization_endpoint,
		.token_endpoint = p.token_endpoint, .jwks_uri = p.jwks_uri, .jwks = jwks,
	};
	if ((r = db_begin(db)) != DB_OK || (r = store_sso_connection_put(db, o.id, &w)) != DB_OK ||
	    (r = store_audit(db, &ev)) != DB_OK || (r = db_commit(db)) != DB_OK) {
		db_rollback(db);
		rc = db_fail(r, "sso-set");
		goto out;
	}
	printf("%s single sign-on for organization %s (%s)\n", found ? "updated" : "created", o.slug, o.id);
out:
	arena_free(&a);
wipe:
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

static int
cmd_sso_show(struct db *db, const struct config *cfg, int argc, char **argv)
{
	struct sso_org o;
	struct sso_connection conn;
	struct arena a;
	bool found = false;
	int rc = 0;

	if (argc != 3 || strcmp(argv[1], "--org") != 0)
		return EXIT_USAGE;
	arena_init(&a, 256 * 1024);
	enum db_result r = store_sso_org_connection(db, &a, argv[2], &o, &conn, &found);
	if (conn.client_secret != NULL)
		explicit_bzero(conn.client_secret, conn.client_secret_len);
	if (r != DB_OK) {
		rc = db_fail(r, "sso-show");
	} else if (!o.found || !found) {
		fprintf(stderr, "overwatch-admin: sso-show: %s '%s'\n", o.found ? "no single sign-on for" :
		    "no organization", argv[2]);
		rc = EXIT_NOTFOUND;
	} else {
		printf("organization: %s (%s)\nissuer: %s\nclient_id: %s\nclient_secret: (set; write-only)\n"
		    "allowed_domains: %s\nauto_create: %s\nlink_existing_accounts: %s\ndefault_role: %s\n"
		    "enabled: %s\ntoken_endpoint: %s\nfetched_at: %s\n",
		    o.id, o.slug, conn.issuer, conn.client_id, conn.allowed_domains,
		    conn.auto_create ? "yes" : "no", conn.link_existing_accounts ? "yes" : "no",
		    conn.default_role, conn.enabled ? "yes" : "no",
		    conn.token_endpoint != NULL && conn.token_endpoint[0] != '\0' ? conn.token_endpoint :
		    "(not fetched: run sso-set again)", conn.fetched_at != NULL ? conn.fetched_at : "never");
		if (cfg->sso_redirect_base[0] != '\0')
			printf("redirect_uri: %s/api/v1/auth/sso/%s/callback\n", cfg->sso_redirect_base, o.slug);
		else
			printf("redirect_uri: https://HOST/api/v1/auth/sso/%s/callback ([sso] redirect_base unset)\n",
			    o.slug);
	}
	arena_free(&a);
	return rc;
}

static int
cmd_gen_secret(int argc, char **argv)
{
	const char *path = NULL;
	bool force = false;
	unsigned char raw[SECRET_BYTES];
	char hex[SECRET_BYTES * 2 + 2];

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--force") == 0)
			force = true;
		else if (path == NULL)
			path = argv[i];
		else
			return EXIT_USAGE;
	}
	if (path == NULL)
		return EXIT_USAGE;
	if (util_random(raw, sizeof(raw)) != 0)
		return EXIT_SOFTWARE;
	encoding_hex(raw, sizeof(raw), hex);
	hex[SECRET_BYTES * 2] = '\n';
	hex[SECRET_BYTES * 2 + 1] = '\0';
	explicit_bzero(raw, sizeof(raw));
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | (force ? O_TRUNC : O_EXCL);
	int fd = open(path, flags, 0600);
	if (fd < 0) {
		fprintf(stderr, "overwatch-admin: gen-secret: %s: %s%s\n", path, strerror(errno),
		    errno == EEXIST ? " (use --force to replace it)" : "");
		explicit_bzero(hex, sizeof(hex));
		return EXIT_CANTCREATE;
	}
	size_t len = strlen(hex);
	bool ok = write(fd, hex, len) == (ssize_t)len && fchmod(fd, 0600) == 0;
	ok = close(fd) == 0 && ok;
	explicit_bzero(hex, sizeof(hex));
	if (!ok) {
		fprintf(stderr, "overwatch-admin: gen-secret: %s: %s\n", path, strerror(errno));
		return EXIT_CANTCREATE;
	}
	printf("wrote %s\n", path);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"config", required_argument, NULL, 'c'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *config_path = NULL;
	struct config cfg;
	char err[CONFIG_ERR_LEN];
	int ch, rc;

	/* Options stop at the command: its own arguments follow it. */
	while ((ch = getopt_long(argc, argv, "+c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *cmd = argv[optind];
	int cargc = argc - optind;
	char **cargv = argv + optind;
	if (strcmp(cmd, "gen-secret") == 0) {
		rc = cmd_gen_secret(cargc, cargv);
		if (rc == EXIT_USAGE)
			usage(stderr);
		return rc;
	}
	if (config_load(&cfg, config_path, err) != 0) {
		fprintf(stderr, "overwatch-admin: configuration: %s\n", err);
		return EXIT_CONFIG;
	}
	log_setup("overwatch-admin", 0, LOG_LEVEL_ERROR);
	if (strcmp(cmd, "check-config") == 0) {
		if (dispatch_check(&cfg, err) != 0) {
			fprintf(stderr, "overwatch-admin: configuration: %s\n", err);
			config_free(&cfg);
			return EXIT_CONFIG;
		}
		printf("configuration OK%s%s\n", cfg.path != NULL ? ": " : " (no file, defaults and environment)",
		    cfg.path != NULL ? cfg.path : "");
		config_free(&cfg);
		return 0;
	}
	mysql_library_init(0, NULL, NULL);
	struct db *db = db_new(&cfg);
	if (db == NULL) {
		config_free(&cfg);
		return EXIT_SOFTWARE;
	}
	if (strcmp(cmd, "migrate") == 0 || strcmp(cmd, "create-org") == 0 ||
	    strcmp(cmd, "create-user") == 0 || strcmp(cmd, "unlock") == 0 ||
	    strcmp(cmd, "purge") == 0 || strcmp(cmd, "sso-set") == 0 || strcmp(cmd, "sso-show") == 0) {
		enum db_result r = db_connect(db);
		if (r != DB_OK) {
			rc = db_fail(r, cmd);
		} else if (strcmp(cmd, "migrate") == 0) {
			rc = cmd_migrate(db, cargc, cargv);
		} else if (strcmp(cmd, "create-org") == 0) {
			rc = cmd_create_org(db, cargc, cargv);
		} else if (strcmp(cmd, "create-user") == 0) {
			rc = cmd_create_user(db, &cfg, cargc, cargv);
		} else if (strcmp(cmd, "purge") == 0) {
			rc = cmd_purge(db, cargc);
		} else if (strcmp(cmd, "sso-set") == 0) {
			rc = cmd_sso_set(db, &cfg, cargc, cargv);
		} else if (strcmp(cmd, "sso-show") == 0) {
			rc = cmd_sso_show(db, &cfg, cargc, cargv);
		} else {
			rc = cmd_unlock(db, cargc, cargv);
		}
	} else {
		fprintf(stderr, "overwatch-admin: unknown command '%s'\n", cmd);
		rc = EXIT_USAGE;
	}
	if (rc == EXIT_USAGE)
		usage(stderr);
	db_free(db);
	config_free(&cfg);
	mysql_library_end();
	return rc;
}
