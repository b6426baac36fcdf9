-- 010_session_activity.sql -- what a session's policy needs to know about it
-- (doc/api.md section 3, Sessions; doc/SECURITY.md).
--
-- last_seen_at: the last time the session was used, for the idle timeout. A refresh sets it; an access token's use sets it at
-- most once a touch interval (when the credential cache had to ask the
-- database anyway), so that no request pays a write.
-- proved_at: when the user last proved who they are in this session (the
-- password or a second factor at sign-in, an SSO sign-in, or POST
-- /auth/reauthenticate); the step-up rule ([jwt] reauthentication_window)
-- reads it. Rows made before this file count as seen and proved now.
-- idle_timeout: this session's own idle limit in seconds, fixed at sign-in
-- (0: none): a browser's sign-in gets [jwt] browser_idle_timeout, an API
-- client's [jwt] idle_timeout. Rows made before this file have none, as
-- before.
ALTER TABLE sessions
  ADD COLUMN IF NOT EXISTS idle_timeout INT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS last_seen_at DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6)),
  ADD COLUMN IF NOT EXISTS proved_at DATETIME(6) NOT NULL DEFAULT (UTC_TIMESTAMP(6));
