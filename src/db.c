/* db.c -- the only file that includes <mysql.h>: connection, reconnects, prepared statements. */
#include "db.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <mysql.h>
#include <errmsg.h>
#include <mysqld_error.h>

#include "log.h"
#include "util.h"

#define DB_MAX_STMTS 192
#define DB_MAX_PARAMS 32
#define DB_MAX_COLS 64
#define DB_RETRY_AFTER_FAIL_MS 250   /* connect back-off while the server is down */

#define DB_MAX_SERVERS 8
#define DB_SKIP_FAILED_MS 5000       /* a server that refused is tried last for this long */

struct db_server {
	char host[256];                  /* or the socket path when is_socket */
	unsigned int port;
	bool is_socket;
	long long skip_until_ms;
	char name[272];                  /* for the log: host:port, [v6]:port or unix:path */
};

struct db {
	const struct config *cfg;
	struct db_server servers[DB_MAX_SERVERS];
	size_t nservers;
	MYSQL *mysql;
	MYSQL_STMT *stmts[DB_MAX_STMTS];
	bool in_txn;
	/*
	 * DB_OK, or what ended the open transaction behind the handler's back:
	 * a deadlock or certification failure rolled it back, or its connection
	 * broke or was left. Every later statement of it and its COMMIT get this
	 * result instead of running, until db_begin or db_rollback: on a new
	 * connection they would run one by one in autocommit, so a handler that
	 * lost a failure on the way would commit half its work and answer 200.
	 */
	enum db_result lost;
	size_t current;                  /* index in servers of the connected one */
	long long next_connect_ms;       /* monotonic time of the next allowed attempt */
	long long started_ms;            /* when the statement in progress was sent */
	long long next_failback_ms;      /* db_failback: the next look at the first server */
};

static int next_slot;                    /* slots are per process: same order in every worker */
static unsigned long long query_count;

/* One "unix:/path", "host", "host:port" or "[v6]:port" entry; -1 if malformed. */
static int
server_parse(struct db_server *s, const char *tok, size_t n, unsigned int default_port)
{
	memset(s, 0, sizeof(*s));
	s->port = default_port;
	if (n > 5 && strncmp(tok, "unix:", 5) == 0) {
		if (n - 5 >= sizeof(s->host))
			return -1;
		memcpy(s->host, tok + 5, n - 5);
		s->is_socket = true;
		return 0;
	}
	const char *host = tok, *colon = NULL;
	size_t hlen = n;
	if (tok[0] == '[') {
		const char *close = memchr(tok, ']', n);
		if (close == NULL)
			return -1;
		host = tok + 1;
		hlen = (size_t)(close - host);
		if ((size_t)(close + 1 - tok) < n) {
			if (close[1] != ':')
				return -1;
			colon = close + 1;
		}
	} else {
		colon = memchr(tok, ':', n);
		if (colon != NULL)
			hlen = (size_t)(colon - tok);
	}
	if (hlen == 0 || hlen >= sizeof(s->host))
		return -1;
	memcpy(s->host, host, hlen);
	if (colon != NULL) {
		char num[8];
		size_t pl = n - (size_t)(colon + 1 - tok);
		long port;
		if (pl == 0 || pl >= sizeof(num))
			return -1;
		memcpy(num, colon + 1, pl);
		num[pl] = '\0';
		if (util_parse_long(num, 1, 65535, &port) != 0)
			return -1;
		s->port = (unsigned int)port;
	}
	return 0;
}

/* Several servers may share a host: the log names each by host and port, or its socket. */
static void
server_name(struct db_server *s)
{
	if (s->is_socket)
		snprintf(s->name, sizeof(s->name), "unix:%s", s->host);
	else if (strchr(s->host, ':') != NULL)
		snprintf(s->name, sizeof(s->name), "[%s]:%u", s->host, s->port);
	else
		snprintf(s->name, sizeof(s->name), "%s:%u", s->host, s->port);
}

