-- tokens.lua -- wrk script for the many-distinct-tokens scenario: every request
-- carries the next of BENCH_TOKENS_FILE's access JWTs (one a line), each thread
-- starting at its own offset: more tokens than [cache] size holds, so a worker
-- mostly misses its cache (tests/bench/README.md, many_tokens).
local dir = os.getenv("BENCH_LUA_DIR") or "tests/bench"
package.path = dir .. "/?.lua;" .. package.path
local lib = require("lib")

local tokens = {}
for line in io.lines(os.getenv("BENCH_TOKENS_FILE")) do
   if #line > 0 then table.insert(tokens, line) end
end

local requests = nil
local n = 0

local function make_request()
   if not requests then
      -- built once per thread: the Lua cost per request is a table index
      requests = {}
      for i, t in ipairs(tokens) do
         requests[i] = wrk.format("GET", nil, {["Authorization"] = "Bearer " .. t}, nil)
      end
      n = (thread_id or 1) * 7
   end
   n = n + 1
   return requests[(n % #requests) + 1], ""
end

setup = lib.setup
done = lib.done
lib.install(make_request)
