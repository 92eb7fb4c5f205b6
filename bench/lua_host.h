/*
 * lua_host.h -- what the Lua benches (bench/lua_*.c) share: a Lua state
 * with the C core preloaded and lua/ of the source tree on package.path,
 * so `require "starling"` finds the library as busted does.
 */
#ifndef STARLING_BENCH_LUA_HOST_H
#define STARLING_BENCH_LUA_HOST_H

#include <stdio.h>

#include <lauxlib.h>
#include <lualib.h>

int luaopen_starling_core(lua_State *L);

static inline lua_State *open_lua(void) {
  lua_State *L = luaL_newstate();
  luaL_openlibs(L);
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_starling_core);
  lua_setfield(L, -2, "starling.core");
  lua_pop(L, 1);
  if (luaL_dostring(L, "package.path = '" STARLING_LUA_DIR "/?.lua;"
                       STARLING_LUA_DIR "/?/init.lua;' .. package.path") !=
      LUA_OK) {
    fprintf(stderr, "%s\n", lua_tostring(L, -1));
    lua_close(L);
    return NULL;
  }
  return L;
}

#endif
