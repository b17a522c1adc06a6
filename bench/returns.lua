-- wrk script for bench/returns.py: one client per wrk thread (-t N -c N), each with its own slot.
--
-- BENCH_SLOTS names a file of tab-separated lines, one per client:
--   mode  path  cookie  csrf-token  question-id  version  text  marker
-- mode "get" fetches path; "autosave" posts an s11 autosave and keeps the version each answer
-- carries back, as htmx does, so the next save is not refused as a conflict; "update" posts
-- text to the bare UPDATE endpoint. A response counts as an error unless it is a 200 that
-- contains marker (when one is given).
-- One connection per thread is what makes that version tracking possible: wrk keeps one Lua
-- state per thread, and response() cannot tell which of a thread's connections answered.

local slots = nil
local threads = {}

local function read_slots()
  local result = {}
  for line in io.lines(os.getenv("BENCH_SLOTS")) do
    local fields = {}
    for field in (line .. "\t"):gmatch("([^\t]*)\t") do
      fields[#fields + 1] = field
    end
    result[#result + 1] = fields
  end
  return result
end

function setup(thread)
  slots = slots or read_slots()
  local slot = slots[(#threads % #slots) + 1]
  thread:set("mode", slot[1])
  thread:set("path", slot[2])
  thread:set("cookie", slot[3])
  thread:set("token", slot[4])
  thread:set("qid", slot[5])
  thread:set("version", slot[6])
  thread:set("text", slot[7])
  thread:set("marker", slot[8])
  threads[#threads + 1] = thread
end

function init(args)
  sent = 0
  bad = 0
  body_bytes = 0
  answered = 0
  headers = { ["Cookie"] = cookie ~= "" and cookie or nil }
  if mode ~= "get" then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  if mode == "autosave" then
    -- What htmx sends with every request from the page (hx-headers on <body>).
    headers["HX-Request"] = "true"
    headers["X-CSRF-Token"] = token
  end
end

function request()
  sent = sent + 1
  if mode == "get" then
    return wrk.format("GET", path, headers)
  end
  -- A different value every time: saving the same text twice is a no-op in s11.
  local value = text .. "+" .. sent
  local body
  if mode == "autosave" then
    body = "csrf_token=" .. token .. "&" .. qid .. "=" .. value .. "&__version__" .. qid .. "="
      .. version .. "&__original__" .. qid .. "=bench"
  else
    body = "value=" .. value
  end
  return wrk.format("POST", path, headers, body)
end

function response(status, headers, body)
  answered = answered + 1
  body_bytes = body_bytes + #body
  if status ~= 200 or (marker ~= "" and not body:find(marker, 1, true)) then
    bad = bad + 1
  end
  if mode == "autosave" then
    for tag in body:gmatch("<input[^>]*>") do
      if tag:find('id="version-', 1, true) then
        version = tag:match('value="(%d+)"') or version
      end
    end
  end
end

function done(summary, latency, requests)
  local refused, answers, size = 0, 0, 0
  for _, thread in ipairs(threads) do
    refused = refused + thread:get("bad")
    answers = answers + thread:get("answered")
    size = size + thread:get("body_bytes")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "p50": %.2f, "p95": %.2f, "p99": %.2f, '
      .. '"bytes": %d, "refused": %d, "socket_errors": %d, "timeouts": %d}\n',
    summary.requests,
    summary.duration / 1e6,
    latency:percentile(50) / 1000,
    latency:percentile(95) / 1000,
    latency:percentile(99) / 1000,
    answers > 0 and math.floor(size / answers) or 0,
    refused,
    e.connect + e.read + e.write,
    e.timeout
  ))
end
