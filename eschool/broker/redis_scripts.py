"""The Lua scripts of the Redis broker (:mod:`eschool.broker.redis`): each runs whole inside
Redis, so the seq, the dedupe check and the entry are one step for every process."""

from __future__ import annotations

# KEYS: log stream, seq counter, dedupe hash, generation.
# ARGV: max entries kept (0: all), dedupe TTL, room TTL (0: none), then for each event: its JSON
#       (without seq), its dedupe key or "", "1" to refuse a room without a log.
# Returns {kind, seq, JSON} per event, in order: kind 0 appended (the JSON is "": the caller has
# it), 1 deduplicated (the original's JSON, "" when no longer retained), -1 the room has no log.
APPEND_SCRIPT = """
local log, counter, dedupe, generation = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local max_entries, dedupe_ttl, room_ttl = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local gen = redis.call("GET", generation) or "0"
local result, keyed, appended = {}, false, false
for i = 4, #ARGV, 3 do
  local event, key, existing_only = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local kind, seq, text = 0, 0, ""
  if existing_only == "1" then
    local last = redis.call("GET", counter)
    if not last or (last ~= "0" and redis.call("EXISTS", log) == 0) then
      kind = -1
    end
  end
  if kind == 0 and key ~= "" then
    local seen = redis.call("HGET", dedupe, key)
    if seen then
      kind, seq = 1, tonumber(seen)
      local found = redis.call("XRANGE", log, seen, seen)
      if found[1] then
        text = found[1][2][2]
      end
    end
  end
  if kind == 0 then
    seq = redis.call("INCR", counter)
    if max_entries > 0 then
      redis.call("XADD", log, "MAXLEN", max_entries, seq .. "-" .. gen, "e", event)
    else
      redis.call("XADD", log, seq .. "-" .. gen, "e", event)
    end
    appended = true
    if key ~= "" then
      redis.call("HSET", dedupe, key, seq)
      keyed = true
    end
  end
  result[#result + 1] = kind
  result[#result + 1] = seq
  result[#result + 1] = text
end
if keyed then
  redis.call("EXPIRE", dedupe, dedupe_ttl)
end
if appended and room_ttl > 0 then
  redis.call("EXPIRE", log, room_ttl)
  redis.call("EXPIRE", counter, room_ttl)
  redis.call("EXPIRE", generation, room_ttl)
end
return result
"""

# KEYS: log stream, seq counter, dedupe hash, generation.
# ARGV: max entries kept (0: all), room TTL (0: none), then seq and event JSON of each event.
# Returns 1 when it restored the log, 0 when the room has one.
RESTORE_SCRIPT = """
local log, counter, dedupe, generation = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local max_entries, room_ttl = tonumber(ARGV[1]), tonumber(ARGV[2])
local last = redis.call("GET", counter)
if last and (last == "0" or redis.call("EXISTS", log) == 1) then
  return 0
end
redis.call("DEL", log, dedupe)
local now = redis.call("TIME")
local gen = now[1] .. string.format("%06d", tonumber(now[2]))
last = "0"
for i = 3, #ARGV, 2 do
  redis.call("XADD", log, ARGV[i] .. "-" .. gen, "e", ARGV[i + 1])
  last = ARGV[i]
end
if max_entries > 0 and last ~= "0" then
  redis.call("XTRIM", log, "MAXLEN", max_entries)
end
redis.call("SET", counter, last)
redis.call("SET", generation, gen)
if room_ttl > 0 then
  redis.call("EXPIRE", log, room_ttl)
  redis.call("EXPIRE", counter, room_ttl)
  redis.call("EXPIRE", generation, room_ttl)
end
return 1
"""
