/*
 * main.c -- the starling command line.
 *
 * `starling run FILE [ARGS...]` runs a Lua file in a fresh Lua state where
 * `require "starling"` finds the library compiled into this executable (the
 * C core and the embedded Lua files of lua/starling), so the binary works from any
 * directory.  Errors in the script are reported with a traceback and exit
 * code 1.  A file that returns a mission (starling.mission{...}) is flown
 * on a fresh swarm by lua/starling/runner.lua: exit 0 when it finished, 1
 * when it failed; one that returns anything else is refused (exit 2).  A
 * file that returns nothing is a plain script, which refuses the
 * options only a mission takes (--drones --seed --duration --set): exit 2,
 * and starling.swarm raises while it runs, so it flies nothing.
 */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>
#include <signal.h>
#include <string.h>

#include "attach.h"
#include "repl.h"

struct starling_lua_src {
  const char *name, *chunkname, *src;
  size_t len;
};
extern const struct starling_lua_src starling_embedded[];
int luaopen_starling_core(lua_State *L);

static const char usage[] =
    "usage: starling COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  run FILE [OPTIONS]   run a Lua script with the starling library; a file\n"
    "                       returning a mission is flown on a fresh swarm:\n"
    "      --drones N         drones in the fleet (20)\n"
    "      --seed S           the swarm's seed (1)\n"
    "      --virtual          virtual time, as fast as the CPU allows\n"
    "      --speed K          real time, K times faster (default: real time)\n"
    "      --duration T       give up after T seconds of swarm time (3600)\n"
    "      --set name=value   a mission parameter (numbers, true/false)\n"
    "      --log LEVEL        error|warn|info|debug|trace, per module too:\n"
    "                         info,event=debug (or STARLING_LOG)\n"
    "                       (--drones --seed --duration --set: mission files\n"
    "                       only; a plain script gets the rest as arg)\n"
    "                       exit 0 finished, 1 failed, 2 bad option, 130 Ctrl+C\n"
    "  repl [FILE] [OPTIONS] a Lua prompt on a live swarm (real time; plain\n"
    "                       `starling` too): --drones --seed --speed --set\n"
    "                       --log as above; FILE: a mission to run, or a\n"
    "                       script whose globals the prompt sees.  Lines\n"
    "                       starting with ':' are commands (:help); Tab\n"
    "                       completes; Ctrl+C interrupts an evaluation or\n"
    "                       clears the line; Ctrl+D or :quit shuts down\n"
    "  attach [ADDR]        a prompt on a running starling through its\n"
    "                       control socket (default: the Unix socket\n"
    "                       `starling repl` prints); Ctrl+D detaches\n"
    "      --control ADDR     (run, repl) listen on ADDR: a Unix socket path\n"
    "                         (mode 0600) or tcp://127.0.0.1:PORT (loopback)\n"
    "  help                 show this text\n"
    "  version              print the version\n";

static int embedded_loader(lua_State *L) {
  const struct starling_lua_src *m =
      &starling_embedded[lua_tointeger(L, lua_upvalueindex(1))];
  if (luaL_loadbuffer(L, m->src, m->len, m->chunkname) != LUA_OK)
    return lua_error(L);
  lua_pushstring(L, m->name);
  lua_call(L, 1, 1);
  return 1;
}

/* package.preload gets the C core and every embedded Lua module. */
static void preload(lua_State *L) {
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
  lua_pushcfunction(L, luaopen_starling_core);
  lua_setfield(L, -2, "starling.core");
  for (int i = 0; starling_embedded[i].name != NULL; i++) {
    lua_pushinteger(L, i);
    lua_pushcclosure(L, embedded_loader, 1);
    lua_setfield(L, -2, starling_embedded[i].name);
  }
  lua_pop(L, 1);
}

int starling_traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL)
    msg = lua_pushfstring(L, "(error object is a %s value)",
                          luaL_typename(L, 1));
  luaL_traceback(L, L, msg, 1);
  return 1;
}

