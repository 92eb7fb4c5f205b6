-- starling.runner: what `starling run FILE [options]` does with a file that
-- returns a mission (API.md sections 10 and 11): a fresh swarm of N drones
-- (default 20), the mission run with its params, and a graceful shutdown.
-- Options today: --drones N, --seed S, --duration T, --set name=value,
-- --virtual (the only clock so far).  --speed, --control and --log arrive
-- with the command line's issue and are refused until then, by name.
local starling = require "starling"

local M = {}

--- Flies `mission`; returns the exit code: 0 when it finished, 1 when it
-- failed or did not finish within `duration` virtual seconds.
function M.run(mission, opts)
  opts = opts or {}
  local swarm = starling.swarm{ seed = opts.seed or 1 }
  local n = opts.drones or 20
  swarm:spawn_fleet(n)
  io.stderr:write(("T+%07.3f  %d drones spawned; flying mission '%s'\n"):format(swarm:now(), n, mission.name))
  swarm:run_for(0.1) -- the fleet turns idle: eligible for teams and missions
  -- params are checked before anything flies (an unknown name is an error)
  local ok, task = pcall(swarm.run_mission, swarm, mission, opts.params)
  if not ok then
    swarm:shutdown{}
    error(task, 0)
  end
  local finished = swarm:run_until(function() return task.status ~= "running" end, opts.duration or 3600)
  local code = 0
  if not finished then
    io.stderr:write(("T+%07.3f  mission '%s' still running after %g s: cancelled\n"):format(
      swarm:now(), mission.name, opts.duration or 3600))
    task:cancel()
    code = 1
  elseif task.status == "failed" then
    io.stderr:write(("T+%07.3f  mission '%s' failed: %s\n"):format(swarm:now(), mission.name, task.error))
    code = 1
  else
    io.stderr:write(("T+%07.3f  mission '%s' finished\n"):format(swarm:now(), mission.name))
  end
  swarm:shutdown{}
  io.stderr:write(("T+%07.3f  swarm shutdown complete\n"):format(swarm:now()))
  return code
end

local LATER = { ["--speed"] = true, ["--control"] = true, ["--log"] = true }

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
    elseif a == "--virtual" then
      opts.virtual = true
    elseif LATER[a] then
      return nil, ("%s is not supported yet: starling run flies missions in virtual time for now"):format(a)
    else
      return nil, ("unknown option '%s' (options: --drones N, --seed S, --duration T, --set name=value, --virtual)"):format(a)
    end
    i = i + 1
  end
  return opts
end

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

return M
