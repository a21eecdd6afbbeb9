-- The peer of messages.keel: 1,000,000 events through a bounded queue (a ring of handler and
-- payload) to a handler that updates state, in batches of 1,000 acknowledged by an event.
local CAPACITY = 1024
local handlers, payloads = {}, {}
local first, last = 1, 0
local state = { n = 0 }
local function send(handler, payload)
  if last - first + 1 >= CAPACITY then error("busy") end
  last = last + 1
  handlers[last], payloads[last] = handler, payload
end
local on_ack
local function on_message(x)
  state.n = state.n + 1
  if state.n % 1000 == 0 then send(on_ack, state.n) end
  if state.n == 1000000 then first, last = 1, 0 end
end
on_ack = function(n)
  for i = 1, 1000 do send(on_message, i) end
end
send(on_ack, 0)
while first <= last do
  local h, p = handlers[first], payloads[first]
  handlers[first], payloads[first] = nil, nil
  first = first + 1
  h(p)
end
assert(state.n == 1000000)
