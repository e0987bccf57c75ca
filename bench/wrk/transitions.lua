-- Concurrent reviewers moving claims between unverified and in_review, each with If-Match.
-- wrk -t N -c N -s transitions.lua URL -- TOKEN IDS_FILE OWN HOT
-- One connection per thread: each thread is one client. The first HOT ids of the file are
-- shared by every client (they race on them all the time: stale If-Match -> 412, re-read);
-- then each client has OWN claims of its own, as reviewers mostly work on different claims.
-- A client cycles through its own claims with one hot claim after every OWN / HOT of them.
package.path = package.path .. ";" .. debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "?.lua"
require("common")

function init(args)
  local token = args[1]
  local ids = read_lines(args[2])
  local own = tonumber(args[3])
  local hot = tonumber(args[4])
  local every = math.max(1, math.floor(own / hot))
  mine = {}
  for i = 0, own - 1 do
    mine[#mine + 1] = ids[hot + id * own + i + 1]
    if (i + 1) % every == 0 then
      mine[#mine + 1] = ids[((i + 1) / every - 1) % hot + 1]
    end
  end
  auth = "Bearer " .. token
  state = {}
  cursor = 0
  pending = nil
  ok, stale, other, gets = 0, 0, 0, 0
end

function request()
  cursor = cursor % #mine + 1
  local claim = mine[cursor]
  local known = state[claim]
  if known == nil then
    pending = {claim = claim, kind = "get"}
    return wrk.format("GET", "/api/v1/claims/" .. claim .. "/",
      {["Authorization"] = auth, ["Accept"] = "application/json"})
  end
  local target = "unverified"
  if known.status == "unverified" then target = "in_review" end
  pending = {claim = claim, kind = "post", target = target}
  return wrk.format("POST", "/api/v1/claims/" .. claim .. "/transitions/",
    {["Authorization"] = auth, ["Content-Type"] = "application/json",
     ["Accept"] = "application/json", ["If-Match"] = known.etag},
    '{"status":"' .. target .. '","reason":"Benchmark: reviewer picks it up."}')
end

function response(status, headers, body)
  local p = pending
  if p == nil then return end
  if p.kind == "get" then
    gets = gets + 1
    if status == 200 then
      state[p.claim] = {etag = headers["ETag"], status = body:match('"status":"([%a_]+)"')}
    end
  elseif status == 200 then
    ok = ok + 1
    state[p.claim] = {etag = headers["ETag"], status = p.target}
  elseif status == 412 then
    stale = stale + 1
    state[p.claim] = nil
  else
    other = other + 1
    state[p.claim] = nil
  end
  wrk.thread:set("ok", ok)
  wrk.thread:set("stale", stale)
  wrk.thread:set("other", other)
  wrk.thread:set("gets", gets)
end

function done(summary, latency, requests)
  bench_summary(summary, latency, {"ok", "stale", "other", "gets"})
end
