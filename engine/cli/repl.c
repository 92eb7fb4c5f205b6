/*
 * repl.c -- `starling repl`: a prompt on a live swarm, in the swarm's loop.
 *
 * The swarm runs on the real clock in its libuv loop; stdin is a uv_poll
 * handle on that loop, and the line editor (edit.c, libedit's native
 * interface) is fed what each readable event brings -- the prompt never
 * blocks the swarm.  Lines go to a Lua session (lua/starling/repl.lua) that
 * evaluates them; this file owns only the terminal:
 *
 *   - uv_poll_init makes stdin non-blocking, and on a terminal stdout is
 *     the same open file: its blocking mode is given back at once, so that
 *     stdio (print, io.write, the logs) never meets EAGAIN, and what this
 *     file writes goes through starling_write_all, which finishes partial
 *     writes -- output is never cut short, however large;
 *   - a long listing (:status all) is paced by the terminal: its slices go
 *     to a bounded queue written when stdout is writable (a poll handle,
 *     the write non-blocking for its moment), and the next slice is made
 *     only once the queue is under OUT_LOW -- a terminal that reads slowly,
 *     or not at all, holds the listing, not the loop.  What is not a
 *     listing (a single huge print, say()) still waits for the terminal,
 *     after what is queued;
 *   - Tab asks the session for completions (a word may hold '.' and ':');
 *   - history lives in $STARLING_HISTORY or ~/.starling_history;
 *   - Ctrl+C: during an evaluation the signal handler sets the flag that
 *     the evaluation's count hook (core.eval, inherited by coroutines)
 *     turns into "interrupted"; at the prompt it wakes the loop
 *     (uv_async_send, async-signal-safe), which drops the line and shows a
 *     fresh prompt.  The swarm never sees it.
 *   - Ctrl+D (end of input), :quit, SIGTERM or SIGHUP shut the swarm down
 *     gracefully (the control socket file removed, history saved).
 *
 * Without a terminal on stdin libedit is not used: a pipe's lines are read
 * from the same poll and fed to the session as they come; a regular file
 * (or /dev/null), which cannot be polled, is read through at start.
 */
#include <errno.h>
#include <fcntl.h>
#include <lauxlib.h>
#include <lua.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "edit.h"
#include "repl.h"

/* engine/lua/lsl_eval.c */
void lsl_eval_interrupt(void);
void lsl_eval_reset(void);

static struct {
  lua_State *L;
  int session; /* registry refs */
  int swarm;
  int runner; /* lua/starling/runner.lua: quit, server */
  uv_poll_t poll;
  int polling; /* stdin is a poll handle (not a regular file) */
  uv_async_t sigint, sigterm;
  volatile sig_atomic_t term_sig;
  int tty;
  starling_edit *ed; /* the line editor (a terminal on stdin) */
  int stdin_flags;   /* as found: given back at the end */
  volatile sig_atomic_t evaluating;
  int quit;
  char history[1024];
  char *pending; /* non-tty: bytes read, not yet a whole line */
  size_t npending;
  uv_idle_t stream_idle; /* a long listing: a slice per loop turn */
  int stream;            /* its more() (registry ref), LUA_NOREF if none */
  uv_poll_t out_poll;    /* stdout, polled for UV_WRITABLE */
  int out_polling;       /* out_poll was initialised (a listing is paced) */
  int out_waiting;       /* out_poll started: the queue waits for stdout */
  int stream_done;       /* more() is over; the queue goes, then the prompt */
  int out_midline;       /* the terminal has part of a line from the queue */
  size_t qoff, qlen;     /* the queue: Q[qoff, qlen) not yet written */
} R;

/* The terminal's queue for a listing's slices: bounded. */
#define OUT_CAP (256 * 1024)
#define OUT_LOW (16 * 1024) /* under this, the next slice is made */
/* A line the terminal took in part: how long its rest may be waited for
 * (a timer's print meanwhile would land inside it). */
#define OUT_LINE_WAIT_MS 20
static char Q[OUT_CAP];

/* --- calls into Lua (all protected) -------------------------------------- */

