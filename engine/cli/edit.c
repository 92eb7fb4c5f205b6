/*
 * edit.c -- the prompts' terminal: line editing in, complete writes out.
 *
 * Both prompts (repl.c on the swarm's libuv loop, attach.c on its own
 * poll loop) edit lines with libedit while their loop goes on, so the
 * editor is fed one key at a time, only when the terminal is readable.
 * This uses libedit's native interface (histedit.h) in its unbuffered
 * mode, not its readline emulation: the emulation's callback interface
 * (rl_callback_read_char) writes through a stale pointer once a line
 * passes about 1,000 characters -- rl_line_buffer aliases a conversion
 * buffer that el_line() reallocates, and is re-pointed only when the
 * line buffer itself grows -- which corrupts the heap (issue 10, item 1;
 * README "Libraries, and why").  The native interface needs none of it:
 *
 *   terminal --read(2)--> in[] --getc_fn--> el_wgets (one command per
 *   call, UNBUFFERED) --> a line when it ends in '\n'
 *
 * Reading is ours (EL_GETCFN): bytes are read once per readable event
 * into a small buffer and handed to libedit from there, so a key sequence
 * split across reads waits at most 100 ms, never blocks the loop, and a
 * line over STARLING_MAX_LINE is dropped up to its end without libedit's
 * buffer growing past the limit.  Output, libedit's included (a stdio
 * stream over starling_write_all), is written whole: a terminal that
 * takes it slowly, or a descriptor made non-blocking, loses nothing.
 */
#define _GNU_SOURCE /* fopencookie */
#include <errno.h>
#include <histedit.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <wchar.h>

#include "edit.h"

const char starling_word_breaks[] = " \t\n\"'`@$><=;|&{(,+-*/%^#~[]";

struct starling_edit {
  EditLine *el;
  History *hist;
  FILE *out_fp; /* libedit's output: starling_write_all to out */
  int in, out;
  int active;   /* a line is being edited */
  int skipping; /* dropping a line too long, up to its end */
  int eof;      /* the terminal is gone */
  char *prompt;
  char history[1024];
  starling_edit_complete_fn complete;
  void *ud;
  char *last_tab; /* the text before the cursor at the last Tab */
  size_t off, len;
  char buf[4096]; /* read, not yet given to libedit */
};

/* --- output -----------------------------------------------------------------
 */

int starling_write_all(int fd, const void *p, size_t n) {
  const char *s = p;
  while (n > 0) {
    ssize_t w = write(fd, s, n);
    if (w > 0) {
      s += w;
      n -= (size_t)w;
    } else if (w < 0 && errno == EINTR) {
      continue;
    } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      struct pollfd q = {fd, POLLOUT, 0};
      if (poll(&q, 1, -1) < 0 && errno != EINTR)
        return -1;
    } else {
      return -1;
    }
  }
  return 0;
}

static ssize_t cookie_write(void *cookie, const char *buf, size_t n) {
  starling_edit *e = cookie;
  return starling_write_all(e->out, buf, n) == 0 ? (ssize_t)n : -1;
}

/* --- input -------------------------------------------------------------------
 */

/* Reads more into buf after what is there.  Returns the bytes read, 0 if
 * nothing came within wait_ms, -1 when the terminal is gone. */
static int fill(starling_edit *e, int wait_ms) {
  if (e->off > 0) {
    memmove(e->buf, e->buf + e->off, e->len - e->off);
    e->len -= e->off;
    e->off = 0;
  }
  if (e->len == sizeof e->buf)
    return 0;
  if (wait_ms >= 0) {
    struct pollfd q = {e->in, POLLIN, 0};
    int r = poll(&q, 1, wait_ms);
    if (r == 0 || (r < 0 && errno == EINTR))
      return 0;
  }
  ssize_t n = read(e->in, e->buf + e->len, sizeof e->buf - e->len);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return 0;
  if (n <= 0) {
    e->eof = 1;
    return -1;
  }
  e->len += (size_t)n;
  return (int)n;
}