/* A Lua state with the standard libraries and the starling library
 * preloaded, or NULL (said on stderr). */
static lua_State *new_state(void) {
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    fprintf(stderr, "starling: cannot create a Lua state\n");
    return NULL;
  }
  luaL_openlibs(L);
  preload(L);
  return L;
}

/* Pushes starling.runner (or raises). */
static int push_runner(lua_State *L) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "starling.runner");
  lua_call(L, 1, 1);
  return 1;
}

/* runner.plain_guard(file, {argv...}): protected. */
static int guard_protected(lua_State *L) {
  const char *file = lua_touserdata(L, 1);
  int argc = (int)lua_tointeger(L, 2);
  char **argv = lua_touserdata(L, 3);
  push_runner(L);
  lua_getfield(L, -1, "plain_guard");
  lua_pushstring(L, file);
  lua_createtable(L, argc, 0);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_call(L, 2, 0);
  return 0;
}

/* Whether args hold an option only a mission file takes (API.md's v2
 * amendments: a plain script refuses them). */
static int has_mission_only(int argc, char **argv) {
  static const char *const only[] = {"--drones", "--seed", "--duration",
                                     "--set", NULL};
  for (int i = 0; i < argc; i++)
    for (int k = 0; only[k] != NULL; k++)
      if (strcmp(argv[i], only[k]) == 0)
        return 1;
  return 0;
}

/* After a plain script ran (or raised): when its options were refused,
 * says so and returns 2; otherwise returns `status`. */
static int plain_refusal(lua_State *L, int guarded, int ran, int status) {
  if (!guarded)
    return status;
  int top = lua_gettop(L);
  lua_pushcfunction(L, push_runner);
  int refused = 0;
  if (lua_pcall(L, 0, 1, 0) == LUA_OK) {
    lua_getfield(L, -1, "refused");
    refused = ran || lua_toboolean(L, -1);
    lua_getfield(L, -2, "refusal");
    if (refused && lua_isstring(L, -1))
      fprintf(stderr, "starling run: %s\n", lua_tostring(L, -1));
  }
  lua_settop(L, top);
  return refused ? 2 : status;
}

/* Whether the value at idx is a mission (starling.mission{...} makes
 * them); pushes nothing. */
static int is_mission(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  int t = luaL_getmetafield(L, idx, "__name");
  int yes =
      t == LUA_TSTRING && strcmp(lua_tostring(L, -1), "starling.mission") == 0;
  if (t != LUA_TNIL)
    lua_pop(L, 1);
  return yes;
}

