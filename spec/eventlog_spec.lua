-- The event log that `starling run` and the REPL share (lua/starling/
-- eventlog.lua; issue 10, items 3 and 5): every event logged, none dropped
-- silently, whatever the fleet's size.
local BIN = "./build/starling"

-- Runs the starling executable; returns exit code and output lines
-- (stdout and stderr together), wall-clock times replaced by "TIME".
local function starling(args, stdin)
  local out = os.tmpname()
  local cmd = ("STARLING_LOG= %s %s >%s 2>&1"):format(BIN, args, out)
  if stdin then cmd = cmd .. " <" .. stdin end
  local _, how, code = os.execute(cmd)
  local f = assert(io.open(out))
  local lines = {}
  for line in f:lines() do
    lines[#lines + 1] = line:gsub("^%d%d%d%d%-%d%d%-%d%dT[%d:.]+Z ", "TIME ")
  end
  f:close()
  os.remove(out)
  assert.equal("exit", how)
  return code, lines
end

-- The lines that match `pattern` and not `except`.
local function matching(lines, pattern, except)
  local got = {}
  for _, line in ipairs(lines) do
    if line:match(pattern) and not (except and line:match(except)) then got[#got + 1] = line end
  end
  return got
end

describe("starling run's event log", function()
  it("logs every event of a 5,000-drone fleet, the shutdown's included", function()
    local code, lines = starling("run missions/patrol.lua --virtual --drones 5000 --duration 10 --set quiet=true")
    assert.equal(1, code) -- still patrolling at the end of --duration
    local registered = matching(lines, "drone_registered$")
    assert.equal(5000, #registered)
    for i, line in ipairs(registered) do
      assert.equal(("T+0.000 INFO module=event drone=%d drone_registered"):format(i - 1), line)
    end
    assert.equal(5000, #matching(lines, "drone_unregistered$"))
    assert.same({
      "T+10.100 INFO module=run Initiating swarm shutdown",
      "T+10.100 INFO module=event mission=b3f2af6d-0fc7-40c5-853b-559647364cea mission_cancelled",
      "T+10.100 INFO module=event mission=92f89756-082a-4514-a42e-1c7bc266a3a7 mission_cancelled",
      "T+10.100 INFO module=event mission=b27a48e2-9a23-4673-a4c1-23126ffda722 mission_cancelled",
      "T+10.100 INFO module=event system_shutdown",
      "T+10.100 INFO module=run Swarm shutdown complete",
    }, matching(lines, "^T%+10%.100 INFO ", "drone_unregistered$"))
    assert.same({}, matching(lines, "lost"))
  end)
end)

describe("the REPL's event log", function()
  it("logs the swarm's events at their levels, as starling run does", function()
    local sock = os.tmpname()
    os.remove(sock)
    local code, lines = starling(("repl --drones 3 --log info --control %s"):format(sock), "/dev/null")
    assert.equal(0, code)
    assert.same({
      "TIME INFO module=event drone=0 drone_registered",
      "TIME INFO module=event drone=1 drone_registered",
      "TIME INFO module=event drone=2 drone_registered",
      -- system_shutdown before any actor stops (API.md's amendments; issue
      -- 10 item 8)
      "TIME INFO module=event system_shutdown",
      "TIME INFO module=event drone=2 drone_unregistered",
      "TIME INFO module=event drone=1 drone_unregistered",
      "TIME INFO module=event drone=0 drone_unregistered",
    }, matching(lines, "module=event"))
  end)

  it("keeps event lines at info out of the prompt by default (warn,repl=info)", function()
    local sock = os.tmpname()
    os.remove(sock)
    local code, lines = starling(("repl --drones 3 --control %s"):format(sock), "/dev/null")
    assert.equal(0, code)
    assert.same({}, matching(lines, "module=event"))
  end)
end)

describe("starling.eventlog", function()
  -- A stand-in swarm whose subscription's lag the test sets, to see what
  -- the log says when its subscription lost events.
  local function fake_swarm()
    local swarm = { logged = {} }
    function swarm:on(pattern, fn)
      self.pattern, self.handler = pattern, fn
      self.sub = { lagged = 0, cancel = function() return true end }
      return self.sub
    end
    function swarm:_log(level, module, msg, f)
      self.logged[#self.logged + 1] = { level, module, msg, f }
    end
    return swarm
  end

  it("says how many events were lost, once per loss, and at close", function()
    local eventlog = require "starling.eventlog"
    local swarm = fake_swarm()
    local log = eventlog.attach(swarm)
    assert.equal("*", swarm.pattern)
    swarm.handler{ type = "supervisor_stopped", t = 1, name = "sup" }
    swarm.sub.lagged = 7
    swarm.handler{ type = "supervisor_stopped", t = 2, name = "sup" }
    swarm.handler{ type = "supervisor_stopped", t = 3, name = "sup" }
    swarm.sub.lagged = 9
    assert.is_true(log:close())
    assert.same({
      { "error", "event", "supervisor_stopped", { name = "sup" } },
      { "warn", "event", "events lost before they could be logged", { lost = 7 } },
      { "error", "event", "supervisor_stopped", { name = "sup" } },
      { "error", "event", "supervisor_stopped", { name = "sup" } },
      { "warn", "event", "events lost before they could be logged", { lost = 2 } },
    }, swarm.logged)
  end)
end)
