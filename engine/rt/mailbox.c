/*
 * mailbox.c -- chunked bounded FIFO and its arena-backed chunk pool (see
 * mailbox.h for the picture and the reasons).
 *
 * Each arena keeps its own free list; the pool keeps a doubly linked list of
 * arenas that have free chunks and takes from its head, so a chunk comes from
 * the arena used most recently and a burst drains back into few arenas.
 */
#include "mailbox.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "error.h"

#define ARENA_MIN 64u
#define ARENA_HUGE ((size_t)2 << 20)

struct sl_marena {
  sl_marena *next, *prev;           /* every arena */
  sl_marena *next_avail, *prev_avail; /* arenas with free chunks */
  sl_mchunk *free;
  uint32_t nfree, nchunks;
  size_t bytes;
  int mapped; /* from mmap (huge), else from malloc */
};

static void avail_link(sl_mpool *p, sl_marena *a) {
  a->prev_avail = NULL;
  a->next_avail = p->avail;
  if (p->avail)
    p->avail->prev_avail = a;
  p->avail = a;
}

static void avail_unlink(sl_mpool *p, sl_marena *a) {
  if (a->prev_avail)
    a->prev_avail->next_avail = a->next_avail;
  else
    p->avail = a->next_avail;
  if (a->next_avail)
    a->next_avail->prev_avail = a->prev_avail;
  a->next_avail = a->prev_avail = NULL;
}

static void arena_release(sl_mpool *p, sl_marena *a) {
  if (a->prev)
    a->prev->next = a->next;
  else
    p->arenas = a->next;
  if (a->next)
    a->next->prev = a->prev;
  p->nfree -= a->nfree;
  p->allocated -= a->nchunks;
  if (a->mapped)
    munmap(a, a->bytes);
  else
    free(a);
}

static sl_marena *arena_new(sl_mpool *p) {
  uint32_t n = p->next_arena;
  size_t bytes = sizeof(sl_marena) + (size_t)n * sizeof(sl_mchunk);
  sl_marena *a;
  int mapped = 0;
  if (bytes >= ARENA_HUGE / 2) {
    /* Only reached once the smaller arenas are all in use, so this one will
     * be used too: populate it now, in one call, rather than fault it in a
     * page at a time (measured: skynet 88-95 ms instead of 60-250 ms). */
    bytes = ARENA_HUGE;
    n = (uint32_t)((bytes - sizeof(sl_marena)) / sizeof(sl_mchunk));
    void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (m == MAP_FAILED)
      return NULL;
#ifdef MADV_HUGEPAGE
    madvise(m, bytes, MADV_HUGEPAGE); /* advice only: fine if refused */
#endif
    a = m;
    mapped = 1;
  } else {
    a = malloc(bytes);
    if (a == NULL)
      return NULL;
    p->next_arena = n * 2;
  }
  memset(a, 0, sizeof(*a));
  a->bytes = bytes;
  a->mapped = mapped;
  a->nchunks = n;
  sl_mchunk *chunks = (sl_mchunk *)(a + 1);
  /* Chain the chunks in address order so they are used front to back. */
  for (uint32_t i = n; i-- > 0;) {
    chunks[i].arena = a;
    chunks[i].next = a->free;
    a->free = &chunks[i];
  }
  a->nfree = n;
  a->next = p->arenas;
  if (p->arenas)
    p->arenas->prev = a;
  p->arenas = a;
  avail_link(p, a);
  p->nfree += n;
  p->allocated += n;
  return a;
}

void sl_mpool_init(sl_mpool *p, size_t max_free) {
  memset(p, 0, sizeof(*p));
  p->max_free = max_free;
  p->next_arena = ARENA_MIN;
}

void sl_mpool_close(sl_mpool *p) {
  while (p->arenas != NULL)
    arena_release(p, p->arenas);
  p->avail = NULL;
  p->next_arena = ARENA_MIN;
}

static sl_mchunk *chunk_get(sl_mpool *p) {
  sl_marena *a = p->avail;
  if (a == NULL && (a = arena_new(p)) == NULL)
    return NULL;
  sl_mchunk *c = a->free;
  a->free = c->next;
  a->nfree--;
  p->nfree--;
  if (a->nfree == 0)
    avail_unlink(p, a);
  c->next = NULL;
  return c;
}

static void chunk_put(sl_mpool *p, sl_mchunk *c) {
  sl_marena *a = c->arena;
  c->next = a->free;
  a->free = c;
  a->nfree++;
  p->nfree++;
  if (a->nfree == 1)
    avail_link(p, a);
  if (a->nfree == a->nchunks && p->nfree - a->nchunks >= p->max_free) {
    avail_unlink(p, a);
    arena_release(p, a);
  }
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
