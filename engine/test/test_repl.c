/* The REPL through a pseudo-terminal (engine/cli/repl.c): what a user types
 * and what the screen shows.  The harness (cli.h) waits for expected output
 * with poll() and a deadline -- it never sleeps a fixed time. */
#include "cli.h"

static int start(term *t, const char *history) {
  const char *ctl = tmp_path("ctl.sock");
  const char *const args[] = {"starling",  "repl", "--drones", "3",
                              "--control", ctl,    NULL};
  unlink(ctl);
  return spawn(t, history, args);
}

TEST(statements_shorthand_errors_and_ctrl_d) {
  static term t;
  const char *hist_path = tmp_path("history");
  unlink(hist_path);
  REQUIRE(start(&t, hist_path) == 0);
  CHECK(expect(&t, "a swarm of 3 drones, real time", 10000));
  CHECK(expect(&t, "> ", 5000));
  type(&t, "x = 20\r");
  type(&t, "x * 2 + 2\r");
  CHECK(expect(&t, "42\r\n", 5000));
  type(&t, "function f(a)\r");
  CHECK(expect(&t, ">> ", 5000)); /* an incomplete chunk continues */
  type(&t, "return { a = a, list = { 1, 2 } }\rend\r");
  type(&t, "f('x')\r");
  CHECK(expect(&t, "{ a = \"x\", list = { 1, 2 } }", 5000));
  type(&t, ":goto 1 10 0\r");
  CHECK(expect(&t, "1 drone flying to (10, 0, 30)", 5000));
  type(&t, ":goto 9 1 1\r");
  CHECK(expect(&t,
               "bad command at column 7: expected a drone id: there is "
               "no drone 9",
               5000));
  type(&t, "error('boom')\r");
  CHECK(expect(&t, "stdin:1: boom", 5000));
  /* the drone flew on all along */
  type(&t, "swarm:drone(1):state()\r");
  CHECK(expect(&t, "\"moving\"", 5000));
  type(&t, "\x04"); /* Ctrl+D */
  CHECK(expect(&t, "Initiating swarm shutdown", 10000));
  CHECK(expect(&t, "Swarm shutdown complete", 10000));
  CHECK_INT(finish(&t), 0);
  /* the history file kept the lines */
  FILE *h = fopen(hist_path, "r");
  REQUIRE(h != NULL);
  char hist[8192];
  size_t n = fread(hist, 1, sizeof hist - 1, h);
  hist[n] = '\0';
  fclose(h);
  CHECK(strstr(hist, "f('x')") != NULL);
  CHECK(strstr(hist, "swarm:drone(1):state()") != NULL);
  unlink(hist_path);
}

TEST(tab_completion_and_ctrl_c) {
  static term t;
  REQUIRE(start(&t, tmp_path("history")) == 0);
  CHECK(expect(&t, "> ", 10000));
  /* one candidate: completed in place (the screen redraws, so the proof
   * is what the completed line does) */
  type(&t, "#swarm:spawn_f\t");
  type(&t, "(2)\r");
  CHECK(expect(&t, "\r\n2\r\n", 5000));
  type(&t, "swarm:count()\r");
  CHECK(expect(&t, "\r\n5\r\n", 5000));
  type(&t, "#starling.formation.sl\t");
  type(&t, "('grid', 7, { center = { 0, 0, 0 } })\r");
  CHECK(expect(&t, "\r\n7\r\n", 5000));
  type(&t, ":pa\t\t"); /* two candidates: listed */
  CHECK(expect(&t, ":patrol", 5000));
  CHECK(expect(&t, ":pause", 5000));
  type(&t, "\x15");
  /* Ctrl+C at the prompt drops the line, nothing is run */
  type(&t, "undefined_call()");
  CHECK(expect(&t, "undefined_call()", 5000));
  type(&t, "\x03");
  CHECK(expect(&t, "^C", 5000));
  type(&t, "1 + 1\r");
  CHECK(expect(&t, "2\r\n", 5000));
  /* Ctrl+C during an evaluation stops it, not the swarm */
  type(&t, "n = 0 for i = 1, 1000 do n = i end io.write('go', '\\n') "
           "while true do n = n + 1 end\r");
  CHECK(expect(&t, "go\r\n", 5000)); /* it is evaluating now */
  type(&t, "\x03");
  CHECK(expect(&t, "interrupted", 5000));
  type(&t, "n >= 1000, swarm:count()\r");
  CHECK(expect(&t, "true\t5", 5000));
  /* ... in a coroutine too (the hook is inherited) */
  type(&t, "io.write('co', '\\n') coroutine.wrap(function() while true do end "
           "end)()\r");
  CHECK(expect(&t, "co\r\n", 5000));
  type(&t, "\x03");
  CHECK(expect(&t, "interrupted", 5000));
  type(&t, "'still here'\r");
  CHECK(expect(&t, "\"still here\"", 5000));
  type(&t, ":quit\r");
  CHECK(expect(&t, "Swarm shutdown complete", 10000));
  CHECK_INT(finish(&t), 0);
}

/* --- the control socket ----------------------------------------------------
 */

