/*
 * cli.h -- driving the starling executable as a user does, for the tests of
 * the command line (test_repl.c, test_terminal.c, test_control.c).
 *
 * A `term` is the starling binary in a pseudo-terminal, or a client of its
 * control socket (dial): the same reader serves both.  expect() waits for
 * text with a deadline -- nothing here sleeps a fixed time -- and type()
 * sends keys; type_big() sends more than the terminal buffers, reading the
 * echo as it goes so that neither side blocks the other.
 */
#ifndef SL_TEST_CLI_H
#define SL_TEST_CLI_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "t.h"

typedef struct term { /* big: it lives in static storage */
  int fd;
  pid_t pid;
  size_t len;  /* bytes read so far */
  size_t seen; /* expect() matched up to here */
  char out[4 << 20];
} term;

static inline int64_t ms_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void term_reset(term *t) {
  t->fd = -1;
  t->pid = 0;
  t->len = t->seen = 0;
  t->out[0] = '\0';
}

/* Runs `starling ARGS...` (NULL-terminated) in a pseudo-terminal. */
static inline int spawn(term *t, const char *history, const char *const *args) {
  term_reset(t);
  struct winsize ws = {30, 100, 0, 0};
  t->pid = forkpty(&t->fd, NULL, NULL, &ws);
  if (t->pid < 0)
    return -1;
  if (t->pid == 0) {
    setenv("TERM", "xterm", 1);
    setenv("STARLING_HISTORY", history, 1);
    unsetenv("STARLING_LOG");
    execv(STARLING_BIN, (char *const *)args);
    _exit(127);
  }
  return 0;
}

/* Tests run in parallel (and again under valgrind): every path a test
 * uses carries its process id. */
static inline const char *tmp_path(const char *name) {
  static char buf[8][128];
  static int k;
  char *b = buf[k++ % 8];
  snprintf(b, sizeof buf[0], "/tmp/starling_test_%d_%s", (int)getpid(), name);
  return b;
}

/* Reads what is there now, waiting at most `ms`; returns the bytes read,
 * 0 on timeout, -1 when the other end closed. */
static inline ssize_t pump(term *t, int ms) {
  if (t->len + 1 >= sizeof t->out)
    return -1;
  struct pollfd p = {t->fd, POLLIN, 0};
  int r = poll(&p, 1, ms);
  if (r < 0 && errno == EINTR)
    return 0;
  if (r <= 0)
    return 0;
  ssize_t n = read(t->fd, t->out + t->len, sizeof t->out - 1 - t->len);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return 0;
  if (n <= 0)
    return -1;
  t->len += (size_t)n;
  t->out[t->len] = '\0';
  return n;
}

/* Reads until `text` appears after what earlier expects matched, or the
 * deadline passes.  Returns 1 when found. */
static inline int expect(term *t, const char *text, int timeout_ms) {
  int64_t end = ms_now() + timeout_ms;
  for (;;) {
    t->out[t->len] = '\0';
    char *hit = strstr(t->out + t->seen, text);
    if (hit != NULL) {
      t->seen = (size_t)(hit - t->out) + strlen(text);
      return 1;
    }
    int64_t left = end - ms_now();
    if (left <= 0)
      break;
    if (pump(t, (int)left) < 0) {
      fprintf(stderr, "the other end closed (or the buffer is full)\n");
      break;
    }
  }
  size_t show = t->len - t->seen;
  fprintf(stderr,
          "expected \"%s\"; the output since the last match "
          "(%zu bytes, the last 2000 shown):\n%s\n",
          text, show, t->out + (show > 2000 ? t->len - 2000 : t->seen));
  return 0;
}

/* How many times `text` occurs in the output after offset `from`. */
static inline size_t count(const term *t, size_t from, const char *text) {
  size_t n = 0;
  for (const char *p = t->out + from; (p = strstr(p, text)) != NULL;
       p += strlen(text))
    n++;
  return n;
}

static inline void type(term *t, const char *keys) {
  size_t n = strlen(keys);
  CHECK_INT(write(t->fd, keys, n), (ssize_t)n);
}

/* Sends n bytes however much the other side buffers, reading its output
 * meanwhile (a terminal echoes what is typed: left unread, the echo would
 * stop the program, and then its reading).  Returns 1 when all was sent
 * within the deadline. */
static inline int type_big(term *t, const char *keys, size_t n,
                           int timeout_ms) {
  int64_t end = ms_now() + timeout_ms;
  size_t off = 0;
  int fl = fcntl(t->fd, F_GETFL);
  fcntl(t->fd, F_SETFL, fl | O_NONBLOCK);
  while (off < n && ms_now() < end) {
    struct pollfd p = {t->fd, POLLIN | POLLOUT, 0};
    if (poll(&p, 1, 100) <= 0)
      continue;
    if (p.revents & POLLIN && pump(t, 0) < 0)
      break;
    if (p.revents & (POLLHUP | POLLERR | POLLNVAL) && !(p.revents & POLLIN))
      break; /* the other end is gone */
    if (p.revents & POLLOUT) {
      ssize_t w = write(t->fd, keys + off, n - off);
      if (w > 0)
        off += (size_t)w;
      else if (w < 0 && errno != EAGAIN && errno != EINTR)
        break;
    }
  }
  fcntl(t->fd, F_SETFL, fl);
  return off == n;
}

/* Waits for the program to end (killing it after 10 s); returns its exit
 * code, or 128 + the signal that ended it. */
static inline int finish(term *t) {
  int status = 0;
  int64_t end = ms_now() + 10000;
  while (waitpid(t->pid, &status, WNOHANG) == 0) {
    if (ms_now() > end) {
      kill(t->pid, SIGKILL);
      waitpid(t->pid, &status, 0);
      break;
    }
    struct pollfd p = {t->fd, POLLIN, 0};
    if (poll(&p, 1, 50) > 0 &&
        read(t->fd, t->out + t->len, sizeof t->out - 1 - t->len) <= 0)
      continue;
  }
  close(t->fd);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* A client of the control socket: the same reader as a terminal (no
 * process of its own), so expect() and type() serve it too. */
typedef term peer;

static inline int dial(peer *p, const char *path) {
  term_reset(p);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  p->fd = socket(AF_UNIX, SOCK_STREAM, 0);
  return p->fd >= 0 && connect(p->fd, (struct sockaddr *)&a, sizeof a) == 0
             ? 0
             : -1;
}

#endif