static starling_edit *of(EditLine *el) {
  void *e = NULL;
  el_get(el, EL_CLIENTDATA, &e);
  return e;
}

/* libedit's read function: the next character from buf.  A character or
 * key sequence cut by the end of what was read waits up to 100 ms for its
 * rest; then (or at the end of input) libedit is told there is nothing. */
static int getc_fn(EditLine *el, wchar_t *wc) {
  starling_edit *e = of(el);
  for (;;) {
    if (e->off < e->len) {
      mbstate_t st;
      memset(&st, 0, sizeof st);
      size_t r = mbrtowc(wc, e->buf + e->off, e->len - e->off, &st);
      if (r == (size_t)-1) { /* not a character here: skip the byte */
        e->off++;
        continue;
      }
      if (r != (size_t)-2) {
        e->off += r == 0 ? 1 : r;
        return 1;
      }
    }
    int n = fill(e, 100);
    if (n > 0)
      continue;
    *wc = 0;
    if (n < 0)
      return 0;      /* end of input */
    e->off = e->len; /* a fragment that never completed: dropped */
    errno = EAGAIN;
    return -1;
  }
}

/* --- completion
 * ---------------------------------------------------------------- */

static size_t chars_in(const char *s, size_t n) { /* UTF-8 */
  size_t c = 0;
  for (size_t i = 0; i < n; i++)
    c += ((unsigned char)s[i] & 0xC0) != 0x80;
  return c;
}

/* The candidates in columns under the line (the line is drawn again). */
static void list(starling_edit *e, char **c, size_t n) {
  int cols = 80;
  if (el_get(e->el, EL_GETTC, "co", &cols, (void *)0) != 0 || cols < 20)
    cols = 80;
  size_t width = 0;
  for (size_t i = 0; i < n; i++)
    if (strlen(c[i]) > width)
      width = strlen(c[i]);
  width += 2;
  size_t per = (size_t)cols / width ? (size_t)cols / width : 1;
  fputc('\n', e->out_fp);
  for (size_t i = 0; i < n; i++) {
    if ((i + 1) % per == 0 || i + 1 == n)
      fprintf(e->out_fp, "%s\n", c[i]);
    else
      fprintf(e->out_fp, "%-*s", (int)width, c[i]);
  }
}

/* Tab: the common start of the candidates replaces the word before the
 * cursor; when that changes nothing, a second Tab lists them. */
static unsigned char complete_fn(EditLine *el, int ch) {
  (void)ch;
  starling_edit *e = of(el);
  if (e->complete == NULL)
    return CC_ERROR;
  const LineInfo *li = el_line(el);
  char *before = strndup(li->buffer, (size_t)(li->cursor - li->buffer));
  if (before == NULL)
    return CC_ERROR;
  size_t nb = strlen(before), ws = nb;
  while (ws > 0 && strchr(starling_word_breaks, before[ws - 1]) == NULL)
    ws--;
  size_t n = 0;
  char **c = e->complete(e->ud, before, &n);
  unsigned char rc = CC_REFRESH_BEEP;
  if (c != NULL && n > 0) {
    size_t common = strlen(c[0]);
    for (size_t i = 1; i < n; i++) {
      size_t j = 0;
      while (j < common && c[i][j] == c[0][j])
        j++;
      common = j;
    }
    const char *word = before + ws;
    if (common > 0 && (common != nb - ws || strncmp(c[0], word, common))) {
      char *repl = strndup(c[0], common);
      if (repl != NULL) {
        el_deletestr(el, (int)chars_in(word, nb - ws));
        el_insertstr(el, repl);
        free(repl);
        rc = CC_REFRESH;
      }
    } else if (n > 1 && e->last_tab && strcmp(e->last_tab, before) == 0) {
      list(e, c, n);
      rc = CC_REDISPLAY;
    }
  }
  for (size_t i = 0; c != NULL && i < n; i++)
    free(c[i]);
  free(c);
  free(e->last_tab);
  e->last_tab = rc == CC_REFRESH ? NULL : before;
  if (rc == CC_REFRESH)
    free(before);
  return rc;
}

