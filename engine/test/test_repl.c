/* The REPL through a pseudo-terminal (engine/cli/repl.c): what a user types
 * and what the screen shows.  The harness waits for expected output with
 * poll() and a deadline -- it never sleeps a fixed time. */
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "t.h"

typedef struct term {
  int fd;
  pid_t pid;
  char out[65536];
  size_t len;  /* bytes read so far */
  size_t seen; /* expect() matched up to here */
} term;

static int64_t ms_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int start(term *t, const char *history) {
  memset(t, 0, sizeof(*t));
  struct winsize ws = {30, 100, 0, 0};
  t->pid = forkpty(&t->fd, NULL, NULL, &ws);
  if (t->pid < 0)
    return -1;
  if (t->pid == 0) {
    setenv("TERM", "xterm", 1);
    setenv("STARLING_HISTORY", history, 1);
    unsetenv("STARLING_LOG");
    execl(STARLING_BIN, "starling", "repl", "--drones", "3", (char *)NULL);
    _exit(127);
  }
  return 0;
}

/* Reads until `text` appears after what earlier expects matched, or the
 * deadline passes.  Returns 1 when found. */
static int expect(term *t, const char *text, int timeout_ms) {
  int64_t end = ms_now() + timeout_ms;
  for (;;) {
    t->out[t->len] = '\0';
    char *hit = strstr(t->out + t->seen, text);
    if (hit != NULL) {
      t->seen = (size_t)(hit - t->out) + strlen(text);
      return 1;
    }
    int64_t left = end - ms_now();
    if (left <= 0 || t->len + 1 >= sizeof t->out)
      break;
    struct pollfd p = {t->fd, POLLIN, 0};
    if (poll(&p, 1, (int)left) <= 0)
      break;
    ssize_t n = read(t->fd, t->out + t->len, sizeof t->out - 1 - t->len);
    if (n <= 0)
      break;
    t->len += (size_t)n;
  }
  fprintf(stderr, "expected \"%s\"; the screen since the last match:\n%s\n",
          text, t->out + t->seen);
  return 0;
}

static void type(term *t, const char *keys) {
  size_t n = strlen(keys);
  CHECK_INT(write(t->fd, keys, n), (ssize_t)n);
}

static int finish(term *t) {
  int status = 0;
  int64_t end = ms_now() + 10000;
  while (waitpid(t->pid, &status, WNOHANG) == 0) {
    if (ms_now() > end) {
      kill(t->pid, SIGKILL);
      waitpid(t->pid, &status, 0);
      break;
    }
    struct pollfd p = {t->fd, POLLIN, 0};
    if (poll(&p, 1, 50) > 0 && read(t->fd, t->out + t->len,
                                    sizeof t->out - 1 - t->len) <= 0)
      continue;
  }
  close(t->fd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

TEST(statements_shorthand_errors_and_ctrl_d) {
  term t;
  REQUIRE(start(&t, "/tmp/starling_test_history_1") == 0);
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
  CHECK(expect(&t, "bad command at column 7: expected a drone id: there is "
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
}

TEST(tab_completion_and_ctrl_c) {
  term t;
  REQUIRE(start(&t, "/tmp/starling_test_history_2") == 0);
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
  type(&t, "n = 0 io.write('go', '\\n') while true do n = n + 1 end\r");
  CHECK(expect(&t, "go\r\n", 5000)); /* it is evaluating now */
  type(&t, "\x03");
  CHECK(expect(&t, "interrupted", 5000));
  type(&t, "n > 0, swarm:count()\r");
  CHECK(expect(&t, "true\t5", 5000));
  type(&t, ":quit\r");
  CHECK(expect(&t, "Swarm shutdown complete", 10000));
  CHECK_INT(finish(&t), 0);
}
