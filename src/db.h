/* db.h -- the worker's MariaDB connection: prepared statements, reconnects, results as text. */
#ifndef OW_DB_H
#define OW_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "arena.h"
#include "config.h"

struct db;

enum db_result {
	DB_OK,
	DB_DUPLICATE,       /* unique key violated */
	DB_DEADLOCK,        /* deadlock or Galera certification failure: retry the transaction */
	DB_UNAVAILABLE,     /* server unreachable, gone, or too slow: answer 503 */
	DB_BAD_VALUE,       /* a bound value the server refuses (collation, charset, length): 400 */
	DB_ERROR,           /* anything else: a bug, answer 500 */
};

/*
 * The kinds of fault a MariaDB / Galera server can answer with (the table of
 * error numbers, each with its reason, is in src/db_fault.c). They decide
 * three things: whether the connection is dropped, whether the node is
 * asked if it can still serve (wsrep_ready, wsrep_local_state Synced, not
 * read_only) and left for the next server, and which db_result the caller
 * gets: DB_DEADLOCK re-runs the handler (src/dispatch.c), DB_UNAVAILABLE is
 * 503 with Retry-After. None of them is ever a 500.
 */
enum db_fault_kind {
	DB_FAULT_NONE,      /* not a fault of the database (classify decides) */
	DB_FAULT_GONE,      /* the connection is dead */
	DB_FAULT_STALE,     /* the connection's prepared statements are stale; nothing ran */
	DB_FAULT_CONFLICT,  /* the transaction was rolled back whole */
	DB_FAULT_REFUSED,   /* the node refused the statement before running it */
	DB_FAULT_FAILED,    /* outcome unknown, or a limit ran out: 503 */
	DB_FAULT_BUSY,      /* the server is short of connections, memory or space: 503 */
};

struct db_fault {
	unsigned int code;
	enum db_fault_kind kind;
	const char *why;
};

/* The table itself (for its unit test), and the kind of an error number. */
const struct db_fault *db_fault_table(size_t *n);
enum db_fault_kind db_fault_of(unsigned int code);
/* Kinds after which the connection is dropped; kinds after which the node is probed. */
bool db_fault_drops(enum db_fault_kind kind);
bool db_fault_probes(enum db_fault_kind kind);
/*
 * The result of a fault of this kind for a statement that ran inside a
 * transaction (not its COMMIT) or not, failed fast (under a second) or
 * not, on a node that the worker has left for the next server or not.
 */
enum db_result db_fault_result(enum db_fault_kind kind, bool in_txn, bool fast, bool left);

enum db_type { DB_T_NULL, DB_T_INT, DB_T_STR };

struct db_param {
	enum db_type type;
	long long i;
	const void *s;
	size_t len;
};

#define DBP_NULL ((struct db_param){.type = DB_T_NULL})
#define DBP_INT(v) ((struct db_param){.type = DB_T_INT, .i = (v)})
#define DBP_STR(v) ((struct db_param){.type = DB_T_STR, .s = (v), .len = strlen(v)})
#define DBP_BYTES(p, n) ((struct db_param){.type = DB_T_STR, .s = (p), .len = (n)})
/* A string that may be NULL (SQL NULL then). */
#define DBP_OPT(v) ((v) != NULL ? DBP_STR(v) : DBP_NULL)
/*
 * The arguments "params, nparams" of db_exec for a list of DBP_* values,
 * counted by the compiler (one or more; pass NULL, 0 for none): nobody
 * counts parameters by hand, and exec_once checks the count against the
 * statement's placeholders.
 */
#define DB_PARAMS(...) ((const struct db_param[]){__VA_ARGS__}), \
	(sizeof((const struct db_param[]){__VA_ARGS__}) / sizeof(struct db_param))

/*
 * A prepared statement: a static object of constant text (the store's are all
 * in store_catalog.c; db.c and migrate.c hold their own few). The slot is
 * assigned on first use and the statement is prepared once per connection.
 */
struct db_query {
	const char *sql;
	int slot;           /* 0 = not yet assigned */
};
#define DB_QUERY(text) {.sql = (text), .slot = 0}

/* Rows of a result, every cell as bytes with a NUL after them, NULL for SQL NULL. */
struct db_rows {
	size_t nrows, ncols;
	char **cells;          /* nrows * ncols */
	size_t *lens;
	unsigned long long affected;
};

/* A handle bound to cfg (which must outlive it); connects lazily. NULL on ENOMEM. */
struct db *db_new(const struct config *cfg);
/* Close the connection and free everything. */
void db_free(struct db *db);
/* Connect now if not connected (respecting the back-off after a failure). */
enum db_result db_connect(struct db *db);
bool db_connected(const struct db *db);

/*
 * Execute q with params; rows (may be NULL) receives the result, allocated in
 * arena a. Outside a transaction, a read that finds the connection gone
 * reconnects and runs once more.
 */
enum db_result db_exec(struct db *db, struct db_query *q, const struct db_param *params,
    size_t nparams, struct db_rows *rows, struct arena *a);

enum db_result db_begin(struct db *db);
enum db_result db_commit(struct db *db);
/* Roll back (ignoring errors: a dead connection has rolled back already). */
void db_rollback(struct db *db);

/*
 * Between requests: when connected to a server other than the first
 * configured one, at most every DB_FAILBACK_MS, connect to the first and
 * move back to it if it serves (Galera: wsrep_ready ON, Synced, and not
 * read_only). Never inside a transaction.
 */
#define DB_FAILBACK_MS 5000
void db_failback(struct db *db);

/* Run a trusted multi-statement script (migrations only, never request data). */
enum db_result db_exec_script(struct db *db, const char *sql, char *err, size_t errlen);

/* Cell text of row r, column c; NULL for SQL NULL. */
const char *db_cell(const struct db_rows *rows, size_t r, size_t c);
/* Cell as integer (0 for NULL). */
long long db_cell_int(const struct db_rows *rows, size_t r, size_t c);

/* Statements executed by this process, for tests that prove a query was skipped. */
unsigned long long db_query_count(void);

#endif
