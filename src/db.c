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
};

struct db {
	const struct config *cfg;
	struct db_server servers[DB_MAX_SERVERS];
	size_t nservers;
	MYSQL *mysql;
	MYSQL_STMT *stmts[DB_MAX_STMTS];
	bool in_txn;
	size_t current;                  /* index in servers of the connected one */
	long long next_connect_ms;       /* monotonic time of the next allowed attempt */
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

/* Errors after which the connection is useless and must be re-established. */
static bool
errno_is_gone(unsigned int e)
{
	return e == CR_SERVER_GONE_ERROR || e == CR_SERVER_LOST || e == CR_CONNECTION_ERROR ||
	    e == CR_CONN_HOST_ERROR || e == CR_SERVER_LOST_EXTENDED || e == ER_CONNECTION_KILLED ||
	    e == CR_COMMANDS_OUT_OF_SYNC || e == ER_SERVER_SHUTDOWN || e == 4031;
}

/* Galera's wsrep_ready (SHOW STATUS is exempt from wsrep_sync_wait); true without Galera. */
static bool
node_ready(struct db *db)
{
	bool ready = false;
	if (mysql_query(db->mysql, "SHOW STATUS LIKE 'wsrep_ready'") != 0)
		return false;
	MYSQL_RES *res = mysql_store_result(db->mysql);
	if (res == NULL)
		return false;
	MYSQL_ROW row = mysql_fetch_row(res);
	ready = row == NULL || (row[1] != NULL && strcmp(row[1], "ON") == 0);
	mysql_free_result(res);
	return ready;
}

static enum db_result
classify(struct db *db, unsigned int e, const char *what, const char *sql)
{
	if (e == ER_DUP_ENTRY)
		return DB_DUPLICATE;
	if (e == ER_LOCK_DEADLOCK)
		return DB_DEADLOCK;
	if (errno_is_gone(e)) {
		log_warning("database connection lost (%s, error %u); will reconnect", what, e);
		db_disconnect(db);
		db->next_connect_ms = 0;
		return DB_UNAVAILABLE;
	}
	/*
	 * Galera: a node outside the primary component (partitioned, joining)
	 * refuses queries (1047) and causal reads (1205). With other servers
	 * configured, leave it for them, as if it had refused to connect.
	 */
	if (db->nservers > 1 && (e == ER_UNKNOWN_COM_ERROR || e == ER_LOCK_WAIT_TIMEOUT) &&
	    !node_ready(db)) {
		log_warning("database server %s is not in the cluster's primary component (%s, error %u); "
		    "using the next one", db->servers[db->current].host, what, e);
		db->servers[db->current].skip_until_ms = util_now_ms() + DB_SKIP_FAILED_MS;
		db_disconnect(db);
		db->next_connect_ms = 0;
		return DB_UNAVAILABLE;
	}
	if (e == ER_LOCK_WAIT_TIMEOUT || e == ER_STATEMENT_TIMEOUT || e == ER_UNKNOWN_COM_ERROR ||
	    e == ER_QUERY_INTERRUPTED) {
		log_warning("database too slow or not ready (%s, error %u)", what, e);
		return DB_UNAVAILABLE;
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
 * A fresh handle connected to server s, or NULL. Each attempt on a fresh
 * handle: a failed mysql_real_connect() clears the handle's options, and a
 * second attempt on it would run without timeouts (waiting forever on a
 * server that accepts but does not answer), charset or init command.
 */
static MYSQL *
server_connect(struct db *db, const struct db_server *s, bool *init_failed)
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
	if (mysql_real_connect(m, s->is_socket ? NULL : s->host, cfg->db_user,
	    cfg->db_password, cfg->db_name, s->is_socket ? 0 : s->port,
	    s->is_socket ? s->host : NULL, 0) != NULL)
		return m;
	/* Log the reason once per outage, not once per request. */
	if (db->next_connect_ms == 0)
		log_warning("cannot connect to the database at %s (error %u: %s)", s->host, mysql_errno(m),
		    mysql_error(m));
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
			if ((m = server_connect(db, s, &init_failed)) != NULL) {
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
	if (db->next_connect_ms != 0)
		log_info("database connection re-established");
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
	enum db_result res = db_connect(db);
	MYSQL_BIND bind[DB_MAX_PARAMS];
	unsigned long lens[DB_MAX_PARAMS];

	if (res != DB_OK)
		return res;
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
	 * as long again.
	 */
	if (res == DB_UNAVAILABLE && was_connected && db->mysql == NULL && !in_txn && is_read(q->sql) &&
	    util_now_ms() - t0 < 1000)
		res = exec_once(db, q, params, nparams, rows, a);
	return res;
}

enum db_result
db_begin(struct db *db)
{
	enum db_result res = db_connect(db);
	if (res != DB_OK)
		return res;
	query_count++;
	if (mysql_real_query(db->mysql, "START TRANSACTION", 17) != 0)
		return classify(db, mysql_errno(db->mysql), "begin", "START TRANSACTION");
	db->in_txn = true;
	return DB_OK;
}

enum db_result
db_commit(struct db *db)
{
	if (db->mysql == NULL)
		return DB_UNAVAILABLE;
	db->in_txn = false;
	query_count++;
	if (mysql_commit(db->mysql) != 0)
		return classify(db, mysql_errno(db->mysql), "commit", "COMMIT");
	return DB_OK;
}

void
db_rollback(struct db *db)
{
	db->in_txn = false;
	if (db->mysql != NULL && mysql_rollback(db->mysql) != 0)
		classify(db, mysql_errno(db->mysql), "rollback", "ROLLBACK");
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