struct db *
db_new(const struct config *cfg)
{
	struct db *db = calloc(1, sizeof(*db));
	const char *p;

	if (db == NULL)
		return NULL;
	db->cfg = cfg;
	p = cfg->db_servers;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		size_t n = strcspn(p, " \t,");
		if (n == 0)
			break;
		if (db->nservers == DB_MAX_SERVERS ||
		    server_parse(&db->servers[db->nservers], p, n, (unsigned int)cfg->db_port) != 0) {
			log_error("[database] servers: cannot read '%.*s'", (int)(n > 80 ? 80 : n), p);
			free(db);
			return NULL;
		}
		db->nservers++;
		p += n;
	}
	if (db->nservers == 0) {
		struct db_server *s = &db->servers[0];
		s->is_socket = cfg->db_socket[0] != '\0';
		snprintf(s->host, sizeof(s->host), "%s", s->is_socket ? cfg->db_socket : cfg->db_host);
		s->port = (unsigned int)cfg->db_port;
		db->nservers = 1;
	}
	for (size_t i = 0; i < db->nservers; i++)
		server_name(&db->servers[i]);
	return db;
}

static void
db_disconnect(struct db *db)
{
	for (int i = 0; i < DB_MAX_STMTS; i++) {
		if (db->stmts[i] != NULL) {
			mysql_stmt_close(db->stmts[i]);
			db->stmts[i] = NULL;
		}
	}
	if (db->mysql != NULL) {
		mysql_close(db->mysql);
		db->mysql = NULL;
	}
	db->in_txn = false;
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	db_disconnect(db);
	free(db);
}

bool
db_connected(const struct db *db)
{
	return db->mysql != NULL;
}

/*
 * Whether the node m is connected to can serve: Galera's wsrep_ready ON and
 * wsrep_local_state 4 (Synced: not joining, donating or desynced), and the
 * server not read_only. SHOW works on a node outside the primary component,
 * where every SELECT is refused; a server without Galera has no wsrep rows.
 */
static bool
rows_as_wanted(MYSQL *m)
{
	static const char *const want[][2] = {
		{"wsrep_ready", "ON"}, {"wsrep_local_state", "4"}, {"read_only", "OFF"},
	};
	MYSQL_RES *res = mysql_store_result(m);
	MYSQL_ROW row;
	bool serves = res != NULL;

	while (serves && (row = mysql_fetch_row(res)) != NULL) {
		for (size_t w = 0; w < sizeof(want) / sizeof(want[0]); w++) {
			if (row[0] != NULL && strcmp(row[0], want[w][0]) == 0)
				serves = row[1] != NULL && strcmp(row[1], want[w][1]) == 0;
		}
	}
	if (res != NULL)
		mysql_free_result(res);
	return serves;
}

static bool
node_serves(MYSQL *m)
{
	return mysql_query(m, "SHOW GLOBAL STATUS LIKE 'wsrep_%'") == 0 && rows_as_wanted(m) &&
	    mysql_query(m, "SHOW GLOBAL VARIABLES LIKE 'read_only'") == 0 && rows_as_wanted(m);
}

/*
 * A fault of the node (src/db_fault.c): if the node says it cannot serve and
 * other servers are configured, leave it for them, as if it had refused to
 * connect. True when it was left.
 */
static bool
leave_if_unfit(struct db *db, unsigned int e, const char *what)
{
	if (db->nservers < 2 || db->mysql == NULL || node_serves(db->mysql))
		return false;
	struct db_server *s = &db->servers[db->current];
	log_warning("database server %s cannot serve (%s, error %u: not synced in the cluster's "
	    "primary component, or read-only); using the next one", s->name, what, e);
	s->skip_until_ms = util_now_ms() + DB_SKIP_FAILED_MS;
	db_disconnect(db);
	db->next_connect_ms = 0;
	return true;
}

