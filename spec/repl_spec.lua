-- The REPL's sessions (API.md section 11), as the terminal and the control
-- socket drive them: Lua in, readable results out, shorthand, multi-line
-- chunks, errors, completion and interrupting an evaluation.
local starling = require "starling"
local repl = require "starling.repl"

local function session(swarm)
  swarm = swarm or starling.swarm{}
  local out = {}
  local s = repl.session{ swarm = swarm, starling = starling, write = function(t) out[#out + 1] = t end }
  return s, swarm, out
end

describe("a REPL session", function()
  it("prints expression results readably and runs statements", function()
    local s = session()
    assert.equal("3\n", s:feed("1 + 2"))
    assert.equal("", s:feed("x = { 3, 2, name = 'n', [true] = 1, nested = { a = { b = { c = { d = { e = 1 } } } } } }"))
    -- longer than a line: one field per line; keys sorted by type, then value
    assert.equal('{\n  3,\n  2,\n  [true] = 1,\n  name = "n",\n  nested = { a = { b = { c = { d = {...} } } } }\n}\n',
      s:feed("x"))
    assert.equal('{ 1, 2, a = "b" }\n', s:feed("{ 1, 2, a = 'b' }"))
    assert.equal("", s:feed("x.self = x"))
    assert.matches("self = <cycle>", s:feed("x"), 1, true)
    assert.equal('1\t"two"\tnil\n', s:feed("1, 'two', nil"))
    assert.equal("{}\n", s:feed("{}"))
  end)

  it("waits for the rest of an incomplete chunk", function()
    local s = session()
    assert.equal("> ", s:prompt())
    assert.equal("", s:feed("function f(a)"))
    assert.equal(">> ", s:prompt())
    assert.equal("", s:feed("  return a * 2"))
    assert.equal("", s:feed("end"))
    assert.equal("> ", s:prompt())
    assert.equal("42\n", s:feed("f(21)"))
    assert.equal("", s:feed("for i = 1,"))
    assert.equal("line", s:interrupt(false)) -- Ctrl+C at the prompt drops it
    assert.equal("> ", s:prompt())
  end)

  it("reports errors and keeps going; each session has its own globals", function()
    local swarm = starling.swarm{}
    local a = session(swarm)
    local b = session(swarm)
    assert.equal("stdin:1: unexpected symbol near '='\n", a:feed("= 3"))
    -- the message and the user's own frames, none of the REPL's
    assert.equal("stdin:1: boom\n", a:feed("error('boom')"))
    assert.equal("stdin:1: attempt to index a nil value (local 'x')\n", a:feed("local x; x.y = 1"))
    assert.equal("", a:feed("function inner() error('deep') end"))
    assert.equal("", a:feed("function outer() inner(); return 1 end"))
    assert.equal("stdin:1: deep\nstack traceback:\n\tstdin:1: in global 'inner'\n"
      .. "\tstdin:1: in global 'outer'\n\tstdin:1: in main chunk\n", a:feed("local y = outer(); return y"))
    assert.equal("stdin:1: bad argument #1 to 'rep' (number expected, got nil)\nstack traceback:\n"
      .. "\t[C]: in function 'string.rep'\n\tstdin:1: in main chunk\n", a:feed("('x'):rep(nil)"))
    assert.equal("", a:feed("mine = 1"))
    assert.equal("1\n", a:feed("mine"))
    assert.equal("nil\n", b:feed("mine"))
    assert.is_nil(rawget(_G, "mine"))
    assert.equal("0\n", a:feed("swarm:count()"))
  end)

  it("runs shorthand commands against the swarm", function()
    local s, swarm = session()
    swarm:spawn_fleet(2)
    swarm:run_for(0.1)
    assert.equal("1 drone flying to (10, 0, 30)\n", s:feed(":goto 1 10 0"))
    assert.equal("bad command at column 7: expected a drone id: there is no drone 9\n  :goto 9 1 1\n        ^\n",
      s:feed(":goto 9 1 1"))
    local text, action = s:feed(":quit")
    assert.same({ "shutting down\n", "quit" }, { text, action })
  end)

  it("a runaway evaluation is interrupted, and the session goes on", function()
    local s = session()
    s.env.ctrl_c = function() s:interrupt(true) end -- as the SIGINT watcher does
    assert.equal("interrupted\n", s:feed("ctrl_c() while true do end"))
    assert.equal("2\n", s:feed("1 + 1"))
  end)

  it("completes globals, fields, methods and shorthand names", function()
    local s, swarm = session()
    local c = s:complete("swarm:sp")
    assert.same({ "swarm:spawn", "swarm:spawn_drone", "swarm:spawn_fleet" }, c)
    assert.same({ "starling.formation" }, s:complete("starling.fo"))
    assert.same({ "starling.formation.define" }, s:complete("starling.formation.de"))
    assert.same({ ":patrol", ":pause" }, s:complete(":pa"))
    assert.same({ "print" }, s:complete("pri"))
    assert.same({ "swarm:now" }, s:complete("x = swarm:no")) -- the word before the cursor
    assert.same({}, s:complete("nothing.here"))
    s:feed("local_thing = 1")
    assert.same({ "local_thing" }, s:complete("local_th"))
    swarm:close()
  end)
end)

describe("a session that owns what it creates (a control client's)", function()
  it("ends its subscriptions, queues, timers, tasks and actors when it closes", function()
    local swarm = starling.swarm{}
    swarm:spawn_fleet(2)
    local s = repl.session{ swarm = swarm, starling = starling, own = true, write = function() end }
    assert.equal("", s:feed("seen = 0 sub = swarm:on('drone_state', function() seen = seen + 1 end)"))
    assert.equal("", s:feed("q = swarm:events('*')"))
    assert.equal("", s:feed("ticks = 0 t = swarm:every(1, function() ticks = ticks + 1 end)"))
    assert.equal("", s:feed("later = swarm:after(100, function() end)"))
    assert.equal("", s:feed("loops = 0 task = swarm:spawn(function() while true do loops = loops + 1 swarm:sleep(1) end end)"))
    assert.equal("", s:feed("a = swarm:actor(function() end)"))
    -- what runs inside a task is the session's too
    assert.equal("", s:feed("_ = swarm:spawn(function() inner = swarm:every(1, function() end) end)"))
    swarm:run_for(2.5)
    local env = s.env
    assert.equal(2, env.ticks)
    assert.is_true(env.seen > 0)
    assert.is_true(env.inner:active())
    -- the completion still sees the swarm's methods through the session's swarm
    assert.same({ "swarm:spawn", "swarm:spawn_drone", "swarm:spawn_fleet" }, s:complete("swarm:spa"))
    assert.is_true(#env.q:drain() > 0)
    s:close()
    local seen, ticks, loops = env.seen, env.ticks, env.loops
    swarm:drone(0):move_to{ 100, 0, 0 } -- drone_state events follow
    swarm:run_for(5)
    assert.equal(seen, env.seen)
    assert.equal(ticks, env.ticks)
    assert.equal(loops, env.loops)
    assert.equal("cancelled", env.task.status)
    assert.is_false(env.t:active())
    assert.is_false(env.later:active())
    assert.is_false(env.inner:active())
    assert.is_false(env.a:alive())
    assert.same({}, env.q:drain())
    -- the swarm itself goes on
    assert.equal("moving", swarm:drone(0):state())
    swarm:close()
  end)

  it("keeps what it owns bounded: finished timers and tasks are forgotten", function()
    local swarm = starling.swarm{}
    local s = repl.session{ swarm = swarm, starling = starling, own = true, write = function() end }
    for _ = 1, 100 do
      assert.equal("", s:feed("for i = 1, 50 do swarm:after(0.001, function() end) swarm:spawn(function() end) end"))
      swarm:run_for(0.01)
    end
    -- 10,000 made, at most 100 alive at a time: the memory of them stays near that
    assert.is_true(s:owned() < 400)
    s:close()
    swarm:close()
  end)
end)

describe("a REPL session's command to many drones", function()
  it("shows nothing while the orders go out a slice at a time, then the answer", function()
    local shorthand = require "starling.shorthand"
    local slice = shorthand.SLICE
    local s, swarm = session()
    swarm:spawn_fleet(5)
    swarm:run_for(0.1)
    shorthand.SLICE = 2
    local ok, err = pcall(function()
      local text, action, more = s:feed(":goto all 10 10")
      assert.same({ "", "stream" }, { text, action })
      local out = {}
      for t in more do out[#out + 1] = t end
      assert.same({ "", "", "", "5 drones flying to (10, 10, 30)\n" }, out)
    end)
    shorthand.SLICE = slice
    assert(ok, err)
  end)
end)