/* session:method(arg) -> pushes up to nres results; 0 on success. */
static int call_session(const char *method, const char *arg, int nres) {
  lua_State *L = R.L;
  lua_pushcfunction(L, starling_traceback);
  int h = lua_gettop(L);
  lua_rawgeti(L, LUA_REGISTRYINDEX, R.session);
  lua_getfield(L, -1, method);
  lua_insert(L, -2);
  int nargs = 1;
  if (arg != NULL) {
    lua_pushstring(L, arg);
    nargs++;
  }
  int rc = lua_pcall(L, nargs, nres, h);
  if (rc != LUA_OK) { /* the session's own fault: its evaluations are
                       * guarded (core.eval) and answer with text */
    fprintf(stderr, "starling repl: %s\n", lua_tostring(L, -1));
    lua_settop(L, h - 1);
    return -1;
  }
  lua_remove(L, h);
  return 0;
}

static const char *prompt(void) {
  static char buf[16];
  snprintf(buf, sizeof buf, "> ");
  if (call_session("prompt", NULL, 1) == 0) {
    const char *p = lua_tostring(R.L, -1);
    if (p != NULL)
      snprintf(buf, sizeof buf, "%s", p);
    lua_pop(R.L, 1);
  }
  return buf;
}

static void stop_swarm_run(void) {
  lua_State *L = R.L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, R.swarm);
  lua_getfield(L, -1, "_stop_run");
  lua_insert(L, -2);
  if (lua_pcall(L, 1, 0, 0) != LUA_OK)
    lua_pop(L, 1);
}

/* --- Ctrl+C --------------------------------------------------------------- */

static void on_sigint(int sig) {
  (void)sig;
  if (R.evaluating)
    lsl_eval_interrupt(); /* the evaluation's hook raises "interrupted" */
  else
    uv_async_send(&R.sigint);
}

static void on_line(char *line);
static void on_stdin(uv_poll_t *p, int status, int events);

/* --- the terminal's queue ------------------------------------------------ */

/* One write to stdout that does not wait (stdout is blocking for stdio). */
static ssize_t write_now(const char *s, size_t n) {
  int fl = fcntl(1, F_GETFL);
  int nb = fl >= 0 && !(fl & O_NONBLOCK);
  if (nb)
    fcntl(1, F_SETFL, fl | O_NONBLOCK);
  ssize_t w;
  do
    w = write(1, s, n);
  while (w < 0 && errno == EINTR);
  int e = errno;
  if (nb)
    fcntl(1, F_SETFL, fl);
  errno = e;
  return w;
}

static size_t out_queued(void) {
  return R.qlen - R.qoff;
}

/* Writes what stdout takes now; 0 if it took nothing more, 1 if some. */
static int out_try(size_t n) {
  ssize_t w = write_now(Q + R.qoff, n);
  if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return 0;
  if (w <= 0) { /* the terminal is gone: nothing more can be shown */
    R.qoff = R.qlen;
    R.out_midline = 0;
    return 0;
  }
  R.qoff += (size_t)w;
  R.out_midline = Q[R.qoff - 1] != '\n';
  return 1;
}

/* Writes what the terminal takes now without waiting, but for the rest of
 * a line it took in part: that, up to OUT_LINE_WAIT_MS. */
static void out_push(void) {
  while (out_queued() > 0 && out_try(out_queued()))
    ;
  uint64_t end = uv_hrtime() / 1000000 + OUT_LINE_WAIT_MS;
  while (R.out_midline && out_queued() > 0) {
    const char *nl = memchr(Q + R.qoff, '\n', out_queued());
    size_t rest = nl != NULL ? (size_t)(nl - (Q + R.qoff)) + 1 : out_queued();
    uint64_t now = uv_hrtime() / 1000000;
    if (now >= end)
      break;
    struct pollfd q = {1, POLLOUT, 0};
    if (poll(&q, 1, (int)(end - now)) < 0 && errno != EINTR)
      break;
    out_try(rest);
  }
  if (out_queued() == 0)
    R.qoff = R.qlen = 0;
}

/* Writes what is queued, waiting for the terminal as long as it takes. */
static void out_drain(void) {
  if (out_queued() > 0)
    starling_write_all(1, Q + R.qoff, out_queued());
  R.qoff = R.qlen = 0;
  R.out_midline = 0;
}

/* A listing's slice: queued, and written as far as the terminal takes it.
 * More than the queue holds waits for the terminal. */
