-- Requests for bench/load.sh, one scenario per run, chosen by $SCENARIO:
--   bare    GET /bare (the ceiling: no SCIM work)
--   sql     GET /sql/{id} (the SQL ceiling of a SQL store: the same primary-key SELECT in a
--           bare handler), cycling through the users as get does
--   get     GET /Users/{id}, cycling through the preloaded users (every one, up to 100,000;
--           beyond that 100,000 spread evenly over them)
--   nolog   the same GETs through an engine with the provisioning log off (what keeping
--           the log costs, side by side with get)
--   metered the same GETs with the reference server's Prometheus metrics recorded (what
--           they cost, side by side with get)
--   filter  GET /Users?filter=userName eq "user5000"
--   post    POST /Users with a unique userName
--   patch   PATCH /Users/{id} replace active, flipping on every pass over the users (formatted
--           up front like get: up to 50,000 users per pass)
--   member  PATCH /Groups/{id} adding one member, then removing it (the group keeps its size)
--   group   GET /Groups/{id}?excludedAttributes=members
--   members GET /Groups/{id}: the whole group, each member with its display name
--   cursor1 GET /Users?cursor&count=100&sortBy=userName: the first page by cursor (RFC 9865)
--   cursor100 the 100th such page ($CURSOR100, the cursor load.sh walked to)
--   index1  GET /Users?startIndex=1&count=100&sortBy=userName: the first page by index
--   index100 the 100th such page (startIndex=9901)
-- $IDS is the file load-server wrote: the group's id, then the users' ids.

local scenario = os.getenv("SCENARIO")
local prefix = os.getenv("PREFIX") or "/scim/v2"
local group, ids = nil, {}
for line in io.lines(os.getenv("IDS")) do
  if group == nil then group = line else ids[#ids + 1] = line end
end

local headers = {
  ["Authorization"] = "Bearer bench",
  ["Content-Type"] = "application/scim+json",
}
-- Requests that do not change are formatted once, and GETs by id are formatted up front for
-- up to 100,000 users spread over the whole range: building each request in Lua costs wrk
-- (which shares the machine with the server) more for a million ids than for ten thousand,
-- as LuaJIT interns every string it makes.
local fixed = {
  bare = "/bare",
  filter = prefix .. "/Users?filter=userName%20eq%20%22user5000%22",
  group = prefix .. "/Groups/" .. group .. "?excludedAttributes=members",
  members = prefix .. "/Groups/" .. group,
  cursor1 = prefix .. "/Users?cursor&count=100&sortBy=userName",
  cursor100 = prefix .. "/Users?cursor=" .. (os.getenv("CURSOR100") or "") .. "&count=100&sortBy=userName",
  index1 = prefix .. "/Users?startIndex=1&count=100&sortBy=userName",
  index100 = prefix .. "/Users?startIndex=9901&count=100&sortBy=userName",
}
local prebuilt = {}
if fixed[scenario] then
  prebuilt[1] = wrk.format("GET", fixed[scenario], headers)
elseif scenario == "get" or scenario == "sql" or scenario == "nolog" or scenario == "metered" then
  local bases = {
    get = prefix .. "/Users/",
    nolog = "/nolog" .. prefix .. "/Users/",
    metered = "/metered" .. prefix .. "/Users/",
    sql = "/sql/",
  }
  local base = bases[scenario]
  local step = math.max(1, math.floor(#ids / 100000))
  for i = 1, #ids, step do
    prebuilt[#prebuilt + 1] = wrk.format("GET", base .. ids[i], headers)
  end
elseif scenario == "patch" then
  -- One pass over the users sets active to false, the next to true, and so on.
  local step = math.max(1, math.floor(#ids / 50000))
  for _, active in ipairs({"false", "true"}) do
    local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],'
      .. '"Operations":[{"op":"replace","path":"active","value":' .. active .. '}]}'
    for i = 1, #ids, step do
      prebuilt[#prebuilt + 1] = wrk.format("PATCH", prefix .. "/Users/" .. ids[i], headers, body)
    end
  end
end
local counter = 0
local run = tostring(os.time()) .. tostring(math.random(1, 1000000))
local patch_op = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":['

request = function()
  counter = counter + 1
  if #prebuilt > 0 then
    return prebuilt[(counter % #prebuilt) + 1]
  elseif scenario == "post" then
    local body = '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"load-'
      .. run .. "-" .. counter .. '","name":{"givenName":"Load","familyName":"Test"},'
      .. '"emails":[{"value":"load-' .. counter .. '@example.com","type":"work","primary":true}],"active":true}'
    return wrk.format("POST", prefix .. "/Users", headers, body)
  elseif scenario == "member" then
    local member = "load-member-" .. run .. "-" .. math.floor((counter + 1) / 2)
    local body
    if counter % 2 == 1 then
      body = patch_op .. '{"op":"add","path":"members","value":[{"value":"' .. member .. '"}]}]}'
    else
      body = patch_op .. '{"op":"remove","path":"members[value eq \\"' .. member .. '\\"]"}]}'
    end
    return wrk.format("PATCH", prefix .. "/Groups/" .. group, headers, body)
  end
  error("unknown SCENARIO " .. tostring(scenario))
end

-- Count answers that are not 2xx: a benchmark of errors is no benchmark.
local failures = 0
response = function(status)
  if status >= 300 then failures = failures + 1 end
end

done = function(summary, latency, requests)
  io.write(string.format("non2xx=%d\n", summary.errors.status))
end
