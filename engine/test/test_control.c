/* The control socket under load (engine/lua/lsl_control.c): clients that
 * stop reading, many clients at once.  The engine runs `starling repl` in
 * a pseudo-terminal; clients speak the line protocol (cli.h). */
#include "cli.h"

static int start_repl(term *t, const char *sock, const char *history) {
  const char *const args[] = {"starling",  "repl", "--drones", "2",
                              "--control", sock,   NULL};
  unlink(sock);
  return spawn(t, history, args);
}

/* The bytes the engine holds for its control clients once a client's
 * evaluation number `step` is over (it sets _G.step): asked at the
 * engine's own prompt, again until that step is seen.  -1 on timeout. */
static long pending_after(term *repl, int step) {
  int64_t end = ms_now() + 20000;
  while (ms_now() < end) {
    type(repl, "'PENDING=' .. tostring(step) .. ':' .. "
               "require('starling.core').control_pending(swarm)\r");
    if (!expect(repl, "\"PENDING=", 5000))
      return -1;
    const char *p = repl->out + repl->seen;
    if (atoi(p) == step && strchr(p, ':') != NULL)
      return strtol(strchr(p, ':') + 1, NULL, 10);
  }
  return -1;
}

TEST(a_client_that_stops_reading_is_dropped_at_4_mib) {
  const char *sock = tmp_path("slow.sock");
  signal(SIGPIPE, SIG_IGN);
  static term repl;
  REQUIRE(start_repl(&repl, sock, tmp_path("slow_history")) == 0);
  REQUIRE(expect(&repl, "> ", 10000));
  static peer a, b;
  REQUIRE(dial(&a, sock) == 0);
  REQUIRE(dial(&b, sock) == 0);
  CHECK(expect(&a, "P > \n", 5000));
  CHECK(expect(&b, "P > \n", 5000));
  type(&a, "L _G.step = 0\n");
  long idle = pending_after(&repl, 0); /* a prompt in flight at most */
  CHECK(idle >= 0 && idle < 100);
  /* a asks for 2 MB and reads nothing: the engine keeps it, counted */
  type(&a, "L for i = 1, 10000 do print(('q'):rep(200)) end _G.step = 1\n");
  long held = pending_after(&repl, 1);
  fprintf(stderr, "pending while a does not read: %ld bytes\n", held);
  CHECK(held > 1500000 && held < 4 * 1024 * 1024);
  /* then for 20 MB more: past 4 MiB a is dropped, its memory freed */
  type(&a, "L for i = 1, 100000 do print(('q'):rep(200)) end _G.step = 2\n");
  long after = pending_after(&repl, 2);
  fprintf(stderr, "pending after a was dropped: %ld bytes\n", after);
  CHECK(after >= 0 && after < 100000); /* a slice in flight, the E line */
  /* a reads now: some output, an E line saying why, the end */
  size_t total = 0;
  char tail[256] = "";
  int64_t end = ms_now() + 20000;
  for (;;) {
    char buf[65536];
    struct pollfd p = {a.fd, POLLIN, 0};
    if (ms_now() > end || poll(&p, 1, 1000) <= 0)
      break;
    ssize_t n = read(a.fd, buf, sizeof buf);
    if (n <= 0)
      break; /* closed by the engine */
    total += (size_t)n;
    size_t keep = (size_t)n < sizeof tail - 1 ? (size_t)n : sizeof tail - 1;
    size_t old = strlen(tail);
    if (old + keep > sizeof tail - 1) {
      size_t drop = old + keep - (sizeof tail - 1);
      memmove(tail, tail + drop, old - drop + 1);
      old -= drop;
    }
    memcpy(tail + old, buf + n - keep, keep);
    tail[old + keep] = '\0';
  }
  CHECK(ms_now() <= end);                  /* closed, not timed out */
  CHECK(total < 4 * 1024 * 1024 + 300000); /* never the 22 MB */
  CHECK(strstr(tail, "E output to this client passed 4 MiB") != NULL);
  if (strstr(tail, "E output") == NULL)
    fprintf(stderr, "a's last bytes: %s\n", tail);
  /* and nothing once a is closed (the E line written) */
  for (int64_t until = ms_now() + 10000; after > 100 && ms_now() < until;)
    after = pending_after(&repl, 2);
  CHECK(after >= 0 && after < 100);
  close(a.fd);
  /* the engine and b go on */
  type(&b, "L swarm:count()\n");
  CHECK(expect(&b, "O 2\nP > \n", 5000));
  type(&b, "L :quit\n");
  CHECK(expect(&repl, "Swarm shutdown complete", 10000));
  CHECK_INT(finish(&repl), 0);
  close(b.fd);
}

