/* attach.h -- `starling attach [ADDR]` (attach.c). */
#ifndef STARLING_CLI_ATTACH_H
#define STARLING_CLI_ATTACH_H

#include <stddef.h>

/* A remote prompt on the control socket at addr; returns the exit code. */
int starling_attach(const char *addr);

/* The default control socket's path (engine/lua/lsl_control.c). */
void lsl_control_default_path(char *buf, size_t n);

#endif
