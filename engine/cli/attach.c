/*
 * attach.c -- `starling attach [ADDR]`: a prompt on a running starling.
 *
 * Connects to a control socket (a Unix socket path, by default the one
 * `starling repl` prints; or tcp://127.0.0.1:PORT) and speaks the line
 * protocol of lua/starling/control.lua: what is typed goes as `L line`,
 * Tab asks `C text` and waits for the `M` answer, Ctrl+C sends `I`; `O`
 * lines are printed, `P` gives the next prompt, `Q` means the engine is
 * shutting down.  Line editing, history and completion are the local
 * REPL's (edit.c); Ctrl+D detaches (the swarm flies on).  One poll() loop
 * over stdin, the socket and a self-pipe for SIGINT: nothing blocks but
 * poll itself (and a completion, for at most two seconds).  A line over
 * STARLING_MAX_LINE is refused here, with a message, and not sent.
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "attach.h"
#include "edit.h"

static struct {
  int fd;     /* the socket */
  int sig[2]; /* self-pipe: SIGINT */
  int tty;
  starling_edit *ed; /* the line editor (a terminal on stdin) */
  int ready;         /* a P came: the engine waits for a line */
  int feed;          /* a prompt was shown: edit what was typed ahead */
  int done, code;
  char prompt[64];
  char *in; /* from the socket, not yet a line (grows; 16 MiB at most) */
  size_t nin, capin;
  int skipping; /* a line over 16 MiB: dropped up to its newline */
  char *plain;  /* non-tty stdin, not yet a line (STARLING_MAX_LINE at most) */
  size_t nplain;
  int plain_skipping; /* a line too long: dropped up to its end */
  int stdin_eof;
  char **cands; /* the last M answer */
  size_t ncands;
  int have_m;
} A;