static int run_file(const char *file, int argc, char **argv) {
  lua_State *L = new_state();
  if (L == NULL)
    return 1;
  lua_createtable(L, argc, 1); /* arg, as the lua interpreter sets it */
  lua_pushstring(L, file);
  lua_rawseti(L, -2, 0);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setglobal(L, "arg");
  int status = 0;
  int guarded = has_mission_only(argc, argv);
  if (guarded) {
    lua_pushcfunction(L, guard_protected);
    lua_pushlightuserdata(L, (void *)file);
    lua_pushinteger(L, argc);
    lua_pushlightuserdata(L, argv);
    if (lua_pcall(L, 3, 0, 0) != LUA_OK) {
      fprintf(stderr, "starling: %s\n", lua_tostring(L, -1));
      lua_close(L);
      return 1;
    }
  }
  lua_pushcfunction(L, starling_traceback);
  if (luaL_loadfile(L, file) != LUA_OK) {
    fprintf(stderr, "starling: %s\n", lua_tostring(L, -1));
    status = 1;
  } else {
    for (int i = 0; i < argc; i++)
      lua_pushstring(L, argv[i]);
    if (lua_pcall(L, argc, 1, 1) != LUA_OK) {
      status = plain_refusal(L, guarded, 0, 1);
      if (status != 2)
        fprintf(stderr, "starling: %s\n", lua_tostring(L, -1));
    } else if (!lua_isnil(L, -1) && !is_mission(L, -1)) {
      /* neither a mission nor nothing: a mistake, not a finished script */
      int ty = lua_type(L, -1);
      if (ty == LUA_TNUMBER || ty == LUA_TSTRING || ty == LUA_TBOOLEAN)
        fprintf(stderr,
                "starling run: %s returned a %s (%s), not a mission (return "
                "starling.mission{...}, or nothing for a plain script)\n",
                file, lua_typename(L, ty), luaL_tolstring(L, -1, NULL));
      else
        fprintf(stderr,
                "starling run: %s returned a %s, not a mission (return "
                "starling.mission{...}, or nothing for a plain script)\n",
                file, lua_typename(L, ty));
      status = 2;
    } else if (is_mission(L, -1)) {
      /* a mission file: fly it (lua/starling/runner.lua) */
      lua_getglobal(L, "require");
      lua_pushliteral(L, "starling.runner");
      int rc = lua_pcall(L, 1, 1, 1);
      if (rc == LUA_OK) {
        lua_getfield(L, -1, "plain_done"); /* starling.swarm is its own */
        rc = lua_pcall(L, 0, 0, 1);
      }
      if (rc == LUA_OK) {
        lua_getfield(L, -1, "main");
        lua_pushvalue(L, -3);
        lua_createtable(L, argc, 0); /* the options after FILE */
        for (int i = 0; i < argc; i++) {
          lua_pushstring(L, argv[i]);
          lua_rawseti(L, -2, i + 1);
        }
        rc = lua_pcall(L, 2, 1, 1);
      }
      if (rc != LUA_OK) {
        fprintf(stderr, "starling: %s\n", lua_tostring(L, -1));
        status = 1;
      } else {
        status = (int)lua_tointeger(L, -1);
      }
    } else {
      status = plain_refusal(L, guarded, 1, 0);
    }
  }
  lua_close(L);
  return status;
}

static int repl(int argc, char **argv) {
  lua_State *L = new_state();
  if (L == NULL)
    return 1;
  int rc = starling_repl(L, argc, argv);
  lua_close(L);
  return rc;
}

int main(int argc, char **argv) {
  /* A control-socket client that goes away must not take the engine with
   * it: writes to it fail with EPIPE instead of killing the process. */
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) /* plain `starling` is `starling repl` */
    return repl(0, argv + 1);
  if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
      strcmp(argv[1], "-h") == 0) {
    fputs(usage, stdout);
    return 0;
  }
  if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
    puts("starling 0.1.0");
    return 0;
  }
  if (strncmp(argv[1], "--", 2) == 0) /* `starling --drones 3`: the REPL */
    return repl(argc - 1, argv + 1);
  if (strcmp(argv[1], "attach") == 0) {
    if (argc > 2 && (strcmp(argv[2], "--help") == 0 ||
                     strcmp(argv[2], "-h") == 0)) {
      fputs(usage, stdout);
      return 0;
    }
    if (argc > 3) {
      fprintf(stderr, "starling attach: one address at most\n%s", usage);
      return 2;
    }
    char path[1024];
    lsl_control_default_path(path, sizeof path);
    return starling_attach(argc > 2 ? argv[2] : path);
  }
  if (strcmp(argv[1], "repl") == 0) {
    if (argc > 2 && (strcmp(argv[2], "--help") == 0 ||
                     strcmp(argv[2], "-h") == 0)) {
      fputs(usage, stdout);
      return 0;
    }
    return repl(argc - 2, argv + 2);
  }
  if (strcmp(argv[1], "run") == 0) {
    if (argc > 2 && (strcmp(argv[2], "--help") == 0 ||
                     strcmp(argv[2], "-h") == 0)) {
      fputs(usage, stdout);
      return 0;
    }
    if (argc < 3) {
      fprintf(stderr, "starling run: missing FILE\n%s", usage);
      return 2;
    }
    return run_file(argv[2], argc - 3, argv + 3);
  }
  fprintf(stderr, "starling: unknown command '%s'\n%s", argv[1], usage);
  return 2;
}
