/*
 * error.c -- code to string for the SL_E* values (see error.h).
 */
#include "error.h"

const char *sl_strerror(int err) {
  switch (err) {
  case SL_OK:
    return "ok";
  case SL_WAIT:
    return "wait";
#define SL_ERRNO_CASE(name, value, str)                                        \
  case SL_##name:                                                              \
    return str;
    SL_ERRNO_MAP(SL_ERRNO_CASE)
#undef SL_ERRNO_CASE
  }
  return "unknown_error";
}