static void out_queue(const char *s, size_t n) {
  fflush(stdout);
  if (R.qoff > 0) {
    memmove(Q, Q + R.qoff, out_queued());
    R.qlen -= R.qoff;
    R.qoff = 0;
  }
  if (n > OUT_CAP - R.qlen) {
    out_drain();
    starling_write_all(1, s, n);
    return;
  }
  memcpy(Q + R.qlen, s, n);
  R.qlen += n;
  out_push();
}

/* Text for the terminal, after what stdio holds (print, io.write) and
 * what the queue holds. */
static void say(const char *s, size_t n) {
  fflush(stdout);
  out_drain();
  starling_write_all(1, s, n);
}

static void says(const char *s) {
  say(s, strlen(s));
}

/* SIGTERM or SIGHUP: as Ctrl+D, a graceful shutdown (socket removed,
 * history saved). */
static void on_term(int sig) {
  R.term_sig = sig;
  uv_async_send(&R.sigterm);
}

static void on_term_async(uv_async_t *a) {
  (void)a;
  if (R.quit)
    return;
  if (R.ed != NULL)
    starling_edit_stop(R.ed);
  says(R.term_sig == SIGHUP ? "\nSIGHUP\n" : "\nSIGTERM\n");
  on_line(NULL);
}

static void fresh_prompt(void) {
  out_drain();
  if (R.ed != NULL)
    starling_edit_start(R.ed, prompt());
  else
    fflush(stdout);
}

static void stream_end(void);

static void on_sigint_at_prompt(uv_async_t *a) {
  (void)a;
  if (R.quit)
    return;
  stream_end();       /* a listing being shown stops here */
  if (R.ed != NULL) { /* the line and what was typed ahead go */
    starling_edit_stop(R.ed);
    starling_edit_discard(R.ed);
  }
  says("^C\n");
  call_session("interrupt", NULL, 0); /* drops an unfinished chunk */
  lua_settop(R.L, 0);
  fresh_prompt();
}

/* --- lines -----------------------------------------------------------------
 */

/* --- long listings: more() a slice per loop turn, then the prompt ----------
 */

/* Shows the next slice; returns 0 when the listing is over (or failed). */
static int stream_step(void) {
  lua_State *L = R.L;
  lua_pushcfunction(L, starling_traceback);
  lua_rawgeti(L, LUA_REGISTRYINDEX, R.stream);
  int more = 0;
  if (lua_pcall(L, 0, 1, -2) != LUA_OK) {
    fprintf(stderr, "starling repl: %s\n", lua_tostring(L, -1));
  } else {
    size_t len = 0;
    const char *text = lua_tolstring(L, -1, &len);
    if (text != NULL) {
      if (R.out_polling)
        out_queue(text, len);
      else
        say(text, len);
      more = 1;
    }
  }
  lua_settop(L, 0);
  return more;
}

static void stream_end(void) {
  if (R.stream == LUA_NOREF)
    return;
  uv_idle_stop(&R.stream_idle);
  if (R.out_waiting) {
    uv_poll_stop(&R.out_poll);
    R.out_waiting = 0;
  }
  out_drain(); /* what is queued is shown (after a Ctrl+C too) */
  R.stream_done = 0;
  luaL_unref(R.L, LUA_REGISTRYINDEX, R.stream);
  R.stream = LUA_NOREF;
  if (R.polling && !R.quit) /* the keyboard again */
    uv_poll_start(&R.poll, UV_READABLE, on_stdin);
}

static void on_out_writable(uv_poll_t *p, int status, int events);

/* The queue is over its mark: no slice until stdout has taken it. */
static void wait_writable(void) {
  uv_idle_stop(&R.stream_idle);
  if (!R.out_waiting)
    uv_poll_start(&R.out_poll, UV_WRITABLE, on_out_writable);
  R.out_waiting = 1;
}

static void on_stream_idle(uv_idle_t *h) {
  (void)h;
  if (R.out_polling && out_queued() > OUT_LOW) {
    wait_writable();
    return;
  }
  if (stream_step()) {
    if (R.out_polling && out_queued() > OUT_LOW)
      wait_writable();
    return;
  }
  if (R.out_polling && out_queued() > 0) { /* the prompt after the rest */
    R.stream_done = 1;
    wait_writable();
    return;
  }
  stream_end();
  if (!R.quit)
    fresh_prompt();
}

