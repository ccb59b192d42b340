-- wrk script for `POST /api/hris/v1/link-token`: every request creates a link token (one row in
-- link_tokens). Used by scripts/bench-link-token.sh; the API key comes from the environment:
--
--   JOINERY_BENCH_API_KEY=... wrk -t2 -c64 -d20s --latency -s scripts/bench/link_token.lua \
--     http://127.0.0.1:8080/api/hris/v1/link-token
--
-- end_user_origin_id differs per request ("bench-<thread>-<n>"), so the rows are not all alike.
-- done() prints a "Status codes:" line (e.g. "Status codes: 200=12345") that the bench script
-- reads to tell 4xx from 5xx, which wrk's own "Non-2xx or 3xx responses" does not.

local key = os.getenv("JOINERY_BENCH_API_KEY")
if key == nil or key == "" then
  error("JOINERY_BENCH_API_KEY is not set")
end

wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["Content-Type"] = "application/json"

-- Globals, not locals: setup() (run in wrk's main Lua state) assigns them in each thread's state.
thread_no = 0
statuses = {}

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_no", #threads)
end

local counter = 0
-- JOINERY_BENCH_EXTRA adds members to the body, e.g. '"link_expiry_mins":1,' for the
-- authenticated no-op scenario: the same fields are parsed and validated, then rejected with 400
-- and nothing is stored, so comparing the two shows the cost of the storage write.
local body_prefix = '{"end_user_email_address":"bench@example.com",'
  .. '"end_user_organization_name":"Bench Corp","categories":["hris"],'
  .. (os.getenv("JOINERY_BENCH_EXTRA") or "")
  .. '"end_user_origin_id":"bench-'

function request()
  counter = counter + 1
  return wrk.format(nil, nil, nil, body_prefix .. thread_no .. "-" .. counter .. '"}')
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total, codes, parts = {}, {}, {}
  for _, thread in ipairs(threads) do
    for code, n in pairs(thread:get("statuses") or {}) do
      code = tonumber(code)
      if total[code] == nil then table.insert(codes, code) end
      total[code] = (total[code] or 0) + n
    end
  end
  table.sort(codes)
  for _, code in ipairs(codes) do table.insert(parts, code .. "=" .. total[code]) end
  io.write("Status codes: " .. table.concat(parts, " ") .. "\n")
end
