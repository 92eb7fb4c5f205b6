-- starling.check: the argument checks the Lua half of the API shares, so
-- its errors read like the C half's (engine/lua/lsl_opts.c, lsl_drone.c):
-- "FN: ARG x must be a finite number (got nan)", the function, the
-- argument, the rule, and what it got.
local core = require "starling.core"

local M = {}

--- How far from the origin a coordinate may be (1e9 m, as the C core).
M.COORD_MAX = core.coord_max

--- A number that is neither nan nor infinite.
function M.finite(v)
  return v == v and v ~= math.huge and v ~= -math.huge
end

--- A value as an error message shows it: numbers as Lua writes them but
-- "nan" for any NaN and no ".0" on floats, strings quoted, other values
-- by their type.
function M.show(v)
  if type(v) == "number" then
    if v ~= v then return "nan" end
    if math.type(v) == "float" then return ("%.14g"):format(v) end
    return tostring(v)
  end
  if type(v) == "string" then return "'" .. v .. "'" end
  return type(v)
end

--- Checks a position {x=, y=[, z=]} or {x, y[, z]} given to `fname` as
-- `arg` ("position", "option 'near'"); returns {x=, y=, z=} (z 0 when
-- absent), each coordinate finite and within COORD_MAX.  Errors are
-- raised at `level` (as error's, counted from the caller of this).
function M.position(fname, arg, p, level)
  level = (level or 1) + 1
  if type(p) ~= "table" then
    error(("%s: %s must be a table {x=, y=, z=} or {x, y, z} (got %s)"):format(
      fname, arg == "position" and "a position" or arg, type(p)), level)
  end
  local out = {}
  for i, c in ipairs{ "x", "y", "z" } do
    local v = p[c]
    if v == nil then v = p[i] end
    if v == nil and c == "z" then v = 0 end
    if v == nil then
      error(("%s: %s needs a number %s"):format(fname, arg, c), level)
    elseif type(v) ~= "number" then
      error(("%s: %s needs a number %s (got %s)"):format(fname, arg, c, type(v)), level)
    elseif not M.finite(v) then
      error(("%s: %s %s must be a finite number (got %s)"):format(fname, arg, c, M.show(v)), level)
    elseif math.abs(v) > M.COORD_MAX then
      error(("%s: %s %s must be within ±1e9 m (got %s)"):format(fname, arg, c, M.show(v)), level)
    end
    out[c] = v
  end
  return out
end

return M
