/*
 * lua_repl_command.c -- repl_command_ms: from a shorthand line written to
 * the control socket to the drone's state change.
 *
 * A real-clock swarm of 200 idle drones with its control socket (the same
 * server and protocol `starling repl --control` uses) and one client on
 * the Unix socket.  For each drone k: the clock starts, `L :goto k 10 10`
 * is written to the socket, and the engine's loop turns (one iteration at
 * a time, never sleeping) until the drone's state is `moving` (read from
 * the engine, not from an event); the clock stops.  The whole path is timed: the socket, the line protocol,
 * the LPeg parse, the command message and the drone actor handling it.
 * Prints the median and the p99 over 200 commands.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <uv.h>

#include "lua/lsl.h"
#include "lua_host.h"

enum { N = 200 };

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* Runs the engine until the socket's answer holds `want`. */
static int until_answer(lsl_swarm *S, int fd, const char *want) {
  char buf[8192];
  size_t len = 0;
  for (int i = 0; i < 20000; i++) {
    sl_engine_run_for(&S->engine, 50);
    struct pollfd p = {fd, POLLIN, 0};
    if (poll(&p, 1, 0) > 0) {
      ssize_t n = read(fd, buf + len, sizeof buf - 1 - len);
      if (n <= 0)
        return -1;
      len += (size_t)n;
      buf[len] = '\0';
      if (strstr(buf, want) != NULL)
        return 0;
    }
  }
  return -1;
}

int main(void) {
  lua_State *L = open_lua();
  if (L == NULL)
    return 1;
  char path[64];
  snprintf(path, sizeof path, "/tmp/starling-bench-%d.sock", (int)getpid());
  char code[1024];
  snprintf(code, sizeof code,
           "local starling = require 'starling'\n"
           "swarm = starling.swarm{ clock = 'real' }\n"
           "swarm:spawn_fleet(%d)\n"
           "swarm:run_for(0.15)\n"
           "server = assert(require('starling.control').serve(swarm, '%s',"
           " { starling = starling }))\n",
           N, path);
  if (luaL_dostring(L, code) != LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    return 1;
  }
  lua_getglobal(L, "swarm");
  lsl_swarm *S = lsl_swarm_enter(L, -1);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      until_answer(S, fd, "P > \n") != 0) {
    fprintf(stderr, "lua_repl_command: no prompt from the control socket\n");
    return 1;
  }
  double ms[N];
  int ok = 0;
  for (int k = 0; k < N; k++) {
    char line[64];
    int n = snprintf(line, sizeof line, "L :goto %d 10 10\n", k);
    sl_drone *d = S->sw.drones[k];
    uint64_t t0 = uv_hrtime();
    if (write(fd, line, (size_t)n) != n)
      return 1;
    int i = 0;
    while (d->state != SL_DS_MOVING && i++ < 10000000)
      sl_engine_run_for(&S->engine, 0); /* one loop iteration, no sleep */
    ms[k] = (double)(uv_hrtime() - t0) / 1e6;
    ok += d->state == SL_DS_MOVING;
    if (until_answer(S, fd, "P > \n") != 0) /* the answer, before the next */
      return 1;
  }
  qsort(ms, N, sizeof ms[0], cmp);
  printf("# repl_command: %d of %d shorthand lines through the control "
         "socket moved their drone; median %.3f ms, p99 %.3f ms, max %.3f ms\n",
         ok, N, ms[N / 2], ms[N * 99 / 100], ms[N - 1]);
  printf("bench repl_command_ms %.3f ms\n", ms[N / 2]);
  printf("bench repl_command_p99_ms %.3f ms\n", ms[N * 99 / 100]);
  close(fd);
  lua_close(L);
  unlink(path);
  return ok == N ? 0 : 1;
}
