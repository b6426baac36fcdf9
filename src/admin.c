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
#include <time.h>
#include <unistd.h>

#include <mysql.h>

#include "admin.h"
#include "audit_syslog.h"
#include "config.h"
#include "db.h"
#include "dispatch.h"
#include "encoding.h"
#include "log.h"
#include "mfa_codes.h"
#include "migrate.h"
#include "oidc.h"
#include "password.h"
#include "pepper.h"
#include "pwlist.h"
#include "pwpolicy.h"
#include "revlog.h"
#include "permission.h"
#include "sso.h"
#include "sso_provider.h"
#include "store.h"
#include "store_catalog.h"
#include "util.h"

#define SECRET_BYTES 64

int
admin_db_fail(enum db_result r, const char *what)
{
	if (r == DB_UNAVAILABLE) {
		fprintf(stderr, "overwatch-admin: %s: the database is unreachable\n", what);
		return EXIT_UNAVAILABLE;
	}
	fprintf(stderr, "overwatch-admin: %s: database error\n", what);
	return EXIT_SOFTWARE;
}

int
admin_migrate_dir(struct admin *ad, const char *dir)
{
	return migrate_apply(ad->db, dir, stdout) == 0 ? 0 : EXIT_SOFTWARE;
}

static int
cmd_migrate(struct admin *ad, int argc, char **argv)
{
	const char *dir = PKGDATADIR "/sql";
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0 && i + 1 < argc)
			dir = argv[++i];
		else
			return EXIT_USAGE;
	}
	return admin_migrate_dir(ad, dir);
}

/*
 * A command's one operand and its one option (with a value when
 * takes_value, else *value is the option itself when given): 0, or -1 for
 * a usage error (a missing operand, a second one).
 */
static int
operand_and_option(int argc, char **argv, const char *option, bool takes_value,
    const char **operand, const char **value)
{
	*operand = NULL;
	*value = NULL;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], option) == 0 && (!takes_value || i + 1 < argc))
			*value = takes_value ? argv[++i] : argv[i];
		else if (*operand == NULL)
			*operand = argv[i];
		else
			return -1;
	}
	return *operand != NULL ? 0 : -1;
}

