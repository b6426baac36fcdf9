-- lib.lua -- shared by the benchmark's wrk scripts: clock, pacing, status counts, one JSON summary line.
--
-- Configured through the environment (run.py sets it):
--   BENCH_THREADS   the -t given to wrk
--   BENCH_RATE      total target rate in requests/s (paced mode: one connection
--                   per thread, each on its own fixed schedule, as wrk2 does)
--   BENCH_COUNT     "1": count response statuses (costs wrk a Lua call per response)
-- Request headers come from wrk's -H options (wrk.headers).
-- done() prints one line "BENCH_JSON {...}" that run.py parses: wrk's own latency
-- percentiles (from the moment the request was written), the totals, and in
-- paced mode the latency measured from the *intended* send time (wrk2's
-- correction for coordinated omission).

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")

local M = {}

-- Microseconds on CLOCK_MONOTONIC.
function M.now_us()
   ffi.C.clock_gettime(1, ts)
   return tonumber(ts.tv_sec) * 1000000 + tonumber(ts.tv_nsec) / 1000
end

local threads = {}
local counter = 0

-- setup() runs in the main Lua state, once per thread.
function M.setup(thread)
   counter = counter + 1
   thread:set("thread_id", counter)
   table.insert(threads, thread)
end

-- Latency histogram in 10 us buckets up to 10 s (sparse table).
local function hist_add(h, us)
   local b = math.floor(us / 10)
   if b > 1000000 then b = 1000000 end
   h[b] = (h[b] or 0) + 1
end

local function hist_percentile(h, p)
   local keys, total = {}, 0
   for k, v in pairs(h) do
      table.insert(keys, k)
      total = total + v
   end
   if total == 0 then return nil end
   table.sort(keys)
   local want, seen = math.ceil(total * p / 100), 0
   for _, k in ipairs(keys) do
      seen = seen + h[k]
      if seen >= want then return (k + 1) * 10 end
   end
   return (keys[#keys] + 1) * 10
end

-- Installs request/response/delay as the mode asks. `make_request` returns the
-- next request string and a tag for it ("" when untagged); the per-thread
-- counters are `sent_<tag>` and `status_<code>`.
function M.install(make_request)
   local rate = tonumber(os.getenv("BENCH_RATE") or "")
   local count = os.getenv("BENCH_COUNT") == "1"
   local dynamic = rate or count or make_request ~= nil

   init = function(args)
      -- thread globals (set by setup through thread:set)
      sent = {}
      statuses = {}
      co_hist = {}
      sent_total = 0
      if rate then
         local nthreads = tonumber(os.getenv("BENCH_THREADS") or "1")
         interval = 1000000 * nthreads / rate
         -- stagger the threads' schedules over one interval
         next_send = M.now_us() + interval * ((thread_id or 1) - 1) / nthreads
      end
   end

   if not dynamic then return end

   local fixed = nil
   request = function()
      local req, tag
      if make_request then
         req, tag = make_request()
      else
         fixed = fixed or wrk.format(nil, nil, nil, nil)
         req, tag = fixed, ""
      end
      sent[tag] = (sent[tag] or 0) + 1
      sent_total = sent_total + 1
      if rate then
         t_send = M.now_us()
         intended = next_send
         next_send = next_send + interval
      end
      return req
   end

   if rate or count then
      response = function(status, headers, body)
         statuses[status] = (statuses[status] or 0) + 1
         if rate and intended then
            local now = M.now_us()
            local from = intended
            if t_send < from then from = t_send end  -- sent early: no debt
            hist_add(co_hist, now - from)
         end
      end
   end

   if rate then
      delay = function()
         local d = next_send - M.now_us()
         if d <= 0 then return 0 end
         return math.floor(d / 1000)
      end
   end
end

local function json_value(v)
   local t = type(v)
   if t == "number" then
      if v ~= v or v == math.huge or v == -math.huge then return "null" end
      return string.format("%.17g", v)
   elseif t == "string" then
      return string.format("%q", v):gsub("\\\n", "\\n")
   elseif t == "table" then
      local parts = {}
      for k, x in pairs(v) do
         table.insert(parts, string.format("%q", tostring(k)) .. ":" .. json_value(x))
      end
      return "{" .. table.concat(parts, ",") .. "}"
   elseif t == "nil" then
      return "null"
   end
   return tostring(v)
end

function M.done(summary, latency, requests)
   local out = {
      duration_us = summary.duration,
      requests = summary.requests,
      bytes = summary.bytes,
      errors = {
         connect = summary.errors.connect, read = summary.errors.read,
         write = summary.errors.write, status = summary.errors.status,
         timeout = summary.errors.timeout,
      },
      latency_us = {
         min = latency.min, max = latency.max, mean = latency.mean,
         p50 = latency:percentile(50), p90 = latency:percentile(90),
         p99 = latency:percentile(99), p999 = latency:percentile(99.9),
      },
   }
   local sent, statuses, co = {}, {}, {}
   for _, t in ipairs(threads) do
      for k, v in pairs(t:get("sent") or {}) do sent[k] = (sent[k] or 0) + v end
      for k, v in pairs(t:get("statuses") or {}) do
         statuses[tostring(k)] = (statuses[tostring(k)] or 0) + v
      end
      for k, v in pairs(t:get("co_hist") or {}) do co[k] = (co[k] or 0) + v end
   end
   out.sent = sent
   out.statuses = statuses
   if next(co) then
      out.co_latency_us = {
         p50 = hist_percentile(co, 50), p90 = hist_percentile(co, 90),
         p99 = hist_percentile(co, 99), p999 = hist_percentile(co, 99.9),
      }
   end
   io.write("BENCH_JSON " .. json_value(out) .. "\n")
end

return M
