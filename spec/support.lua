-- spec/support.lua: what several specs need (`require "support"`; .busted
-- puts spec/ on the path).
local M = {}

--- Runs the swarm until `task` has ended, at most `timeout` seconds (100).
function M.finish(swarm, task, timeout)
  timeout = timeout or 100
  assert(swarm:run_until(function() return task.status ~= "running" end, timeout),
    "the task was still running after " .. timeout .. " s")
end

--- The results of an ended task.  task:wait waits, so it is called from a
-- task of its own: this runs the swarm for 0.1 s.
function M.results(swarm, task)
  local res
  swarm:spawn(function() res = table.pack(task:wait()) end)
  swarm:run_for(0.1)
  return table.unpack(res, 1, res.n)
end

return M