TEST(control_socket_clients_garbage_and_attach) {
  const char *path = tmp_path("control.sock");
  unlink(path);
  signal(SIGPIPE, SIG_IGN); /* a write to a closed socket is an error here */
  static term repl;
  const char *const args[] = {"starling",  "repl", "--drones", "3",
                              "--control", path,   NULL};
  REQUIRE(spawn(&repl, tmp_path("history3"), args) == 0);
  CHECK(expect(&repl, "control socket: /tmp/starling_test_", 10000));
  struct stat st;
  REQUIRE(stat(path, &st) == 0);
  CHECK_INT(st.st_mode & 0777, 0600); /* the owner only */

  /* two clients at once, each with its own globals */
  static peer a, b, c; /* big: static storage */
  REQUIRE(dial(&a, path) == 0);
  REQUIRE(dial(&b, path) == 0);
  CHECK(expect(&a, "P > \n", 5000));
  CHECK(expect(&b, "P > \n", 5000));
  type(&a, "L mine = 'a'\n");
  CHECK(expect(&a, "P > \n", 5000));
  type(&b, "L mine\n");
  CHECK(expect(&b, "O nil\nP > \n", 5000));
  type(&a, "L mine, swarm:count()\n");
  CHECK(expect(&a, "O \"a\"\t3\nP > \n", 5000));
  type(&b, "L :goto 2 20 0\n");
  CHECK(expect(&b, "O 1 drone flying to (20, 0, 30)\nP > \n", 5000));
  type(&b, "C swarm:spawn_f\n");
  CHECK(expect(&b, "M swarm:spawn_fleet\n", 5000));
  /* garbage, then a client gone in the middle of a line */
  REQUIRE(dial(&c, path) == 0);
  CHECK(expect(&c, "P > \n", 5000));
  type(&c, "\x01\x02\xff garbage\nX\n");
  CHECK(expect(&c, "E unknown message", 5000));
  type(&c, "L while true do en");
  close(c.fd);
  /* a runaway remote evaluation hits the budget, not the swarm */
  type(&a, "L while true do end\n");
  if (!expect(&a, "O budget_exceeded", 20000)) {
    T_FAIL("no budget_exceeded; the REPL's terminal follows");
    expect(&repl, "\x01(not there: shows what the terminal has)", 1000);
  }
  type(&a, "L coroutine.wrap(function() while true do end end)()\n");
  CHECK(expect(&a, "O budget_exceeded", 20000)); /* no way around it */
  type(&a, "L setmetatable({}, { __tostring = function() while true do end end "
           "})\n");
  CHECK(expect(&a, "O budget_exceeded", 20000)); /* printing is guarded too */
  type(&a, "L setmetatable({}, { __len = function() return 'x' end })\n");
  CHECK(expect(&a, "P > \n", 5000)); /* an error, then the prompt */
  type(&a, "L swarm:drone(2):state()\n");
  CHECK(expect(&a, "O \"moving\"\nP > \n", 5000));

  /* starling attach, through a terminal */
  static term at;
  const char *const aargs[] = {"starling", "attach", path, NULL};
  REQUIRE(spawn(&at, tmp_path("history4"), aargs) == 0);
  CHECK(expect(&at, "> ", 10000));
  type(&at, "40 + 2\r");
  CHECK(expect(&at, "42", 5000));
  type(&at, "print('hello from', 'attach')\r"); /* print comes here */
  CHECK(expect(&at, "hello from\tattach", 5000));
  type(&at, "string.rep('x', 70000) .. 'END'\r"); /* a line over 64 KiB */
  CHECK(expect(&at, "xxxxEND\"", 5000));
  type(&at, "#swarm:spawn_f\t");
  type(&at, "(1)\r");
  CHECK(expect(&at, "\r\n1\r\n", 5000));
  CHECK(expect(&at, "> ", 5000)); /* (installing a prompt flushes typeahead) */
  type(&at, "\x04");              /* Ctrl+D: detach, the swarm flies on */
  CHECK_INT(finish(&at), 0);
  type(&b, "L swarm:count()\n");
  CHECK(expect(&b, "O 4\nP > \n", 5000));

  /* :quit at a client shuts the engine down */
  type(&b, "L :quit\n");
  CHECK(expect(&b, "Q\n", 5000));
  CHECK(expect(&repl, "Swarm shutdown complete", 10000));
  CHECK_INT(finish(&repl), 0);
  close(a.fd);
  close(b.fd);
  CHECK(access(path, F_OK) != 0); /* the socket file is gone */
}

TEST(sigterm_and_a_file_on_stdin_shut_down_gracefully) {
  const char *ctl = tmp_path("term.sock");
  unlink(ctl);
  static term t;
  const char *const args[] = {"starling",  "repl", "--drones", "2",
                              "--control", ctl,    NULL};
  REQUIRE(spawn(&t, tmp_path("history5"), args) == 0);
  CHECK(expect(&t, "> ", 10000));
  CHECK(access(ctl, F_OK) == 0);
  kill(t.pid, SIGTERM);
  CHECK(expect(&t, "SIGTERM", 5000));
  CHECK(expect(&t, "Swarm shutdown complete", 5000));
  CHECK_INT(finish(&t), 0);
  CHECK(access(ctl, F_OK) != 0); /* the socket file removed */

  /* stdin a regular file (it cannot be polled): read through, then quit */
  const char *in = tmp_path("input.lua"), *out = tmp_path("output.txt");
  FILE *f = fopen(in, "w");
  REQUIRE(f != NULL);
  fputs("x = 6\nx * 7\n:status 1\n", f);
  fclose(f);
  char cmd[1024];
  snprintf(cmd, sizeof cmd,
           "STARLING_LOG= %s repl --drones 2 --control %s <%s >%s 2>&1",
           STARLING_BIN, ctl, in, out);
  int st = system(cmd);
  CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  f = fopen(out, "r");
  REQUIRE(f != NULL);
  char text[4096];
  size_t n = fread(text, 1, sizeof text - 1, f);
  text[n] = '\0';
  fclose(f);
  CHECK(strstr(text, "\n42\n") != NULL);
  CHECK(strstr(text, "drone 1 ") != NULL);
  CHECK(strstr(text, "Swarm shutdown complete") != NULL);
  unlink(in);
  unlink(out);
}
