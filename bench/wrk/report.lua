-- done() for every benchmark script: one machine-readable line for bench/run.py.
--
-- wrk's own report rounds and mixes units; this line carries raw numbers:
-- latencies in microseconds, duration in microseconds, and the error counts
-- (`status` counts responses that were not 2xx or 3xx). `answers`, when given,
-- is a JSON object already encoded by the caller (what the answers said).

local M = {}

function M.done(summary, latency, requests, answers)
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},'
      .. '"latency_us":{"min":%.1f,"mean":%.1f,"p50":%.1f,"p90":%.1f,'
      .. '"p99":%.1f,"max":%.1f}%s}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency.min, latency.mean, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max,
    answers and (',"answers":' .. answers) or ""))
end

-- A Lua string as a JSON string (bodies may hold quotes and control bytes).
function M.json_string(text)
  return '"' .. text:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

return M
