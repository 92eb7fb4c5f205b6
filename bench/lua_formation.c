/*
 * lua_formation.c -- how long a formation of 4,096 drones holds the loop.
 *
 * A virtual-clock swarm of 4,096 drones (spawn_fleet), one team of them
 * all, then team:formation("grid", {center = {1000, 1000, 30}, spacing =
 * 10}) and, a second later, the transition to a circle of radius 400: the
 * whole call each time (positions read, slots, assignment, every drone
 * sent to its slot), which runs on the loop, in ms.  The target is one
 * tick (100 ms): no operator command may hold the loop longer.
 */
#include <stdio.h>

#include <uv.h>

#include "lua_host.h"

static const char script[] =
    "local starling = require 'starling'\n"
    "local swarm = starling.swarm{}\n"
    "swarm:spawn_fleet(4096)\n"
    "swarm:run_for(0.5)\n"
    "local team = assert(swarm:team(4096))\n"
    "local t0 = clock()\n"
    "team:formation('grid', { center = { 1000, 1000, 30 }, spacing = 10 })\n"
    "local first = clock() - t0\n"
    "swarm:run_for(1)\n"
    "t0 = clock()\n"
    "team:formation('circle', { center = { 1000, 1000, 30 }, radius = 400 })\n"
    "return first, clock() - t0\n";

static int clock_ms(lua_State *L) {
  lua_pushnumber(L, (double)uv_hrtime() / 1e6);
  return 1;
}

int main(void) {
  lua_State *L = open_lua();
  if (L == NULL)
    return 1;
  lua_register(L, "clock", clock_ms);
  if (luaL_dostring(L, script) != LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    lua_close(L);
    return 1;
  }
  double first = lua_tonumber(L, -2), transition = lua_tonumber(L, -1);
  printf("# formation_4096: team:formation on 4,096 drones holds the loop "
         "%.1f ms, the transition %.1f ms (a tick is 100 ms)\n",
         first, transition);
  printf("bench formation_4096 %.1f ms\n", first);
  printf("bench formation_4096_transition %.1f ms\n", transition);
  lua_close(L);
  return first < 100 && transition < 100 ? 0 : 1;
}
