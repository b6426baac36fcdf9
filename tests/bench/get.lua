-- get.lua -- wrk script for the GET scenarios (baseline, /auth/me, /incidents).
-- The credential comes as a wrk -H option; see lib.lua for BENCH_RATE / BENCH_COUNT.
local dir = os.getenv("BENCH_LUA_DIR") or "tests/bench"
package.path = dir .. "/?.lua;" .. package.path
local lib = require("lib")

setup = lib.setup
done = lib.done
lib.install(nil)