static void send_msg(const char *kind, const char *text) {
  size_t n = strlen(kind) + (text ? strlen(text) + 1 : 0) + 1;
  char *m = malloc(n + 1);
  if (m == NULL)
    return;
  snprintf(m, n + 1, "%s%s%s\n", kind, text ? " " : "", text ? text : "");
  size_t off = 0;
  while (off < n) {
    ssize_t w = write(A.fd, m + off, n - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      break;
    off += (size_t)w;
  }
  free(m);
}

static void on_line(char *line);

static void install(void) {
  if (A.ed != NULL && !starling_edit_active(A.ed) && !A.done) {
    starling_edit_start(A.ed, A.prompt);
    A.feed = 1;
  }
}

static void uninstall(void) {
  if (A.ed != NULL)
    starling_edit_stop(A.ed);
}

static void say(const char *s) {
  starling_write_all(1, s, strlen(s));
}

/* A line of output, over the prompt line if one is shown. */
static void print_out(const char *text) {
  size_t n = strlen(text);
  char *line = malloc(n + 1);
  if (line == NULL)
    return;
  memcpy(line, text, n);
  line[n] = '\n';
  if (A.ed != NULL)
    starling_edit_print(A.ed, line, n + 1);
  else
    starling_write_all(1, line, n + 1);
  free(line);
}

static void too_long(void) {
  char msg[96];
  snprintf(msg, sizeof msg, "line longer than %d bytes: not sent",
           STARLING_MAX_LINE);
  print_out(msg);
}

static void free_cands(void) {
  for (size_t i = 0; i < A.ncands; i++)
    free(A.cands[i]);
  free(A.cands);
  A.cands = NULL;
  A.ncands = 0;
}

/* One message from the engine. */
static void handle_msg(char *m) {
  if (strncmp(m, "O ", 2) == 0 || strcmp(m, "O") == 0) {
    print_out(m[1] ? m + 2 : "");
  } else if (strncmp(m, "P ", 2) == 0) {
    snprintf(A.prompt, sizeof A.prompt, "%s", m + 2);
    A.ready = 1;
    install();
    if (!A.tty)
      say(A.prompt);
  } else if (m[0] == 'M') {
    free_cands();
    const char *p = m[1] == ' ' ? m + 2 : "";
    while (*p) {
      const char *tab = strchr(p, '\t');
      size_t n = tab ? (size_t)(tab - p) : strlen(p);
      char **c = realloc(A.cands, (A.ncands + 1) * sizeof(*c));
      if (c == NULL)
        break;
      A.cands = c;
      A.cands[A.ncands++] = strndup(p, n);
      p += n + (tab ? 1 : 0);
    }
    A.have_m = 1;
  } else if (strncmp(m, "E ", 2) == 0) {
    fprintf(stderr, "starling attach: %s\n", m + 2);
  } else if (strcmp(m, "Q") == 0) {
    uninstall();
    print_out("the swarm is shutting down");
    A.done = 1;
    A.code = 0;
  }
}

enum { MAX_MSG = 16 << 20 };

/* Reads what the socket has; returns -1 when it closed. */
static int read_socket(void) {
  if (A.capin - A.nin < 65536) {
    size_t cap = A.capin ? A.capin * 2 : 131072;
    char *p = realloc(A.in, cap);
    if (p == NULL)
      return -1;
    A.in = p;
    A.capin = cap;
  }
  ssize_t n = read(A.fd, A.in + A.nin, A.capin - 1 - A.nin);
  if (n < 0 && errno == EINTR)
    return 0;
  if (n <= 0)
    return -1;
  A.nin += (size_t)n;
  size_t start = 0;
  for (size_t i = 0; i < A.nin; i++) {
    if (A.in[i] != '\n')
      continue;
    A.in[i] = '\0';
    if (A.skipping)
      A.skipping = 0; /* the end of the line too long to show */
    else
      handle_msg(A.in + start);
    start = i + 1;
  }
  memmove(A.in, A.in + start, A.nin - start);
  A.nin -= start;
  if (A.nin > MAX_MSG) { /* never a message: drop up to the next newline */
    print_out("(a line over 16 MiB from the engine was dropped)");
    A.nin = 0;
    A.skipping = 1;
  }
  return 0;
}

static void on_line(char *line) {
  uninstall();
  if (line == NULL) { /* Ctrl+D: detach */
    say("\n");
    A.done = 1;
    A.code = 0;
    return;
  }
  send_msg("L", line);
  A.ready = 0;
  free(line);
}

/* --- completion: ask and wait for the answer ------------------------------ */

/* starling_edit_complete_fn: the engine's candidates (2 s at most). */
static char **complete(void *ud, const char *before, size_t *n) {
  (void)ud;
  *n = 0;
  A.have_m = 0;
  send_msg("C", before);
  for (int waited = 0; !A.have_m && waited < 2000;) {
    struct pollfd p = {A.fd, POLLIN, 0};
    int r = poll(&p, 1, 100);
    waited += 100;
    if (r > 0 && read_socket() < 0)
      break;
  }
  if (!A.have_m || A.ncands == 0)
    return NULL;
  char **c = calloc(A.ncands, sizeof(*c));
  for (size_t i = 0; c != NULL && i < A.ncands; i++)
    if ((c[*n] = strdup(A.cands[i])) != NULL)
      (*n)++;
  return c;
}

static void on_sigint(int s) {
  (void)s;
  char b = 1;
  if (write(A.sig[1], &b, 1) < 0) {
    /* nothing to do: the pipe is full, a Ctrl+C is pending already */
  }
}

/* A terminal on stdin: what was typed, edited; each line sent at a
 * prompt (typeahead waits for the next). */
static void pump_tty(int readable) {
  while (!A.done && starling_edit_active(A.ed)) {
    char *line;
    int rc = starling_edit_feed(A.ed, readable, &line);
    readable = 0;
    if (rc == STARLING_EDIT_NONE)
      return;
    if (rc == STARLING_EDIT_TOO_LONG) {
      say("\n");
      too_long();
      install();
    } else {
      on_line(line); /* NULL: Ctrl+D */
    }
  }
}

/* Non-tty stdin: lines as they come, one per prompt. */
static void pump_plain(void) {
  while (A.ready && !A.done) {
    char *nl = A.nplain ? memchr(A.plain, '\n', A.nplain) : NULL;
    if (nl == NULL) {
      if (A.stdin_eof) {
        A.done = 1;
        A.code = 0;
      }
      return;
    }
    *nl = '\0';
    size_t used = (size_t)(nl - A.plain) + 1;
    if (A.plain_skipping) { /* the end of a line too long */
      A.plain_skipping = 0;
    } else if (used - 1 > STARLING_MAX_LINE) {
      too_long();
    } else {
      send_msg("L", A.plain);
      A.ready = 0;
    }
    memmove(A.plain, A.plain + used, A.nplain - used);
    A.nplain -= used;
  }
}

/* Non-tty stdin: appends what is there to A.plain.  A line that passes
 * STARLING_MAX_LINE without its newline is refused at once and the rest
 * of it dropped as it comes, so A.plain stays bounded. */
static void read_plain(void) {
  char buf[4096];
  ssize_t n = read(0, buf, sizeof buf);
  if (n < 0 && errno == EINTR)
    return;
  if (n <= 0) {
    A.stdin_eof = 1;
    return;
  }
  char *q = realloc(A.plain, A.nplain + (size_t)n);
  if (q == NULL)
    return;
  A.plain = q;
  memcpy(A.plain + A.nplain, buf, (size_t)n);
  A.nplain += (size_t)n;
  if (A.nplain > STARLING_MAX_LINE + 1 &&
      memchr(A.plain, '\n', A.nplain) == NULL) {
    if (!A.plain_skipping)
      too_long();
    A.plain_skipping = 1;
    A.nplain = 0;
  }
}

static char why[256]; /* why connect_to failed */

static int connect_to(const char *addr) {
  if (strncmp(addr, "tcp://", 6) == 0) {
    char host[256];
    snprintf(host, sizeof host, "%s", addr + 6);
    char *colon = strrchr(host, ':');
    if (colon == NULL) {
      snprintf(why, sizeof why, "expected tcp://HOST:PORT");
      return -1;
    }
    *colon = '\0';
    char *h = host;
    if (h[0] == '[') { /* [::1] */
      h++;
      h[strlen(h) - 1] = '\0';
    }
    struct addrinfo hints = {0}, *res = NULL;
    hints.ai_socktype = SOCK_STREAM;
    int g = getaddrinfo(h, colon + 1, &hints, &res);
    if (g != 0) {
      snprintf(why, sizeof why, "%s", gai_strerror(g));
      return -1;
    }
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
      snprintf(why, sizeof why, "%s", strerror(errno));
      close(fd);
      fd = -1;
    }
    freeaddrinfo(res);
    return fd;
  }
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  if (strlen(addr) >= sizeof a.sun_path) {
    snprintf(why, sizeof why, "socket path longer than %zu bytes",
             sizeof a.sun_path - 1);
    return -1;
  }
  snprintf(a.sun_path, sizeof a.sun_path, "%s", addr);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    snprintf(why, sizeof why, "%s", strerror(errno));
    close(fd);
    fd = -1;
  }
  return fd;
}

