-- Send a scenario's prepared requests in a cycle (bench/targets.py ScenarioSpec).
--
--   wrk -s requests.lua URL -- <spec.lua> <id prefix>
--
-- <spec.lua> is written by bench/run.py: `return {headers = {...}, entries = {...},
-- fresh_ids = bool, capture_errors = bool, chain = {...} or nil}`. Requests with
-- fixed bodies are formatted once in init(), so the client does the same tiny
-- amount of work per request for every product.
-- Inserts need a new primary key each time: their body is
-- `body .. <15-char id> .. body_after`, the id being the run's 3-char prefix, the
-- thread's 2 chars and a 10-char counter in base 36, so ids never repeat across
-- threads or runs (and match PocketBase's id format, [a-z0-9]{15}).
--
-- Chains (token rotation, `refresh`): each thread holds a pool of live tokens,
-- one per connection. request() takes one out, response() puts back the token
-- the answer carries, so no token is ever sent twice and each session is
-- refreshed one request after the other. A failed answer hands back nothing:
-- that session is lost, and once the pool is empty requests go out with a dead
-- token (counted as `starved`) so the failure shows instead of stalling.
--
-- With capture_errors (and for chains) the script reads the answers and keeps
-- the first distinct failures, "<status> <body>", for bench/run.py's report.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
package.path = here .. "?.lua;" .. package.path
local report = require("report")

local threads_seen = 0
local threads = {}

function setup(thread)
  threads_seen = threads_seen + 1
  thread:set("thread_index", threads_seen)
  threads[threads_seen] = thread
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

local MAX_SAMPLES = 5
local SAMPLE_BYTES = 300

local spec, prepared, count, position, id_prefix, serial
local chain, pool, chain_headers, token_pattern, verifying
local seen_samples, samples, statuses

-- Only scalars cross from a thread to done() (thread:get), so each thread keeps
-- its tallies in globals: answers_ok, answers_no_token, answers_starved,
-- answers_failed, and answers_samples / answers_statuses as encoded JSON.

local function failed(status, body)
  answers_failed = answers_failed + 1
  local key = tostring(status)
  statuses[key] = (statuses[key] or 0) + 1
  local parts = {}
  for s, n in pairs(statuses) do
    parts[#parts + 1] = string.format('"%s":%d', s, n)
  end
  answers_statuses = "{" .. table.concat(parts, ",") .. "}"
  local sample = key .. " " .. body:sub(1, SAMPLE_BYTES)
  if #samples < MAX_SAMPLES and not seen_samples[sample] then
    seen_samples[sample] = true
    samples[#samples + 1] = report.json_string(sample)
    answers_samples = "[" .. table.concat(samples, ",") .. "]"
  end
end

local function capture_response(status, headers, body)
  if status >= 400 then
    failed(status, body)
  else
    answers_ok = answers_ok + 1
  end
end

local function chain_response(status, headers, body)
  if status == 200 then
    local token = body:match(token_pattern)
    if token then
      answers_ok = answers_ok + 1
      pool[#pool + 1] = token
      return
    end
    answers_no_token = answers_no_token + 1
  end
  failed(status, body)
end

local function chain_request()
  local token
  if verifying then
    -- wrk builds one request on its first thread to check it (never sent):
    -- that one must not use up a live token.
    verifying = false
    token = pool[#pool] or "no-live-session"
  else
    token = table.remove(pool)
    if not token then
      answers_starved = answers_starved + 1
      token = "no-live-session"
    end
  end
  local body = nil
  if chain.token_header then
    chain_headers[chain.token_header] = chain.header_prefix .. token
  end
  if chain.body_before then
    body = chain.body_before .. token .. chain.body_after
  end
  return wrk.format(chain.method, chain.path, chain_headers, body)
end

function init(args)
  spec = dofile(args[1])
  count = #spec.entries
  -- Threads start at different places, so they do not walk the same rows in step.
  position = count > 0 and ((thread_index - 1) * 7919) % count or 0
  id_prefix = (args[2] or "zzz") .. base36(thread_index, 2)
  serial = 0
  if spec.capture_errors then
    answers_ok, answers_no_token, answers_starved, answers_failed = 0, 0, 0, 0
    answers_samples, answers_statuses = "[]", "{}"
    seen_samples, samples, statuses = {}, {}, {}
    -- wrk reads answers only when `response` exists after init().
    response = capture_response
  end
  if spec.chain then
    chain = spec.chain
    pool = {}
    for _, token in ipairs(chain.tokens[thread_index] or {}) do
      pool[#pool + 1] = token
    end
    chain_headers = {}
    for name, value in pairs(chain.headers) do
      chain_headers[name] = value
    end
    token_pattern = '"' .. chain.answer_field .. '":"([^"]+)"'
    verifying = thread_index == 1
    response = chain_response
  elseif not spec.fresh_ids then
    prepared = {}
    for i, e in ipairs(spec.entries) do
      prepared[i] = wrk.format(e.method, e.path, spec.headers[e.user], e.body)
    end
  end
end

function request()
  if chain then
    return chain_request()
  end
  position = position % count + 1
  if prepared then
    return prepared[position]
  end
  local e = spec.entries[position]
  serial = serial + 1
  local body = e.body .. id_prefix .. base36(serial, 10) .. e.body_after
  return wrk.format(e.method, e.path, spec.headers[e.user], body)
end

function done(summary, latency, requests)
  local answers = nil
  local totals = { ok = 0, no_token = 0, starved = 0, failed = 0 }
  local statuses_all, samples_all, seen = {}, {}, {}
  for _, thread in ipairs(threads) do
    local ok = thread:get("answers_ok")
    if ok then
      totals.ok = totals.ok + ok
      totals.no_token = totals.no_token + thread:get("answers_no_token")
      totals.starved = totals.starved + thread:get("answers_starved")
      totals.failed = totals.failed + thread:get("answers_failed")
      local encoded = thread:get("answers_statuses")
      for s, n in encoded:gmatch('"(%d+)":(%d+)') do
        statuses_all[s] = (statuses_all[s] or 0) + tonumber(n)
      end
      local list = thread:get("answers_samples")
      -- json_string() escapes every quote, so each '"' pair is one sample.
      for sample in list:gmatch('"([^"]*)"') do
        if not seen[sample] then
          seen[sample] = true
          samples_all[#samples_all + 1] = '"' .. sample .. '"'
        end
      end
      answers = true
    end
  end
  if answers then
    local parts = {}
    for s, n in pairs(statuses_all) do
      parts[#parts + 1] = string.format('"%s":%d', s, n)
    end
    answers = string.format(
      '{"ok":%d,"no_token":%d,"starved":%d,"failed":%d,'
        .. '"statuses":{%s},"samples":[%s]}',
      totals.ok, totals.no_token, totals.starved, totals.failed,
      table.concat(parts, ","), table.concat(samples_all, ","))
  end
  report.done(summary, latency, requests, answers)
end
