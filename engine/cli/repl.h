/* repl.h -- `starling repl [FILE] [options]` (repl.c). */
#ifndef STARLING_CLI_REPL_H
#define STARLING_CLI_REPL_H

#include <lua.h>

/* Runs the prompt on a live swarm in L (the starling library preloaded);
 * returns the exit code. */
int starling_repl(lua_State *L, int argc, char **argv);

#endif
