-- starling.formation: where the members of a formation fly (API.md section 7).
--
-- A kind is a function (n, opts) -> n offsets {x=, y=[, z=]} from the
-- formation's centre, before the heading's rotation.  The built-in kinds
-- follow API.md to the letter; slots() places them: each offset is rotated
-- by opts.heading in the horizontal plane and added to opts.center (whose z
-- is the altitude).  Nothing here needs a swarm.
local check = require "starling.check"

local M = {}

local sqrt, ceil, floor, cos, sin, pi = math.sqrt, math.ceil, math.floor, math.cos, math.sin, math.pi

-- A number that is neither nan nor infinite; how to show one in an error
-- (0/0 prints as -nan on some machines).  team.lua uses them too.
local finite, show = check.finite, check.show
M._finite, M._show = finite, show

-- Slots lie within the coordinates the engine takes (1e9 m), and there
-- are at most MAX_SLOTS of them (a team flies at most 4,096).
local COORD_MAX = check.COORD_MAX
local MAX_SLOTS = 1000000
local function in_range(v) return finite(v) and math.abs(v) <= COORD_MAX end

-- Options every kind takes; each built-in adds its own below.
local COMMON = { center = true, heading = true }

local function positive(fname, opts, key, default)
  local v = opts[key]
  if v == nil then return default end
  if type(v) ~= "number" or not finite(v) or v <= 0 then
    error(("%s: option '%s' must be a positive number (got %s)"):format(fname, key,
      type(v) == "number" and show(v) or tostring(v)), 5)
  elseif v > COORD_MAX then
    error(("%s: option '%s' must be at most 1e9 m (got %s)"):format(fname, key, show(v)), 5)
  end
  return v
end

local builtin = {}
local allowed = {}
local prerotated = { circle = true } -- kinds whose offsets include the heading

--- "line": along x, `spacing` (10) apart, centred: slot i at
-- x = (i - (n-1)/2) * spacing.
allowed.line = { spacing = true }
function builtin.line(n, opts, fname)
  local s = positive(fname, opts, "spacing", 10)
  local out = {}
  for i = 0, n - 1 do out[i + 1] = { x = (i - (n - 1) / 2) * s, y = 0 } end
  return out
end

--- "circle": `radius` (50); slot k at angle heading + 2*pi*k/n.  The angle is
-- computed directly (not by rotating), so the positions are exactly
-- cx + r*cos(a), cy + r*sin(a) as API.md writes them.
allowed.circle = { radius = true }
function builtin.circle(n, opts, fname)
  local r = positive(fname, opts, "radius", 50)
  local h = opts.heading or 0
  local out = {}
  for k = 0, n - 1 do
    local a = h + 2 * pi * k / n
    out[k + 1] = { x = r * cos(a), y = r * sin(a) }
  end
  return out
end

--- "grid": `cols` (ceil(sqrt(n))) columns along x, `spacing` (10) apart;
-- rows follow each other along y; the whole grid centred.  Slot i is in
-- column i % cols, row i // cols.
allowed.grid = { spacing = true, cols = true }
function builtin.grid(n, opts, fname)
  local s = positive(fname, opts, "spacing", 10)
  local cols = opts.cols
  if cols == nil then
    cols = ceil(sqrt(n))
  elseif type(cols) ~= "number" or not finite(cols) or cols ~= floor(cols) or cols < 1 then
    error(("%s: option 'cols' must be a positive integer (got %s)"):format(fname,
      type(cols) == "number" and show(cols) or tostring(cols)), 4)
  end
  cols = floor(cols)
  local rows = ceil(n / cols)
  local out = {}
  for i = 0, n - 1 do
    local c, r = i % cols, i // cols
    out[i + 1] = { x = (c - (cols - 1) / 2) * s, y = (r - (rows - 1) / 2) * s }
  end
  return out
end

--- "v": slot 0 at the centre (the tip, leading towards the heading), then
-- alternately left (+y) and right (-y) behind it: slot i is in rank
-- ceil(i/2), at (-rank*spacing*cos(angle), +-rank*spacing*sin(angle)),
-- `angle` (pi/4) being the half-angle of the V.
allowed.v = { spacing = true, angle = true }
function builtin.v(n, opts, fname)
  local s = positive(fname, opts, "spacing", 10)
  local angle = opts.angle
  if angle == nil then
    angle = pi / 4
  elseif type(angle) ~= "number" or not (angle > 0 and angle < pi) then
    error(("%s: option 'angle' must be a number in (0, pi) (got %s)"):format(fname, tostring(angle)), 4)
  end
  local out = { { x = 0, y = 0 } }
  for i = 1, n - 1 do
    local rank = (i + 1) // 2
    local side = (i % 2 == 1) and 1 or -1
    out[i + 1] = { x = -rank * s * cos(angle), y = side * rank * s * sin(angle) }
  end
  return out
end

local custom = {}

