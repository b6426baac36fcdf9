/* db_fault.c -- the MariaDB / Galera errors that are faults of the database, and what each costs a request. */
#include "db.h"

#include <errmsg.h>
#include <mysqld_error.h>

/*
 * MariaDB 10.5+ sends 4031 when it drops a connection idle for longer than
 * wait_timeout; older connector headers give the number another name.
 */
#define ER_CLIENT_INTERACTION_TIMEOUT_NO 4031

/*
 * Every error a client can get from a server that is going away, joining,
 * donating, desynced, read-only, out of resources or outside Galera's
 * primary component; the reason for its kind beside it. An error not listed
 * is not a fault of the database: classify() in db.c maps a duplicate key
 * and a refused value, and anything else is a bug (500).
 */
#define FAULT(error, kind, why) {error, kind, why},
static const struct db_fault faults[] = {
	/* The connection is dead: only a new one is of use. */
	FAULT(CR_CONNECTION_ERROR, DB_FAULT_GONE, "nothing listens on the socket (server stopped)")
	FAULT(CR_CONN_HOST_ERROR, DB_FAULT_GONE, "nothing listens on the port (server stopped or killed)")
	FAULT(CR_SERVER_GONE_ERROR, DB_FAULT_GONE, "the server closed the connection between statements (restart, kill -9)")
	FAULT(CR_SERVER_LOST, DB_FAULT_GONE, "the connection broke during a statement (kill -9, network, read timeout)")
	FAULT(CR_SERVER_LOST_EXTENDED, DB_FAULT_GONE, "as CR_SERVER_LOST, with the system error")
	FAULT(CR_COMMANDS_OUT_OF_SYNC, DB_FAULT_GONE, "a broken read left the protocol out of step")
	FAULT(CR_SSL_CONNECTION_ERROR, DB_FAULT_GONE, "the TLS layer of the connection failed")
	FAULT(CR_ERR_NET_READ, DB_FAULT_GONE, "the client could not read from the connection")
	FAULT(CR_ERR_NET_WRITE, DB_FAULT_GONE, "the client could not write to the connection")
	FAULT(ER_SERVER_SHUTDOWN, DB_FAULT_GONE, "the server is stopping (SIGTERM): it closes the connection next")
	FAULT(ER_CONNECTION_KILLED, DB_FAULT_GONE, "KILL of this connection, or the server stopping")
	FAULT(ER_ABORTING_CONNECTION, DB_FAULT_GONE, "the server aborted the connection")
	FAULT(ER_NEW_ABORTING_CONNECTION, DB_FAULT_GONE, "the server aborted the connection")
	FAULT(ER_NET_READ_ERROR, DB_FAULT_GONE, "the server could not read from the connection")
	FAULT(ER_NET_READ_INTERRUPTED, DB_FAULT_GONE, "the server timed out reading from the connection")
	FAULT(ER_NET_ERROR_ON_WRITE, DB_FAULT_GONE, "the server could not write to the connection")
	FAULT(ER_NET_WRITE_INTERRUPTED, DB_FAULT_GONE, "the server timed out writing to the connection")
	FAULT(ER_CLIENT_INTERACTION_TIMEOUT_NO, DB_FAULT_GONE, "the server dropped a connection idle past wait_timeout")
	/* Prepared statements of this connection are stale; nothing ran. */
	FAULT(ER_NEED_REPREPARE, DB_FAULT_STALE, "a table changed under the prepared statement (DDL on any node)")
	/* The transaction was rolled back whole; running it again is safe. */
	FAULT(ER_LOCK_DEADLOCK, DB_FAULT_CONFLICT, "an InnoDB deadlock, a Galera certification failure, or a local transaction aborted by a replicated one")
	/* The node refused the statement before running it. */
	FAULT(ER_UNKNOWN_COM_ERROR, DB_FAULT_REFUSED, "Galera: the node is outside the primary component, joining or not synced (WSREP not ready)")
	FAULT(ER_OPTION_PREVENTS_STATEMENT, DB_FAULT_REFUSED, "the node is read_only (maintenance, a replica)")
	FAULT(ER_READ_ONLY_MODE, DB_FAULT_REFUSED, "InnoDB runs read-only (innodb_read_only, a forced recovery)")
	FAULT(ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION, DB_FAULT_REFUSED, "a write in a transaction the server made read-only")
	/* The outcome is unknown or it took too long to try again within the request. */
	FAULT(ER_ERROR_DURING_COMMIT, DB_FAULT_FAILED, "Galera: the node left the primary component during COMMIT; whether the cluster has the write is unknown")
	FAULT(ER_LOCK_WAIT_TIMEOUT, DB_FAULT_FAILED, "a row lock held too long, or Galera's causal read (wsrep_sync_wait) timed out on a lagging node")
	FAULT(ER_STATEMENT_TIMEOUT, DB_FAULT_FAILED, "max_statement_time ran out (a hung, desynced or blocked node)")
	FAULT(ER_QUERY_INTERRUPTED, DB_FAULT_FAILED, "the statement was killed (KILL QUERY, a node desyncing)")
	/* The server is alive but short of something. */
	FAULT(ER_CON_COUNT_ERROR, DB_FAULT_BUSY, "max_connections reached (clients moved here from a failed node)")
	FAULT(ER_TOO_MANY_USER_CONNECTIONS, DB_FAULT_BUSY, "the account's connection limit is reached")
	FAULT(ER_OUT_OF_RESOURCES, DB_FAULT_BUSY, "the server is out of memory or threads")
	FAULT(ER_OUTOFMEMORY, DB_FAULT_BUSY, "the server is out of memory")
	FAULT(ER_OUT_OF_SORTMEMORY, DB_FAULT_BUSY, "the server is out of sort memory")
	FAULT(ER_CANT_CREATE_THREAD, DB_FAULT_BUSY, "the server cannot start a thread")
	FAULT(ER_TOO_MANY_CONCURRENT_TRXS, DB_FAULT_BUSY, "InnoDB has no free undo slot")
	FAULT(ER_DISK_FULL, DB_FAULT_BUSY, "the server's disk is full (it waits for space)")
	FAULT(ER_RECORD_FILE_FULL, DB_FAULT_BUSY, "a table or the tablespace is full")
	FAULT(ER_LOCK_TABLE_FULL, DB_FAULT_BUSY, "InnoDB's lock table does not fit the buffer pool")
};