int
admin_create_org(struct admin *ad, int argc, char **argv)
{
	struct db *db = ad->db;
	const char *name = NULL, *slug_arg = NULL;
	char id[UUID_STR_LEN], slug[101];

	if (operand_and_option(argc, argv, "--slug", true, &name, &slug_arg) != 0)
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
		return admin_db_fail(r, "create-org");
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

/*
 * The password read for create-user under the rules of every new password
 * (doc/api.md section 6 "Passwords"): its normal form hashed into hash.
 * 0, or the exit code after saying why on standard error.
 */
static int
hash_new_password(const struct config *cfg, const char *pw, char hash[PASSWORD_HASH_MAX])
{
	char normal[PWPOLICY_NORMAL_MAX];
	long chars = password_char_count(pw, strlen(pw));
	long n = pwpolicy_normalize(pw, strlen(pw), normal);
	struct password_params pp = config_password_params(cfg);
	const char *why = NULL;
	char err[CONFIG_ERR_LEN];
	int rc = 0;

	if (chars < 0 || chars > PASSWORD_MAX_CHARS || n < 0)
		why = "must be valid UTF-8 of at most 1024 characters";
	else if (pwlist_init() != 0)
		rc = EXIT_SOFTWARE;
	else if (pepper_load(cfg, err) != 0) {
		/* The hash is made with the service's current pepper key, or not at all. */
		fprintf(stderr, "overwatch-admin: create-user: %s\n", err);
		rc = EXIT_CONFIG;
	}
	else
		why = pwpolicy_refusal(normal, (size_t)n);
	if (why != NULL) {
		fprintf(stderr, "overwatch-admin: create-user: the password %s\n", why);
		rc = EXIT_DATAERR;
	} else if (rc == 0 && pwpolicy_hash(&pp, normal, (size_t)n, hash) != 0)
		rc = EXIT_SOFTWARE;
	explicit_bzero(normal, sizeof(normal));
	return rc;
}

int
admin_create_user(struct admin *ad, int argc, char **argv)
{
	struct db *db = ad->db;
	const struct config *cfg = ad->cfg;
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
	if ((rc = hash_new_password(cfg, pw, hash)) != 0)
		goto out;
	if (util_uuid(id) != 0) {
		rc = EXIT_SOFTWARE;
		goto out;
	}
	arena_init(&a, 64 * 1024);
	enum db_result r = store_org_find(db, &a, org, org_id, &found);
	arena_free(&a);
	if (r != DB_OK) {
		rc = admin_db_fail(r, "create-user");
		goto out;
	}
	if (!found) {
		fprintf(stderr, "overwatch-admin: create-user: no organization '%s'\n", org);
		rc = EXIT_NOTFOUND;
		goto out;
	}
	r = store_user_create(db, id, org_id, email, name, role, hash, pepper_current_id());
	if (r == DB_DUPLICATE) {
		fprintf(stderr, "overwatch-admin: create-user: %s is already registered\n", email);
		rc = EXIT_DATAERR;
	} else if (r != DB_OK) {
		rc = admin_db_fail(r, "create-user");
	} else {
		printf("%s\n", id);
	}
out:
	explicit_bzero(pw, sizeof(pw));
	return rc;
}

/* The one argument of a command that takes an email address, normalised: 0 or an exit code. */
static int
email_arg(int argc, char **argv, const char *cmd, char *email, size_t size)
{
	if (argc != 2)
		return EXIT_USAGE;
	if (util_email_normalize(argv[1], email, size) != 0) {
		fprintf(stderr, "overwatch-admin: %s: not a valid email address\n", cmd);
		return EXIT_DATAERR;
	}
	return 0;
}

static int
cmd_unlock(struct admin *ad, int argc, char **argv)
{
	struct db *db = ad->db;
	char email[256];
	struct arena a;
	bool changed = false;
	int rc = email_arg(argc, argv, "unlock", email, sizeof(email));

	if (rc != 0)
		return rc;
	arena_init(&a, 64 * 1024);
	enum db_result r = store_user_unlock_by_email(db, &a, email, &changed);
	arena_free(&a);
	if (r != DB_OK)
		return admin_db_fail(r, "unlock");
	if (!changed) {
		fprintf(stderr, "overwatch-admin: unlock: no user %s\n", email);
		return EXIT_NOTFOUND;
	}
	printf("unlocked %s\n", email);
	return 0;
}

/*
 * reset-link EMAIL: a password reset link for an active user, printed on
 * stdout ([account] link_base and the token) for the operator to hand over;
 * only its digest is stored (doc/api.md section 6, "Account links").
 */
static int
cmd_reset_link(struct admin *ad, int argc, char **argv)
{
	char email[256], tok[MFA_TOKEN_LEN + 1];
	unsigned char digest[ACCOUNT_DIGEST_LEN];
	bool issued = false;
	int rc = email_arg(argc, argv, "reset-link", email, sizeof(email));

	if (rc != 0)
		return rc;
	if (mfa_token_new(tok, digest) != 0) {
		fprintf(stderr, "overwatch-admin: reset-link: no random bytes\n");
		return EXIT_OSERR;
	}
	enum db_result r = store_account_token_issue(ad->db, digest, email, ACCOUNT_PURPOSE_RESET,
	    ad->cfg->account_reset_ttl, &issued);
	if (r != DB_OK || !issued) {
		explicit_bzero(tok, sizeof(tok));
		if (r != DB_OK)
			return admin_db_fail(r, "reset-link");
		fprintf(stderr, "overwatch-admin: reset-link: no active user %s\n", email);
		return EXIT_NOTFOUND;
	}
	printf("%s%s\n", ad->cfg->account_link_base, tok);
	fprintf(stderr, "reset link for %s, valid for %ld seconds, usable once\n", email,
	    ad->cfg->account_reset_ttl);
	explicit_bzero(tok, sizeof(tok));
	return 0;
}

/*
 * grant-service USER [HOST]: the service's run-time user gets what it
 * needs and no more: rows of every table, but only SELECT and INSERT on
 * the audit trail (README.md, "Database users"). Run as [database]
 * admin_user after every migrate; names go to the server as values.
 */
static int
cmd_grant_service(struct admin *ad, int argc, char **argv)
{
	struct db_rows rows;
	struct arena a;

	if (argc != 2 && argc != 3)
		return EXIT_USAGE;
	const char *host = argc == 3 ? argv[2] : "localhost";
	arena_init(&a, 64 * 1024);
	enum db_result r = STORE_RUN(ad->db, STMT_ADMIN_GRANT_SERVICE, &rows, &a, DBP_STR(argv[1]),
	    DBP_STR(host));
	arena_free(&a);
	if (r != DB_OK)
		return admin_db_fail(r, "grant-service (migrated, and run as a user with GRANT OPTION?)");
	printf("granted '%s'@'%s' its rows, and SELECT, INSERT only on audit_log\n", argv[1], host);
	return 0;
}

static int
cmd_purge(struct admin *ad, int argc, char **argv)
{
	struct db *db = ad->db;

	(void)argv;
	struct purge_counts n;

	if (argc != 1)
		return EXIT_USAGE;
	enum db_result r = store_purge(db, &n);
	if (r != DB_OK)
		return admin_db_fail(r, "purge");
	printf("purged %llu revoked tokens, %llu sessions, %llu throttle windows, %llu SSO states, "
	    "%llu API key activity rows\n",
	    n.revoked_tokens, n.sessions, n.login_attempts, n.sso_states, n.key_activity);
	struct retention_counts k;
	struct arena a;
	arena_init(&a, 4 * 1024 * 1024);
	r = store_purge_retention(db, &a, ad->cfg->retention_audit_days,
	    ad->cfg->retention_deactivated_days, &k);
	arena_free(&a);
	if (r != DB_OK)
		return admin_db_fail(r, "purge");
	printf("purged %llu audit events older than %ld days, %llu users deactivated %ld days ago\n",
	    k.audit_events, ad->cfg->retention_audit_days, k.users, ad->cfg->retention_deactivated_days);
	return 0;
}

/* Rows of ncols cells as tab-separated lines; NULL prints as nothing. */
static void
print_rows(const struct db_rows *rows, size_t ncols)
{
	for (size_t i = 0; i < rows->nrows; i++) {
		for (size_t col = 0; col < ncols; col++) {
			/* Tenants and clients choose these texts: no tab or newline of theirs may forge a line. */
			for (const char *p = db_cell(rows, i, col); p != NULL && *p != '\0'; p++)
				putchar((unsigned char)*p < 0x20 || *p == 0x7f ? '?' : *p);
			putchar(col + 1 < ncols ? '\t' : '\n');
		}
	}
}

/*
 * keys --due: every organization's live keys past their rotation date, one
 * tab-separated line each (organization slug, key id, name, prefix, created,
 * due), for a cron job to mail. Exit 0 with no output when none is due.
 */
static int
cmd_keys(struct admin *ad, int argc, char **argv)
{
	struct db_rows rows;
	struct arena a;

	if (argc != 2 || strcmp(argv[1], "--due") != 0)
		return EXIT_USAGE;
	arena_init(&a, 4 * 1024 * 1024);
	enum db_result r = store_apikey_due(ad->db, &a, &rows);
	if (r != DB_OK) {
		arena_free(&a);
		return admin_db_fail(r, "keys");
	}
	print_rows(&rows, 6);
	arena_free(&a);
	return 0;
}

/*
 * audit [--since TIME] [--limit N] [--by-ip]: the failures that belong to no
 * organization (sign-ins with unknown addresses: credential stuffing), from
 * the last 24 hours unless --since, one tab-separated line each; --by-ip
 * counts them per client IP instead.
 */
static int
cmd_audit(struct admin *ad, int argc, char **argv)
{
	time_t since = time(NULL) - 86400;
	long limit = 100;
	bool by_ip = false;

	for (int i = 1; i < argc; i++) {
		char *end = NULL;
		if (strcmp(argv[i], "--by-ip") == 0)
			by_ip = true;
		else if (strcmp(argv[i], "--since") == 0 && i + 1 < argc &&
		    util_time_parse(argv[i + 1], &since) == 0)
			i++;
		else if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc &&
		    (limit = strtol(argv[i + 1], &end, 10)) >= 1 && limit <= 100000 && *end == '\0')
			i++;
		else
			return EXIT_USAGE;
	}
	struct db_rows rows;
	struct arena a;
	arena_init(&a, 64 * 1024 * 1024);
	enum db_result r = store_audit_unattributed(ad->db, &a, (long long)since, by_ip, limit, &rows);
	if (r == DB_OK)
		print_rows(&rows, by_ip ? 4 : 7);
	arena_free(&a);
	return r == DB_OK ? 0 : admin_db_fail(r, "audit");
}

