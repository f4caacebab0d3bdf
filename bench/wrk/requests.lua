-- Send a scenario's prepared requests in a cycle (bench/targets.py ScenarioSpec).
--
--   wrk -s requests.lua URL -- <spec.lua> <id prefix>
--
-- <spec.lua> is written by bench/run.py: `return {headers = {...}, entries = {...},
-- fresh_ids = bool}`. Requests with fixed bodies are formatted once in init(), so
-- the client does the same tiny amount of work per request for every product.
-- Inserts need a new primary key each time: their body is
-- `body .. <15-char id> .. body_after`, the id being the run's 3-char prefix, the
-- thread's 2 chars and a 10-char counter in base 36, so ids never repeat across
-- threads or runs (and match PocketBase's id format, [a-z0-9]{15}).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
done = require("report").done

local threads_seen = 0

function setup(thread)
  threads_seen = threads_seen + 1
  thread:set("thread_index", threads_seen)
end

local DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"

local function base36(n, width)
  local out = {}
  for i = width, 1, -1 do
    local d = n % 36
    out[i] = DIGITS:sub(d + 1, d + 1)
    n = (n - d) / 36
  end
  return table.concat(out)
end

local spec, prepared, count, position, id_prefix, serial

function init(args)
  spec = dofile(args[1])
  count = #spec.entries
  -- Threads start at different places, so they do not walk the same rows in step.
  position = ((thread_index - 1) * 7919) % count
  id_prefix = (args[2] or "zzz") .. base36(thread_index, 2)
  serial = 0
  if not spec.fresh_ids then
    prepared = {}
    for i, e in ipairs(spec.entries) do
      prepared[i] = wrk.format(e.method, e.path, spec.headers[e.user], e.body)
    end
  end
end

function request()
  position = position % count + 1
  if prepared then
    return prepared[position]
  end
  local e = spec.entries[position]
  serial = serial + 1
  local body = e.body .. id_prefix .. base36(serial, 10) .. e.body_after
  return wrk.format(e.method, e.path, spec.headers[e.user], body)
end
