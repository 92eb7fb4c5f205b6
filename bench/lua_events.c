/*
 * lua_events.c -- events delivered into a Lua handler per second.
 *
 * A swarm (virtual clock, no drones) with one handler,
 *   swarm:on("drone_state", function(ev) n = n + 1; last = ev.drone end)
 * and 2,000,000 drone_state events published on its bus from C in batches
 * of 512, the engine running after each batch: the whole path -- the bus,
 * the dispatcher, the event table, the handler's task -- per event.  A
 * second figure puts a filter in front (`drone_state where drone < 100`,
 * 10% pass): the events a filter rejects never reach Lua.  The check is
 * that the handler saw exactly what was published (or what passed).
 */
#include <stdio.h>
#include <string.h>

#include <uv.h>

#include "lua/lsl.h"
#include "lua_host.h"

enum { EVENTS = 2000000, BATCH = 512 };

static double run(const char *pattern, long *seen, long *expected) {
  lua_State *L = open_lua();
  if (L == NULL)
    return -1;
  char code[512];
  snprintf(code, sizeof(code),
           "local starling = require 'starling'\n"
           "n = 0\n"
           "swarm = starling.swarm{}\n"
           "swarm:on('%s', function(ev) n = n + 1; last = ev.drone end)\n",
           pattern);
  if (luaL_dostring(L, code) != LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    return -1;
  }
  lua_getglobal(L, "swarm");
  lsl_swarm *S = lsl_swarm_enter(L, -1);
  *expected = 0;
  uint64_t t0 = uv_hrtime();
  for (long i = 0; i < EVENTS; i += BATCH) {
    for (long k = i; k < i + BATCH && k < EVENTS; k++) {
      sl_event ev;
      sl_event_init(&ev, SL_EV_DRONE_STATE, sl_engine_now(&S->engine));
      ev.drone = (int32_t)(k % 1000);
      ev.state = 1;
      lsl_publish(S, &ev);
      *expected += ev.drone < 100;
    }
    sl_engine_run_for(&S->engine, 0);
  }
  double secs = (double)(uv_hrtime() - t0) / 1e9;
  lua_getglobal(L, "n");
  *seen = (long)lua_tointeger(L, -1);
  lua_settop(L, 0);
  lua_close(L);
  return secs;
}

int main(void) {
  long seen, expected;
  double best = 1e30, fbest = 1e30;
  int ok = 1;
  for (int r = 0; r < 3; r++) {
    double s = run("drone_state", &seen, &expected);
    if (s < 0 || seen != EVENTS)
      ok = 0;
    best = s < best ? s : best;
    s = run("drone_state where drone < 100", &seen, &expected);
    if (s < 0 || seen != expected)
      ok = 0;
    fbest = s < fbest ? s : fbest;
  }
  printf("# lua_events: %d events into one handler in %.3f s; through a "
         "filter passing %ld in %.3f s%s\n",
         EVENTS, best, expected, fbest, ok ? "" : " (WRONG COUNT)");
  printf("bench lua_events %.0f events/s\n", EVENTS / best);
  printf("bench lua_events_filtered %.0f events/s\n", EVENTS / fbest);
  return ok ? 0 : 1;
}
