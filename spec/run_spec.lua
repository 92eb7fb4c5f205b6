-- `starling run FILE [options]` on mission files: exit codes and messages
-- (API.md section 11: 0 finished, 1 failed; 2 for bad options or params).
local BIN = "./build/starling"

local function run(args)
  local out = os.tmpname()
  local ok, how, code = os.execute(("%s run %s >%s 2>&1"):format(BIN, args, out))
  local f = assert(io.open(out))
  local text = f:read("a")
  f:close()
  os.remove(out)
  assert.equal("exit", how)
  return code, text
end

describe("starling run on a mission file", function()
  it("flies it and exits 0 when it finished", function()
    local code, text = run("spec/fixtures/survey.lua --drones 3 --set drones=3 --set label=north")
    assert.equal(0, code)
    assert.matches("T%+000%.000  3 drones spawned; flying mission 'survey'\n", text)
    assert.matches("mission 'survey' finished\n", text)
    assert.matches("swarm shutdown complete\n$", text)
  end)

  it("exits 1 when the mission failed, with its error", function()
    local code, text = run("spec/fixtures/failing.lua")
    assert.equal(1, code)
    assert.matches("T%+001%.100  mission 'failing' failed: spec/fixtures/failing.lua:6: lost the plot\n", text)
  end)

  it("exits 1 when the mission did not finish within --duration", function()
    local code, text = run("spec/fixtures/survey.lua --duration 5")
    assert.equal(1, code)
    assert.matches("mission 'survey' still running after 5 s: cancelled\n", text)
  end)

  it("exits 2 on a bad option or param, naming it, before anything flies", function()
    local code, text = run("spec/fixtures/survey.lua --bogus")
    assert.equal(2, code)
    assert.equal("starling run: unknown option '--bogus' (options: --drones N, --seed S, --duration T, "
      .. "--set name=value, --virtual)\n", text)
    code, text = run("spec/fixtures/survey.lua --set dronez=2")
    assert.equal(2, code)
    assert.matches("starling run: run_mission: mission 'survey' has no parameter 'dronez' "
      .. "(parameters: altitude, drones, label, x, y)\n", text, 1, true)
    code, text = run("spec/fixtures/survey.lua --set drones=many")
    assert.equal(2, code)
    assert.matches("parameter 'drones' of mission 'survey' must be a number (got string)", text, 1, true)
    code, text = run("spec/fixtures/survey.lua --drones 0")
    assert.equal(2, code)
    assert.equal("starling run: --drones wants a whole number of drones, at least 1 (got '0')\n", text)
    code, text = run("spec/fixtures/survey.lua --speed 10")
    assert.equal(2, code)
    assert.equal("starling run: --speed is not supported yet: starling run flies missions in virtual time for now\n", text)
    code, text = run("spec/fixtures/survey.lua --set")
    assert.equal(2, code)
    assert.equal("starling run: --set needs a value\n", text)
  end)

  it("exits 1 on a file that does not compile, with file:line", function()
    local code, text = run("spec/fixtures/syntax_error.lua")
    assert.equal(1, code)
    assert.matches("spec/fixtures/syntax_error.lua:1:", text, 1, true)
  end)
end)