const struct db_fault *
db_fault_table(size_t *n)
{
	*n = sizeof(faults) / sizeof(faults[0]);
	return faults;
}

enum db_fault_kind
db_fault_of(unsigned int code)
{
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++) {
		if (faults[i].code == code)
			return faults[i].kind;
	}
	return DB_FAULT_NONE;
}

bool
db_fault_drops(enum db_fault_kind kind)
{
	return kind == DB_FAULT_GONE || kind == DB_FAULT_STALE;
}

bool
db_fault_probes(enum db_fault_kind kind)
{
	return kind == DB_FAULT_REFUSED || kind == DB_FAULT_FAILED;
}

enum db_result
db_fault_result(enum db_fault_kind kind, bool in_txn, bool fast, bool left)
{
	switch (kind) {
	case DB_FAULT_CONFLICT:
	case DB_FAULT_STALE:
		return DB_DEADLOCK;
	case DB_FAULT_GONE:
		/*
		 * A transaction dies with its connection, uncommitted: run it again
		 * (on a fresh connection) unless the break was slow, a hung server
		 * that would make the client wait as long again. A COMMIT or an
		 * autocommitted write may have committed: never again.
		 */
		return in_txn && fast ? DB_DEADLOCK : DB_UNAVAILABLE;
	case DB_FAULT_REFUSED:
		/* Nothing ran: run it again on the next server, if we left this one. */
		return left ? DB_DEADLOCK : DB_UNAVAILABLE;
	case DB_FAULT_FAILED:
	case DB_FAULT_BUSY:
		return DB_UNAVAILABLE;
	case DB_FAULT_NONE:
		break;
	}
	return DB_ERROR;
}
