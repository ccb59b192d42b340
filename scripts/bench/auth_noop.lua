-- wrk script for `POST /api/hris/v1/link-token` requests that are authenticated (the API key is
-- looked up), read and validated, then rejected with 400: the body is the one link_token.lua
-- sends but with "link_expiry_mins": 1 (below the minimum of 30), so the same fields are parsed
-- and nothing is stored. Comparing with link_token.lua shows the cost of the storage write.
-- Used by scripts/bench-link-token.sh; the API key comes from JOINERY_BENCH_API_KEY.
--
-- done() prints a "Status codes:" line (e.g. "Status codes: 400=12345"); anything but 400 there
-- means the scenario did not measure what it is meant to.

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

-- Built per request as in link_token.lua, so the client does the same work in both scenarios.
local counter = 0
local body_prefix = '{"end_user_email_address":"bench@example.com",'
  .. '"end_user_organization_name":"Bench Corp","categories":["hris"],'
  .. '"link_expiry_mins":1,"end_user_origin_id":"bench-'

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