static enum db_result
classify(struct db *db, unsigned int e, const char *what, const char *sql)
{
	if (e == ER_DUP_ENTRY)
		return DB_DUPLICATE;
	enum db_fault_kind kind = db_fault_of(e);
	if (kind != DB_FAULT_NONE) {
		bool in_txn = db->in_txn, fast = util_now_ms() - db->started_ms < 1000, left = false;
		if (db_fault_drops(kind)) {
			log_warning("database connection to %s lost (%s, error %u); will reconnect",
			    db->servers[db->current].name, what, e);
			db_disconnect(db);
			db->next_connect_ms = 0;
		} else if (db_fault_probes(kind)) {
			left = leave_if_unfit(db, e, what);
		}
		if (!left && !db_fault_drops(kind) && kind != DB_FAULT_CONFLICT)
			log_warning("database %s not ready or too slow (%s, error %u)",
			    db->servers[db->current].name, what, e);
		enum db_result res = db_fault_result(kind, in_txn, fast, left);
		if (in_txn && (db->mysql == NULL || kind == DB_FAULT_CONFLICT))
			db->lost = res;
		return res;
	}
	/*
	 * A client's value the server will not compare or store: non-ASCII text
	 * against an ASCII column (1267, 1270, 1271), bytes that are not valid in
	 * the column's character set (1300, 1366), a value too long for it (1406,
	 * 1292). Every input is checked at the boundary before it gets here, so
	 * this is a missing check; but it is the client's input, never a reason
	 * for a 500: the request gets 400, and the log names the statement.
	 */
	if (e == ER_CANT_AGGREGATE_2COLLATIONS || e == ER_CANT_AGGREGATE_3COLLATIONS ||
	    e == ER_CANT_AGGREGATE_NCOLLATIONS || e == ER_INVALID_CHARACTER_STRING ||
	    e == ER_TRUNCATED_WRONG_VALUE_FOR_FIELD || e == ER_DATA_TOO_LONG ||
	    e == ER_TRUNCATED_WRONG_VALUE) {
		log_warning("database refused a bound value (error %u in %s of \"%.60s\"): a boundary "
		    "check is missing", e, what, sql != NULL ? sql : "");
		return DB_BAD_VALUE;
	}
	/* The server's message may quote row values (keys, emails): log the number only. */
	log_error("database error %u in %s of \"%.60s\"", e, what, sql != NULL ? sql : "");
	return DB_ERROR;
}

/*
 * [database] tls on handle m. required: the connection is refused unless
 * encrypted, the certificate taken as it comes (an eavesdropper is kept
 * out, an active attacker is not); verify: the chain must end in ca_file
 * and the name must match the host connected to (Connector/C checks both
 * under MYSQL_OPT_SSL_VERIFY_SERVER_CERT). A client certificate when one
 * is configured.
 */
