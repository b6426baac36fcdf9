/* admin_instance.c -- overwatch-admin setup-instance: one customer's instance on a shared host (doc/shared-hosting.md). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <mysql.h>

#include "admin.h"
#include "encoding.h"
#include "store_catalog.h"
#include "util.h"

#define DB_PASSWORD_BYTES 24

/* What setup-instance was asked for, and the paths and names it derived. */
struct instance {
	const char *user, *org, *email, *name, *server_name, *program, *migrations;
	const char *dir, *fcgi_bin;
	uid_t uid;
	gid_t gid;
	char group[64];
	char database[65];
	char dir_buf[PATH_MAX / 2], fcgi_buf[PATH_MAX / 2];
	char conf[PATH_MAX], secret[PATH_MAX], mfa_secret[PATH_MAX], pepper[PATH_MAX], dbpw_path[PATH_MAX],
	    wrapper[PATH_MAX];
	char slug[101];
	char dbpw[DB_PASSWORD_BYTES * 2];  /* base64url of the random bytes */
};

/*
 * Paths and names go into a shell script, a configuration file and Apache
 * lines unquoted: letters, digits and "/._-" only, so none of them needs
 * quoting anywhere.
 */
static bool
plain(const char *s, bool slash)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		    *s == '.' || *s == '_' || *s == '-' || (slash && *s == '/')))
			return false;
	return true;
}

static int
parse(struct instance *in, int argc, char **argv)
{
	const char **opt;
	*in = (struct instance){.name = "Admin", .server_name = "overwatch.example.com",
	    .program = SBINDIR "/overwatch-fcgi", .migrations = PKGDATADIR "/sql"};
	const char *database = NULL;
	for (int i = 1; i < argc; i += 2) {
		const char *o = argv[i];
		opt = strcmp(o, "--user") == 0 ? &in->user : strcmp(o, "--org") == 0 ? &in->org
		    : strcmp(o, "--email") == 0 ? &in->email : strcmp(o, "--name") == 0 ? &in->name
		    : strcmp(o, "--database") == 0 ? &database : strcmp(o, "--dir") == 0 ? &in->dir
		    : strcmp(o, "--fcgi-bin") == 0 ? &in->fcgi_bin
		    : strcmp(o, "--server-name") == 0 ? &in->server_name
		    : strcmp(o, "--program") == 0 ? &in->program
		    : strcmp(o, "--migrations") == 0 ? &in->migrations : NULL;
		if (opt == NULL || i + 1 >= argc)
			return EXIT_USAGE;
		*opt = argv[i + 1];
	}
	if (in->user == NULL || in->org == NULL || in->email == NULL)
		return EXIT_USAGE;
	if (database == NULL) {
		/* overwatch_USER, '-' (valid in user names) as '_' so the name needs no quoting. */
		snprintf(in->database, sizeof(in->database), "overwatch_%.50s", in->user);
		for (char *p = in->database; *p != '\0'; p++)
			*p = *p == '-' ? '_' : *p;
	} else if (strlen(database) < sizeof(in->database)) {
		strcpy(in->database, database);
	}
	return 0;
}

