-- Supervision trees of Lua actors (API.md section 9).
local starling = require "starling"

-- A worker that answers with its tag and crashes on "crash".
local function worker(swarm, tag, log)
  return function()
    if log then log[#log + 1] = "start " .. tag end
    return swarm:actor(function(self, msg)
      if msg == "crash" then error("boom " .. tag, 0) end
      if msg == "exit" then self:stop() return end
      return tag
    end, { on_stop = function(self, reason)
      if log then log[#log + 1] = "stop " .. tag .. ":" .. reason end
    end })
  end
end

local function events(swarm)
  local got = {}
  swarm:on("actor_restarted", function(ev) got[#got + 1] = { ev.type, ev.name, ev.reason, ev.t } end)
  swarm:on("supervisor_stopped", function(ev) got[#got + 1] = { ev.type, ev.name, ev.t } end)
  return got
end

describe("swarm:supervise", function()
  it("starts children in order and names them", function()
    local swarm = starling.swarm{}
    local log = {}
    local sup = swarm:supervise{ children = {
      { name = "a", start = worker(swarm, "a", log) },
      { name = "b", start = worker(swarm, "b", log) },
    } }
    assert.same({ "start a", "start b" }, log)
    assert.is_true(sup:alive())
    local answer
    swarm:spawn(function() answer = sup:child("b"):ask("hello", 1) end)
    swarm:run_for(0)
    assert.equal("b", answer)
    assert.is_nil(sup:child("nobody"))
  end)

  it("one_for_one restarts only the crashed child, with an event", function()
    local swarm = starling.swarm{}
    local got = events(swarm)
    local sup = swarm:supervise{ name = "fleet", children = {
      { name = "a", start = worker(swarm, "a") },
      { name = "b", start = worker(swarm, "b") },
    } }
    local a, b = sup:child("a"), sup:child("b")
    swarm:run_for(1)
    b:send("crash")
    swarm:run_for(0)
    assert.is_false(b:alive())
    assert.is_true(sup:child("b"):alive())
    assert.is_false(sup:child("b") == b)
    assert.is_true(sup:child("a") == a)
    assert.same({ { "actor_restarted", "b", "boom b", 1 } }, got)
  end)

  it("one_for_all restarts everyone, stopping the others in reverse", function()
    local swarm = starling.swarm{}
    local log = {}
    local sup = swarm:supervise{ strategy = "one_for_all", children = {
      { name = "a", start = worker(swarm, "a", log) },
      { name = "b", start = worker(swarm, "b", log) },
      { name = "c", start = worker(swarm, "c", log) },
    } }
    for k in pairs(log) do log[k] = nil end
    sup:child("b"):send("crash")
    swarm:run_for(0)
    assert.same({ "stop b:crashed", "stop c:shutdown", "stop a:shutdown",
      "start a", "start b", "start c" }, log)
  end)

  it("rest_for_one restarts the crashed child and those after it", function()
    local swarm = starling.swarm{}
    local log = {}
    local sup = swarm:supervise{ strategy = "rest_for_one", children = {
      { name = "a", start = worker(swarm, "a", log) },
      { name = "b", start = worker(swarm, "b", log) },
      { name = "c", start = worker(swarm, "c", log) },
    } }
    for k in pairs(log) do log[k] = nil end
    sup:child("b"):send("crash")
    swarm:run_for(0)
    assert.same({ "stop b:crashed", "stop c:shutdown", "start b", "start c" }, log)
  end)

  it("transient children come back after a crash, not after a normal exit", function()
    local swarm = starling.swarm{}
    local sup = swarm:supervise{ children = {
      { name = "t1", start = worker(swarm, "t1"), restart = "transient" },
      { name = "t2", start = worker(swarm, "t2"), restart = "transient" },
    } }
    sup:child("t1"):send("exit")
    sup:child("t2"):send("crash")
    swarm:run_for(0)
    assert.is_nil(sup:child("t1"))
    assert.is_true(sup:child("t2"):alive())
  end)

  it("temporary children never come back", function()
    local swarm = starling.swarm{}
    local got = events(swarm)
    local sup = swarm:supervise{ children = {
      { name = "tmp", start = worker(swarm, "tmp"), restart = "temporary" },
    } }
    sup:child("tmp"):send("crash")
    swarm:run_for(1)
    assert.is_nil(sup:child("tmp"))
    assert.is_true(sup:alive())
    assert.same({}, got)
  end)

  it("gives up after more than `intensity` restarts within `period`", function()
    local swarm = starling.swarm{}
    local got = events(swarm)
    local sup = swarm:supervise{ name = "fragile", intensity = 2, period = 5, children = {
      { name = "w", start = worker(swarm, "w") },
    } }
    for _ = 1, 3 do
      swarm:run_for(1)
      sup:child("w"):send("crash")
    end
    swarm:run_for(0)
    assert.is_false(sup:alive())
    assert.same({
      { "actor_restarted", "w", "boom w", 1 },
      { "actor_restarted", "w", "boom w", 2 },
      { "supervisor_stopped", "fragile", 3 },
    }, got)
  end)

  it("crashes spread out beyond the period are fine", function()
    local swarm = starling.swarm{}
    local sup = swarm:supervise{ intensity = 1, period = 2, children = {
      { name = "w", start = worker(swarm, "w") },
    } }
    for _ = 1, 5 do
      swarm:run_for(2.5)
      sup:child("w"):send("crash")
    end
    swarm:run_for(0)
    assert.is_true(sup:alive())
  end)

  it("a nested supervisor that gives up is restarted by its parent", function()
    local swarm = starling.swarm{}
    local got = events(swarm)
    local root = swarm:supervise{ name = "root", children = {
      { name = "squad", start = function()
        return swarm:supervise{ name = "squad", intensity = 0, children = {
          { name = "w", start = worker(swarm, "w") },
        } }
      end },
    } }
    local squad = root:child("squad")
    squad:child("w"):send("crash")
    swarm:run_for(0)
    assert.is_false(squad:alive())
    local squad2 = root:child("squad")
    assert.is_true(squad2:alive())
    assert.is_false(squad2 == squad)
    assert.is_true(squad2:child("w"):alive())
    assert.same({
      { "supervisor_stopped", "squad", 0 },
      { "actor_restarted", "squad", "reached max restart intensity", 0 },
    }, got)
  end)

  it("a child whose start fails fails the supervise call", function()
    local swarm = starling.swarm{}
    local log = {}
    assert.has_error(function()
      swarm:supervise{ children = {
        { name = "ok", start = worker(swarm, "ok", log) },
        { name = "bad", start = function() return "not an actor" end },
      } }
    end, "swarm:supervise: a child failed to start (invalid_argument)")
    assert.same({ "start ok", "stop ok:shutdown" }, log)
  end)

  it("rejects bad specs by name", function()
    local swarm = starling.swarm{}
    local cases = {
      { { strategy = "all_for_one", children = {} }, "option 'strategy' must be one of 'one_for_one', 'one_for_all', 'rest_for_one'" },
      { { children = { { name = "x" } } }, "child 'x' needs a 'start' function" },
      { { children = { { start = function() end } } }, "children[1] needs a 'name'" },
      { { children = { { name = "x", start = function() end, restart = "sometimes" } } }, "option 'restart' must be one of" },
      { { children = { { name = "x", start = function() end }, { name = "x", start = function() end } } }, "two children are named 'x'" },
      { { intensity = -1, children = {} }, "option 'intensity' must be >= 0" },
      { { childs = {} }, "unknown option 'childs'" },
    }
    for _, c in ipairs(cases) do
      local ok, err = pcall(swarm.supervise, swarm, c[1])
      assert.is_false(ok)
      assert.matches(c[2], err, 1, true)
    end
  end)

  it("stop stops the supervisor and its children", function()
    local swarm = starling.swarm{}
    local log = {}
    local sup = swarm:supervise{ children = {
      { name = "a", start = worker(swarm, "a", log) },
      { name = "b", start = worker(swarm, "b", log) },
    } }
    assert.is_true(sup:stop())
    assert.is_false(sup:alive())
    assert.same({ "start a", "start b", "stop b:shutdown", "stop a:shutdown" }, log)
    assert.same({ nil, "actor_stopped" }, { sup:stop() })
  end)
end)

describe("supervision edge cases", function()
  it("<close> on a supervisor stops it; the handle answers safely", function()
    local swarm = starling.swarm{}
    local keep
    do
      local sup <close> = swarm:supervise{ children = {
        { name = "a", start = function() return swarm:actor(function() end) end },
      } }
      keep = sup
    end
    assert.is_false(keep:alive())
    assert.is_nil(keep:child("a"))
  end)

  it("one_for_all stops a temporary sibling for good", function()
    local swarm = starling.swarm{}
    local tstarts = 0
    local sup = swarm:supervise{ strategy = "one_for_all", children = {
      { name = "a", start = function()
        return swarm:actor(function(self, m) if m == "crash" then error("boom") end end)
      end },
      { name = "t", restart = "temporary", start = function()
        tstarts = tstarts + 1
        return swarm:actor(function() end)
      end },
    } }
    local t = sup:child("t")
    sup:child("a"):send("crash")
    swarm:run_for(1)
    assert.is_true(sup:alive())
    assert.is_false(t:alive())
    assert.is_nil(sup:child("t"))
    assert.equal(1, tstarts)
  end)

  it("a child killed at the end of its shutdown time reports 'killed'", function()
    local swarm = starling.swarm{}
    local got = {}
    swarm:on("actor_restarted", function(ev) got[#got + 1] = ev.name .. ":" .. ev.reason end)
    local A = swarm:actor(function(self, m) if m == "busy" then swarm:sleep(10) end end)
    local function first_A()
      local n = 0
      return function()
        n = n + 1
        if n == 1 then return A end
        return swarm:actor(function() end)
      end
    end
    swarm:supervise{ name = "s2", children = { { name = "z", start = first_A() } } }
    local sup1 = swarm:supervise{ name = "s1", strategy = "one_for_all", children = {
      { name = "x", shutdown = 0.5, start = first_A() },
      { name = "y", start = function() return swarm:actor(function() error("boom") end) end },
    } }
    A:send("busy")
    swarm:run_for(0.1)
    sup1:child("y"):send(1)
    swarm:run_for(2)
    local seen = {}
    for _, s in ipairs(got) do seen[s] = true end
    assert.is_true(seen["z:killed"])
  end)

  it("stats().restarts counts supervisor restarts too", function()
    local swarm = starling.swarm{}
    local sup = swarm:supervise{ children = { { name = "w", start = function()
      return swarm:actor(function(self, msg) error("boom", 0) end)
    end } } }
    sup:child("w"):send("x")
    swarm:run_for(0)
    assert.equal(1, swarm:stats().restarts)
  end)
end)