static void on_out_writable(uv_poll_t *p, int status, int events) {
  (void)p;
  (void)events;
  if (status < 0) { /* stdout cannot be polled now: wait for it */
    out_drain();
  } else {
    out_push();
    if (out_queued() > (R.stream_done ? 0 : OUT_LOW))
      return;
  }
  uv_poll_stop(&R.out_poll);
  R.out_waiting = 0;
  if (R.stream == LUA_NOREF)
    return;
  if (!R.stream_done) {
    uv_idle_start(&R.stream_idle, on_stream_idle);
    return;
  }
  stream_end();
  if (!R.quit)
    fresh_prompt();
}

/* A listing (the session's "stream"): at a terminal, a slice per loop
 * turn, the keyboard unread meanwhile (Ctrl+C stops it); otherwise, as
 * lines from a file or pipe are, all at once and in order. */
static void stream_start(void) {
  R.stream = luaL_ref(R.L, LUA_REGISTRYINDEX); /* more(), on the stack */
  if (R.ed == NULL || !R.polling) {
    while (stream_step())
      ;
    luaL_unref(R.L, LUA_REGISTRYINDEX, R.stream);
    R.stream = LUA_NOREF;
    return;
  }
  uv_poll_stop(&R.poll);
  uv_idle_start(&R.stream_idle, on_stream_idle);
}

static void handle(const char *line) {
  R.evaluating = 1;
  int rc = call_session("feed", line, 3);
  R.evaluating = 0;
  lsl_eval_reset(); /* a Ctrl+C that came too late stops nothing later */
  if (rc != 0)
    return;
  size_t len = 0;
  const char *text = lua_tolstring(R.L, -3, &len);
  if (text != NULL)
    say(text, len);
  fflush(stdout);
  const char *action = lua_isstring(R.L, -2) ? lua_tostring(R.L, -2) : "";
  if (strcmp(action, "quit") == 0)
    R.quit = 1;
  if (strcmp(action, "stream") == 0 && lua_isfunction(R.L, -1)) {
    stream_start(); /* takes more() */
    lua_pop(R.L, 2);
    return;
  }
  lua_pop(R.L, 3);
}

static void on_line(char *line) {
  if (R.ed != NULL)
    starling_edit_stop(R.ed); /* cooked while the line runs */
  if (line == NULL) {         /* Ctrl+D */
    says("\n");
    R.quit = 1;
  } else {
    handle(line);
    free(line);
  }
  if (R.quit) {
    stream_end();
    if (R.polling)
      uv_poll_stop(&R.poll);
    stop_swarm_run();
    return;
  }
  if (R.stream == LUA_NOREF) /* else the prompt comes after the listing */
    fresh_prompt();
}

/* Non-tty input: split what is read into lines. */
static void read_plain(void) {
  char buf[4096];
  ssize_t n = read(0, buf, sizeof buf);
  if (n <= 0) {
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
      return;
    if (R.npending > 0) { /* a last line without its newline */
      char *line = strndup(R.pending, R.npending);
      R.npending = 0;
      if (line != NULL) {
        handle(line);
        free(line);
      }
    }
    on_line(NULL);
    return;
  }
  char *p = realloc(R.pending, R.npending + (size_t)n);
  if (p == NULL)
    return;
  R.pending = p;
  memcpy(R.pending + R.npending, buf, (size_t)n);
  R.npending += (size_t)n;
  size_t start = 0;
  for (size_t i = 0; i < R.npending && !R.quit; i++) {
    if (R.pending[i] != '\n')
      continue;
    char *line = strndup(R.pending + start, i - start);
    start = i + 1;
    if (line != NULL)
      on_line(line);
  }
  memmove(R.pending, R.pending + start, R.npending - start);
  R.npending -= start;
}

static void on_too_long(void) {
  char msg[96];
  snprintf(msg, sizeof msg,
           "\nline longer than %d bytes: not run (nothing of it is kept)\n",
           STARLING_MAX_LINE);
  says(msg);
  fresh_prompt();
}

static void on_stdin(uv_poll_t *p, int status, int events) {
  (void)p;
  (void)events;
  if (status < 0) {
    on_line(NULL);
    return;
  }
  if (R.ed == NULL) {
    read_plain();
    return;
  }
  /* one read, then every line it holds (a paste of several lines), each
   * after the prompt the previous one left */
  for (int readable = 1; !R.quit && starling_edit_active(R.ed); readable = 0) {
    char *line;
    int rc = starling_edit_feed(R.ed, readable, &line);
    if (rc == STARLING_EDIT_NONE)
      break;
    if (rc == STARLING_EDIT_TOO_LONG)
      on_too_long();
    else
      on_line(line); /* NULL at the end of input */
  }
}

