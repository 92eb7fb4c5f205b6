/*
 * error.h -- the error codes every Starling C function speaks.
 *
 * Like libuv, failures are negative ints and 0 is success.  The one positive
 * value, SL_WAIT, is not an error: it says "the operation goes on and its
 * callback will be called later".  sl_strerror() gives the snake_case code the
 * Lua layer returns as `nil, code` (API.md lists the public ones), so the C
 * names and the Lua strings never drift apart.
 */
#ifndef SL_ERROR_H
#define SL_ERROR_H

#define SL_ERRNO_MAP(X)                                                        \
  X(ESTOPPED, -1, "actor_stopped")                                             \
  X(EFULL, -2, "mailbox_full")                                                 \
  X(ETIMEOUT, -3, "timeout")                                                   \
  X(ENOMEM, -4, "out_of_memory")                                               \
  X(EINVAL, -5, "invalid_argument")                                            \
  X(ECLOSED, -6, "closed")                                                     \
  X(ECANCELLED, -7, "cancelled")                                               \
  X(ENOTFOUND, -8, "not_found")                                                \
  X(ECRASHED, -9, "crashed")                                                   \
  X(EBUDGET, -10, "budget_exceeded")                                           \
  X(ENODRONE, -11, "no_drone_available")                                       \
  X(ENOTENOUGH, -12, "not_enough_drones")                                      \
  X(EEMERGENCY, -13, "emergency")                                              \
  X(EBUSY, -14, "busy")                                                        \
  X(EEXIST, -15, "already_exists")                                             \
  X(EEMPTY, -16, "empty")                                                      \
  X(ECHANFULL, -17, "full")                                                    \
  X(ETOOBIG, -18, "too_big")                                                   \
  X(ENOLINK, -19, "no_link")

enum {
  SL_OK = 0,
  SL_WAIT = 1, /* not an error: in progress, the callback comes later */
#define SL_ERRNO_ENUM(name, value, str) SL_##name = (value),
  SL_ERRNO_MAP(SL_ERRNO_ENUM)
#undef SL_ERRNO_ENUM
};

/* Returns the snake_case code for `err` ("actor_stopped", ...), "ok" for 0,
 * "wait" for SL_WAIT and "unknown_error" for anything else.  The string is
 * static. */
const char *sl_strerror(int err);

#endif