/* --- the editor
 * ------------------------------------------------------------------ */

static char *prompt_fn(EditLine *el) {
  return of(el)->prompt;
}

starling_edit *starling_edit_open(const char *name, int in, int out,
                                  const char *history_file,
                                  starling_edit_complete_fn complete,
                                  void *ud) {
  starling_edit *e = calloc(1, sizeof(*e));
  if (e == NULL)
    return NULL;
  e->in = in;
  e->out = out;
  e->complete = complete;
  e->ud = ud;
  e->prompt = strdup("");
  cookie_io_functions_t io = {.write = cookie_write};
  e->out_fp = fopencookie(e, "w", io);
  if (e->prompt == NULL || e->out_fp == NULL)
    goto fail;
  e->el = el_init_fd(name, stdin, e->out_fp, stderr, in, out, 2);
  if (e->el == NULL)
    goto fail;
  el_set(e->el, EL_CLIENTDATA, e);
  el_set(e->el, EL_EDITOR, "emacs");
  el_set(e->el, EL_SIGNAL, 0); /* the program's own handlers stay */
  el_set(e->el, EL_PROMPT, prompt_fn);
  el_wset(e->el, EL_GETCFN, getc_fn);
  e->hist = history_init();
  if (e->hist != NULL) {
    HistEvent ev;
    history(e->hist, &ev, H_SETSIZE, 1000);
    if (history_file != NULL && *history_file != '\0') {
      snprintf(e->history, sizeof e->history, "%s", history_file);
      history(e->hist, &ev, H_LOAD, e->history);
    }
    el_set(e->el, EL_HIST, history, e->hist);
  }
  /* the wide call keeps the (static) names; el_set would copy and leak */
  el_wset(e->el, EL_ADDFN, L"starling-complete",
          L"complete the word before the cursor", complete_fn);
  /* the keys readline users expect (as libedit's readline emulation) */
  static const char *const binds[][2] = {
      {"^I", "starling-complete"},       {"^R", "em-inc-search-prev"},
      {"\\e[1~", "ed-move-to-beg"},      {"\\e[4~", "ed-move-to-end"},
      {"\\e[7~", "ed-move-to-beg"},      {"\\e[8~", "ed-move-to-end"},
      {"\\e[H", "ed-move-to-beg"},       {"\\e[F", "ed-move-to-end"},
      {"\\e[3~", "ed-delete-next-char"}, {"\\e[1;5C", "em-next-word"},
      {"\\e[1;5D", "ed-prev-word"},      {"\\e[5C", "em-next-word"},
      {"\\e[5D", "ed-prev-word"},        {"\\e\\e[C", "em-next-word"},
      {"\\e\\e[D", "ed-prev-word"},
  };
  for (size_t i = 0; i < sizeof binds / sizeof binds[0]; i++)
    el_set(e->el, EL_BIND, binds[i][0], binds[i][1], (char *)NULL);
  el_source(e->el, NULL); /* ~/.editrc, as every libedit program */
  return e;
fail:
  if (e->out_fp != NULL)
    fclose(e->out_fp);
  free(e->prompt);
  free(e);
  return NULL;
}

void starling_edit_start(starling_edit *e, const char *prompt) {
  if (e->active)
    starling_edit_stop(e);
  char *p = strdup(prompt);
  if (p != NULL) {
    free(e->prompt);
    e->prompt = p;
  }
  e->skipping = 0;
  free(e->last_tab);
  e->last_tab = NULL;
  e->active = 1;
  /* entering unbuffered mode prepares a line: raw terminal, an empty
   * buffer, the prompt drawn */
  el_set(e->el, EL_UNBUFFERED, 1);
}

