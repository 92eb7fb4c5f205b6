-- starling.runner: what `starling run FILE [options]` does with a file that
-- returns a mission (API.md sections 10 and 11): a fresh swarm of N drones
-- (default 20), the mission run with its params, its events logged, and a
-- graceful shutdown.  Options: --drones N, --seed S, --duration T,
-- --set name=value, --log LEVEL, --virtual | --speed K (real time by
-- default, K times faster with --speed).  Ctrl+C or SIGTERM shuts the swarm
-- down gracefully (exit 130).  --control arrives with the REPL and is
-- refused until then, by name.
local starling = require "starling"
local core = require "starling.core"
local eventlog = require "starling.eventlog"

local M = {}

--- Flies `mission`; returns the exit code: 0 when it finished, 1 when it
-- failed or did not finish within `duration` seconds of swarm time, 130
-- after SIGINT or SIGTERM.
function M.run(mission, opts)
  opts = opts or {}
  local real = not opts.virtual
  if opts.control and not real then error("--control needs real time (drop --virtual)", 0) end
  local swarm = starling.swarm{ seed = opts.seed or 1, clock = real and "real" or "virtual",
                                speed = real and opts.speed or nil }
  local function log(level, msg, f) swarm:_log(level, "run", msg, f) end
  local server
  if opts.control then
    local why
    server, why = require("starling.control").serve(swarm, opts.control, {
      starling = starling, greeting = ("starling: mission '%s'"):format(mission.name),
      -- the run stops at once, ticks or not (a paused swarm has none)
      on_quit = function() M.quit = true; swarm:_stop_run() end })
    if not server then
      swarm:close()
      error(why, 0)
    end
    log("info", "control socket listening", { address = server.address })
  end
  local events = eventlog.attach(swarm)
  local n = opts.drones or 20
  swarm:spawn_fleet(n)
  log("info", "fleet spawned", { drones = n, seed = opts.seed or 1,
    clock = real and ("real x" .. (opts.speed or 1)) or "virtual" })
  swarm:run_for(0.1) -- the fleet turns idle: eligible for teams and missions
  -- params are checked before anything flies (an unknown name is an error)
  local ok, task = pcall(swarm.run_mission, swarm, mission, opts.params)
  if not ok then
    swarm:shutdown{}
    error(task, 0)
  end
  log("info", "mission started", { mission = mission.name })
  local duration = opts.duration or 3600
  -- On the real clock the catcher also wakes the loop on a signal: a
  -- paused swarm has no tick after which the predicate would be asked.
  local catcher <close> = core.catch_interrupts(real and swarm or nil)
  M.quit = false
  local finished = swarm:run_until(function()
    return task.status ~= "running" or core.interrupted() ~= nil or M.quit
  end, duration)
  local code = 0
  local sig = core.interrupted()
  if M.quit then
    log("warn", "Quit requested at the control socket")
    task:cancel()
    code = 130
  elseif sig then
    log("warn", sig == "SIGINT" and "Received Ctrl+C" or "Received SIGTERM", { signal = sig })
    task:cancel()
    code = 130
  elseif not finished then
    log("warn", "mission still running at the end of --duration: cancelled",
      { mission = mission.name, duration = duration })
    task:cancel()
    code = 1
  elseif task.status == "failed" then
    log("error", "mission failed", { mission = mission.name, error = task.error })
    code = 1
  elseif task.status == "cancelled" then -- from the control socket, say
    log("warn", "mission cancelled", { mission = mission.name })
    code = 1
  else
    log("info", "mission finished", { mission = mission.name })
    M.print_results(task)
  end
  if server then server:close() end
  log("info", "Initiating swarm shutdown")
  swarm:shutdown{}
  events:close() -- says so if any event was lost
  log("info", "Swarm shutdown complete")
  return code
end

