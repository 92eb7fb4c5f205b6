-- hello_actors.lua -- the runtime on its own, before any drone flies.
--
-- Shows: spawning actors, send and ask, a handler that waits, timers, and a
-- graceful shutdown, all in deterministic virtual time.  A relay of five
-- actors passes a token around; a "tower" actor answers position requests
-- after a short think; a watchdog timer reports progress each second.
--
--   starling run missions/hello_actors.lua
local starling = require "starling"

local swarm = starling.swarm{ seed = 7 }

local function say(fmt, ...)
  print(("T+%06.3f  " .. fmt):format(swarm:now(), ...))
end

-- The tower answers "where is drone N?" after 0.2 s of thought.
local tower = swarm:actor(function(self, drone)
  swarm:sleep(0.2)
  return { x = drone * 50, y = 0, z = 30 }
end, {
  name = "tower",
  on_stop = function(self, reason) say("tower stopped (%s)", reason) end,
})

-- A ring of relays: each forwards the token to the next until it has done
-- `laps` full circles.
local relays, laps, hops = {}, 3, 0
for i = 1, 5 do
  relays[i] = swarm:actor(function(self, token)
    hops = hops + 1
    if token.lap > laps then return end
    local nxt = i % #relays + 1
    if nxt == 1 then token.lap = token.lap + 1 end
    relays[nxt]:send(token)
  end, { name = "relay" .. i })
end
say("spawned %d relays and a tower", #relays)

relays[1]:send({ lap = 1 })

-- Drones ask the tower where they are, one after another.
local asker = swarm:spawn(function()
  for drone = 1, 3 do
    local pos = tower:ask(drone, 1)
    say("tower says drone %d is at (%g, %g, %g)", drone, pos.x, pos.y, pos.z)
  end
  return "asked 3 times"
end)

local watchdog = swarm:every(1, function()
  say("watchdog: %d hops so far, asker %s", hops, asker.status)
end)

swarm:run_for(2.5)
watchdog:cancel()
say("relay token made %d hops; asker %s: %s", hops, asker.status,
    (asker:wait()))
swarm:shutdown{ timeout = 1 }
say("swarm shut down")