/* 200 clients connecting while the engine is busy all get in: the listen
 * backlog is the system's, not 16. */
TEST(two_hundred_simultaneous_connects) {
  enum { N = 200 };
  const char *sock = tmp_path("many.sock");
  signal(SIGPIPE, SIG_IGN);
  static term repl;
  REQUIRE(start_repl(&repl, sock, tmp_path("many_history")) == 0);
  REQUIRE(expect(&repl, "> ", 10000));
  static peer busy;
  REQUIRE(dial(&busy, sock) == 0);
  CHECK(expect(&busy, "P > \n", 5000));
  /* the engine's loop is held by an evaluation while the clients knock */
  type(&busy, "L print('busy') local t = os.clock() "
              "while os.clock() - t < 1 do end\n");
  CHECK(expect(&busy, "O busy\n", 5000));
  static int fd[N];
  int refused = 0;
  for (int i = 0; i < N; i++) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", sock);
    fd[i] = socket(AF_UNIX, SOCK_STREAM, 0);
    fcntl(fd[i], F_SETFL, O_NONBLOCK);
    if (connect(fd[i], (struct sockaddr *)&a, sizeof a) != 0)
      refused++;
  }
  CHECK_INT(refused, 0);
  /* each is served once the loop is free: its prompt comes */
  int served = 0;
  for (int i = 0; i < N; i++) {
    char buf[512];
    size_t got = 0;
    int64_t end = ms_now() + 10000;
    while (ms_now() < end && got < sizeof buf - 1) {
      struct pollfd p = {fd[i], POLLIN, 0};
      if (poll(&p, 1, 200) <= 0)
        continue;
      ssize_t n = read(fd[i], buf + got, sizeof buf - 1 - got);
      if (n <= 0)
        break;
      got += (size_t)n;
      buf[got] = '\0';
      if (strstr(buf, "P > \n") != NULL) {
        served++;
        break;
      }
    }
    close(fd[i]);
  }
  CHECK_INT(served, N);
  type(&busy, "L :quit\n");
  CHECK(expect(&repl, "Swarm shutdown complete", 10000));
  CHECK_INT(finish(&repl), 0);
  close(busy.fd);
}

/* `starling run` with a paused swarm (:pause at its control socket) still
 * ends at once on SIGTERM, Ctrl+C and :quit: nothing ticks while paused,
 * so nothing may wait for a tick to notice. */
static void paused_run_ends(const char *how, const char *log, int code) {
  const char *mission = tmp_path("idle.lua");
  FILE *f = fopen(mission, "w");
  REQUIRE(f != NULL);
  fputs("local starling = require 'starling'\n"
        "return starling.mission{ name = 'idle',\n"
        "  run = function(swarm) swarm:sleep(3600) end }\n",
        f);
  fclose(f);
  const char *sock = tmp_path("run.sock");
  unlink(sock);
  static term run;
  const char *const args[] = {"starling",  "run", mission, "--drones", "2",
                              "--control", sock,  "--log", "info",     NULL};
  REQUIRE(spawn(&run, tmp_path("run_history"), args) == 0);
  CHECK(expect(&run, "mission started", 10000));
  static peer c;
  REQUIRE(dial(&c, sock) == 0);
  CHECK(expect(&c, "P > \n", 5000));
  type(&c, "L :pause\n");
  CHECK(expect(&c, "O paused at T+", 5000));
  CHECK(expect(&c, "P > \n", 5000));
  if (strcmp(how, "SIGTERM") == 0)
    kill(run.pid, SIGTERM);
  else if (strcmp(how, "Ctrl+C") == 0)
    type(&run, "\x03");
  else
    type(&c, "L :quit\n");
  CHECK(expect(&run, log, 5000));
  CHECK(expect(&run, "Swarm shutdown complete", 5000));
  CHECK_INT(finish(&run), code);
  close(c.fd);
  unlink(mission);
}

TEST(a_paused_run_ends_on_sigterm) {
  paused_run_ends("SIGTERM", "Received SIGTERM", 130);
}

TEST(a_paused_run_ends_on_ctrl_c) {
  paused_run_ends("Ctrl+C", "Received Ctrl+C", 130);
}

TEST(a_paused_run_ends_on_quit) {
  paused_run_ends(":quit", "Quit requested at the control socket", 130);
}

/* What a client's session created ends when the client goes: a timer and
 * a subscription typed remotely stop; the engine's own prompt watches. */
