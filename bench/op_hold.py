#!/usr/bin/env python3
"""op_hold.py -- op_hold_*_ms: the longest the loop is held by each operator
command on 100,000 drones, at the local prompt and through a control client.

`starling repl --drones 100000 --control SOCK` runs under a pseudo-terminal
(the local prompt, libedit and all) with a `swarm:every(0.01)` timer that
records the worst gap between its firings.  For each command: the worst is
reset, the command is typed at the prompt (or sent as `L <line>` by a
client on the control socket), its whole answer and the next prompt are
awaited, and the worst gap is read back.  The figure is that gap less the
timer's 10 ms period: how long the loop was held beyond a free loop's
wait.  Commands run in this order on one fleet (:stop last: it leaves the
drones in emergency).

Usage: op_hold.py [STARLING] [--drones N]; prints `bench` lines.
"""
import os, pty, re, select, socket, sys, time

args = sys.argv[1:]
drones = 100000
if "--drones" in args:
    i = args.index("--drones"); drones = int(args[i + 1]); del args[i:i + 2]
exe = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "build", "starling")
last = drones - 1
top = min(drones, 4096) - 1
COMMANDS = [  # name, line, then unmeasured lines before and after
    ("status", ":status 7"),
    ("status_all", ":status all"),
    ("status_idle", ":status idle"),
    ("watch", ":watch 7", None, ":watch off"),
    ("watch_off", ":watch off", ":watch 7"),
    ("speed", ":speed 2", None, ":speed 1"),
    ("pause", ":pause", None, ":resume"),
    ("resume", ":resume", ":pause"),
    ("formation_4096", ":formation grid 0-%d 0 0 20" % top),
    ("goto_all", ":goto all 100 200 40"),
    ("rtb_all", ":rtb all"),
    ("patrol_all", ":patrol all 0 0 2000 2000"),
    ("stop_all", ":stop all"),
]

ANSWER = {  # what the last line of a long answer holds
    "status_all": b"drone %d " % last, "status_idle": b"drone %d " % last,
    "goto_all": b"drones flying", "rtb_all": b"returning to base",
    "patrol_all": b"patrolling", "stop_all": b"stopped",
}
sock = "/tmp/starling-ophold-%d.sock" % os.getpid()
pid, fd = pty.fork()
if pid == 0:
    os.environ["STARLING_HISTORY"] = "/dev/null"
    os.execv(exe, ["starling", "repl", "--drones", str(drones), "--control", sock])
out = b""


def rd(t, until=None):
    global out
    end = time.time() + t
    while time.time() < end:
        if until is not None and until in out:
            return True
        r, _, _ = select.select([fd], [], [], 0.05)
        if r:
            try:
                d = os.read(fd, 1 << 20)
            except OSError:
                return False
            if not d:
                return False
            out += d
    return until is None


def local(line, wait_for=b"\r\n> "):
    global out
    out = b""
    os.write(fd, line.encode() + b"\r")
    return rd(300, wait_for) if wait_for else None


def worst():
    global out
    out = b""
    os.write(fd, b"string.format('WORST=%.4f', worst)\r")
    rd(10, b'"\r\n')
    m = re.search(rb'"WORST=([0-9.]+)"', out)
    return float(m.group(1)) if m else float("nan")


def reset():
    local("worst = 0")
    time.sleep(0.3)
    local("worst = 0")


if not rd(120, b"> "):
    sys.exit("op_hold: no prompt")
local("worst, last = 0, swarm:now() rec = swarm:every(0.01, function() local n = swarm:now() "
      "if n - last > worst then worst = n - last end last = n end)")
c = socket.socket(socket.AF_UNIX)
c.connect(sock)
buf = b""
while b"P > \n" not in buf:
    buf += c.recv(65536)


def remote(line):
    buf = b""
    c.sendall(("L " + line + "\n").encode())
    while not buf.endswith(b"P > \n"):
        d = c.recv(1 << 20)
        if not d:
            break
        buf += d


results = []
for name, line, *around in COMMANDS:
    before, after = (around + [None, None])[:2]
    for where in ("local", "client"):
        if before:
            local(before)
        reset()
        t0 = time.time()
        if where == "local":  # the answer's last line, then the prompt
            local(line, ANSWER.get(name, b"\r\n> "))
            rd(10, b"\r\n> ")
        else:
            remote(line)
        wall = time.time() - t0
        time.sleep(0.2)
        w = worst()
        if after:
            local(after)
        hold = max(0.0, w - 0.01) * 1000
        results.append((name, where, hold))
        print("# op_hold: %-8s %-32s held the loop %6.1f ms (answer in %.2f s)" % (where, line, hold, wall))
        sys.stdout.flush()
for name, where, hold in results:
    print("bench op_hold_%s%s_ms %.1f ms" % (name, "" if where == "local" else "_client", hold))
c.close()
os.write(fd, b"\x04")
rd(20)
os.waitpid(pid, 0)
try:
    os.unlink(sock)
except OSError:
    pass
