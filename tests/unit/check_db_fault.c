/* check_db_fault.c -- unit tests for db_fault.c: the table of database faults and what each kind costs. */
#include "unit.h"

#include "db.h"

/*
 * The errors a cluster gives while a node is going away, joining, donating,
 * desynced, read-only or outside the primary component (doc/scale-out.md,
 * "What happens when something fails"), and the kind each must have.
 */
static const struct {
	unsigned int code;
	enum db_fault_kind kind;
} expected[] = {
	{1180, DB_FAULT_FAILED},     /* COMMIT on a node leaving the primary component */
	{1047, DB_FAULT_REFUSED},    /* WSREP not ready: outside the primary component, joining */
	{1053, DB_FAULT_GONE},       /* server shutdown in progress */
	{1205, DB_FAULT_FAILED},     /* lock wait or causal read timeout */
	{1213, DB_FAULT_CONFLICT},   /* deadlock, certification failure, brute-force abort */
	{1290, DB_FAULT_REFUSED},    /* read_only */
	{1836, DB_FAULT_REFUSED},    /* InnoDB read-only */
	{1927, DB_FAULT_GONE},       /* connection killed */
	{1969, DB_FAULT_FAILED},     /* max_statement_time */
	{1317, DB_FAULT_FAILED},     /* query interrupted */
	{2002, DB_FAULT_GONE},
	{2003, DB_FAULT_GONE},
	{2006, DB_FAULT_GONE},       /* server has gone away */
	{2013, DB_FAULT_GONE},       /* lost connection during query */
	{2014, DB_FAULT_GONE},
	{4031, DB_FAULT_GONE},       /* disconnected for inactivity */
	{1615, DB_FAULT_STALE},      /* prepared statement needs re-preparation */
	{1040, DB_FAULT_BUSY},       /* too many connections */
	{1021, DB_FAULT_BUSY},       /* disk full */
	/* Not faults of the database: classify() decides (409, 400, or a bug). */
	{1062, DB_FAULT_NONE},       /* duplicate entry */
	{1406, DB_FAULT_NONE},       /* data too long */
	{1064, DB_FAULT_NONE},       /* syntax error: a bug */
	{1146, DB_FAULT_NONE},       /* no such table: a missing migration, a bug */
	{0, DB_FAULT_NONE},
};

START_TEST(test_kind_of_each_error)
{
	ck_assert_msg(db_fault_of(expected[_i].code) == expected[_i].kind,
	    "error %u: kind %d, want %d", expected[_i].code, (int)db_fault_of(expected[_i].code),
	    (int)expected[_i].kind);
}
END_TEST

/* Each number once, each with a reason, none of kind "not a fault". */
START_TEST(test_table_is_well_formed)
{
	size_t n;
	const struct db_fault *t = db_fault_table(&n);

	ck_assert_uint_gt(n, 30);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(t[i].kind != DB_FAULT_NONE, "error %u listed without a kind", t[i].code);
		ck_assert_msg(t[i].why != NULL && strlen(t[i].why) > 10, "error %u has no reason", t[i].code);
		for (size_t j = i + 1; j < n; j++)
			ck_assert_msg(t[i].code != t[j].code, "error %u listed twice", t[i].code);
	}
}
END_TEST

/* No fault of the database is ever DB_ERROR (500), whatever the circumstances. */
START_TEST(test_no_fault_is_a_500)
{
	size_t n;
	const struct db_fault *t = db_fault_table(&n);

	for (size_t i = 0; i < n; i++) {
		for (int bits = 0; bits < 8; bits++) {
			enum db_result r = db_fault_result(t[i].kind, bits & 1, bits & 2, bits & 4);
			ck_assert_msg(r == DB_DEADLOCK || r == DB_UNAVAILABLE,
			    "error %u (in_txn %d, fast %d, left %d) gives %d", t[i].code, bits & 1,
			    !!(bits & 2), !!(bits & 4), (int)r);
		}
	}
}
END_TEST

/*
 * When the handler runs again (DB_DEADLOCK) and when the client gets 503:
 * again only when nothing can have been committed, never after a COMMIT
 * or an autocommitted write whose connection broke, never after a slow
 * failure that would make the client wait twice.
 */
START_TEST(test_when_the_handler_runs_again)
{
	ck_assert_int_eq(db_fault_result(DB_FAULT_CONFLICT, true, true, false), DB_DEADLOCK);
	ck_assert_int_eq(db_fault_result(DB_FAULT_STALE, false, true, false), DB_DEADLOCK);
	/* A transaction's statement lost with its connection: nothing committed. */
	ck_assert_int_eq(db_fault_result(DB_FAULT_GONE, true, true, false), DB_DEADLOCK);
	/* ... unless the break was a timeout (a hung server). */
	ck_assert_int_eq(db_fault_result(DB_FAULT_GONE, true, false, false), DB_UNAVAILABLE);
	/* A COMMIT or an autocommitted write may have committed. */
	ck_assert_int_eq(db_fault_result(DB_FAULT_GONE, false, true, false), DB_UNAVAILABLE);
	/* A refused statement runs again on the next server, once this node is left. */
	ck_assert_int_eq(db_fault_result(DB_FAULT_REFUSED, true, true, true), DB_DEADLOCK);
	ck_assert_int_eq(db_fault_result(DB_FAULT_REFUSED, true, true, false), DB_UNAVAILABLE);
	/* A COMMIT whose outcome is unknown is never repeated, even elsewhere. */
	ck_assert_int_eq(db_fault_result(DB_FAULT_FAILED, false, true, true), DB_UNAVAILABLE);
	ck_assert_int_eq(db_fault_result(DB_FAULT_BUSY, true, true, false), DB_UNAVAILABLE);
	ck_assert_int_eq(db_fault_result(DB_FAULT_NONE, true, true, false), DB_ERROR);
}
END_TEST

START_TEST(test_what_is_dropped_and_what_is_probed)
{
	ck_assert(db_fault_drops(DB_FAULT_GONE));
	ck_assert(db_fault_drops(DB_FAULT_STALE));
	ck_assert(!db_fault_drops(DB_FAULT_CONFLICT));
	ck_assert(!db_fault_drops(DB_FAULT_REFUSED));
	ck_assert(db_fault_probes(DB_FAULT_REFUSED));
	ck_assert(db_fault_probes(DB_FAULT_FAILED));
	ck_assert(!db_fault_probes(DB_FAULT_CONFLICT));
	ck_assert(!db_fault_probes(DB_FAULT_BUSY));
	ck_assert(!db_fault_probes(DB_FAULT_GONE));
}
END_TEST

static Suite *
db_fault_suite(void)
{
	Suite *s = suite_create("db_fault");
	TCase *tc = unit_tcase(s, "table", 10);

	tcase_add_loop_test(tc, test_kind_of_each_error, 0, sizeof expected / sizeof expected[0]);
	tcase_add_test(tc, test_table_is_well_formed);
	tcase_add_test(tc, test_no_fault_is_a_500);
	tcase_add_test(tc, test_when_the_handler_runs_again);
	tcase_add_test(tc, test_what_is_dropped_and_what_is_probed);
	return s;
}

int
main(void)
{
	return unit_run(db_fault_suite(), false);
}