static void
tls_options(MYSQL *m, const struct config *cfg)
{
	my_bool on = 1, verify = cfg->db_tls == DB_TLS_VERIFY;

	if (cfg->db_tls == DB_TLS_OFF)
		return;
	mysql_options(m, MYSQL_OPT_SSL_ENFORCE, &on);
	mysql_options(m, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
	if (cfg->db_ca_file[0] != '\0')
		mysql_options(m, MYSQL_OPT_SSL_CA, cfg->db_ca_file);
	if (cfg->db_cert_file[0] != '\0') {
		mysql_options(m, MYSQL_OPT_SSL_CERT, cfg->db_cert_file);
		mysql_options(m, MYSQL_OPT_SSL_KEY, cfg->db_key_file);
	}
}

/*
 * A fresh handle connected to server s, or NULL. Each attempt on a fresh
 * handle: a failed mysql_real_connect() clears the handle's options, and a
 * second attempt on it would run without timeouts (waiting forever on a
 * server that accepts but does not answer), charset or init command.
 */
static MYSQL *
server_connect(struct db *db, const struct db_server *s, bool report, bool *init_failed)
{
	const struct config *cfg = db->cfg;
	unsigned int connect_timeout = (unsigned int)cfg->db_connect_timeout;
	/* Longer than the server-side limits of session_limits(), so that their clean error comes first. */
	unsigned int io_timeout = (unsigned int)cfg->db_query_timeout + 2;
	my_bool no = 0;
	MYSQL *m = mysql_init(NULL);

	*init_failed = m == NULL;
	if (m == NULL)
		return NULL;
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
	mysql_options(m, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
	mysql_options(m, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
	mysql_options(m, MYSQL_OPT_RECONNECT, &no);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	mysql_options(m, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
	tls_options(m, cfg);
	if (mysql_real_connect(m, s->is_socket ? NULL : s->host, cfg->db_user,
	    cfg->db_password, cfg->db_name, s->is_socket ? 0 : s->port,
	    s->is_socket ? s->host : NULL, 0) != NULL) {
		/*
		 * Connector/C quietly goes on in clear text when the server offers
		 * no TLS, even with MYSQL_OPT_SSL_ENFORCE: tls means encrypted or
		 * nothing, so the session itself is asked.
		 */
		if (cfg->db_tls == DB_TLS_OFF || mysql_get_ssl_cipher(m) != NULL)
			return m;
		if (report)
			log_warning("cannot connect to the database at %s: the server does not use TLS "
			    "([database] tls = %s)", s->name, cfg->db_tls == DB_TLS_VERIFY ? "verify" : "required");
	} else if (report) {
		/* Log the reason once per outage, not once per request. */
		log_warning("cannot connect to the database at %s (error %u: %s)", s->name, mysql_errno(m),
		    mysql_error(m));
	}
	mysql_close(m);
	return NULL;
}

/*
 * The session's limits. The server itself gives up on a statement that
 * overruns: running (max_statement_time), waiting for a row lock
 * (innodb_lock_wait_timeout) or for a table lock (lock_wait_timeout); so a
 * lock cannot hold a worker longer than query_timeout, and the client
 * answers 503.
 */
static enum db_result
session_limits(struct db *db)
{
	const struct config *cfg = db->cfg;
	static struct db_query set_timeout = DB_QUERY(
	    "SET SESSION max_statement_time = ?, innodb_lock_wait_timeout = ?, lock_wait_timeout = ?");
	struct db_param p[] = {DBP_INT(cfg->db_query_timeout), DBP_INT(cfg->db_query_timeout),
	    DBP_INT(cfg->db_query_timeout)};
	enum db_result r = db_exec(db, &set_timeout, p, 3, NULL, NULL);
	/*
	 * Galera: reads wait until the node has applied every write committed
	 * anywhere, so a revocation through one node holds on the next request
	 * through any other.
	 */
	if (r == DB_OK && cfg->db_sync_wait > 0) {
		static struct db_query set_sync = DB_QUERY("SET SESSION wsrep_sync_wait = ?");
		struct db_param sw = DBP_INT(cfg->db_sync_wait);
		r = db_exec(db, &set_sync, &sw, 1, NULL, NULL);
	}
	return r;
}

enum db_result
db_connect(struct db *db)
{
	if (db->mysql != NULL)
		return DB_OK;
	long long now = util_now_ms();
	if (now < db->next_connect_ms)
		return DB_UNAVAILABLE;
	/*
	 * Servers in the configured order, those that refused lately last: a
	 * cluster node that is down costs one failed attempt, not one per request.
	 * Each server at most once per call.
	 */
	MYSQL *m = NULL;
	bool tried[DB_MAX_SERVERS] = {false}, init_failed = false;
	for (int pass = 0; pass < 2 && m == NULL; pass++) {
		for (size_t i = 0; i < db->nservers && m == NULL; i++) {
			struct db_server *s = &db->servers[i];
			if (tried[i] || (pass == 0) != (s->skip_until_ms <= now))
				continue;
			tried[i] = true;
			if ((m = server_connect(db, s, db->next_connect_ms == 0, &init_failed)) != NULL) {
				s->skip_until_ms = 0;
				db->current = i;
			} else if (init_failed) {
				return DB_ERROR;
			} else {
				s->skip_until_ms = now + DB_SKIP_FAILED_MS;
			}
		}
	}
	if (m == NULL) {
		db->next_connect_ms = now + DB_RETRY_AFTER_FAIL_MS;
		return DB_UNAVAILABLE;
	}
	if (db->next_connect_ms != 0 || db->current != 0)
		log_info("database connection established to %s", db->servers[db->current].name);
	db->mysql = m;
	db->next_connect_ms = 0;
	enum db_result r = session_limits(db);
	if (r != DB_OK)
		db_disconnect(db);
	return r;
}

static MYSQL_STMT *
stmt_get(struct db *db, struct db_query *q, enum db_result *res)
{
	if (q->slot == 0) {
		if (next_slot >= DB_MAX_STMTS - 1) {
			log_error("statement catalog full");
			*res = DB_ERROR;
			return NULL;
		}
		q->slot = ++next_slot;
	}
	MYSQL_STMT *st = db->stmts[q->slot];
	if (st != NULL)
		return st;
	st = mysql_stmt_init(db->mysql);
	if (st == NULL) {
		*res = DB_ERROR;
		return NULL;
	}
	if (mysql_stmt_prepare(st, q->sql, strlen(q->sql)) != 0) {
		unsigned int e = mysql_stmt_errno(st);
		mysql_stmt_close(st);
		*res = classify(db, e, "prepare", q->sql);
		return NULL;
	}
	my_bool update_max = 1;
	mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
	db->stmts[q->slot] = st;
	return st;
}

/* Column c of the fetched row as a NUL-terminated copy in the arena; NULL on failure. */
static char *
cell_copy(MYSQL_STMT *st, const MYSQL_BIND *b, unsigned int c, struct arena *a)
{
	unsigned long len = *b->length;
	char *cell = arena_alloc(a, len + 1);

	if (cell == NULL)
		return NULL;
	if (len > b->buffer_length) {
		/* Longer than the column's max_length said: fetch it whole. */
		MYSQL_BIND one = *b;
		one.buffer = cell;
		one.buffer_length = len + 1;
		if (mysql_stmt_fetch_column(st, &one, c, 0) != 0)
			return NULL;
	} else {
		memcpy(cell, b->buffer, len);
	}
	cell[len] = '\0';
	return cell;
}

static enum db_result
fetch_rows(struct db *db, MYSQL_STMT *st, struct db_query *q, struct db_rows *rows, struct arena *a)
{
	MYSQL_RES *meta = mysql_stmt_result_metadata(st);
	enum db_result res = DB_OK;

	if (meta == NULL)
		return DB_OK;
	if (mysql_stmt_store_result(st) != 0) {
		res = classify(db, mysql_stmt_errno(st), "store", q->sql);
		goto out;
	}
	size_t ncols = mysql_num_fields(meta), nrows = (size_t)mysql_stmt_num_rows(st);
	if (ncols > DB_MAX_COLS || a == NULL) {
		res = DB_ERROR;
		goto out;
	}
	MYSQL_FIELD *fields = mysql_fetch_fields(meta);
	MYSQL_BIND bind[DB_MAX_COLS];
	unsigned long length[DB_MAX_COLS];
	my_bool is_null[DB_MAX_COLS], error[DB_MAX_COLS];
	memset(bind, 0, sizeof(bind));
	for (size_t c = 0; c < ncols; c++) {
		size_t size = fields[c].max_length > 0 ? fields[c].max_length + 1 : 64;
		bind[c].buffer_type = MYSQL_TYPE_STRING;
		bind[c].buffer = arena_alloc(a, size);
		bind[c].buffer_length = size;
		bind[c].length = &length[c];
		bind[c].is_null = &is_null[c];
		bind[c].error = &error[c];
		if (bind[c].buffer == NULL) {
			res = DB_ERROR;
			goto out;
		}
	}
	rows->ncols = ncols;
	rows->nrows = 0;
	rows->cells = arena_alloc(a, sizeof(char *) * (nrows * ncols + 1));
	rows->lens = arena_alloc(a, sizeof(size_t) * (nrows * ncols + 1));
	if (rows->cells == NULL || rows->lens == NULL || mysql_stmt_bind_result(st, bind) != 0) {
		res = DB_ERROR;
		goto out;
	}
	for (size_t r = 0; r < nrows; r++) {
		int f = mysql_stmt_fetch(st);
		if (f == MYSQL_NO_DATA)
			break;
		if (f == 1) {
			res = classify(db, mysql_stmt_errno(st), "fetch", q->sql);
			goto out;
		}
		for (size_t c = 0; c < ncols; c++) {
			size_t i = r * ncols + c;
			if (is_null[c]) {
				rows->cells[i] = NULL;
				rows->lens[i] = 0;
				continue;
			}
			if ((rows->cells[i] = cell_copy(st, &bind[c], (unsigned int)c, a)) == NULL) {
				res = DB_ERROR;
				goto out;
			}
			rows->lens[i] = length[c];
		}
		rows->nrows++;
	}
out:
	mysql_free_result(meta);
	if (db->mysql != NULL)
		mysql_stmt_free_result(st);
	return res;
}

static enum db_result
exec_once(struct db *db, struct db_query *q, const struct db_param *params, size_t nparams,
    struct db_rows *rows, struct arena *a)
{
	MYSQL_BIND bind[DB_MAX_PARAMS];
	unsigned long lens[DB_MAX_PARAMS];

	if (db->lost != DB_OK) {
		/* A caller went on after its transaction failed: name the statement, it is a bug. */
		log_warning("statement after its transaction was lost: \"%.60s\"", q->sql);
		return db->lost;
	}
	enum db_result res = db_connect(db);
	if (res != DB_OK)
		return res;
	db->started_ms = util_now_ms();
	MYSQL_STMT *st = stmt_get(db, q, &res);
	if (st == NULL)
		return res;
	if (nparams > DB_MAX_PARAMS || mysql_stmt_param_count(st) != nparams) {
		log_error("statement \"%.60s\" takes %lu parameters, given %zu", q->sql,
		    mysql_stmt_param_count(st), nparams);
		return DB_ERROR;
	}
	memset(bind, 0, sizeof(bind));
	for (size_t i = 0; i < nparams; i++) {
		switch (params[i].type) {
		case DB_T_NULL:
			bind[i].buffer_type = MYSQL_TYPE_NULL;
			break;
		case DB_T_INT:
			bind[i].buffer_type = MYSQL_TYPE_LONGLONG;
			bind[i].buffer = (void *)&params[i].i;
			break;
		case DB_T_STR:
			lens[i] = (unsigned long)params[i].len;
			bind[i].buffer_type = MYSQL_TYPE_STRING;
			bind[i].buffer = (void *)params[i].s;
			bind[i].buffer_length = lens[i];
			bind[i].length = &lens[i];
			break;
		}
	}
	if (nparams > 0 && mysql_stmt_bind_param(st, bind) != 0)
		return classify(db, mysql_stmt_errno(st), "bind", q->sql);
	query_count++;
	if (mysql_stmt_execute(st) != 0)
		return classify(db, mysql_stmt_errno(st), "execute", q->sql);
	if (rows != NULL) {
		memset(rows, 0, sizeof(*rows));
		res = fetch_rows(db, st, q, rows, a);
		if (db->mysql != NULL)
			rows->affected = mysql_stmt_affected_rows(st);
		return res;
	}
	/* Drain any result the caller did not ask for, so the connection stays in sync. */
	mysql_stmt_free_result(st);
	return DB_OK;
}

static bool
is_read(const char *sql)
{
	return strncmp(sql, "SELECT", 6) == 0;
}

enum db_result
db_exec(struct db *db, struct db_query *q, const struct db_param *params, size_t nparams,
    struct db_rows *rows, struct arena *a)
{
	bool was_connected = db->mysql != NULL, in_txn = db->in_txn;
	long long t0 = util_now_ms();
	enum db_result res = exec_once(db, q, params, nparams, rows, a);

	/*
	 * A connection that went stale while idle (server restarted) fails on
	 * first use; a read is safe to run again on a fresh one. A write is not:
	 * it may have committed before the connection broke. Nor is a read that
	 * failed slowly (a read timeout: a hung server or a lock): it would wait
	 * as long again. The same for a read refused by a node that the worker
	 * has left for the next server.
	 */
	if ((res == DB_UNAVAILABLE || res == DB_DEADLOCK) && was_connected && db->mysql == NULL &&
	    !in_txn && is_read(q->sql) && util_now_ms() - t0 < 1000)
		res = exec_once(db, q, params, nparams, rows, a);
	return res;
}

/*
 * A transaction runs with autocommit off and opens with a savepoint that
 * COMMIT first releases. MariaDB 10.11's Galera sometimes rolls back a
 * transaction it pushed out (a brute-force abort) and then answers the
 * next statements as if nothing had happened (doc/scale-out.md,
 * "Deadlocks and certification conflicts"): with autocommit on, each of
 * them would commit on its own, a role change without the last-admin
 * guard that was rolled back under it. With autocommit off they open a new
 * transaction instead, which nothing ever commits: the savepoint went with
 * the transaction it was set in, so RELEASE SAVEPOINT fails, the new one is
 * rolled back and the handler runs again from the start.
 */
enum txn_step { TXN_AUTOCOMMIT_OFF, TXN_START, TXN_SAVEPOINT, TXN_RELEASE, TXN_AUTOCOMMIT_ON };

/* The step's fixed statement (literals, as every statement text of the service); its MariaDB error, 0 if none. */
static unsigned int
txn_step_run(struct db *db, enum txn_step step)
{
	MYSQL *m = db->mysql;
	int rc = 0;

	query_count++;
	db->started_ms = util_now_ms();
	switch (step) {
	case TXN_AUTOCOMMIT_OFF:
		rc = mysql_real_query(m, "SET autocommit = 0", strlen("SET autocommit = 0"));
		break;
	case TXN_START:
		rc = mysql_real_query(m, "START TRANSACTION", strlen("START TRANSACTION"));
		break;
	case TXN_SAVEPOINT:
		rc = mysql_real_query(m, "SAVEPOINT overwatch_txn", strlen("SAVEPOINT overwatch_txn"));
		break;
	case TXN_RELEASE:
		rc = mysql_real_query(m, "RELEASE SAVEPOINT overwatch_txn",
		    strlen("RELEASE SAVEPOINT overwatch_txn"));
		break;
	case TXN_AUTOCOMMIT_ON:
		rc = mysql_real_query(m, "SET autocommit = 1", strlen("SET autocommit = 1"));
		break;
	}
	return rc == 0 ? 0 : mysql_errno(m);
}

static enum db_result
txn_query(struct db *db, enum txn_step step, const char *what)
{
	if (db->mysql == NULL)
		return DB_UNAVAILABLE;
	unsigned int e = txn_step_run(db, step);
	return e == 0 ? DB_OK : classify(db, e, what, "a transaction's own statement");
}

enum db_result
db_begin(struct db *db)
{
	db->lost = DB_OK;
	enum db_result res = db_connect(db);
	if (res != DB_OK)
		return res;
	/* Set first: a connection lost while opening lost nothing, the handler may run again. */
	db->in_txn = true;
	if ((res = txn_query(db, TXN_AUTOCOMMIT_OFF, "begin")) != DB_OK ||
	    (res = txn_query(db, TXN_START, "begin")) != DB_OK ||
	    (res = txn_query(db, TXN_SAVEPOINT, "begin")) != DB_OK) {
		db_rollback(db);
		return res;
	}
	return DB_OK;
}

/* Autocommit back on, or the connection closed: no statement outside a transaction may wait for a COMMIT. */
static void
autocommit_on(struct db *db)
{
	if (db->mysql != NULL && txn_query(db, TXN_AUTOCOMMIT_ON, "end") != DB_OK &&
	    db->mysql != NULL)
		db_disconnect(db);
}

enum db_result
db_commit(struct db *db)
{
	if (db->lost != DB_OK)
		return db->lost;
	if (db->mysql == NULL)
		return DB_UNAVAILABLE;
	unsigned int e = txn_step_run(db, TXN_RELEASE);
	if (e != 0) {
		if (e != ER_SP_DOES_NOT_EXIST)
			return classify(db, e, "commit", "RELEASE SAVEPOINT");
		log_warning("database transaction on %s was rolled back without an error before "
		    "COMMIT; running it again", db->servers[db->current].name);
		db->lost = DB_DEADLOCK;
		return DB_DEADLOCK;
	}
	db->in_txn = false;
	query_count++;
	db->started_ms = util_now_ms();
	if (mysql_commit(db->mysql) != 0)
		return classify(db, mysql_errno(db->mysql), "commit", "COMMIT");
	autocommit_on(db);
	return DB_OK;
}

void
db_failback(struct db *db)
{
	long long now = util_now_ms();
	bool init_failed;

	if (db->current == 0 || db->mysql == NULL || db->in_txn || now < db->next_failback_ms)
		return;
	db->next_failback_ms = now + DB_FAILBACK_MS;
	struct db_server *first = &db->servers[0];
	/* Quietly: the first server is expected to be down while the worker is elsewhere. */
	MYSQL *m = server_connect(db, first, false, &init_failed);
	if (m == NULL)
		return;
	if (!node_serves(m)) {
		mysql_close(m);
		return;
	}
	log_info("database server %s serves again: moving back to it from %s", first->name,
	    db->servers[db->current].name);
	db_disconnect(db);
	db->mysql = m;
	db->current = 0;
	first->skip_until_ms = 0;
	if (session_limits(db) != DB_OK)
		db_disconnect(db);
}

void
db_rollback(struct db *db)
{
	db->lost = DB_OK;
	db->in_txn = false;
	if (db->mysql != NULL && mysql_rollback(db->mysql) != 0)
		classify(db, mysql_errno(db->mysql), "rollback", "ROLLBACK");
	autocommit_on(db);
}

enum db_result
db_exec_script(struct db *db, const char *sql, char *err, size_t errlen)
{
	enum db_result res = db_connect(db);
	const char *p = sql;

	if (res != DB_OK) {
		snprintf(err, errlen, "cannot connect to the database");
		return res;
	}
	/* Statements end with ';' at the end of a line (the migrations' own rule). */
	while (*p != '\0') {
		const char *end = p;
		for (;;) {
			end = strchr(end, ';');
			if (end == NULL)
				break;
			const char *after = end + 1;
			while (*after == ' ' || *after == '\t' || *after == '\r')
				after++;
			if (*after == '\n' || *after == '\0')
				break;
			end++;
		}
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);
		/* Skip statements that are only blank lines and comments. */
		bool empty = true;
		for (const char *s = p; s < p + n; s++) {
			if (*s == '-' && s + 1 < p + n && s[1] == '-') {
				while (s < p + n && *s != '\n')
					s++;
				continue;
			}
			if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') {
				empty = false;
				break;
			}
		}
		if (!empty && mysql_real_query(db->mysql, p, n) != 0) {
			snprintf(err, errlen, "error %u: %s", mysql_errno(db->mysql), mysql_error(db->mysql));
			return DB_ERROR;
		}
		if (!empty) {
			MYSQL_RES *r = mysql_store_result(db->mysql);
			if (r != NULL)
				mysql_free_result(r);
		}
		if (end == NULL)
			break;
		p = end + 1;
	}
	return DB_OK;
}

const char *
db_cell(const struct db_rows *rows, size_t r, size_t c)
{
	if (r >= rows->nrows || c >= rows->ncols)
		return NULL;
	return rows->cells[r * rows->ncols + c];
}

long long
db_cell_int(const struct db_rows *rows, size_t r, size_t c)
{
	const char *s = db_cell(rows, r, c);
	return s != NULL ? strtoll(s, NULL, 10) : 0;
}

unsigned long long
db_query_count(void)
{
	return query_count;
}
