-- wrk script: replays the request paths of the file named by the PATHS
-- environment variable, one line each, in turn; each wrk thread starts at
-- its own offset, so no two connections ask for the same path together.
-- Each request is formatted once, when the thread starts, so that the load
-- generator spends its share of the machine sending, not formatting.
local paths = {}
local f = assert(io.open(os.getenv("PATHS"), "r"))
for line in f:lines() do
  if #line > 0 then paths[#paths + 1] = line end
end
f:close()

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("offset", counter * 7919)
end

local reqs = {}
local i = 0
function init(args)
  i = offset or 0
  for k, p in ipairs(paths) do
    reqs[k] = wrk.format("GET", p)
  end
end

function request()
  i = i + 1
  return reqs[(i % #reqs) + 1]
end