#define SSO_SECRET_MAX 1024

/* What sso-set was asked to store. */
struct sso_set_args {
	const char *org, *issuer, *client_id, *domains_arg, *role;
	bool auto_create, enabled, keep, link_existing;
};

/* sso-set's options into a; 0 or EXIT_USAGE. */
static int
sso_set_parse(int argc, char **argv, struct sso_set_args *a)
{
	*a = (struct sso_set_args){.domains_arg = "", .role = "viewer", .enabled = true};
	for (int i = 1; i < argc; i++) {
		bool more = i + 1 < argc;
		if (strcmp(argv[i], "--org") == 0 && more)
			a->org = argv[++i];
		else if (strcmp(argv[i], "--issuer") == 0 && more)
			a->issuer = argv[++i];
		else if (strcmp(argv[i], "--client-id") == 0 && more)
			a->client_id = argv[++i];
		else if (strcmp(argv[i], "--domains") == 0 && more)
			a->domains_arg = argv[++i];
		else if (strcmp(argv[i], "--default-role") == 0 && more)
			a->role = argv[++i];
		else if (strcmp(argv[i], "--auto-create") == 0)
			a->auto_create = true;
		else if (strcmp(argv[i], "--link-existing-accounts") == 0)
			a->link_existing = true;
		else if (strcmp(argv[i], "--disabled") == 0)
			a->enabled = false;
		else if (strcmp(argv[i], "--keep-secret") == 0)
			a->keep = true;
		else
			return EXIT_USAGE;
	}
	return a->org == NULL || a->issuer == NULL || a->client_id == NULL ? EXIT_USAGE : 0;
}