/* --- completion ----------------------------------------------------------- */

/* starling_edit_complete_fn: the session's candidates. */
static char **complete(void *ud, const char *before, size_t *n) {
  (void)ud;
  *n = 0;
  if (call_session("complete", before, 1) != 0)
    return NULL;
  lua_State *L = R.L;
  size_t k = lua_istable(L, -1) ? (size_t)lua_rawlen(L, -1) : 0;
  char **c = calloc(k ? k : 1, sizeof(*c));
  for (size_t i = 0; c != NULL && i < k; i++) {
    lua_rawgeti(L, -1, (lua_Integer)i + 1);
    const char *m = lua_tostring(L, -1);
    if (m != NULL && (c[*n] = strdup(m)) != NULL)
      (*n)++;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return c;
}

/* --- the session's own output (:watch lines) ------------------------------ */

static int term_write(lua_State *L) {
  size_t len;
  const char *s = luaL_checklstring(L, 1, &len);
  if (R.ed != NULL && !R.evaluating) {
    fflush(stdout);
    out_drain();
    starling_edit_print(R.ed, s, len); /* over the prompt, redrawn below */
  } else {
    say(s, len);
  }
  return 0;
}

/* --- main -------------------------------------------------------------------
 */

/* Pushes runner[name]. */
static void runner_field(const char *name) {
  lua_rawgeti(R.L, LUA_REGISTRYINDEX, R.runner);
  lua_getfield(R.L, -1, name);
  lua_remove(R.L, -2);
}

static void log_line(const char *msg) {
  lua_State *L = R.L;
  lua_rawgeti(L, LUA_REGISTRYINDEX, R.swarm);
  lua_getfield(L, -1, "_log");
  lua_insert(L, -2);
  lua_pushliteral(L, "info");
  lua_pushliteral(L, "repl");
  lua_pushstring(L, msg);
  lua_pcall(L, 4, 0, 0);
  lua_settop(L, 0);
}

int starling_repl(lua_State *L, int argc, char **argv) {
  memset(&R, 0, sizeof R);
  R.L = L;
  lua_pushcfunction(L, starling_traceback);
  int h = lua_gettop(L);
  lua_getglobal(L, "require");
  lua_pushliteral(L, "starling.runner");
  if (lua_pcall(L, 1, 1, h) != LUA_OK) {
    fprintf(stderr, "starling repl: %s\n", lua_tostring(L, -1));
    return 1;
  }
  lua_pushvalue(L, -1);
  R.runner = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_getfield(L, -1, "repl_setup");
  lua_createtable(L, argc, 0);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i + 1);
  }
  if (lua_pcall(L, 1, 3, h) != LUA_OK) {
    fprintf(stderr, "starling repl: %s\n", lua_tostring(L, -1));
    return 1;
  }
  if (lua_isnil(L, -3)) {
    fprintf(stderr, "starling repl: %s\n", lua_tostring(L, -2));
    return 2;
  }
  fputs(lua_tostring(L, -1), stdout);
  lua_pop(L, 1);
  R.session = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_pushvalue(L, -1);
  R.swarm = luaL_ref(L, LUA_REGISTRYINDEX);
  lua_getfield(L, -1, "_loop");
  lua_insert(L, -2);
  lua_call(L, 1, 1); /* a real-clock swarm: cannot fail */
  uv_loop_t *loop = lua_touserdata(L, -1);
  lua_settop(L, 0);

  lua_rawgeti(L, LUA_REGISTRYINDEX, R.session);
  lua_pushcfunction(L, term_write);
  lua_setfield(L, -2, "write");
  lua_pop(L, 1);

  R.tty = isatty(0);
  if (R.tty) {
    const char *hf = getenv("STARLING_HISTORY");
    const char *home = getenv("HOME");
    if (hf != NULL && *hf != '\0')
      snprintf(R.history, sizeof R.history, "%s", hf);
    else if (home != NULL)
      snprintf(R.history, sizeof R.history, "%s/.starling_history", home);
    R.ed = starling_edit_open("starling", 0, 1, R.history, complete, NULL);
    R.tty = R.ed != NULL;
  }
  R.stream = LUA_NOREF;
  uv_idle_init(loop, &R.stream_idle);
  uv_async_init(loop, &R.sigint, on_sigint_at_prompt);
  uv_async_init(loop, &R.sigterm, on_term_async);
  struct sigaction sa, old_int, old_term, old_hup;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  sigaction(SIGINT, &sa, &old_int);
  sa.sa_handler = on_term;
  sigaction(SIGTERM, &sa, &old_term);
  sigaction(SIGHUP, &sa, &old_hup);
  /* stdin: a terminal or a pipe is polled; a regular file (or /dev/null)
   * cannot be, and is read through at once, line by line */
  R.stdin_flags = fcntl(0, F_GETFL);
  R.polling = uv_poll_init(loop, &R.poll, 0) == 0;
  if (R.stdin_flags >= 0) /* blocking again: see the top of the file */
    fcntl(0, F_SETFL, R.stdin_flags & ~O_NONBLOCK);
  if (R.polling && R.ed != NULL) { /* stdout, to pace listings */
    int fl = fcntl(1, F_GETFL);
    R.out_polling = uv_poll_init(loop, &R.out_poll, 1) == 0;
    if (fl >= 0) /* blocking again, as stdin */
      fcntl(1, F_SETFL, fl & ~O_NONBLOCK);
  }
  if (R.polling) {
    uv_poll_start(&R.poll, UV_READABLE, on_stdin);
    fresh_prompt();
  } else {
    R.tty = 0;
    while (!R.quit)
      read_plain();
  }

  /* The swarm flies until :quit or Ctrl+D stops the run (here, or a
   * :quit at the control socket: runner.quit). */
  while (!R.quit) {
    lua_pushcfunction(L, starling_traceback);
    lua_rawgeti(L, LUA_REGISTRYINDEX, R.swarm);
    lua_getfield(L, -1, "run_for");
    lua_insert(L, -2);
    lua_pushnumber(L, 3600);
    if (lua_pcall(L, 2, 0, 1) != LUA_OK) {
      fprintf(stderr, "starling repl: %s\n", lua_tostring(L, -1));
      R.quit = 1;
    }
    lua_settop(L, 0);
    runner_field("quit");
    if (lua_toboolean(L, -1)) {
      if (R.ed != NULL)
        starling_edit_stop(R.ed);
      says("\nquit at the control socket\n");
      R.quit = 1;
    }
    lua_settop(L, 0);
  }
  /* the control socket goes before the swarm */
  runner_field("server");
  if (!lua_isnil(L, -1)) {
    lua_getfield(L, -1, "close");
    lua_insert(L, -2);
    lua_pcall(L, 1, 0, 0);
  }
  lua_settop(L, 0);

  starling_edit_close(R.ed); /* the history saved */
  R.ed = NULL;
  sigaction(SIGINT, &old_int, NULL);
  sigaction(SIGTERM, &old_term, NULL);
  sigaction(SIGHUP, &old_hup, NULL);
  if (R.polling) {
    uv_poll_stop(&R.poll);
    uv_close((uv_handle_t *)&R.poll, NULL);
  }
  stream_end();
  if (R.out_polling) {
    uv_poll_stop(&R.out_poll);
    uv_close((uv_handle_t *)&R.out_poll, NULL);
  }
  uv_close((uv_handle_t *)&R.stream_idle, NULL);
  uv_close((uv_handle_t *)&R.sigint, NULL);
  uv_close((uv_handle_t *)&R.sigterm, NULL);
  uv_run(loop, UV_RUN_NOWAIT); /* let the handles close */
  free(R.pending);
  if (R.stdin_flags >= 0)
    fcntl(0, F_SETFL, R.stdin_flags);

  /* Graceful shutdown, with the seed's lines. */
  log_line("Initiating swarm shutdown");
  lua_rawgeti(L, LUA_REGISTRYINDEX, R.swarm);
  lua_getfield(L, -1, "shutdown");
  lua_insert(L, -2);
  lua_newtable(L);
  lua_pcall(L, 2, 0, 0);
  lua_settop(L, 0);
  log_line("Swarm shutdown complete");
  luaL_unref(L, LUA_REGISTRYINDEX, R.session);
  luaL_unref(L, LUA_REGISTRYINDEX, R.swarm);
  luaL_unref(L, LUA_REGISTRYINDEX, R.runner);
  return 0;
}