/* The customer's account and every derived path; 0 or an exit code after the reason. */
static int
resolve(struct instance *in)
{
	struct passwd *pw = getpwnam(in->user);
	if (pw == NULL || !plain(in->user, false)) {
		fprintf(stderr, "overwatch-admin: setup-instance: no Unix user '%s'\n", in->user);
		return EXIT_NOUSER;
	}
	if (pw->pw_uid == 0) {
		fprintf(stderr, "overwatch-admin: setup-instance: an instance never runs as root\n");
		return EXIT_DATAERR;
	}
	in->uid = pw->pw_uid;
	in->gid = pw->pw_gid;
	struct group *gr = getgrgid(pw->pw_gid);
	if (gr == NULL || snprintf(in->group, sizeof(in->group), "%s", gr->gr_name) >= (int)sizeof(in->group))
		return EXIT_NOUSER;
	int n1 = in->dir == NULL ? snprintf(in->dir_buf, sizeof(in->dir_buf), "%s/overwatch", pw->pw_dir)
	    : snprintf(in->dir_buf, sizeof(in->dir_buf), "%s", in->dir);
	int n2 = in->fcgi_bin == NULL ? snprintf(in->fcgi_buf, sizeof(in->fcgi_buf), "%s/fcgi-bin", pw->pw_dir)
	    : snprintf(in->fcgi_buf, sizeof(in->fcgi_buf), "%s", in->fcgi_bin);
	const char *paths[] = {in->dir_buf, in->fcgi_buf, in->program};
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		if (paths[i][0] != '/' || strstr(paths[i], "/../") != NULL || !plain(paths[i], true) ||
		    strlen(paths[i]) >= PATH_MAX / 2 - 1 || n1 >= PATH_MAX / 2 - 1 || n2 >= PATH_MAX / 2 - 1) {
			fprintf(stderr, "overwatch-admin: setup-instance: %s: an absolute path of letters, "
			    "digits and '/._-' please\n", paths[i]);
			return EXIT_DATAERR;
		}
	}
	if (!plain(in->database, false) || strpbrk(in->database, "-.") != NULL ||
	    !plain(in->server_name, false)) {
		fprintf(stderr, "overwatch-admin: setup-instance: database and server names are "
		    "letters, digits and '_' ('.' and '-' too in the server name), at most 64\n");
		return EXIT_DATAERR;
	}
	snprintf(in->conf, sizeof(in->conf), "%s/overwatch.conf", in->dir_buf);
	snprintf(in->secret, sizeof(in->secret), "%s/jwt.secret", in->dir_buf);
	snprintf(in->mfa_secret, sizeof(in->mfa_secret), "%s/mfa.secret", in->dir_buf);
	snprintf(in->pepper, sizeof(in->pepper), "%s/pepper", in->dir_buf);
	snprintf(in->dbpw_path, sizeof(in->dbpw_path), "%s/db.password", in->dir_buf);
	snprintf(in->wrapper, sizeof(in->wrapper), "%s/overwatch.fcgi", in->fcgi_buf);
	util_slugify(in->org, in->slug, 90);
	return 0;
}

/* Write text to a new file (never an existing one, never through a link) with mode. */
static int
file_new(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return -1;
	size_t len = strlen(text);
	bool ok = write(fd, text, len) == (ssize_t)len && fchmod(fd, mode) == 0;
	int saved = errno;
	ok = close(fd) == 0 && ok;
	errno = saved;
	return ok ? 0 : -1;
}

/* The password pepper: one key, "k1", of 32 random bytes in hex ([password] pepper_file). */
static int
pepper_write(const char *path)
{
	unsigned char raw[32];
	char text[3 + 2 * sizeof(raw) + 2] = "k1:";

	if (util_random(raw, sizeof(raw)) != 0) {
		errno = EIO;
		return -1;
	}
	encoding_hex(raw, sizeof(raw), text + 3);
	explicit_bzero(raw, sizeof(raw));
	text[3 + 2 * sizeof(raw)] = '\n';
	text[3 + 2 * sizeof(raw) + 1] = '\0';
	int rc = file_new(path, text, 0600);
	explicit_bzero(text, sizeof(text));
	return rc;
}

/*
 * The instance's configuration, its secrets (the JWT one; the key of the TOTP
 * secrets, so that two-factor sign-in is offered; the password pepper:
 * doc/shared-hosting.md), its database password and the wrapper.
 */
