-- starling.mission: missions as files (API.md section 10).
--
-- A mission file returns starling.mission{name, description, params, run}.
-- load_mission runs the file in an environment of its own (reads fall
-- through to the globals; what it defines stays its own), so two missions
-- loaded into one engine do not trample each other.  run_mission starts
-- run(swarm, params) as a swarm task: it may wait, it is resumed under the
-- swarm's instruction budget, and an error in it fails the task (status
-- "failed", error holding the message) and leaves the swarm flying.
local M = {}

local Mission = {}
Mission.__index = Mission
Mission.__name = "starling.mission"

local FIELDS = { name = "string", description = "string", params = "table", run = "function" }

--- starling.mission{name, description, params = {name = default, ...},
-- run = function(swarm, params) ... end} -> mission.  A default is a
-- number, a string or a boolean: what `--set name=value` can give, and
-- what a run cannot change for the next one.
function M.new(spec)
  local fname = "starling.mission"
  if type(spec) ~= "table" then
    error(("%s: bad argument #1 (table expected, got %s)"):format(fname, type(spec)), 2)
  end
  for k, v in pairs(spec) do
    local want = FIELDS[k]
    if want == nil then
      error(("%s: unknown field '%s' (fields: description, name, params, run)"):format(fname, tostring(k)), 2)
    end
    if type(v) ~= want then
      error(("%s: field '%s' must be a %s (got %s)"):format(fname, k, want, type(v)), 2)
    end
  end
  if spec.name == nil then error(fname .. ": field 'name' is required", 2) end
  if spec.run == nil then error(fname .. ": field 'run' is required: function(swarm, params)", 2) end
  local params = {}
  for k, v in pairs(spec.params or {}) do
    if type(k) ~= "string" then
      error(("%s: parameter names must be strings (got %s)"):format(fname, type(k)), 2)
    end
    local tv = type(v)
    if tv ~= "number" and tv ~= "string" and tv ~= "boolean" then
      error(("%s: parameter '%s' must default to a number, a string or a boolean (got %s)"):format(
        fname, k, tv), 2)
    end
    params[k] = v
  end
  return setmetatable({
    name = spec.name, description = spec.description or "", params = params, run = spec.run,
  }, Mission)
end

function M.is_mission(v)
  return getmetatable(v) == Mission
end

--- The parameter names of a mission, sorted.
function Mission:param_names()
  local names = {}
  for k in pairs(self.params) do names[#names + 1] = k end
  table.sort(names)
  return names
end

function Mission:__tostring()
  return ("mission '%s'"):format(self.name)
end

--- starling.load_mission(path) -> mission.  Errors: the file is missing or
-- unreadable, does not compile (with file:line), raises while loading, or
-- returns something that is not a mission.
function M.load(path)
  if type(path) ~= "string" then
    error(("starling.load_mission: bad argument #1 (path expected, got %s)"):format(type(path)), 2)
  end
  local env = setmetatable({}, { __index = _G })
  local chunk, err = loadfile(path, "t", env)
  if chunk == nil then
    if not io.open(path, "r") then
      error(("starling.load_mission: cannot open '%s': no such file or not readable"):format(path), 2)
    end
    error(("starling.load_mission: %s"):format(err), 2)
  end
  local ok, res = xpcall(chunk, debug.traceback)
  if not ok then
    error(("starling.load_mission: '%s' raised while loading: %s"):format(path, tostring(res)), 2)
  end
  if not M.is_mission(res) then
    error(("starling.load_mission: '%s' must return starling.mission{...} (it returned %s)"):format(
      path, res == nil and "nothing" or type(res)), 2)
  end
  return res
end

--- swarm:run_mission(mission, params) -> task running mission.run(swarm,
-- merged) where merged is the mission's defaults with params over them.
-- An unknown name, or a value whose type differs from its default's,
-- raises an error before anything runs.  Numbers are numbers: a default of
-- 10 takes 12.5 (a mission that needs a whole number checks it itself).
function M.run(swarm, mission, params)
  if not M.is_mission(mission) then
    error(("bad argument #1 to 'run_mission' (mission expected, got %s)"):format(type(mission)), 2)
  end
  if params ~= nil and type(params) ~= "table" then
    error(("bad argument #2 to 'run_mission' (table of params expected, got %s)"):format(type(params)), 2)
  end
  local merged = {}
  for k, v in pairs(mission.params) do merged[k] = v end
  for k, v in pairs(params or {}) do
    local default = mission.params[k]
    if default == nil then
      local names = mission:param_names()
      error(("run_mission: mission '%s' has no parameter '%s' (%s)"):format(mission.name, tostring(k),
        #names > 0 and "parameters: " .. table.concat(names, ", ") or "it takes none"), 2)
    end
    local dt = type(default)
    if type(v) ~= dt then
      error(("run_mission: parameter '%s' of mission '%s' must be a %s (got %s)"):format(
        k, mission.name, dt, type(v)), 2)
    end
    merged[k] = v
  end
  return swarm:spawn(mission.run, swarm, merged)
end

M.Mission = Mission
return M