local function known_kinds()
  local names = {}
  for k in pairs(builtin) do names[#names + 1] = k end
  for k in pairs(custom) do names[#names + 1] = k end
  table.sort(names)
  return table.concat(names, ", ")
end

--- starling.formation.define(name, fn): adds a kind.  fn(n, opts) returns
-- n offsets {x=, y=[, z=]} from the centre; slots() rotates them by
-- opts.heading and adds opts.center, as for the built-in kinds.  A kind
-- takes whatever options it likes besides center and heading.  Built-in
-- kinds cannot be redefined; a custom kind can (the last definition wins).
function M.define(name, fn)
  if type(name) ~= "string" or not name:match("^[%a_][%w_]*$") then
    error(("formation.define: name must be an identifier string (got %s)"):format(
      type(name) == "string" and ("'" .. name .. "'") or type(name)), 2)
  end
  if builtin[name] then
    error(("formation.define: '%s' is a built-in kind"):format(name), 2)
  end
  if type(fn) ~= "function" then
    error(("formation.define: bad argument #2 (function expected, got %s)"):format(type(fn)), 2)
  end
  custom[name] = fn
  return name
end

--- Whether `name` is a kind (built-in or defined).
function M.known(name)
  return builtin[name] ~= nil or custom[name] ~= nil
end

local function check_center(fname, c)
  if type(c) ~= "table" then
    error(("%s: option 'center' is required: a position {x=, y=, z=} (got %s)"):format(fname, type(c)), 4)
  end
  local x, y, z = c.x or c[1], c.y or c[2], c.z or c[3] or 0
  if type(x) ~= "number" or type(y) ~= "number" or type(z) ~= "number" then
    error(("%s: option 'center' needs numbers x, y and z"):format(fname), 4)
  end
  if not (finite(x) and finite(y) and finite(z)) then
    error(("%s: option 'center' must be finite (got %s, %s, %s)"):format(fname, show(x), show(y), show(z)), 4)
  end
  if not (in_range(x) and in_range(y) and in_range(z)) then
    error(("%s: option 'center' must be within ±1e9 m (got %s, %s, %s)"):format(fname, show(x), show(y), show(z)), 4)
  end
  return x, y, z
end

-- The n absolute slots of a kind; `fname` names the caller in errors, which
-- are raised at the caller's caller (level 3 from here).
function M._slots(fname, kind, n, opts)
  if type(kind) ~= "string" then
    error(("%s: bad argument #1 (formation kind expected, got %s)"):format(fname, type(kind)), 3)
  end
  local gen = builtin[kind] or custom[kind]
  if gen == nil then
    error(("%s: unknown formation kind '%s' (known: %s)"):format(fname, kind, known_kinds()), 3)
  end
  if math.type(n) ~= "integer" or n < 1 then
    error(("%s: the number of slots must be a positive integer (got %s)"):format(fname, tostring(n)), 3)
  elseif n > MAX_SLOTS then
    error(("%s: the number of slots must be a positive integer up to %d (got %d)"):format(fname, MAX_SLOTS, n), 3)
  end
  if type(opts) ~= "table" then
    error(("%s: options must be a table with at least 'center' (got %s)"):format(fname, type(opts)), 3)
  end
  if builtin[kind] then
    for k in pairs(opts) do
      if not COMMON[k] and not allowed[kind][k] then
        local names = {}
        for o in pairs(allowed[kind]) do names[#names + 1] = o end
        table.sort(names)
        error(("%s: unknown option '%s' for a %s (options: center, heading, %s)"):format(
          fname, tostring(k), kind, table.concat(names, ", ")), 3)
      end
    end
  end
  local cx, cy, cz = check_center(fname, opts.center)
  local h = opts.heading or 0
  if type(h) ~= "number" or not finite(h) then
    error(("%s: option 'heading' must be a number of radians (got %s)"):format(fname, tostring(h)), 3)
  end
  local offsets
  if builtin[kind] then
    offsets = gen(n, opts, fname)
  else
    local ok, res = pcall(gen, n, opts)
    if not ok then
      error(("%s: formation kind '%s' failed: %s"):format(fname, kind, tostring(res)), 3)
    end
    offsets = res
    if type(offsets) ~= "table" or #offsets ~= n then
      error(("%s: formation kind '%s' must return %d offsets (got %s)"):format(
        fname, kind, n, type(offsets) == "table" and #offsets or type(offsets)), 3)
    end
  end
  local rotate = h ~= 0 and not prerotated[kind]
  local c, s = cos(h), sin(h)
  local out = {}
  for i = 1, n do
    local o = offsets[i]
    local ox, oy, oz
    if type(o) == "table" then ox, oy, oz = o.x or o[1], o.y or o[2], o.z or o[3] or 0 end
    if type(ox) ~= "number" or type(oy) ~= "number" or type(oz) ~= "number" then
      error(("%s: formation kind '%s': offset %d is not a position {x=, y=[, z=]}"):format(fname, kind, i), 3)
    end
    if not (finite(ox) and finite(oy) and finite(oz)) then
      if builtin[kind] then
        error(("%s: the %s's slot %d is out of range (center and options too large)"):format(fname, kind, i), 3)
      end
      error(("%s: formation kind '%s': offset %d is not finite"):format(fname, kind, i), 3)
    end
    if not rotate then
      out[i] = { x = cx + ox, y = cy + oy, z = cz + oz }
    else
      out[i] = { x = cx + ox * c - oy * s, y = cy + ox * s + oy * c, z = cz + oz }
    end
  end
  for i = 1, n do
    local p = out[i]
    if not (in_range(p.x) and in_range(p.y) and in_range(p.z)) then
      error(("%s: the %s's slot %d is out of range (center and options too large)"):format(fname, kind, i), 3)
    end
  end
  return out
end

--- starling.formation.slots(kind, n, opts) -> the n absolute slot
-- positions {x=, y=, z=}, in slot order.
function M.slots(kind, n, opts)
  return M._slots("formation.slots", kind, n, opts)
end

return M