void starling_edit_stop(starling_edit *e) {
  if (!e->active)
    return;
  e->active = 0;
  el_set(e->el, EL_UNBUFFERED, 0); /* the terminal back to cooked mode */
  fflush(e->out_fp);
}

int starling_edit_active(const starling_edit *e) {
  return e->active;
}

void starling_edit_discard(starling_edit *e) {
  e->off = e->len = 0;
  e->skipping = 0;
}

/* The line [w, w + n) as a malloc'd multibyte string, or NULL. */
static char *narrow(const wchar_t *w, size_t n, size_t *bytes) {
  char *s = malloc(n * MB_CUR_MAX + 1);
  if (s == NULL)
    return NULL;
  mbstate_t st;
  memset(&st, 0, sizeof st);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    size_t r = wcrtomb(s + k, w[i], &st);
    if (r != (size_t)-1)
      k += r;
  }
  s[k] = '\0';
  *bytes = k;
  return s;
}

int starling_edit_feed(starling_edit *e, int readable, char **line) {
  *line = NULL;
  if (!e->active)
    return STARLING_EDIT_NONE;
  if (e->off == e->len && readable && fill(e, -1) < 0) {
    starling_edit_stop(e);
    return STARLING_EDIT_EOF;
  }
  while (e->off < e->len) {
    if (e->skipping) { /* a line too long: drop the rest of it */
      char *end = e->buf + e->off;
      while (end < e->buf + e->len && *end != '\r' && *end != '\n')
        end++;
      if (end == e->buf + e->len) {
        e->off = e->len;
        break;
      }
      e->off = (size_t)(end - e->buf) + 1;
      starling_edit_stop(e);
      return STARLING_EDIT_TOO_LONG;
    }
    int n = 0;
    const wchar_t *w = el_wgets(e->el, &n);
    if (e->eof) {
      starling_edit_stop(e);
      return STARLING_EDIT_EOF;
    }
    if (w == NULL || n <= 0)
      continue;
    if (n == 1 && w[0] == 4) { /* Ctrl+D on an empty line */
      starling_edit_stop(e);
      return STARLING_EDIT_EOF;
    }
    if (w[n - 1] != '\n' && w[n - 1] != '\r') {
      if (n > STARLING_MAX_LINE) /* too long already: no need to see more */
        e->skipping = 1;
      continue;
    }
    size_t bytes = 0;
    char *s = narrow(w, (size_t)n - 1, &bytes);
    starling_edit_stop(e);
    if (s == NULL)
      continue;
    if (bytes > STARLING_MAX_LINE) {
      free(s);
      return STARLING_EDIT_TOO_LONG;
    }
    if (*s != '\0' && e->hist != NULL) {
      HistEvent ev;
      history(e->hist, &ev, H_ENTER, s);
    }
    *line = s;
    return STARLING_EDIT_LINE;
  }
  return STARLING_EDIT_NONE;
}

void starling_edit_print(starling_edit *e, const char *text, size_t n) {
  if (!e->active) {
    starling_write_all(e->out, text, n);
    return;
  }
  fflush(e->out_fp);
  starling_write_all(e->out, "\r\033[K", 4); /* over the prompt line */
  starling_write_all(e->out, text, n);
  if (n == 0 || text[n - 1] != '\n')
    starling_write_all(e->out, "\n", 1);
  el_set(e->el, EL_REFRESH); /* the prompt and the line, below */
}

void starling_edit_close(starling_edit *e) {
  if (e == NULL)
    return;
  starling_edit_stop(e);
  if (e->hist != NULL) {
    HistEvent ev;
    if (e->history[0] != '\0')
      history(e->hist, &ev, H_SAVE, e->history);
    history_end(e->hist);
  }
  el_end(e->el);
  fclose(e->out_fp);
  free(e->prompt);
  free(e->last_tab);
  free(e);
}
