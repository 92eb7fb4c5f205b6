/* Tests for the chunked bounded mailbox (engine/rt/mailbox.c). */
#include "rt/error.h"
#include "rt/mailbox.h"
#include "t.h"

static sl_msg msg(int v) {
  sl_msg m;
  memset(&m, 0, sizeof(m));
  m.type = 1;
  m.a.i = v;
  return m;
}

TEST(fifo_across_chunks) {
  sl_mpool p;
  sl_mpool_init(&p, 16);
  sl_mailbox mb;
  sl_mailbox_init(&mb, 100);
  for (int i = 0; i < 50; i++) {
    sl_msg m = msg(i);
    CHECK_INT(sl_mailbox_push(&mb, &p, &m), 0);
  }
  CHECK_INT(sl_mailbox_count(&mb), 50);
  /* 7 chunks in use, carved from the first (64-chunk) arena. */
  CHECK_INT(p.allocated - p.nfree, (50 + SL_MCHUNK - 1) / SL_MCHUNK);
  CHECK_INT(p.allocated, 64);
  sl_msg out;
  int order_ok = 1;
  for (int i = 0; i < 50; i++) {
    REQUIRE(sl_mailbox_pop(&mb, &p, &out) == 1);
    if (out.a.i != i)
      order_ok = 0;
  }
  CHECK(order_ok);
  CHECK_INT(sl_mailbox_pop(&mb, &p, &out), 0);
  sl_mpool_close(&p);
  CHECK_INT(p.allocated, 0);
}

TEST(bound_is_enforced) {
  sl_mpool p;
  sl_mpool_init(&p, 16);
  sl_mailbox mb;
  sl_mailbox_init(&mb, 3);
  sl_msg m = msg(0);
  CHECK_INT(sl_mailbox_push(&mb, &p, &m), 0);
  CHECK_INT(sl_mailbox_push(&mb, &p, &m), 0);
  CHECK_INT(sl_mailbox_push(&mb, &p, &m), 0);
  CHECK_INT(sl_mailbox_push(&mb, &p, &m), SL_EFULL);
  CHECK_INT(sl_mailbox_count(&mb), 3);
  sl_msg out;
  sl_mailbox_pop(&mb, &p, &out);
  CHECK_INT(sl_mailbox_push(&mb, &p, &m), 0);
  while (sl_mailbox_pop(&mb, &p, &out))
    ;
  sl_mpool_close(&p);
}

TEST(idle_mailbox_holds_no_chunk) {
  sl_mpool p;
  sl_mpool_init(&p, 1024);
  sl_mailbox mb;
  sl_mailbox_init(&mb, 64);
  CHECK(mb.head == NULL);
  sl_msg m = msg(1), out;
  sl_mailbox_push(&mb, &p, &m);
  CHECK(mb.head != NULL);
  size_t free_while_busy = p.nfree;
  sl_mailbox_pop(&mb, &p, &out);
  CHECK(mb.head == NULL && mb.tail == NULL);
  CHECK_INT(p.nfree, free_while_busy + 1); /* back in the pool */
  /* Ping-pong reuses pooled chunks: no new arena. */
  for (int i = 0; i < 1000; i++) {
    sl_mailbox_push(&mb, &p, &m);
    sl_mailbox_pop(&mb, &p, &out);
  }
  CHECK_INT(p.allocated, 64);
  CHECK_INT(p.nfree, 64);
  sl_mpool_close(&p);
  CHECK_INT(p.allocated, 0);
}

TEST(arenas_grow_and_empty_ones_are_released) {
  sl_mpool p;
  sl_mpool_init(&p, 100);
  enum { N = 200 };
  static sl_mailbox mbs[N];
  sl_msg m = msg(1), out;
  /* 200 mailboxes with 9 messages each hold 2 chunks: 400 chunks, which
   * takes arenas of 64, 128 and 256 chunks. */
  for (int i = 0; i < N; i++) {
    sl_mailbox_init(&mbs[i], 64);
    for (int k = 0; k < 9; k++)
      CHECK_INT(sl_mailbox_push(&mbs[i], &p, &m), 0);
  }
  CHECK_INT(p.allocated, 64 + 128 + 256);
  CHECK_INT(p.allocated - p.nfree, 2 * N);
  for (int i = 0; i < N; i++)
    while (sl_mailbox_pop(&mbs[i], &p, &out))
      ;
  /* Everything is free again; arenas beyond what max_free allows went back,
   * leaving fewer than max_free + the largest arena's chunks. */
  CHECK_INT(p.nfree, p.allocated);
  CHECK(p.allocated < 100 + 256);
  CHECK(p.allocated >= 100);
  sl_mpool_close(&p);
  CHECK_INT(p.allocated, 0);
}

TEST(wraps_after_partial_drain) {
  sl_mpool p;
  sl_mpool_init(&p, 16);
  sl_mailbox mb;
  sl_mailbox_init(&mb, 20);
  int next_in = 0, next_out = 0, ok = 1;
  sl_msg out;
  for (int round = 0; round < 30; round++) {
    for (int i = 0; i < 13; i++) {
      sl_msg m = msg(next_in);
      if (sl_mailbox_push(&mb, &p, &m) == 0)
        next_in++;
    }
    for (int i = 0; i < 11; i++)
      if (sl_mailbox_pop(&mb, &p, &out) && out.a.i != next_out++)
        ok = 0;
  }
  CHECK(ok);
  CHECK(sl_mailbox_count(&mb) <= 20);
  while (sl_mailbox_pop(&mb, &p, &out))
    if (out.a.i != next_out++)
      ok = 0;
  CHECK(ok);
  CHECK_INT(next_out, next_in);
  sl_mpool_close(&p);
}

TEST(a_burst_reaches_the_huge_arenas_and_gives_them_back) {
  sl_mpool p;
  sl_mpool_init(&p, 64);
  enum { N = 1000, PER = 80 }; /* 80,000 messages: 10,000 chunks */
  sl_mailbox *mbs = calloc(N, sizeof(*mbs));
  REQUIRE(mbs != NULL);
  sl_msg out;
  int ok = 1;
  for (int i = 0; i < N; i++) {
    sl_mailbox_init(&mbs[i], PER);
    for (int k = 0; k < PER; k++) {
      sl_msg m = msg(i * PER + k);
      if (sl_mailbox_push(&mbs[i], &p, &m) != 0)
        ok = 0;
    }
  }
  CHECK(ok);
  CHECK_INT(p.allocated - p.nfree, N * PER / SL_MCHUNK);
  CHECK(p.allocated > 64 + 128 + 256 + 512 + 1024 + 2048); /* huge ones */
  for (int i = 0; i < N; i++)
    for (int k = 0; k < PER; k++)
      if (!sl_mailbox_pop(&mbs[i], &p, &out) || out.a.i != i * PER + k)
        ok = 0;
  CHECK(ok);
  CHECK(p.allocated < 64 + 4600); /* the burst's memory went back */
  sl_mpool_close(&p);
  free(mbs);
}