/*
 * The checks that need no database: issuer rules, client id, role, and the
 * domain list split into domains[0..*n) (pointers into list). 0 or
 * EXIT_DATAERR after the reason on stderr.
 */
static int
sso_set_check(const struct sso_set_args *a, const struct oidc_opts *opts,
    char list[SSO_DOMAINS_JSON_MAX + 1], const char *domains[SSO_DOMAINS_MAX + 1], size_t *n)
{
	const char *problem;

	if ((problem = oidc_issuer_problem(a->issuer, opts)) != NULL) {
		fprintf(stderr, "overwatch-admin: sso-set: the issuer %s\n", problem);
		return EXIT_DATAERR;
	}
	size_t cid = strlen(a->client_id);
	if (cid == 0 || cid > 255 || strcspn(a->client_id, " \t\r\n") != cid) {
		fprintf(stderr, "overwatch-admin: sso-set: the client id must be 1 to 255 characters without spaces\n");
		return EXIT_DATAERR;
	}
	if (role_parse(a->role) < 0) {
		fprintf(stderr, "overwatch-admin: sso-set: the default role must be admin, engineer or viewer\n");
		return EXIT_DATAERR;
	}
	if (strlen(a->domains_arg) >= SSO_DOMAINS_JSON_MAX + 1) {
		fprintf(stderr, "overwatch-admin: sso-set: too many domains\n");
		return EXIT_DATAERR;
	}
	snprintf(list, SSO_DOMAINS_JSON_MAX + 1, "%s", a->domains_arg);
	*n = 0;
	for (char *save = NULL, *d = strtok_r(list, ", ", &save); d != NULL; d = strtok_r(NULL, ", ", &save)) {
		if (*n == SSO_DOMAINS_MAX + 1)
			break;
		domains[(*n)++] = d;
	}
	return 0;
}