TEST(what_a_client_made_ends_with_it) {
  const char *sock = tmp_path("own.sock");
  signal(SIGPIPE, SIG_IGN);
  static term repl;
  REQUIRE(start_repl(&repl, sock, tmp_path("own_history")) == 0);
  REQUIRE(expect(&repl, "> ", 10000));
  static peer a;
  REQUIRE(dial(&a, sock) == 0);
  CHECK(expect(&a, "P > \n", 5000));
  type(&a, "L t = swarm:every(0.01, function() _G.ticks = (_G.ticks or 0) + 1 "
           "end)\n");
  CHECK(expect(&a, "P > \n", 5000));
  type(&a, "L s = swarm:on('drone_state', function() _G.events = (_G.events "
           "or 0) + 1 end)\n");
  CHECK(expect(&a, "P > \n", 5000));
  /* it runs: the engine's prompt sees ticks counted */
  int64_t end = ms_now() + 10000;
  int running = 0;
  while (!running && ms_now() < end) {
    type(&repl, "'TICKS=' .. tostring(ticks)\r");
    CHECK(expect(&repl, "\"TICKS=", 5000));
    running = strncmp(repl.out + repl.seen, "nil", 3) != 0;
  }
  CHECK(running);
  close(a.fd); /* the client goes */
  /* once its close is handled, ticks stand still and drone_state events
   * (a drone sent flying) reach no handler of it: 0.3 s of engine time
   * without a change, seen within 10 s (the close is handled when the
   * engine gets to it) */
  type(&repl, ":goto 0 100 0\r");
  int still = 0;
  end = ms_now() + 10000;
  while (!still && ms_now() < end) {
    type(&repl, "t0, e0, mark = ticks, events or 0, false; "
                "_ = swarm:after(0.3, function() mark = true end)\r");
    for (int seen_mark = 0; !seen_mark && ms_now() < end;) {
      type(&repl, "'CHECK=' .. tostring(mark) .. ':' .. tostring(ticks == t0) "
                  ".. ':' .. tostring((events or 0) == e0)\r");
      if (!expect(&repl, "\"CHECK=", 5000))
        break;
      seen_mark = strncmp(repl.out + repl.seen, "true:", 5) == 0;
      still = strncmp(repl.out + repl.seen, "true:true:true\"", 15) == 0;
    }
  }
  CHECK(still);
  type(&repl, "swarm:drone(0):state()\r");
  CHECK(expect(&repl, "\"moving\"", 5000));
  type(&repl, "\x04");
  CHECK(expect(&repl, "Swarm shutdown complete", 10000));
  CHECK_INT(finish(&repl), 0);
}

/* :status of more drones than 4 MiB of lines holds reaches a client whole:
 * it is sent a slice at a time as the client reads, never past the cap. */
TEST(a_long_listing_reaches_a_client_whole) {
  const char *sock = tmp_path("list.sock");
  signal(SIGPIPE, SIG_IGN);
  static term repl;
  REQUIRE(start_repl(&repl, sock, tmp_path("list_history")) == 0);
  REQUIRE(expect(&repl, "> ", 10000));
  type(&repl, "#swarm:spawn_fleet(68000)\r"); /* 68,002: about 4.4 MB */
  CHECK(expect(&repl, "\r\n68000\r\n", 60000));
  static peer a;
  REQUIRE(dial(&a, sock) == 0);
  CHECK(expect(&a, "P > \n", 5000));
  type(&a, "L :status all\n");
  size_t lines = 0, total = 0;
  char last[128] = "";
  int prompt = 0, dropped = 0;
  int64_t end = ms_now() + 60000;
  static char buf[1 << 16];
  size_t keep = 0;
  while (!prompt && ms_now() < end) {
    struct pollfd p = {a.fd, POLLIN, 0};
    if (poll(&p, 1, 1000) <= 0)
      continue;
    ssize_t n = read(a.fd, buf + keep, sizeof buf - 1 - keep);
    if (n <= 0)
      break;
    total += (size_t)n;
    keep += (size_t)n;
    buf[keep] = '\0';
    char *line = buf, *nl;
    while ((nl = strchr(line, '\n')) != NULL) {
      *nl = '\0';
      if (strncmp(line, "O drone ", 8) == 0) {
        lines++;
        size_t k =
            strlen(line) < sizeof last - 1 ? strlen(line) : sizeof last - 1;
        memcpy(last, line, k);
        last[k] = '\0';
      } else if (strcmp(line, "P > ") == 0) {
        prompt = 1;
      } else if (line[0] == 'E') {
        dropped = 1;
      }
      line = nl + 1;
    }
    keep = strlen(line);
    memmove(buf, line, keep);
  }
  CHECK(prompt);
  CHECK(!dropped);
  CHECK_INT(lines, 68002);
  CHECK(strncmp(last, "O drone 68001 ", 14) == 0);
  CHECK(total > 4 * 1024 * 1024); /* more than the cap, all delivered */
  close(a.fd);
  type(&repl, "\x04");
  CHECK(expect(&repl, "Swarm shutdown complete", 20000));
  CHECK_INT(finish(&repl), 0);
}

