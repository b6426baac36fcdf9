-- 017_service_grants.sql -- what the service's run-time database user may do,
-- for `overwatch-admin grant-service` (README.md, "Database users").
-- Every table: SELECT, INSERT, UPDATE, DELETE; the audit trail (audit_log):
-- SELECT and INSERT only, so that the service's credentials cannot rewrite
-- or erase it. A database-wide grant cannot leave one table out, so the
-- grants are per table, over the tables there are when it is called: call
-- it again after a migration that adds one. It first takes back what the
-- user held on the database and each table. Runs with its caller's rights
-- (the migration user, GRANT OPTION on the database); names are quoted by
-- the server, never pasted from the caller.
-- The migrations' runner ends a statement at a ';' that ends a line: the
-- body's statements therefore start their lines with the ';' that
-- separates them from the one before.
CREATE OR REPLACE PROCEDURE overwatch_grant_service(IN who VARCHAR(80), IN host VARCHAR(255))
SQL SECURITY INVOKER
BEGIN
  DECLARE done INT DEFAULT 0
  ; DECLARE t VARCHAR(64)
  ; DECLARE db_q VARCHAR(200) DEFAULT CONCAT('`', REPLACE(DATABASE(), '`', '``'), '`')
  ; DECLARE grantee VARCHAR(600) DEFAULT CONCAT(QUOTE(who), '@', QUOTE(host))
  ; DECLARE tables CURSOR FOR SELECT TABLE_NAME FROM information_schema.TABLES
      WHERE TABLE_SCHEMA = DATABASE() AND TABLE_TYPE = 'BASE TABLE'
  ; DECLARE CONTINUE HANDLER FOR NOT FOUND SET done = 1
  -- 1141, 1147: there was no such grant to take back.
  ; DECLARE CONTINUE HANDLER FOR 1141, 1147 BEGIN END
  ; SET @ow_grant = CONCAT('REVOKE ALL PRIVILEGES ON ', db_q, '.* FROM ', grantee)
  ; PREPARE ow_stmt FROM @ow_grant
  ; EXECUTE ow_stmt
  ; OPEN tables
  ; grant_loop: LOOP
      FETCH tables INTO t
      ; IF done THEN LEAVE grant_loop
      ; END IF
      ; SET @ow_grant = CONCAT('REVOKE ALL PRIVILEGES ON ', db_q, '.`', REPLACE(t, '`', '``'),
          '` FROM ', grantee)
      ; PREPARE ow_stmt FROM @ow_grant
      ; EXECUTE ow_stmt
      ; SET @ow_grant = CONCAT('GRANT ',
          IF(t IN ('audit_log'), 'SELECT, INSERT', 'SELECT, INSERT, UPDATE, DELETE'),
          ' ON ', db_q, '.`', REPLACE(t, '`', '``'), '` TO ', grantee)
      ; PREPARE ow_stmt FROM @ow_grant
      ; EXECUTE ow_stmt
    ; END LOOP
  ; CLOSE tables
  ; DEALLOCATE PREPARE ow_stmt
  ; SET @ow_grant = NULL
; END;