static int
files_write(const struct instance *in, const struct config *admin_cfg)
{
	char text[6 * PATH_MAX + 1024];
	const char *at = in->dir_buf;

	if (mkdir(at, 0700) != 0 || admin_secret_write((at = in->secret), false) != 0 ||
	    admin_secret_write((at = in->mfa_secret), false) != 0 || pepper_write((at = in->pepper)) != 0)
		return perror(at), -1;
	snprintf(text, sizeof(text), "%s\n", in->dbpw);
	int rc = file_new((at = in->dbpw_path), text, 0600);
	explicit_bzero(text, sizeof(text));
	if (rc != 0)
		return perror(at), -1;
	snprintf(text, sizeof(text),
	    "# %s's Overwatch Auth (overwatch-admin setup-instance, doc/shared-hosting.md);\n"
	    "# this directory is readable by %s only.\n"
	    "[service]\nlog = stderr\n"
	    "[database]\nsocket = %s\nhost = %s\nport = %ld\nname = %s\nuser = %s\npassword_file = %s\n"
	    "[jwt]\nsecret_file = %s\n[mfa]\nsecret_file = %s\n[password]\npepper_file = %s\n",
	    in->user, in->user, admin_cfg->db_socket, admin_cfg->db_host, admin_cfg->db_port,
	    in->database, in->user, in->dbpw_path, in->secret, in->mfa_secret, in->pepper);
	if (file_new((at = in->conf), text, 0600) != 0)
		return perror(at), -1;
	/*
	 * suexec runs only a program in a directory of the user's that no one
	 * else may write; mod_fcgid (www-data) enters it first: 0755 whatever
	 * the umask.
	 */
	if (mkdir(in->fcgi_buf, 0755) == 0 ? chmod(in->fcgi_buf, 0755) != 0 : errno != EEXIST)
		return perror(in->fcgi_buf), -1;
	snprintf(text, sizeof(text),
	    "#!/bin/sh\n"
	    "# %s's Overwatch Auth, started by mod_fcgid through suexec as %s\n"
	    "# (overwatch-admin setup-instance, doc/shared-hosting.md). No secret here:\n"
	    "# they are in %s, which only %s can read.\n"
	    "umask 077\n"
	    "exec %s --config %s\n",
	    in->user, in->user, in->dir_buf, in->user, in->program, in->conf);
	if (file_new((at = in->wrapper), text, 0755) != 0)
		return perror(at), -1;
	return 0;
}

/*
 * The files are written by a child process running as the customer: they are
 * the customer's from the start, and root never writes into a directory the
 * customer controls (no link the customer planted is followed with root's
 * rights).
 */
static int
files_as_user(const struct instance *in, const struct config *admin_cfg)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0)
		return EXIT_OSERR;
	if (pid == 0) {
		if (geteuid() == 0 && (initgroups(in->user, in->gid) != 0 || setgid(in->gid) != 0 ||
		    setuid(in->uid) != 0)) {
			perror("overwatch-admin: setup-instance: becoming the customer");
			_exit(EXIT_OSERR);
		}
		if (getuid() != in->uid) {
			fprintf(stderr, "overwatch-admin: setup-instance: run it as root (or as %s)\n", in->user);
			_exit(EXIT_NOPERM);
		}
		umask(077);
		_exit(files_write(in, admin_cfg) == 0 ? 0 : EXIT_CANTCREATE);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return EXIT_OSERR;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EXIT_OSERR;
}

/*
 * The database, the MariaDB user and its grant, through the connection of the
 * operator running the command (root by the server's unix_socket
 * authentication). Names cannot be bound parameters of CREATE DATABASE,
 * CREATE USER or GRANT: the catalog's statements bind them as values and the
 * server quotes them (store_catalog.c).
 */
static int
database_create(const struct instance *in, const struct config *admin_cfg)
{
	struct config cfg = *admin_cfg;    /* a shallow copy: never freed */
	struct passwd *me = getpwuid(geteuid());
	char user[64];
	struct db_rows rows;
	struct arena a;

	if (me == NULL || snprintf(user, sizeof(user), "%s", me->pw_name) >= (int)sizeof(user))
		return EXIT_NOUSER;
	cfg.db_user = user;
	cfg.db_name = "mysql";
	cfg.db_password = NULL;
	struct db *db = db_new(&cfg);
	if (db == NULL)
		return EXIT_SOFTWARE;
	arena_init(&a, 4096);
	enum db_result r = db_connect(db);
	const char *what = "connecting as the database administrator";
	if (r == DB_OK && (r = STORE_RUN(db, STMT_ADMIN_DATABASE_CREATE, &rows, &a,
	    DBP_STR(in->database))) != DB_OK)
		what = "CREATE DATABASE (does it exist already?)";
	if (r == DB_OK && (r = STORE_RUN(db, STMT_ADMIN_USER_CREATE, &rows, &a, DBP_STR(in->user),
	    DBP_STR(in->dbpw))) != DB_OK)
		what = "CREATE USER (does it exist already?)";
	if (r == DB_OK && (r = STORE_RUN(db, STMT_ADMIN_GRANT, &rows, &a, DBP_STR(in->database),
	    DBP_STR(in->user))) != DB_OK)
		what = "GRANT";
	arena_free(&a);
	db_free(db);
	if (r != DB_OK)
		return admin_db_fail(r, what);
	return 0;
}