--- Prints what a finished mission's task returned on stdout, readably
-- (as the prompt prints values: tab-separated, tables sorted); nothing
-- when it returned nothing.  Flushed at once, so that it stands between
-- the log lines where the mission finished.
function M.print_results(task)
  local r = table.pack(task:wait())
  if r.n == 0 then return end
  local show = require("starling.repl").show
  local parts = {}
  for i = 1, r.n do parts[i] = show(r[i]) end
  io.stdout:write(table.concat(parts, "\t"), "\n")
  io.stdout:flush()
end

local LATER = {}

-- "--set name=value": numbers and booleans where the text is one.
local function value_of(text)
  if text == "true" then return true end
  if text == "false" then return false end
  return math.tointeger(tonumber(text)) or tonumber(text) or text
end

--- Parses the options after FILE; returns opts or nil, message.
function M.parse(args)
  local opts = { params = {} }
  local i = 1
  local function need(flag)
    local v = args[i + 1]
    if v == nil then return nil, ("%s needs a value"):format(flag) end
    i = i + 1
    return v
  end
  while args[i] ~= nil do
    local a = args[i]
    if a == "--drones" or a == "--seed" or a == "--duration" then
      local v, err = need(a)
      if not v then return nil, err end
      local n = tonumber(v)
      if n == nil or (a ~= "--duration" and math.tointeger(n) == nil) or n < (a == "--seed" and 0 or 1) then
        return nil, ("%s wants a %s (got '%s')"):format(a, a == "--duration" and "positive number of seconds"
          or (a == "--seed" and "whole number" or "whole number of drones, at least 1"), v)
      end
      opts[a:sub(3)] = a == "--duration" and n or math.tointeger(n)
    elseif a == "--set" then
      local v, err = need(a)
      if not v then return nil, err end
      local name, text = v:match("^([%a_][%w_]*)=(.*)$")
      if not name then return nil, ("--set wants name=value (got '%s')"):format(v) end
      opts.params[name] = value_of(text)
    elseif a == "--log" then
      local v, err = need(a)
      if not v then return nil, err end
      local ok, why = core.log_configure(v)
      if not ok then return nil, "--log: " .. why end
      opts.log = v
    elseif a == "--control" then
      local v, err = need(a)
      if not v then return nil, err end
      if v == "" then return nil, "--control wants a socket path or tcp://127.0.0.1:PORT (got '')" end
      opts.control = v
    elseif a == "--virtual" then
      if opts.speed then return nil, "--virtual and --speed exclude each other" end
      opts.virtual = true
    elseif a == "--speed" then
      local v, err = need(a)
      if not v then return nil, err end
      local k = tonumber(v)
      if k == nil or not (k > 0) or k > 10000 then
        return nil, ("--speed wants a factor in (0, 10000] (got '%s')"):format(v)
      end
      if opts.virtual then return nil, "--virtual and --speed exclude each other" end
      opts.speed = k
    elseif LATER[a] then
      return nil, ("%s is not supported yet (the control socket comes with the REPL)"):format(a)
    else
      return nil, ("unknown option '%s' (options: --drones N, --seed S, --duration T, --set name=value, --log LEVEL, --virtual, --speed K, --control ADDR)"):format(a)
    end
    i = i + 1
  end
  return opts
end

