-- One request, sent again and again by wrk: `wrk ... -s request.lua URL -- METHOD AUTH BODY XFF`.
--
-- METHOD is GET or POST; AUTH, when not "-", is the whole Authorization header value; BODY,
-- when not "-", is an application/x-www-form-urlencoded body; XFF "1" gives every request its
-- own X-Forwarded-For address (127.T.x.y), as many browsers or ministry back-ends behind the
-- reverse proxy would: the provider's per-address rate limits then see many clients, not one.
-- `done` prints one line, "BENCH-RESULT {json}", that bench/wrk.py reads.

local threads = {}
local counter = 0
local method = "GET"
local headers = {}
local body = nil
local rotate = false

function setup(thread)
  table.insert(threads, thread)
  thread:set("thread_number", #threads)
end

function init(args)
  method = args[1] or "GET"
  if args[2] and args[2] ~= "-" then
    headers["Authorization"] = args[2]
  end
  if args[3] and args[3] ~= "-" then
    body = args[3]
    headers["Content-Type"] = "application/x-www-form-urlencoded"
  end
  rotate = args[4] == "1"
end

function request()
  if rotate then
    counter = counter + 1
    headers["X-Forwarded-For"] = string.format(
      "127.%d.%d.%d", thread_number % 250 + 1, math.floor(counter / 250) % 250 + 1, counter % 250 + 1
    )
  end
  return wrk.format(method, nil, headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    'BENCH-RESULT {"requests": %d, "duration_us": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout, latency:percentile(50), latency:percentile(99)
  ))
end