/* Schema, organization and first administrator, as the instance itself connects. */
static int
instance_fill(const struct instance *in)
{
	struct config cfg;
	char err[CONFIG_ERR_LEN];
	int rc;

	if (config_load(&cfg, in->conf, err) != 0) {
		fprintf(stderr, "overwatch-admin: setup-instance: %s\n", err);
		return EXIT_CONFIG;
	}
	struct admin ad = {.cfg = &cfg, .db = db_new(&cfg)};
	enum db_result r = ad.db != NULL ? db_connect(ad.db) : DB_ERROR;
	char *org_argv[] = {"create-org", (char *)in->org, "--slug", (char *)in->slug, NULL};
	char *user_argv[] = {"create-user", "--org", (char *)in->slug, "--email", (char *)in->email,
	    "--name", (char *)in->name, "--role", "admin", NULL};
	if (r != DB_OK)
		rc = admin_db_fail(r, "connecting as the instance");
	else if ((rc = admin_migrate_dir(&ad, in->migrations)) == 0 &&
	    (rc = admin_create_org(&ad, 4, org_argv)) == 0)
		rc = admin_create_user(&ad, 9, user_argv);
	db_free(ad.db);
	config_free(&cfg);
	return rc;
}

static void
vhost_print(const struct instance *in)
{
	printf("# Apache (mod_fcgid through suexec) for %s's instance: doc/shared-hosting.md\n"
	    "<VirtualHost *:80>\n"
	    "    ServerName %s\n"
	    "    SuexecUserGroup %s %s\n"
	    "    FcgidPassHeader Authorization\n"
	    "    # Idle processes end after FcgidIdleTimeout, none is kept waiting; at most\n"
	    "    # 4 processes, so 4 MariaDB connections (doc/shared-hosting.md, Density).\n"
	    "    FcgidMinProcessesPerClass 0\n"
	    "    FcgidMaxProcessesPerClass 4\n"
	    "    Alias /api/v1 %s\n"
	    "    <Location /api/v1>\n"
	    "        SetHandler fcgid-script\n"
	    "        Options +ExecCGI\n"
	    "        FcgidWrapper %s virtual\n"
	    "        Require all granted\n"
	    "    </Location>\n"
	    "</VirtualHost>\n",
	    in->user, in->server_name, in->user, in->group, in->wrapper, in->wrapper);
}

int
admin_setup_instance(struct admin *ad, int argc, char **argv)
{
	struct instance in;
	unsigned char raw[DB_PASSWORD_BYTES];
	int rc;

	if ((rc = parse(&in, argc, argv)) != 0 || (rc = resolve(&in)) != 0)
		return rc;
	if (util_random(raw, sizeof(raw)) != 0)
		return EXIT_SOFTWARE;
	encoding_base64(raw, sizeof(raw), in.dbpw, true);
	explicit_bzero(raw, sizeof(raw));
	if ((rc = files_as_user(&in, ad->cfg)) == 0 && (rc = database_create(&in, ad->cfg)) == 0)
		rc = instance_fill(&in);
	explicit_bzero(in.dbpw, sizeof(in.dbpw));
	if (rc != 0) {
		fprintf(stderr, "overwatch-admin: setup-instance: stopped; what was made stays "
		    "(%s, database %s): see doc/shared-hosting.md\n", in.dir_buf, in.database);
		return rc;
	}
	vhost_print(&in);
	return 0;
}