-- Options that only a mission file takes (API.md's v2 amendments): a
-- plain script makes its own swarm and would ignore them.
local MISSION_ONLY = { ["--drones"] = true, ["--seed"] = true, ["--duration"] = true, ["--set"] = true }

--- Before `starling run FILE args...` runs FILE, which may turn out to be
-- a plain script: when args hold mission-only options, starling.swarm is
-- refused until M.plain_done(), so a plain script cannot fly a swarm that
-- ignores them (a mission file makes no swarm while it loads).  Returns
-- the refusal message (nil when args hold none); M.refused is set once the
-- refusal was raised.
function M.plain_guard(file, args)
  local names, seen = {}, {}
  for _, a in ipairs(args or {}) do
    if MISSION_ONLY[a] and not seen[a] then seen[a] = true; names[#names + 1] = a end
  end
  if #names == 0 then return nil end
  local msg = ("%s %s of a mission file, but %s is a plain script (it makes its own swarm and "
    .. "returns no mission)"):format(table.concat(names, ", "), #names == 1 and "is an option" or "are options",
    file)
  local real, active = starling.swarm, true
  M.refusal, M.refused = msg, false
  starling.swarm = function(...) -- a mission file may have kept it: it works once the file loaded
    if not active then return real(...) end
    M.refused = true
    error(msg, 0)
  end
  M.plain_done = function()
    active = false
    starling.swarm = real
    M.plain_done = function() end
  end
  return msg
end

function M.plain_done() end

--- starling run FILE args...: the exit code (2 for bad options or params).
function M.main(mission, args)
  local opts, err = M.parse(args or {})
  if not opts then
    io.stderr:write("starling run: ", err, "\n")
    return 2
  end
  local ok, res = pcall(M.run, mission, opts)
  if not ok then
    io.stderr:write("starling run: ", tostring(res), "\n")
    return 2
  end
  return res
end

--- starling repl [FILE] [options]: the swarm, a session and a greeting for
-- the terminal (engine/cli/repl.c).  Real time always (--speed K for
-- faster); logs at warn unless --log or STARLING_LOG says otherwise, so
-- event lines do not run through what is being typed.  FILE, if given, is
-- a mission (run as a task, `mission` at the prompt) or a script (run in
-- the prompt's environment, so what it defines is there).
function M.repl_setup(args)
  args = args or {}
  local file
  local rest = {}
  for i, a in ipairs(args) do
    if i == 1 and a:sub(1, 2) ~= "--" then file = a else rest[#rest + 1] = a end
  end
  local opts, err = M.parse(rest)
  if not opts then return nil, err end
  if opts.virtual then return nil, "--virtual: the REPL flies in real time (--speed K runs it faster)" end
  if opts.duration then return nil, "--duration is for starling run" end
  if not opts.log and (os.getenv("STARLING_LOG") or "") == "" then core.log_configure("warn,repl=info") end
  local swarm = starling.swarm{ seed = opts.seed or 1, clock = "real", speed = opts.speed }
  eventlog.attach(swarm) -- battery_low, offline, restarts: warn, shown by default
  local n = opts.drones or 20
  swarm:spawn_fleet(n)
  local repl = require "starling.repl"
  local session = repl.session{ swarm = swarm, starling = starling }
  local lines = { ("starling %s: a swarm of %d drones, real time%s. :help for commands, Ctrl+D to quit.")
    :format(starling._VERSION:match("[%d.]+$"), n, opts.speed and (" x" .. opts.speed) or "") }
  -- The control socket: --control ADDR, or the default Unix socket (taken
  -- quietly only if free: a second REPL just goes without).
  local control = require "starling.control"
  M.quit = false
  local server, why = control.serve(swarm, opts.control or control.default_path(), {
    starling = starling, greeting = lines[1],
    on_quit = function() M.quit = true; swarm:_stop_run() end })
  if server then
    M.server = server
    lines[#lines + 1] = ("control socket: %s (starling attach%s)"):format(server.address,
      opts.control and (" " .. server.address) or "")
  elseif opts.control then
    swarm:close()
    return nil, why
  else
    lines[#lines + 1] = ("no control socket: %s"):format(why)
  end
  if file then
    local chunk, why = loadfile(file, "t", session.env)
    if not chunk then return nil, why end
    local ok, res = xpcall(chunk, debug.traceback)
    if not ok then
      lines[#lines + 1] = tostring(res)
    elseif require("starling.mission").is_mission(res) then
      local ran, task = pcall(swarm.run_mission, swarm, res, opts.params)
      if not ran then return nil, tostring(task) end
      session.env.mission = task
      lines[#lines + 1] = ("mission '%s' running (its task is `mission`)"):format(res.name)
    else
      lines[#lines + 1] = ("%s loaded into the prompt"):format(file)
    end
  end
  return swarm, session, table.concat(lines, "\n") .. "\n"
end

return M