/* The connection, with the provider's metadata and an audit event, in one transaction. */
static enum db_result
sso_set_store(struct db *db, const struct sso_set_args *a, const struct sso_org *o, bool found,
    const char *secret, const char *domains_json, const struct oidc_provider *p, const char *jwks)
{
	enum db_result r;
	struct audit_event ev = {
		.org_id = o->id, .action = found ? "sso_connection.updated" : "sso_connection.created",
		.outcome = "success", .actor_type = "system", .target_type = "organization", .target_id = o->id,
		.detail = "overwatch-admin sso-set",
	};
	struct sso_connection_write w = {
		.issuer = a->issuer, .client_id = a->client_id, .allowed_domains = domains_json,
		.default_role = a->role, .client_secret = a->keep ? NULL : secret,
		.auto_create = a->auto_create, .enabled = a->enabled,
		.link_existing_accounts = a->link_existing,
		.provider_issuer = p->issuer, .authorization_endpoint = p->authorization_endpoint,
		.token_endpoint = p->token_endpoint, .jwks_uri = p->jwks_uri, .jwks = jwks,
		.userinfo_endpoint = p->userinfo_endpoint,
		.end_session_endpoint = p->end_session_endpoint,
	};
	if ((r = db_begin(db)) != DB_OK || (r = store_sso_connection_put(db, o->id, &w)) != DB_OK ||
	    (r = store_audit(db, &ev)) != DB_OK || (r = db_commit(db)) != DB_OK)
		db_rollback(db);
	return r;
}

/*
 * The steps that need the database and the provider, after the secret is
 * read; the why of each refusal on stderr. 0 or an exit code.
 */
static int
sso_set_apply(struct db *db, const struct config *cfg, const struct sso_set_args *a,
    const char *secret, const char *const *domains, size_t n, struct arena *ar)
{
	const char *bad = NULL, *jwks = NULL;
	struct oidc_provider p;
	struct sso_org o;
	struct sso_connection conn;
	bool found = false;
	enum db_result r;

	const char *domains_json = sso_domains_json(domains, n, ar, &bad);
	if (domains_json == NULL) {
		if (bad != NULL)
			fprintf(stderr, "overwatch-admin: sso-set: '%s' is not a domain name\n", bad);
		else
			fprintf(stderr, "overwatch-admin: sso-set: at most %d domains\n", SSO_DOMAINS_MAX);
		return EXIT_DATAERR;
	}
	if ((r = store_sso_org_connection(db, ar, a->org, SSO_DEFAULT_CONNECTION, &o, &conn, &found)) != DB_OK)
		return admin_db_fail(r, "sso-set");
	if (conn.client_secret != NULL)
		explicit_bzero(conn.client_secret, conn.client_secret_len);
	if (!o.found) {
		fprintf(stderr, "overwatch-admin: sso-set: no organization '%s'\n", a->org);
		return EXIT_NOTFOUND;
	}
	if (!found && a->keep) {
		fprintf(stderr, "overwatch-admin: sso-set: --keep-secret: the organization has no connection yet\n");
		return EXIT_DATAERR;
	}
	/* The provider is fetched and checked now: sign-ins are served from what is stored. */
	enum oidc_error e = sso_provider_fetch(db, cfg, ar, a->issuer, &p, &jwks, &r);
	if (e == OIDC_E_INTERNAL && r != DB_OK)
		return admin_db_fail(r, "sso-set");
	if (e != OIDC_OK) {
		fprintf(stderr, "overwatch-admin: sso-set: the identity provider could not be used (%s): %s\n",
		    oidc_error_info(e)->reason, oidc_error_info(e)->detail);
		return EXIT_DATAERR;
	}
	/* The stored secret goes only to the token endpoint it was typed for. */
	if (a->keep && (!oidc_same_issuer(conn.issuer, a->issuer) || conn.token_endpoint == NULL ||
	    strcmp(conn.token_endpoint, p.token_endpoint) != 0)) {
		fprintf(stderr, "overwatch-admin: sso-set: --keep-secret: the issuer or its token endpoint "
		    "changed; give the client secret again\n");
		return EXIT_DATAERR;
	}
	if ((r = sso_set_store(db, a, &o, found, secret, domains_json, &p, jwks)) != DB_OK)
		return admin_db_fail(r, "sso-set");
	printf("%s single sign-on for organization %s (%s)\n", found ? "updated" : "created", o.slug, o.id);
	return 0;
}

