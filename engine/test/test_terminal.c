/* The terminal side of the two prompts (engine/cli/edit.c and the output
 * paths of repl.c and attach.c): long input lines, and output too large
 * for the terminal to take at once.  Driven through a pseudo-terminal as
 * a user would (cli.h); no fixed sleeps. */
#include "cli.h"

enum { MAX_LINE = 64 * 1024 }; /* the README's promise */

/* `return #"xxx...x"` with n x's, and a carriage return. */
static char *length_line(size_t n) {
  char *s = malloc(n + 16);
  if (s == NULL)
    return NULL;
  memcpy(s, "return #\"", 9);
  memset(s + 9, 'x', n);
  memcpy(s + 9 + n, "\"\r", 3);
  return s;
}

/* Types lines at the limit and beyond at a prompt (`> ` shown): the first
 * is evaluated, the second refused with a message, and the prompt goes
 * on. */
static void long_lines(term *t) {
  /* a line of 65,521 bytes: just under 64 KiB */
  size_t n = MAX_LINE - 26;
  char *s = length_line(n);
  REQUIRE(s != NULL);
  int sent = type_big(t, s, strlen(s), 30000);
  free(s);
  if (!sent) { /* the program stopped reading: the rest cannot work */
    T_FAIL("could not type a line of %zu bytes", n + 11);
    return;
  }
  char want[32];
  snprintf(want, sizeof want, "\r\n%zu\r\n", n);
  CHECK(expect(t, want, 30000));
  CHECK(expect(t, "> ", 5000));
  /* 70,000 bytes: over the limit, refused (nothing is evaluated) */
  s = length_line(70000);
  REQUIRE(s != NULL);
  CHECK(type_big(t, s, strlen(s), 30000));
  CHECK(expect(t, "line longer than 65536 bytes", 30000));
  free(s);
  CHECK(expect(t, "> ", 5000));
  type(t, "6 * 7\r");
  CHECK(expect(t, "\r\n42\r\n", 5000));
  CHECK(count(t, 0, "70000") == 0);
}

TEST(long_lines_at_the_local_prompt) {
  static term t;
  const char *ctl = tmp_path("long.sock");
  const char *const args[] = {"starling",  "repl", "--drones", "2",
                              "--control", ctl,    NULL};
  unlink(ctl);
  REQUIRE(spawn(&t, tmp_path("long_history"), args) == 0);
  CHECK(expect(&t, "> ", 10000));
  long_lines(&t);
  /* a short line after them is still edited (the terminal is raw) */
  type(&t, "'ab'\x01\x06"
           "c\r"); /* Ctrl+A, Ctrl+F, c: 'cab' */
  CHECK(expect(&t, "\"cab\"", 5000));
  type(&t, "\x04");
  CHECK(expect(&t, "Swarm shutdown complete", 10000));
  CHECK_INT(finish(&t), 0);
}

TEST(long_lines_at_the_attach_prompt) {
  static term repl, at;
  const char *ctl = tmp_path("longa.sock");
  const char *const args[] = {"starling",  "repl", "--drones", "2",
                              "--control", ctl,    NULL};
  unlink(ctl);
  REQUIRE(spawn(&repl, tmp_path("longa_history"), args) == 0);
  CHECK(expect(&repl, "> ", 10000));
  const char *const aargs[] = {"starling", "attach", ctl, NULL};
  REQUIRE(spawn(&at, tmp_path("longa_history2"), aargs) == 0);
  CHECK(expect(&at, "> ", 10000));
  long_lines(&at);
  type(&at, "\x04"); /* detach */
  CHECK_INT(finish(&at), 0);
  type(&repl, "\x04");
  CHECK(expect(&repl, "Swarm shutdown complete", 10000));
  CHECK_INT(finish(&repl), 0);
}

/* Output far larger than a terminal buffers, at the local prompt: every
 * line of it arrives, and the prompt after it. */
