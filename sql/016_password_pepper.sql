-- The pepper key each password hash was made with (src/pepper.c, [password]
-- pepper_file; doc/SECURITY.md section 26). An argon2 PHC string has no
-- place for it. NULL: made without a pepper, as every hash before this
-- file; a login re-hashes such a password with the current key.
ALTER TABLE users
  ADD COLUMN IF NOT EXISTS password_pepper_id VARCHAR(32) CHARACTER SET ascii COLLATE ascii_bin NULL
  AFTER password_hash;
