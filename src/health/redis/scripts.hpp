#pragma once
// The Lua scripts the Redis store runs (private). Each is atomic on the server and reads the
// server's clock (TIME), so deadlines and windows never depend on a client's clock.

namespace polyrouter::detail::redis::scripts {

// KEYS[1] an entry; ARGV: time left (ms), the entry's description, the channel.
// Keeps the later deadline: sets it, expires the key then, and tells the fleet, only when it
// is later than the one there. Returns 1 when it set it.
inline constexpr const char* set_later = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[1])
if ttl <= 0 then return 0 end
local deadline = now + ttl
local current = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if current >= deadline then return 0 end
redis.call('HSET', KEYS[1], 'until', deadline, 'meta', ARGV[2])
redis.call('PEXPIREAT', KEYS[1], deadline)
redis.call('PUBLISH', ARGV[3], ttl .. ' ' .. ARGV[2])
return 1
)lua";

// KEYS[1] an entry; ARGV: its description, the channel. A breaker closed: tells the fleet
// ("0 <description>") unless another process opened it again meanwhile (an entry still ahead:
// a close is only ever learned after the opening it ends has run out).
inline constexpr const char* clear = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local current = tonumber(redis.call('HGET', KEYS[1], 'until') or '0')
if current > now then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], '0 ' .. ARGV[1])
return 1
)lua";

// KEYS[1] the key's attempts (sorted set by server time), KEYS[2] its spending ("id:tokens"
// members). ARGV: requests per window (0 = none), tokens per window (0 = none), window (ms),
// a unique member for this attempt. Any window holds at most ARGV[1] attempts and starts none
// once ARGV[2] tokens are spent in it. Returns 0 when taken, else the ms until it may be.
inline constexpr const char* take_budget = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local requests, tokens, window = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
if requests > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
  if redis.call('ZCARD', KEYS[1]) >= requests then
    local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
    return math.max(1, tonumber(oldest[2]) + window - now)
  end
end
if tokens > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - window)
  local spent = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
  local total = 0
  for i = 1, #spent, 2 do total = total + tonumber(string.match(spent[i], ':(%d+)$')) end
  if total >= tokens then
    for i = 1, #spent, 2 do
      total = total - tonumber(string.match(spent[i], ':(%d+)$'))
      if total < tokens then return math.max(1, tonumber(spent[i + 1]) + window - now) end
    end
  end
end
if requests > 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
end
return 0
)lua";

// KEYS[1] the key's spending; ARGV: "id:tokens", window (ms).
inline constexpr const char* spend_tokens = R"lua(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[1])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
)lua";

}  // namespace polyrouter::detail::redis::scripts
