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

/* b asks the engine how many bytes its clients have pending; returns it,
 * or -1. */
static long pending(peer *b) {
  type(b, "L core.control_pending(swarm)\n");
  if (!expect(b, "O ", 20000))
    return -1;
  long n = strtol(b->out + b->seen, NULL, 10);
  return expect(b, "P > \n", 5000) ? n : -1;
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
  type(&b, "L core = require 'starling.core'\n");
  CHECK(expect(&b, "P > \n", 5000));
  CHECK_INT(pending(&b), 0);
  /* a asks for 2 MB and reads nothing: the engine keeps it, counted */
  type(&a, "L for i = 1, 10000 do print(('q'):rep(200)) end\n");
  long held = pending(&b);
  CHECK(held > 1500000 && held < 4 * 1024 * 1024);
  /* then for 20 MB more: past 4 MiB a is dropped, its memory freed */
  type(&a, "L for i = 1, 100000 do print(('q'):rep(200)) end\n");
  long after = pending(&b);
  CHECK(after >= 0 && after < 100000);
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
