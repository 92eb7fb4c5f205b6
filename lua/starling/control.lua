-- starling.control: the control socket's protocol (API.md section 11).
--
-- One line per message, each way.  Client to engine:
--   L <text>     a line typed at the remote prompt
--   C <text>     complete the word at the end of <text>
--   I            Ctrl+C at the prompt: drop an unfinished chunk
-- Engine to client:
--   O <text>     a line of output (one message per line)
--   P <prompt>   ready for the next line, with this prompt
--   M <a>\t<b>   completion candidates (tab-separated)
--   E <text>     the client sent something wrong; it may go on
--   Q            the engine is shutting down (after :quit)
--
-- Each client has a session of its own (lua/starling/repl.lua): its own
-- globals, its own :watch and :formation team, and what it created
-- (subscriptions, queues, timers, tasks, actors), all gone when it
-- disconnects;
-- its print writes to it (io.write still goes to the engine's stdout).
-- Remote evaluations run under an instruction budget (a remote Ctrl+C
-- cannot reach an evaluation that holds the loop), 100 million by default.
-- A client that sends garbage gets E lines; one that disconnects mid-line
-- is simply gone: neither the swarm nor the other clients notice.
local core = require "starling.core"
local repl = require "starling.repl"

local M = {}

local function send_output(c, text)
  if text == nil or text == "" then return end
  for line in (text:sub(-1) == "\n" and text or text .. "\n"):gmatch("([^\n]*)\n") do
    c:send("O " .. line .. "\n")
  end
end

--- M.serve(swarm, addr, {starling, greeting, on_quit, budget}) -> server,
-- or nil, message.
function M.serve(swarm, addr, opts)
  opts = opts or {}
  local sessions = {}
  local streams = {} -- client id -> more(): a listing being sent
  local handlers = {}
  function handlers.connect(c)
    local s = repl.session{ swarm = swarm, starling = opts.starling, budget = opts.budget or 100000000,
      own = true }
    s.write = function(text) send_output(c, text) end
    s.state.write = function(text) send_output(c, text) end
    -- print at this prompt prints here, not on the engine's terminal
    s.env.print = function(...)
      local parts = table.pack(...)
      for i = 1, parts.n do parts[i] = tostring(parts[i]) end
      send_output(c, table.concat(parts, "\t", 1, parts.n))
    end
    sessions[c.id] = s
    send_output(c, opts.greeting)
    c:send("P " .. s:prompt() .. "\n")
  end
  function handlers.line(c, msg)
    local s = sessions[c.id]
    if s == nil then return end
    local kind, text = msg:match("^([LCI])(.*)$")
    if text and text ~= "" then
      if text:sub(1, 1) ~= " " then kind = nil else text = text:sub(2) end
    end
    if kind == "L" then
      local out, action, more = s:feed(text or "")
      send_output(c, out)
      if action == "stream" then -- a long listing: a slice per drain
        streams[c.id] = more
        handlers.drain(c)
        return
      end
      if action == "quit" then
        c:send("Q\n")
        if opts.on_quit then opts.on_quit() end
        return
      end
      c:send("P " .. s:prompt() .. "\n")
    elseif kind == "C" then
      c:send("M " .. table.concat(s:complete(text or ""), "\t") .. "\n")
    elseif kind == "I" then
      s:interrupt(false)
      c:send("P " .. s:prompt() .. "\n")
    else
      c:send("E unknown message (send 'L <line>', 'C <text>' or 'I')\n")
    end
  end
  -- The next slice of a client's listing, once what it was sent is
  -- written down to 256 KiB (lsl_control.c): never more than a slice per
  -- loop turn, never past the client's 4 MiB; the prompt at the end.
  function handlers.drain(c)
    local more, s = streams[c.id], sessions[c.id]
    if more == nil or s == nil then return end
    local text = more()
    if text == nil then
      streams[c.id] = nil
      c:send("P " .. s:prompt() .. "\n")
      return
    end
    send_output(c, text)
    c:when_drained()
  end
  function handlers.close(c)
    streams[c.id] = nil
    local s = sessions[c.id]
    if s == nil then return end
    sessions[c.id] = nil
    s:close()
  end
  return core.control_listen(swarm, addr, handlers)
end

M.default_path = core.default_control_path
return M
