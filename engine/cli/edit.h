/* edit.h -- the prompts' terminal: line editing in, complete writes out
 * (edit.c; used by repl.c and attach.c). */
#ifndef STARLING_CLI_EDIT_H
#define STARLING_CLI_EDIT_H

#include <stddef.h>

/* The longest line either prompt takes, in bytes (the control socket's
 * limit too); a longer one is refused with a message. */
enum { STARLING_MAX_LINE = 64 * 1024 };

typedef struct starling_edit starling_edit;

/* Candidates for the word that ends `before` (the line up to the cursor),
 * each a whole replacement for that word.  Returns a malloc'd array of *n
 * malloc'd strings, which the editor frees, or NULL for none. */
typedef char **(*starling_edit_complete_fn)(void *ud, const char *before,
                                            size_t *n);

/* What starling_edit_feed found. */
enum {
  STARLING_EDIT_NONE,     /* no whole line yet */
  STARLING_EDIT_LINE,     /* a line: *line is the caller's to free */
  STARLING_EDIT_EOF,      /* Ctrl+D on an empty line, or the terminal gone */
  STARLING_EDIT_TOO_LONG, /* a line over STARLING_MAX_LINE, dropped whole */
};

/* A line editor on the terminal `in` (read) and `out` (written), with the
 * history file `history` (NULL: none; loaded now, saved at close) and Tab
 * completion through `complete`.  Returns NULL when libedit cannot start
 * (not a terminal).  Nothing is shown until starling_edit_start. */
starling_edit *starling_edit_open(const char *name, int in, int out,
                                  const char *history,
                                  starling_edit_complete_fn complete, void *ud);

/* Shows `prompt` (copied) and starts a line: the terminal goes raw. */
void starling_edit_start(starling_edit *e, const char *prompt);

/* Ends the line being edited (what is on the screen stays), terminal
 * back to cooked mode.  Nothing happens if no line is being edited. */
void starling_edit_stop(starling_edit *e);

/* 1 while a line is being edited (between start and stop). */
int starling_edit_active(const starling_edit *e);

/* Drops what was typed ahead and not yet edited (Ctrl+C). */
void starling_edit_discard(starling_edit *e);

/* Edits with what was typed: call it when `in` is readable (readable = 1:
 * one read(2)), and again with readable = 0 after handling a line, for
 * what was typed ahead.  Returns a STARLING_EDIT_ code; any code but NONE
 * stops the editor (start it again for the next line).  A line too long
 * is dropped up to its end, however much of it is still to come. */
int starling_edit_feed(starling_edit *e, int readable, char **line);

/* Shows text while a line is edited: above the prompt, which is drawn
 * again below it; a newline is added if text lacks one.  When no line is
 * edited, the text is written as it is. */
void starling_edit_print(starling_edit *e, const char *text, size_t n);

/* Saves the history, gives the terminal back as it was, frees e. */
void starling_edit_close(starling_edit *e);

/* Writes all n bytes to fd: a partial write goes on where it stopped, and
 * on a non-blocking descriptor (EAGAIN) it waits until fd is writable.
 * Returns 0, or -1 when fd is gone (errno says why). */
int starling_write_all(int fd, const void *p, size_t n);

/* The characters that end a word for Tab completion: words hold '.' and
 * ':' (swarm:spawn, starling.formation.slots). */
extern const char starling_word_breaks[];

#endif
