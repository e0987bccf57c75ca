-- Shared by the benchmark's wrk scripts: per-thread state and a JSON summary line.
local threads = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

function bench_summary(summary, latency, extra_names)
  local sums = {}
  for _, name in ipairs(extra_names) do
    sums[name] = 0
    for _, thread in ipairs(threads) do
      sums[name] = sums[name] + (thread:get(name) or 0)
    end
  end
  local e = summary.errors
  local parts = {
    string.format('"requests":%d', summary.requests),
    string.format('"duration_us":%d', summary.duration),
    string.format('"errors":%d', e.connect + e.read + e.write + e.timeout),
    string.format('"non_2xx":%d', e.status),
    string.format('"p50_us":%d', latency:percentile(50)),
    string.format('"p95_us":%d', latency:percentile(95)),
    string.format('"p99_us":%d', latency:percentile(99)),
    string.format('"max_us":%d', latency.max),
    string.format('"mean_us":%.1f', latency.mean),
  }
  for name, value in pairs(sums) do
    table.insert(parts, string.format('"%s":%d', name, value))
  end
  io.write("BENCH_JSON {" .. table.concat(parts, ",") .. "}\n")
end

function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if line ~= "" then lines[#lines + 1] = line end
  end
  return lines
end
