-- login.lua -- wrk script for POST /api/v1/auth/login: valid credentials only, or a mix.
--   BENCH_LOGIN_EMAIL, BENCH_LOGIN_PASSWORD   the valid credential
--   BENCH_INVALID_EVERY   0: valid only; N: every Nth request is invalid
--   BENCH_WRONG_USERS     comma-separated emails of real users, sent with a wrong
--                         password (spread so no single account reaches the lockout)
-- Invalid requests alternate between a wrong password for one of BENCH_WRONG_USERS
-- and an email that does not exist (unique per request). Each request is tagged
-- (valid, wrong_password, unknown_email) and every status counted (lib.lua).
local dir = os.getenv("BENCH_LUA_DIR") or "tests/bench"
package.path = dir .. "/?.lua;" .. package.path
local lib = require("lib")

local email = os.getenv("BENCH_LOGIN_EMAIL")
local password = os.getenv("BENCH_LOGIN_PASSWORD")
local every = tonumber(os.getenv("BENCH_INVALID_EVERY") or "0")
local wrong = {}
for e in (os.getenv("BENCH_WRONG_USERS") or ""):gmatch("[^,]+") do table.insert(wrong, e) end

local headers = {["Content-Type"] = "application/json"}
local function body(e, p)
   return '{"email":"' .. e .. '","password":"' .. p .. '"}'
end

local valid_req = nil
local n, ninvalid = 0, 0

local function make_request()
   n = n + 1
   if every > 0 and n % every == 0 then
      ninvalid = ninvalid + 1
      if ninvalid % 2 == 1 and #wrong > 0 then
         local e = wrong[(math.floor(ninvalid / 2) % #wrong) + 1]
         return wrk.format("POST", nil, headers, body(e, "wrong-password-" .. n)), "wrong_password"
      end
      local e = string.format("nobody-%d-%d@bench.invalid", thread_id or 0, n)
      return wrk.format("POST", nil, headers, body(e, "wrong-password-" .. n)), "unknown_email"
   end
   valid_req = valid_req or wrk.format("POST", nil, headers, body(email, password))
   return valid_req, "valid"
end

setup = lib.setup
done = lib.done
lib.install(make_request)