static int
cmd_sso_set(struct admin *ad, int argc, char **argv)
{
	struct sso_set_args args;
	struct oidc_opts opts = sso_provider_opts(ad->cfg);
	const char *domains[SSO_DOMAINS_MAX + 1];
	char secret[SSO_SECRET_MAX + 2], list[SSO_DOMAINS_JSON_MAX + 1];
	struct arena a;
	size_t n = 0;
	int rc;

	if ((rc = sso_set_parse(argc, argv, &args)) != 0 ||
	    (rc = sso_set_check(&args, &opts, list, domains, &n)) != 0)
		return rc;
	if (!args.keep) {
		if (read_hidden("Client secret: ", secret, sizeof(secret)) != 0 || secret[0] == '\0' ||
		    strlen(secret) > SSO_SECRET_MAX) {
			fprintf(stderr, "overwatch-admin: sso-set: no client secret (1 to %d bytes) on standard "
			    "input\n", SSO_SECRET_MAX);
			explicit_bzero(secret, sizeof(secret));
			return EXIT_DATAERR;
		}
	}
	arena_init(&a, 256 * 1024);
	rc = sso_set_apply(ad->db, ad->cfg, &args, secret, domains, n, &a);
	arena_free(&a);
	explicit_bzero(secret, sizeof(secret));
	return rc;
}

