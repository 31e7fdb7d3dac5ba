-- wrk script for the benchmarks: spreads requests over the paths listed in a file (one per
-- line, first argument after "--") and prints one JSON line with throughput, latency
-- percentiles and error counts when the run ends.
--
-- wrk counts a response with a status of 400 or more as errors.status ("non-2xx/3xx"); that is
-- enough for our error column, so there is no response() hook (it would slow wrk down).

local paths = {}
local counter = 0

function init(args)
  local file = args[1]
  if file then
    for line in io.lines(file) do
      if #line > 0 then
        paths[#paths + 1] = line
      end
    end
  end
  if #paths == 0 then
    paths[1] = wrk.path
  end
  -- Every thread starts at a different place so both threads do not walk the list in step.
  counter = math.floor(#paths / 2) * (id or 0)
end

function setup(thread)
  thread_count = (thread_count or 0) + 1
  thread:set("id", thread_count - 1)
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f, "errors_connect": %d, "errors_read": %d, "errors_write": %d, ' ..
    '"errors_status": %d, "errors_timeout": %d}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean,
    e.connect, e.read, e.write, e.status, e.timeout))
end
