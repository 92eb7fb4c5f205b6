-- starling.area: a rectangle to patrol at an altitude (API.md section 3).
--
-- An area is a plain table {min = {x=, y=}, max = {x=, y=}, altitude =}
-- with methods; the swarm reads those fields, so a table of the same shape
-- works wherever an area is taken.  The waypoints come from the C core, the
-- same code missions use.
local core = require "starling.core"
local check = require "starling.check"

local Area = {}
Area.__index = Area
Area.__name = "starling.area"

-- A corner {x=, y=}: finite, within the coordinates the engine takes.
local function point(fname, p, what)
  local q = check.position(fname, ("option '%s'"):format(what), p, 3)
  return { x = q.x, y = q.y }
end

--- starling.area{min = {x=, y=}, max = {x=, y=}, altitude = 30}; with no
-- argument, the default area: min {0, 0}, max {100, 100}, altitude 30.
local function new(opts)
  local fname = "starling.area"
  opts = opts or {}
  if type(opts) ~= "table" then error(fname .. ": options must be a table", 2) end
  for k in pairs(opts) do
    if k ~= "min" and k ~= "max" and k ~= "altitude" then
      error(("%s: unknown option '%s'"):format(fname, tostring(k)), 2)
    end
  end
  local min = opts.min and point(fname, opts.min, "min") or { x = 0, y = 0 }
  local max = opts.max and point(fname, opts.max, "max") or { x = 100, y = 100 }
  local altitude = opts.altitude or 30
  if type(altitude) ~= "number" or not check.finite(altitude) then
    error(("%s: option 'altitude' must be a finite number (got %s)"):format(fname,
      type(altitude) == "number" and check.show(altitude) or type(altitude)), 2)
  elseif math.abs(altitude) > check.COORD_MAX then
    error(("%s: option 'altitude' must be within ±1e9 m (got %s)"):format(fname, check.show(altitude)), 2)
  end
  if min.x > max.x or min.y > max.y then
    error(fname .. ": min must not exceed max", 2)
  end
  return setmetatable({ min = min, max = max, altitude = altitude }, Area)
end

--- The centre of the area, at its altitude.
function Area:center()
  return { x = (self.min.x + self.max.x) / 2, y = (self.min.y + self.max.y) / 2,
           z = self.altitude }
end

--- Whether a position lies in the area (horizontally; edges included).
function Area:contains(pos)
  if type(pos) ~= "table" then
    error(("area:contains: a position must be a table {x=, y=, z=} or {x, y, z} (got %s)"):format(type(pos)), 2)
  end
  local x, y = pos.x or pos[1], pos.y or pos[2]
  for _, cv in ipairs{ { "x", x }, { "y", y } } do
    local c, v = cv[1], cv[2]
    if type(v) ~= "number" then
      error(("area:contains: position needs a number %s%s"):format(c, v == nil and "" or
        (" (got %s)"):format(type(v))), 2)
    end
  end
  return x >= self.min.x and x <= self.max.x and y >= self.min.y and y <= self.max.y
end

--- The lawnmower path: rows at y = min.y + spacing/2 + k*spacing (one row
-- through the middle when none fits), alternating direction, two waypoints
-- a row, at the altitude.  spacing defaults to 100.
function Area:waypoints(spacing)
  if spacing ~= nil and (type(spacing) ~= "number" or not (spacing > 0) or spacing == math.huge) then
    error(("area:waypoints: spacing must be a number > 0 (got %s)"):format(
      type(spacing) == "number" and check.show(spacing) or type(spacing)), 2)
  end
  return core.waypoints(self, spacing)
end

function Area:__tostring()
  return ("starling.area (%g, %g)-(%g, %g) at %g"):format(
    self.min.x, self.min.y, self.max.x, self.max.y, self.altitude)
end

return { new = new, Area = Area }