/* A command to more drones than a slice goes out a slice per loop turn to
 * a client too: the swarm's timers run between its slices.  (libuv 1.44
 * ran a 0 ms timer started from a timer callback in the same pass, so
 * every slice after the first went out in one loop turn.) */
TEST(a_command_to_many_drones_lets_the_loop_turn_for_a_client) {
  const char *sock = tmp_path("slices.sock");
  signal(SIGPIPE, SIG_IGN);
  static term repl;
  REQUIRE(start_repl(&repl, sock, tmp_path("slices_history")) == 0);
  REQUIRE(expect(&repl, "> ", 10000));
  /* a slice of 1 drone, and each slice read notes the timer's count */
  type(&repl, "swarm:spawn_fleet(298) ticks, seen = 0, {} swarm:every(0.01,"
              " function() ticks = ticks + 1 end) local sh = require"
              "('starling.shorthand') sh.SLICE = nil setmetatable(sh, {"
              "__index = function(_, k) if k == 'SLICE' then seen[ticks] ="
              " true return 1 end end})\r");
  static peer a;
  REQUIRE(dial(&a, sock) == 0);
  CHECK(expect(&a, "P > \n", 5000));
  type(&a, "L :goto all 10 10\n");
  CHECK(expect(&a, "O 300 drones flying to (10, 10, 30)\n", 20000));
  CHECK(expect(&a, "P > \n", 5000));
  /* 300 slices, 1 ms apart at least: the 10 ms timer ran among them */
  type(&repl, "local n = 0 for _ in pairs(seen) do n = n + 1 end"
              " print('TURNS=' .. (n >= 10 and 'many' or n))\r");
  CHECK(expect(&repl, "TURNS=many", 5000));
  close(a.fd);
  type(&repl, "\x04");
  CHECK(expect(&repl, "Swarm shutdown complete", 20000));
  CHECK_INT(finish(&repl), 0);
}

/* A listing goes to a client a slice per loop turn: a slice's write that
 * completes at once is called back in the same turn (libuv runs pending
 * callbacks up to 8 more times after polling), and a drain handler called
 * from there sent up to 9 slices in one turn. */
TEST(a_listing_goes_to_a_client_a_slice_per_loop_turn) {
  const char *sock = tmp_path("turns.sock");
  signal(SIGPIPE, SIG_IGN);
  static term repl;
  REQUIRE(start_repl(&repl, sock, tmp_path("turns_history")) == 0);
  REQUIRE(expect(&repl, "> ", 10000));
  /* a slice of 1 line, and each slice made notes the loop turn it is in
   * (a 1 ms timer counts them) */
  type(&repl, "swarm:spawn_fleet(298) turn, seen = 0, {} swarm:every(0.001,"
              " function() turn = turn + 1 end) local sh = require"
              "('starling.shorthand') sh.STATUS_SLICE = nil setmetatable(sh,"
              " {__index = function(_, k) if k == 'STATUS_SLICE' then "
              "seen[turn] = (seen[turn] or 0) + 1 return 1 end end})\r");
  static peer a;
  REQUIRE(dial(&a, sock) == 0);
  CHECK(expect(&a, "P > \n", 5000));
  type(&a, "L :status all\n");
  CHECK(expect(&a, "O drone 299 ", 20000));
  CHECK(expect(&a, "P > \n", 5000));
  /* more() asks STATUS_SLICE twice a slice, and once more at its end.  A
   * 1 ms timer is not an exact count of turns (a turn of less than 1 ms
   * does not fire it): a few slices may share a count, not dozens. */
  type(&repl, "local most = 0 for _, k in pairs(seen) do most = math.max("
              "most, k) end print('MOST=' .. most)\r");
  CHECK(expect(&repl, "\r\nMOST=", 5000));
  int most = atoi(repl.out + repl.seen);
  fprintf(stderr, "slices in one loop turn, at most: %d\n", most / 2);
  CHECK(most / 2 <= 4);
  close(a.fd);
  type(&repl, "\x04");
  CHECK(expect(&repl, "Swarm shutdown complete", 20000));
  CHECK_INT(finish(&repl), 0);
}