TEST(large_output_at_the_local_prompt_arrives_whole) {
  static term t;
  const char *ctl = tmp_path("big.sock");
  const char *const args[] = {"starling",  "repl", "--drones", "2000",
                              "--control", ctl,    NULL};
  unlink(ctl);
  REQUIRE(spawn(&t, tmp_path("big_history"), args) == 0);
  CHECK(expect(&t, "> ", 20000));
  size_t from = t.len;
  type(&t, ":status\r");
  CHECK(expect(&t, "\r\ndrone 1999 ", 20000));
  CHECK(expect(&t, "\r\n> ", 5000));
  CHECK_INT(count(&t, from, "\r\ndrone "), 2000);
  /* 20,000 drones printed as a table: about 770 KB */
  type(&t, "#swarm:spawn_fleet(18000)\r");
  CHECK(expect(&t, "\r\n18000\r\n", 20000));
  from = t.len;
  type(&t, "swarm:drones()\r");
  CHECK(expect(&t, "starling.drone 19999 ", 30000));
  CHECK(expect(&t, "\r\n}\r\n> ", 5000));
  CHECK_INT(count(&t, from, "  starling.drone "), 20000);
  /* :status of them all comes a slice per loop turn: a timer writing
   * every millisecond gets its lines in between (a listing that held the
   * loop would come in one piece) */
  type(&t, "mark = swarm:every(0.001, function() io.write('TICKMARK\\n') "
           "io.flush() end)\r");
  CHECK(expect(&t, "TICKMARK", 5000));
  type(&t, ":status all\r");
  CHECK(expect(&t, "\r\ndrone 0 ", 20000));
  from = t.seen;
  CHECK(expect(&t, "\r\ndrone 19999 ", 30000));
  size_t to = t.seen;
  CHECK(expect(&t, "\r\n> ", 5000));
  CHECK_INT(count(&t, from - 10, "\r\ndrone "), 20000);
  char saved = t.out[to];
  t.out[to] = '\0';
  CHECK(count(&t, from, "TICKMARK") > 0);
  t.out[to] = saved;
  type(&t, "mark:cancel()\r");
  type(&t, "\x04");
  CHECK(expect(&t, "Swarm shutdown complete", 20000));
  CHECK_INT(finish(&t), 0);
}

/* A terminal that stops reading holds a long listing, not the loop: the
 * next slice waits until the last has gone out, and meanwhile the swarm
 * runs on -- a control client is answered -- and, read again, the
 * terminal gets the whole listing, then the prompt. */
TEST(a_terminal_that_stops_reading_holds_the_listing_not_the_loop) {
  static term t;
  static peer c;
  const char *ctl = tmp_path("stall.sock");
  const char *const args[] = {"starling",  "repl", "--drones", "20000",
                              "--control", ctl,    NULL};
  unlink(ctl);
  REQUIRE(spawn(&t, tmp_path("stall_history"), args) == 0);
  REQUIRE(expect(&t, "> ", 20000));
  REQUIRE(dial(&c, ctl) == 0);
  CHECK(expect(&c, "P > \n", 5000));
  size_t from = t.len;
  type(&t, ":status all\r");
  CHECK(expect(&t, "\r\ndrone 0 ", 20000));
  /* the terminal is not read now: about 1 MB, 20 slices, waits for it.
   * Each answer takes a loop turn at least, and each turn a slice could
   * go: a loop held by the terminal would stall before the 30th. */
  for (int i = 0; i < 30; i++) {
    type(&c, "L swarm:count()\n");
    if (!expect(&c, "O 20000\nP > \n", 5000)) {
      CHECK(!"a control client answered while the terminal waits");
      break;
    }
  }
  CHECK(expect(&t, "\r\ndrone 19999 ", 30000));
  CHECK(expect(&t, "\r\n> ", 5000));
  CHECK_INT(count(&t, from, "\r\ndrone "), 20000);
  close(c.fd);
  type(&t, "\x04");
  CHECK(expect(&t, "Swarm shutdown complete", 20000));
  CHECK_INT(finish(&t), 0);
}
