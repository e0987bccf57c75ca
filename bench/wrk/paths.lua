-- GET requests cycling through a file of paths: wrk -s paths.lua URL -- TOKEN PATHS_FILE
-- (TOKEN "-": none; "Cookie:name=value": a session cookie instead of a bearer token)
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require("common")

function init(args)
  local token = args[1]
  paths = read_lines(args[2])
  position = (id * 7919) % #paths
  headers = {["Accept"] = "application/json"}
  if token:sub(1, 7) == "Cookie:" then
    headers["Cookie"] = token:sub(8)
  elseif token ~= "-" then
    headers["Authorization"] = "Bearer " .. token
  end
end

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position], headers)
end

function done(summary, latency, requests)
  bench_summary(summary, latency, {})
end