static int
cmd_sso_show(struct admin *ad, int argc, char **argv)
{
	struct db *db = ad->db;
	const struct config *cfg = ad->cfg;
	struct sso_org o;
	struct sso_connection conn;
	struct arena a;
	bool found = false;
	int rc = 0;

	if (argc != 3 || strcmp(argv[1], "--org") != 0)
		return EXIT_USAGE;
	arena_init(&a, 256 * 1024);
	enum db_result r = store_sso_org_connection(db, &a, argv[2], SSO_DEFAULT_CONNECTION, &o, &conn, &found);
	if (conn.client_secret != NULL)
		explicit_bzero(conn.client_secret, conn.client_secret_len);
	if (r != DB_OK) {
		rc = admin_db_fail(r, "sso-show");
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

int
admin_secret_write(const char *path, bool force)
{
	unsigned char raw[SECRET_BYTES];
	char hex[SECRET_BYTES * 2 + 2];

	if (util_random(raw, sizeof(raw)) != 0) {
		errno = EIO;
		return -1;
	}
	encoding_hex(raw, sizeof(raw), hex);
	hex[SECRET_BYTES * 2] = '\n';
	hex[SECRET_BYTES * 2 + 1] = '\0';
	explicit_bzero(raw, sizeof(raw));
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (force ? O_TRUNC : O_EXCL);
	int fd = open(path, flags, 0600);
	if (fd < 0) {
		explicit_bzero(hex, sizeof(hex));
		return -1;
	}
	size_t len = strlen(hex);
	bool ok = write(fd, hex, len) == (ssize_t)len && fchmod(fd, 0600) == 0;
	int saved = errno;
	ok = close(fd) == 0 && ok;
	explicit_bzero(hex, sizeof(hex));
	errno = saved;
	return ok ? 0 : -1;
}

static int
cmd_gen_secret(struct admin *ad, int argc, char **argv)
{
	(void)ad;
	const char *path = NULL;
	bool force = false;

	const char *force_arg = NULL;
	if (operand_and_option(argc, argv, "--force", false, &path, &force_arg) != 0)
		return EXIT_USAGE;
	force = force_arg != NULL;
	if (admin_secret_write(path, force) != 0) {
		fprintf(stderr, "overwatch-admin: gen-secret: %s: %s%s\n", path, strerror(errno),
		    errno == EEXIST ? " (use --force to replace it)" : "");
		return errno == EIO ? EXIT_SOFTWARE : EXIT_CANTCREATE;
	}
	printf("wrote %s\n", path);
	return 0;
}

/* check-config: what overwatch-fcgi would refuse to start on. */
static int
cmd_check_config(struct admin *ad, int argc, char **argv)
{
	char err[CONFIG_ERR_LEN];

	(void)argc;
	(void)argv;
	if (dispatch_check(ad->cfg, err) != 0) {
		fprintf(stderr, "overwatch-admin: configuration: %s\n", err);
		return EXIT_CONFIG;
	}
	printf("configuration OK%s%s\n", ad->cfg->path != NULL ? ": " : " (no file, defaults and environment)",
	    ad->cfg->path != NULL ? ad->cfg->path : "");
	return 0;
}

enum needs { NEEDS_NOTHING, NEEDS_CONFIG, NEEDS_DATABASE };

/* The commands, in the order of the usage text, which each row's help lines make up. */
static const struct command {
	const char *name;
	enum needs needs;
	int (*run)(struct admin *ad, int argc, char **argv);
	const char *help;           /* its lines of the usage text */
} commands[] = {
	{"migrate", NEEDS_DATABASE, cmd_migrate,
	    "  migrate [--dir DIR]             apply pending SQL migrations (default " PKGDATADIR "/sql)\n"},
	{"grant-service", NEEDS_DATABASE, cmd_grant_service,
	    "  grant-service USER [HOST]       the service's MariaDB user (HOST: localhost) may\n"
	    "                                  read and write every table but only read and add\n"
	    "                                  to audit_log; after every migrate, as admin_user\n"},
	{"create-org", NEEDS_DATABASE, admin_create_org,
	    "  create-org NAME [--slug SLUG]   create an organization, print its id\n"},
	{"create-user", NEEDS_DATABASE, admin_create_user,
	    "  create-user --org ID|SLUG --email EMAIL --name NAME --role admin|engineer|viewer\n"
	    "                                  create a user; the password is read from stdin\n"},
	{"unlock", NEEDS_DATABASE, cmd_unlock,
	    "  unlock EMAIL                    clear a user's failed-login lockout\n"},
	{"reset-link", NEEDS_DATABASE, cmd_reset_link,
	    "  reset-link EMAIL                print a single-use password reset link for a user\n"},
	{"gen-secret", NEEDS_NOTHING, cmd_gen_secret,
	    "  gen-secret PATH [--force]       write a new random JWT secret file (mode 0600)\n"},
	{"purge", NEEDS_DATABASE, cmd_purge,
	    "  purge                           delete expired sessions, revoked tokens and\n"
	    "                                  throttle windows, and audit events and deactivated\n"
	    "                                  users past [retention] (run it daily, e.g. from cron)\n"},
	{"audit", NEEDS_DATABASE, cmd_audit,
	    "  audit [--since TIME] [--limit N] [--by-ip]\n"
	    "                                  failures of no organization (unknown addresses),\n"
	    "                                  last 24 h, newest first; --by-ip: per client IP\n"},
	{"keys", NEEDS_DATABASE, cmd_keys,
	    "  keys --due                      list every organization's API keys due for\n"
	    "                                  rotation (slug, id, name, prefix, created, due)\n"},
	{"sso-set", NEEDS_DATABASE, cmd_sso_set,
	    "  sso-set --org ID|SLUG --issuer URL --client-id ID [--domains D1,D2]\n"
	    "          [--auto-create] [--link-existing-accounts] [--default-role ROLE]\n"
	    "          [--disabled] [--keep-secret]\n"
	    "                                  set the organization's OpenID Connect connection\n"
	    "                                  (its discovery document and keys are fetched now);\n"
	    "                                  the client secret is read from stdin\n"},
	{"sso-show", NEEDS_DATABASE, cmd_sso_show,
	    "  sso-show --org ID|SLUG          show it (never the secret)\n"},
	{"setup-instance", NEEDS_CONFIG, admin_setup_instance,
	    "  setup-instance --user USER --org NAME --email EMAIL [--name NAME] [--database DB]\n"
	    "          [--dir DIR] [--fcgi-bin DIR] [--server-name HOST] [--program PATH]\n"
	    "          [--migrations DIR]\n"
	    "                                  as root: one customer's instance on a shared host\n"
	    "                                  (database, MariaDB user, secret, configuration,\n"
	    "                                  first admin; password from stdin); prints the\n"
	    "                                  Apache vhost lines (doc/shared-hosting.md)\n"},
	{"check-config", NEEDS_CONFIG, cmd_check_config,
	    "  check-config                    load and check the configuration\n"},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	fputs("usage: overwatch-admin [--config PATH] COMMAND [ARGS]\ncommands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fputs(commands[i].help, f);
}

static const struct command *
command_find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* A database command: the client library, one connection, the command. Its exit code. */
static int
run_with_database(const struct command *c, struct admin *ad, int argc, char **argv)
{
	char err[CONFIG_ERR_LEN];
	int rc;

	/* Events the command records (purge's user.purged) are copied as the service's are. */
	if (audit_syslog_open(ad->cfg, err) != 0) {
		fprintf(stderr, "overwatch-admin: configuration: %s\n", err);
		return EXIT_CONFIG;
	}
	mysql_library_init(0, NULL, NULL);
	if ((ad->db = db_new(ad->cfg)) == NULL) {
		mysql_library_end();
		return EXIT_SOFTWARE;
	}
	enum db_result r = db_connect(ad->db);
	rc = r != DB_OK ? admin_db_fail(r, c->name) : c->run(ad, argc, argv);
	if (r == DB_OK) {
		/* A revoking command (purge) reaches this host's workers at once, other hosts by the log. */
		revlog_open(ad->cfg, false);
		revlog_settle(ad->db);
		revlog_close();
	}
	db_free(ad->db);
	ad->db = NULL;
	mysql_library_end();
	return rc;
}

/* Load the configuration, then run c (NULL: an unknown name, reported after the configuration). */
static int
run_with_config(const struct command *c, const char *config_path, const char *name, int argc,
    char **argv)
{
	struct config cfg;
	struct admin ad = {.cfg = &cfg};
	char err[CONFIG_ERR_LEN];
	int rc;

	if (config_load(&cfg, config_path, err) != 0) {
		fprintf(stderr, "overwatch-admin: configuration: %s\n", err);
		return EXIT_CONFIG;
	}
	log_setup("overwatch-admin", 0, LOG_LEVEL_ERROR);
	if (c == NULL) {
		fprintf(stderr, "overwatch-admin: unknown command '%s'\n", name);
		rc = EXIT_USAGE;
	} else if (c->needs == NEEDS_DATABASE && config_use_admin_user(&cfg, err) != 0) {
		fprintf(stderr, "overwatch-admin: configuration: %s\n", err);
		rc = EXIT_CONFIG;
	} else if (c->needs == NEEDS_DATABASE) {
		rc = run_with_database(c, &ad, argc, argv);
	} else {
		rc = c->run(&ad, argc, argv);
	}
	config_free(&cfg);
	return rc;
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
	struct admin none = {0};
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
	const struct command *c = command_find(argv[optind]);
	if (c != NULL && c->needs == NEEDS_NOTHING)
		rc = c->run(&none, argc - optind, argv + optind);
	else
		rc = run_with_config(c, config_path, argv[optind], argc - optind, argv + optind);
	if (rc == EXIT_USAGE)
		usage(stderr);
	return rc;
}
