/*
 * lua_soak.c -- an hour of chaos on 1,000 drones (bench/soak.lua), and its
 * invariants.
 *
 *   build/bench/lua_soak [--seed S] [--seconds T] [--drones N] [--drain D]
 *
 * Runs bench/soak.lua's scenario in virtual time (defaults: seed 42, 3,600 s
 * of chaos, 1,000 drones, up to 3,600 s more for the missions to end) and
 * prints what happened as bench lines: missions by outcome, handovers,
 * support flights, faults, drones stranded (never faulted, out of battery:
 * must be 0), wall time and the speed over real time.  Every broken
 * invariant is printed as a `#` line and makes the exit status 1, so `make
 * bench` reports the soak as failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "lua_host.h"

static const char *const FIELDS[] = {
    "created",  "refused", "completed", "cancelled", "failed",      "handovers",
    "supports", "faults",  "repairs",   "stranded",  "faulted_dry", NULL};

static double field(lua_State *L, int report, const char *key) {
  lua_getfield(L, report, key);
  double v = lua_tonumber(L, -1);
  lua_pop(L, 1);
  return v;
}

static int usage(void) {
  fprintf(stderr, "usage: lua_soak [--seed S] [--seconds T] [--drones N] "
                  "[--drain D]\n");
  return 2;
}

int main(int argc, char **argv) {
  lua_State *L = open_lua();
  if (L == NULL)
    return 1;
  if (luaL_dofile(L, STARLING_LUA_DIR "/../bench/soak.lua") != LUA_OK) {
    fprintf(stderr, "lua_soak: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return 1;
  }
  int soak = lua_gettop(L);
  lua_getfield(L, soak, "run");
  lua_newtable(L); /* the options */
  for (int i = 1; i < argc; i++) {
    static const char *const opts[] = {"--seed", "--seconds", "--drones",
                                       "--drain", NULL};
    int k = 0;
    while (opts[k] != NULL && strcmp(opts[k], argv[i]) != 0)
      k++;
    char *end;
    if (opts[k] == NULL || i + 1 >= argc)
      return usage();
    long long v = strtoll(argv[++i], &end, 10);
    if (*end != '\0' || v < 0)
      return usage();
    lua_pushinteger(L, v);
    lua_setfield(L, -2, opts[k] + 2);
  }
  uint64_t t0 = uv_hrtime();
  if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
    fprintf(stderr, "lua_soak: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return 1;
  }
  double wall = (double)(uv_hrtime() - t0) / 1e9;
  int report = lua_gettop(L);
  double t = field(L, report, "t"), seconds = field(L, report, "seconds");
  printf("# soak: seed %.0f, %.0f drones, %.0f s of chaos, every mission "
         "ended by t=%.1f; %.0f faults (%.0f repaired), %.0f drones "
         "faulted that ran dry\n",
         field(L, report, "seed"), field(L, report, "drones"), seconds, t,
         field(L, report, "faults"), field(L, report, "repairs"),
         field(L, report, "faulted_dry"));
  for (int i = 0; FIELDS[i] != NULL; i++) {
    const char *unit =
        strcmp(FIELDS[i], "handovers") == 0  ? "handovers"
        : strcmp(FIELDS[i], "supports") == 0 ? "flights"
        : strcmp(FIELDS[i], "faults") == 0 || strcmp(FIELDS[i], "repairs") == 0
            ? "faults"
        : strcmp(FIELDS[i], "stranded") == 0 ||
                strcmp(FIELDS[i], "faulted_dry") == 0
            ? "drones"
            : "missions";
    printf("bench soak_%s %.0f %s\n", FIELDS[i], field(L, report, FIELDS[i]),
           unit);
  }
  printf("bench soak_wall %.2f s\n", wall);
  printf("bench soak_speedup %.0f x\n", t / wall);
  lua_getfield(L, report, "violations");
  int n = (int)luaL_len(L, -1);
  for (int i = 1; i <= n; i++) {
    lua_rawgeti(L, -1, i);
    if (i <= 50)
      printf("# soak: VIOLATION %s\n", lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  if (n > 50)
    printf("# soak: ... %d violations in all\n", n);
  printf("bench soak_violations %d violations\n", n);
  lua_close(L);
  return n == 0 ? 0 : 1;
}
