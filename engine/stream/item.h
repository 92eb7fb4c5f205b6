/*
 * item.h -- what flows through a telemetry stream.
 *
 * An item is one of:
 *   RECORD  a C struct described by a schema (a telemetry sample): fields
 *           are read by path ("battery", "position.x") through the schema's
 *           offsets, with no call out of C;
 *   VALUE   an opaque value with accessor ops -- the Lua layer's reference
 *           to a Lua value, whose fields the ops read;
 *   BATCH   what window() emits: an array of items;
 *   AGG     what aggregate() emits: counts and statistics of a window.
 * An item owns what it holds (a batch, an aggregate, a value reference);
 * sl_item_release frees it, sl_item_move hands it on.
 */
#ifndef SL_ITEM_H
#define SL_ITEM_H

#include <stddef.h>
#include <stdint.h>

enum { SL_ITEM_NONE, SL_ITEM_RECORD, SL_ITEM_VALUE, SL_ITEM_BATCH,
       SL_ITEM_AGG };
enum { SL_F_NUM, SL_F_INT, SL_F_CAT };

typedef struct sl_field {
  const char *path; /* "battery", "position.x" */
  int type;         /* SL_F_NUM (double), SL_F_INT (int64), SL_F_CAT */
  size_t offset;
  const char *const *cats; /* SL_F_CAT: names indexed by the uint8 value */
  uint32_t ncats;
} sl_field;

typedef struct sl_schema {
  const char *name;
  size_t size; /* at most SL_RECORD_MAX */
  const sl_field *fields;
  uint32_t nfields;
} sl_schema;

#define SL_RECORD_MAX 96

/* Opaque values: how to copy, release and read them. */
typedef struct sl_value_ops {
  void (*release)(void *ctx, uint64_t v);
  uint64_t (*dup)(void *ctx, uint64_t v);
  /* 0 with *out, or -1 when the path is missing or not a number. */
  int (*get_num)(void *ctx, uint64_t v, const char *path, double *out);
  /* 0 with a string valid until the next call, or -1. */
  int (*get_str)(void *ctx, uint64_t v, const char *path, const char **out);
  void *ctx;
} sl_value_ops;

typedef struct sl_item sl_item;

typedef struct sl_batch {
  uint32_t n, cap;
  sl_item *items;
} sl_batch;

typedef struct sl_agg_cat {
  char *name;
  uint64_t count;
} sl_agg_cat;

typedef struct sl_agg {
  int64_t t; /* when the window closed */
  uint64_t samples;  /* items in the window */
  uint64_t distinct; /* distinct values of the source field */
  uint64_t valued;   /* items that had the value field */
  double sum, min, max;
  sl_agg_cat *cats; /* counts by category, in order of first sight */
  uint32_t ncats, capcats;
  /* field names, for the Lua layer's keys (avg_battery, by_state, ...) */
  char *source, *value, *category;
} sl_agg;

struct sl_item {
  uint8_t kind;
  int64_t t; /* µs on the engine clock */
  union {
    struct {
      const sl_schema *schema;
      unsigned char data[SL_RECORD_MAX];
    } rec;
    struct {
      const sl_value_ops *ops;
      uint64_t v;
    } val;
    sl_batch *batch;
    sl_agg *agg;
  } u;
};

/* Frees what the item owns; it becomes NONE. */
void sl_item_release(sl_item *it);
/* Hands src's contents to dst (which must be NONE or released); src
 * becomes NONE. */
void sl_item_move(sl_item *dst, sl_item *src);
/* Deep copy into a NONE dst.  0 or SL_ENOMEM. */
int sl_item_copy(sl_item *dst, const sl_item *src);

/* A record item of `schema` from `data` (copied). */
void sl_item_record(sl_item *it, const sl_schema *schema, const void *data,
                    int64_t t);

/* The schema field at `path`, or NULL. */
const sl_field *sl_schema_field(const sl_schema *s, const char *path);
/* Field access on any item: 0, or -1 when the item has no such field (or
 * it is not of that kind).  Categories come back as their name. */
int sl_item_num(const sl_item *it, const char *path, double *out);
int sl_item_str(const sl_item *it, const char *path, const char **out);

/* The same on a RECORD with a field already resolved (the hot path). */
int sl_record_num(const sl_item *it, const sl_field *f, double *out);
const char *sl_record_cat(const sl_item *it, const sl_field *f);

/* Batch building: appends a moved item.  0 or SL_ENOMEM. */
int sl_batch_push(sl_batch *b, sl_item *it);
void sl_batch_free(sl_batch *b);
void sl_agg_free(sl_agg *a);

#endif