int starling_attach(const char *addr) {
  memset(&A, 0, sizeof A);
  A.fd = connect_to(addr);
  if (A.fd < 0) {
    fprintf(stderr, "starling attach: cannot connect to %s: %s\n", addr, why);
    return 1;
  }
  if (pipe(A.sig) != 0)
    return 1;
  snprintf(A.prompt, sizeof A.prompt, "> ");
  if (isatty(0))
    A.ed = starling_edit_open("starling", 0, 1, NULL, complete, NULL);
  A.tty = A.ed != NULL;
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old);
  signal(SIGPIPE, SIG_IGN);
  A.code = 0;
  while (!A.done) {
    struct pollfd p[3] = {
        {A.fd, POLLIN, 0}, {A.sig[0], POLLIN, 0}, {0, POLLIN, 0}};
    /* stdin is read only when a line can be sent (or edited: tty) */
    int watch_stdin =
        !A.stdin_eof && (A.tty ? starling_edit_active(A.ed) : A.ready);
    int r = poll(p, watch_stdin ? 3 : 2, -1);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0)
      break;
    if (p[1].revents & POLLIN) {
      char b[16];
      if (read(A.sig[0], b, sizeof b) > 0) {
        if (A.tty) { /* clear the line, here and there */
          uninstall();
          starling_edit_discard(A.ed);
          say("^C\n");
          send_msg("I", NULL);
        } else { /* no prompt to clear: detach */
          A.done = 1;
          A.code = 130;
        }
      }
    }
    if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      if (read_socket() < 0) {
        uninstall();
        print_out("connection closed");
        A.code = A.done ? A.code : 0;
        break;
      }
    }
    if (watch_stdin && (p[2].revents & (POLLIN | POLLHUP))) {
      if (A.tty) {
        A.feed = 0;
        pump_tty(1);
      } else {
        read_plain();
      }
    }
    if (A.tty && A.feed) { /* a new prompt: the keys typed ahead */
      A.feed = 0;
      pump_tty(0);
    }
    if (!A.tty)
      pump_plain();
  }
  uninstall();
  starling_edit_close(A.ed);
  sigaction(SIGINT, &old, NULL);
  close(A.fd);
  close(A.sig[0]);
  close(A.sig[1]);
  free(A.plain);
  free(A.in);
  free_cands();
  return A.code;
}
