/* repl.h -- `starling repl [FILE] [options]` (repl.c). */
#ifndef STARLING_CLI_REPL_H
#define STARLING_CLI_REPL_H

#include <lua.h>

/* Runs the prompt on a live swarm in L (the starling library preloaded);
 * returns the exit code. */
int starling_repl(lua_State *L, int argc, char **argv);

/* A message handler for lua_pcall: the message with a traceback (main.c). */
int starling_traceback(lua_State *L);

#endif
