/*
 * mailbox.c -- chunked bounded FIFO (see mailbox.h for the picture).
 */
#include "mailbox.h"

#include <stdlib.h>
#include <string.h>

#include "error.h"

void sl_mpool_init(sl_mpool *p, size_t max_free) {
  memset(p, 0, sizeof(*p));
  p->max_free = max_free;
}

void sl_mpool_close(sl_mpool *p) {
  while (p->free != NULL) {
    sl_mchunk *c = p->free;
    p->free = c->next;
    free(c);
    p->allocated--;
  }
  p->nfree = 0;
}

static sl_mchunk *chunk_get(sl_mpool *p) {
  sl_mchunk *c = p->free;
  if (c != NULL) {
    p->free = c->next;
    p->nfree--;
  } else {
    c = malloc(sizeof(*c));
    if (c == NULL)
      return NULL;
    p->allocated++;
  }
  c->next = NULL;
  return c;
}

static void chunk_put(sl_mpool *p, sl_mchunk *c) {
  if (p->nfree >= p->max_free) {
    free(c);
    p->allocated--;
    return;
  }
  c->next = p->free;
  p->free = c;
  p->nfree++;
}

void sl_mailbox_init(sl_mailbox *mb, uint32_t bound) {
  memset(mb, 0, sizeof(*mb));
  mb->bound = bound > 0 ? bound : 1;
}

int sl_mailbox_push(sl_mailbox *mb, sl_mpool *p, const sl_msg *m) {
  if (mb->count >= mb->bound)
    return SL_EFULL;
  if (mb->tail == NULL || mb->tail_i == SL_MCHUNK) {
    sl_mchunk *c = chunk_get(p);
    if (c == NULL)
      return SL_ENOMEM;
    if (mb->tail == NULL) {
      mb->head = c;
      mb->head_i = 0;
    } else {
      mb->tail->next = c;
    }
    mb->tail = c;
    mb->tail_i = 0;
  }
  mb->tail->msg[mb->tail_i++] = *m;
  mb->count++;
  return 0;
}

int sl_mailbox_pop(sl_mailbox *mb, sl_mpool *p, sl_msg *out) {
  if (mb->count == 0)
    return 0;
  sl_mchunk *c = mb->head;
  *out = c->msg[mb->head_i++];
  mb->count--;
  if (mb->count == 0) {
    /* Empty: give the (only) chunk back so an idle actor holds none. */
    chunk_put(p, c);
    mb->head = mb->tail = NULL;
    mb->head_i = mb->tail_i = 0;
  } else if (mb->head_i == SL_MCHUNK) {
    mb->head = c->next;
    mb->head_i = 0;
    chunk_put(p, c);
  }
  return 1;
}
