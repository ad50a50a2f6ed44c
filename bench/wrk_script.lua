-- wrk script for `make bench`: cycles through the requests of a request file (one
-- request a line: method TAB path TAB headers joined by \31 TAB body), each wrk thread
-- through its own share, so that no two threads send the same webhook event.
-- An answer counts as good when its status is the expected one and its body holds one
-- of the expected texts; the summary is one JSON line on stdout.
-- Arguments (after --): request file, thread count, expected status, expected texts...

local threads = {}
local counter = 0

function setup(thread)
  thread:set("index", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function split(text, sep)
  local parts = {}
  local start = 1
  while true do
    local i = string.find(text, sep, start, true)
    if not i then
      table.insert(parts, string.sub(text, start))
      return parts
    end
    table.insert(parts, string.sub(text, start, i - 1))
    start = i + #sep
  end
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2])
  expected_status = tonumber(args[3])
  expected_texts = {}
  for i = 4, #args do table.insert(expected_texts, args[i]) end
  local total = 0
  for _ in io.lines(path) do total = total + 1 end
  if total < nthreads then nthreads = 1; index = 0 end  -- too few to share: all send all
  requests = {}
  local n = 0
  for line in io.lines(path) do
    if n % nthreads == index then
      local f = split(line, "\t")
      local headers = {}
      if f[3] ~= "" then
        for _, h in ipairs(split(f[3], "\31")) do
          local colon = string.find(h, ":", 1, true)
          headers[string.sub(h, 1, colon - 1)] = string.sub(h, colon + 2)
        end
      end
      local body = f[4]
      if body == "" then body = nil end
      table.insert(requests, wrk.format(f[1], f[2], headers, body))
    end
    n = n + 1
  end
  position = 0
  good = 0
  bad = 0
  wrapped = 0
end

function request()
  position = position + 1
  if position > #requests then
    position = 1
    wrapped = wrapped + 1
  end
  return requests[position]
end

function response(status, headers, body)
  local ok = status == expected_status
  if ok and #expected_texts > 0 then
    ok = false
    for _, text in ipairs(expected_texts) do
      if body and string.find(body, text, 1, true) then ok = true; break end
    end
  end
  if ok then good = good + 1 else bad = bad + 1 end
end

function done(summary, latency, requests_)
  local g, b, w = 0, 0, 0
  for _, t in ipairs(threads) do
    g = g + t:get("good")
    b = b + t:get("bad")
    w = w + t:get("wrapped")
  end
  local e = summary.errors
  local socket_errors = e.connect + e.read + e.write + e.timeout
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "good": %d, "bad": %d, "socket_errors": %d, '
      .. '"wrapped": %d, "p50_ms": %f, "p99_ms": %f}\n',
    summary.requests, summary.duration / 1e6, g, b, socket_errors, w,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
