-- `starling run FILE [options]` on mission files: exit codes and messages
-- (API.md section 11: 0 finished, 1 failed; 2 for bad options or params).
local BIN = "./build/starling"

local function run(args, env)
  local out = os.tmpname()
  local _, how, code = os.execute(("%s %s run %s >%s 2>&1"):format(env or "STARLING_LOG=", BIN, args, out))
  local f = assert(io.open(out))
  local text = f:read("a")
  f:close()
  os.remove(out)
  assert.equal("exit", how)
  return code, text
end

describe("starling run on a mission file", function()
  it("flies it, logs its events, and exits 0 when it finished", function()
    local code, text = run("spec/fixtures/survey.lua --virtual --drones 3 --set drones=3 --set label=north")
    assert.equal(0, code)
    local lines = {}
    for line in text:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.same({
      "T+0.000 INFO module=run clock=virtual drones=3 seed=1 fleet spawned",
      "T+0.000 INFO module=event drone=0 drone_registered",
      "T+0.000 INFO module=event drone=1 drone_registered",
      "T+0.000 INFO module=event drone=2 drone_registered",
      "T+0.100 INFO module=run mission=survey mission started",
      -- drone 2 from (100, 0, 0) to (100, 20, 20): 28.3 m, lands at 2.9;
      -- drone 0 from the origin to (100, 0, 20): 102.0 m, lands at 10.2
      "T+10.200 INFO module=run mission=survey mission finished",
      -- what the mission returned, on stdout, as the prompt prints values
      '"north"\t3\t10.2',
      "T+10.200 INFO module=run Initiating swarm shutdown",
      -- system_shutdown before any actor stops (API.md's amendments)
      "T+10.200 INFO module=event system_shutdown",
      "T+10.200 INFO module=event drone=2 drone_unregistered",
      "T+10.200 INFO module=event drone=1 drone_unregistered",
      "T+10.200 INFO module=event drone=0 drone_unregistered",
      "T+10.200 INFO module=run Swarm shutdown complete",
    }, lines)
  end)

  it("--log and STARLING_LOG choose what is logged, per module", function()
    local _, text = run("spec/fixtures/survey.lua --virtual --drones 1 --set drones=1 --log warn,run=info")
    assert.equal("T+0.000 INFO module=run clock=virtual drones=1 seed=1 fleet spawned\n"
      .. "T+0.100 INFO module=run mission=survey mission started\n"
      .. "T+10.200 INFO module=run mission=survey mission finished\n"
      .. '"survey"\t1\t10.2\n'
      .. "T+10.200 INFO module=run Initiating swarm shutdown\n"
      .. "T+10.200 INFO module=run Swarm shutdown complete\n", text)
    local code
    code, text = run("spec/fixtures/survey.lua --virtual --drones 1 --set drones=1", "STARLING_LOG=event=debug,run=error")
    assert.equal(0, code)
    assert.matches("T%+0%.100 DEBUG module=event drone=0 reason=commanded state=moving drone_state\n", text)
    assert.not_matches("module=run", text)
    code, text = run("spec/fixtures/survey.lua --virtual --log loud")
    assert.equal(2, code)
    assert.equal("starling run: --log: unknown log level 'loud' (levels: error warn info debug trace)\n", text)
  end)

  it("exits 1 when the mission failed, with its error", function()
    local code, text = run("spec/fixtures/failing.lua --virtual --drones 1")
    assert.equal(1, code)
    assert.matches("T+1.100 ERROR module=lua task failed: spec/fixtures/failing.lua:6: lost the plot\n", text, 1, true)
    assert.matches('T+1.100 ERROR module=run error="spec/fixtures/failing.lua:6: lost the plot" '
      .. "mission=failing mission failed\n", text, 1, true)
  end)

  it("exits 1 when the mission was cancelled under it", function()
    local code, text = run("spec/fixtures/shutdown_self.lua --virtual --log warn")
    assert.equal(1, code)
    assert.equal("T+1.000 WARN module=run mission=shutdown_self mission cancelled\n", text)
  end)

  it("exits 1 when the mission did not finish within --duration", function()
    local code, text = run("spec/fixtures/survey.lua --virtual --duration 5 --log warn")
    assert.equal(1, code)
    assert.equal("T+5.100 WARN module=run duration=5 mission=survey "
      .. "mission still running at the end of --duration: cancelled\n", text)
  end)

  it("exits 2 on a bad option or param, naming it, before anything flies", function()
    local code, text = run("spec/fixtures/survey.lua --virtual --bogus")
    assert.equal(2, code)
    assert.equal("starling run: unknown option '--bogus' (options: --drones N, --seed S, --duration T, "
      .. "--set name=value, --log LEVEL, --virtual, --speed K, --control ADDR)\n", text)
    code, text = run("spec/fixtures/survey.lua --virtual --set dronez=2")
    assert.equal(2, code)
    assert.matches("starling run: run_mission: mission 'survey' has no parameter 'dronez' "
      .. "(parameters: altitude, drones, label, x, y)\n", text, 1, true)
    code, text = run("spec/fixtures/survey.lua --virtual --set drones=many")
    assert.equal(2, code)
    assert.matches("parameter 'drones' of mission 'survey' must be a number (got string)", text, 1, true)
    code, text = run("spec/fixtures/survey.lua --virtual --drones 0")
    assert.equal(2, code)
    assert.equal("starling run: --drones wants a whole number of drones, at least 1 (got '0')\n", text)
    code, text = run("spec/fixtures/survey.lua --virtual --speed 10")
    assert.equal(2, code)
    assert.equal("starling run: --virtual and --speed exclude each other\n", text)
    code, text = run("spec/fixtures/survey.lua --virtual --control /tmp/x.sock")
    assert.equal(2, code)
    assert.equal("starling run: --control needs real time (drop --virtual)\n", text)
    code, text = run("spec/fixtures/survey.lua --control tcp://10.1.2.3:7000")
    assert.equal(2, code)
    assert.equal("starling run: control socket: the control socket listens on loopback only "
      .. "(127.0.0.1, localhost or ::1), not 10.1.2.3\n", text)
    code, text = run("spec/fixtures/survey.lua --virtual --set")
    assert.equal(2, code)
    assert.equal("starling run: --set needs a value\n", text)
  end)

  it("exits 1 on a missing file, naming it; --help explains", function()
    local code, text = run("spec/fixtures/no_such_mission.lua --virtual")
    assert.equal(1, code)
    assert.equal("starling: cannot open spec/fixtures/no_such_mission.lua: No such file or directory\n", text)
    local _, how, rc = os.execute(BIN .. " run --help >/dev/null 2>&1")
    assert.same({ "exit", 0 }, { how, rc })
  end)

  it("exits 1 on a file that does not compile, with file:line", function()
    local code, text = run("spec/fixtures/syntax_error.lua --virtual")
    assert.equal(1, code)
    assert.matches("spec/fixtures/syntax_error.lua:1:", text, 1, true)
  end)
  it("Ctrl+C or SIGTERM: a graceful shutdown, the seed's lines, exit 130", function()
    local code, text = run("spec/fixtures/interrupt.lua --virtual --drones 2 --log warn,run=info")
    assert.equal(130, code)
    assert.equal("T+0.000 INFO module=run clock=virtual drones=2 seed=1 fleet spawned\n"
      .. "T+0.100 INFO module=run mission=interrupt mission started\n"
      .. "T+1.000 WARN module=run signal=SIGINT Received Ctrl+C\n"
      .. "T+1.000 INFO module=run Initiating swarm shutdown\n"
      .. "T+1.000 INFO module=run Swarm shutdown complete\n", text)
    -- on the real clock, 5x: the same, with wall-clock times
    code, text = run("spec/fixtures/interrupt.lua --speed 5 --drones 2 --set signal=TERM --log warn,run=info")
    assert.equal(130, code)
    local T = "%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d%d%dZ"
    assert.matches("^" .. T .. " INFO module=run clock=\"real x5\" drones=2 seed=1 fleet spawned\n", text)
    assert.matches("\n" .. T .. " WARN module=run signal=SIGTERM Received SIGTERM\n", text)
    assert.matches("\n" .. T .. " INFO module=run Swarm shutdown complete\n$", text)
  end)
end)

describe("starling run on a plain script, and the command's own options", function()
  it("refuses the mission-only options on a plain script, exit 2, before its swarm flies", function()
    local code, text = run("spec/fixtures/plain_script.lua --drones 3 --set foo=1")
    assert.equal(2, code)
    assert.equal("script started\nstarling run: --drones, --set are options of a mission file, but "
      .. "spec/fixtures/plain_script.lua is a plain script (it makes its own swarm and returns no mission)\n",
      text)
    code, text = run("spec/fixtures/plain_quiet.lua --seed 4 --duration 9")
    assert.equal(2, code)
    assert.equal("args: --seed 4 --duration 9\nstarling run: --seed, --duration are options of a mission "
      .. "file, but spec/fixtures/plain_quiet.lua is a plain script (it makes its own swarm and returns no "
      .. "mission)\n", text)
    -- other arguments are the script's own
    code, text = run("spec/fixtures/plain_script.lua --fast")
    assert.equal(0, code)
    assert.equal("script started\nflew 2 drones\n", text)
    -- a mission file takes them, and may make a swarm of its own when it runs
    code, text = run("spec/fixtures/keeps_swarm.lua --virtual --drones 1 --log warn")
    assert.equal("", text)
    assert.equal(0, code)
  end)

  it("refuses a file that returns something that is neither a mission nor nothing, exit 2", function()
    local code, text = run("spec/fixtures/returns_number.lua")
    assert.equal(2, code)
    assert.equal("starling run: spec/fixtures/returns_number.lua returned a number (42), not a mission "
      .. "(return starling.mission{...}, or nothing for a plain script)\n", text)
    code, text = run("spec/fixtures/returns_table.lua")
    assert.equal(2, code)
    assert.equal("starling run: spec/fixtures/returns_table.lua returned a table, not a mission "
      .. "(return starling.mission{...}, or nothing for a plain script)\n", text)
  end)

  it("version and help, as commands and as options", function()
    for _, args in ipairs{ "version", "--version" } do
      local f = assert(io.popen(BIN .. " " .. args .. " 2>&1; echo rc=$?"))
      local out = f:read("a")
      f:close()
      assert.equal("starling 0.1.0\nrc=0\n", out)
    end
    for _, args in ipairs{ "help", "--help" } do
      local f = assert(io.popen(BIN .. " " .. args .. " 2>&1; echo rc=$?"))
      local out = f:read("a")
      f:close()
      assert.matches("^usage: starling COMMAND %[ARGS%]\n", out)
      assert.matches("\nrc=0\n$", out)
    end
  end)

  it("--control in a directory that does not exist says so", function()
    local code, text = run("spec/fixtures/survey.lua --control /nonexistent/dir/x.sock")
    assert.equal(2, code)
    assert.equal("starling run: control socket: cannot bind /nonexistent/dir/x.sock: "
      .. "the directory /nonexistent/dir does not exist\n", text)
    local file = os.tmpname() -- a file where a directory should be
    code, text = run("spec/fixtures/survey.lua --control " .. file .. "/x.sock")
    os.remove(file)
    assert.equal(2, code)
    assert.equal(("starling run: control socket: cannot bind %s/x.sock: %s is not a directory\n")
      :format(file, file), text)
  end)
end)
