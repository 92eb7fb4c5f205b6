/*
 * lsl_control.c -- the control socket's transport (API.md section 11).
 *
 *   core.control_listen(swarm, addr, {connect = fn(c), line = fn(c, line),
 *                                     close = fn(c)}) -> server | nil, err
 *   server.address, server:close()
 *   client.id, client:send(text), client:close()
 *
 * addr is a Unix socket path (created with mode 0600; a stale file left by
 * a dead process is replaced, a live one is an error) or
 * tcp://127.0.0.1:PORT (loopback only: 127.0.0.1, localhost or ::1; port 0
 * picks one, server.address says which).  The server lives on the swarm's
 * libuv loop (real clock), so clients are served while the swarm flies.
 * Input is split into lines (a trailing \r dropped); a line longer than 64
 * KiB (plus its message kind) closes its client.  Output to a client is
 * queued in a buffer of its own, written a 64 KiB slice at a time; a client
 * whose pending output passes 4 MiB (it stopped reading, and a remote
 * evaluation, which holds the loop, cannot wait for it) gets an E line,
 * its pending output is freed at once, and it is closed when the E line
 * is written or 5 s later.  core.control_pending(swarm) counts the
 * bytes pending.  The listen backlog is the system's (SOMAXCONN).  Every
 * call into Lua is protected: a handler that
 * fails is logged, and neither the swarm nor the other clients notice.  The
 * protocol on top (lua/starling/control.lua) is Lua's.  Listening sets
 * SIGPIPE to ignored for the process: a client gone mid-write is an EPIPE,
 * not the end of the engine.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "lsl.h"

#define LSL_CONTROL "starling.control"
#define LSL_CONTROL_CLIENT "starling.control_client"

enum {
  MAX_LINE = 64 * 1024 + 2,      /* a line of 64 KiB, and "L " */
  MAX_PENDING = 4 * 1024 * 1024, /* output queued for one client */
  LOW_WATER = 256 * 1024,        /* below it a stream may go on */
  SLICE = 64 * 1024,             /* written at a time */
  DROP_GRACE_MS = 5000,          /* for the E line to get out */
};

typedef union ctl_handle {
  uv_handle_t handle;
  uv_stream_t stream;
  uv_pipe_t pipe;
  uv_tcp_t tcp;
} ctl_handle;

typedef struct ctl_client ctl_client;

typedef struct server_box server_box;

typedef struct ctl_server {
  lsl_swarm *S;
  struct ctl_server *next; /* S->controls */
  server_box *box;         /* the Lua object, NULL once it is collected */
  ctl_handle h;
  int is_tcp, open;
  int handlers; /* store refs */
  int self;
  char address[sizeof(((struct sockaddr_un *)0)->sun_path) + 64];
  char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
  ctl_client *clients;
  int next_id;
} ctl_server;

struct ctl_client {
  ctl_server *srv; /* NULL once the server is gone */
  ctl_handle h;
  uv_timer_t grace; /* a dropped client's last second; else drain calls */
  int handles;      /* open: h, grace */
  ctl_client *next;
  char *buf; /* input, not yet a line */
  size_t len, cap;
  char *out; /* output not yet written: [out_off, out_len) */
  size_t out_off, out_len, out_cap;
  size_t writing; /* bytes of the write in flight (0: none) */
  int dropping;   /* past MAX_PENDING: only the E line goes out */
  int want_drain; /* c:when_drained(): the drain handler is owed a call */
  int id, ref, closing;
};

typedef struct client_box {
  ctl_client *c; /* NULL once closed */
} client_box;

struct server_box {
  ctl_server *srv; /* NULL once closed */
};

/* --- calling Lua -------------------------------------------------------------
 */

typedef struct call {
  ctl_client *c;
  const char *what;
  const char *line;
  size_t len;
} call;

static int call_handler(lua_State *L) {
  call *k = lua_touserdata(L, 1);
  lsl_swarm *S = k->c->srv->S;
  lsl_pushref(S, L, k->c->srv->handlers);
  if (lua_getfield(L, -1, k->what) != LUA_TFUNCTION)
    return 0;
  lsl_pushref(S, L, k->c->ref);
  int n = 1;
  if (k->line != NULL) {
    lua_pushlstring(L, k->line, k->len);
    n++;
  }
  lua_call(L, n, 0);
  return 0;
}

static void notify(ctl_client *c, const char *what, const char *line,
                   size_t len) {
  if (c->srv == NULL || c->srv->S->finalizing)
    return;
  call k = {c, what, line, len};
  lsl_protect(c->srv->S, call_handler, &k);
}

/* --- clients -----------------------------------------------------------------
 */

static void client_closed(uv_handle_t *h) {
  ctl_client *c = h->data;
  if (--c->handles > 0)
    return;
  free(c->buf);
  free(c->out);
  free(c);
}

static void unlink_client(ctl_client *c) {
  if (c->srv == NULL)
    return;
  for (ctl_client **p = &c->srv->clients; *p != NULL; p = &(*p)->next)
    if (*p == c) {
      *p = c->next;
      break;
    }
}

/* Closes a client: the Lua side is told (close handler), its box emptied. */
static void client_close(ctl_client *c, int tell) {
  if (c->closing)
    return;
  c->closing = 1;
  if (tell)
    notify(c, "close", NULL, 0);
  if (c->srv != NULL) {
    lsl_swarm *S = c->srv->S;
    if (!S->finalizing && S->L != NULL) {
      lsl_pushref(S, S->L, c->ref);
      client_box *b = lua_touserdata(S->L, -1);
      if (b != NULL)
        b->c = NULL;
      lua_pop(S->L, 1);
      lsl_unref(S, c->ref);
    }
  }
  unlink_client(c);
  free(c->out); /* what was never written goes now */
  c->out = NULL;
  c->out_off = c->out_len = c->out_cap = 0;
  uv_close(&c->h.handle, client_closed);
  uv_close((uv_handle_t *)&c->grace, client_closed);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf) {
  (void)hint;
  ctl_client *c = h->data;
  if (c->cap - c->len < 4096) {
    size_t cap = c->cap ? c->cap * 2 : 8192;
    char *p = realloc(c->buf, cap);
    if (p == NULL) {
      *buf = uv_buf_init(NULL, 0);
      return;
    }
    c->buf = p;
    c->cap = cap;
  }
  *buf = uv_buf_init(c->buf + c->len, (unsigned)(c->cap - c->len));
}

static int send_text(ctl_client *c, const char *s, size_t n);

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *buf) {
  (void)buf;
  ctl_client *c = st->data;
  if (n < 0) {
    client_close(c, 1); /* EOF or error: gone, mid-line or not */
    return;
  }
  c->len += (size_t)n;
  size_t start = 0;
  for (size_t i = 0; i < c->len && !c->closing; i++) {
    if (c->buf[i] != '\n')
      continue;
    size_t end = i;
    if (end > start && c->buf[end - 1] == '\r')
      end--;
    if (end - start > MAX_LINE) {
      static const char msg[] = "E line longer than 65536 bytes: closing\n";
      send_text(c, msg, sizeof msg - 1);
      client_close(c, 1);
      return;
    }
    notify(c, "line", c->buf + start, end - start);
    start = i + 1;
  }
  if (c->closing)
    return;
  memmove(c->buf, c->buf + start, c->len - start);
  c->len -= start;
  if (c->len > MAX_LINE) {
    static const char msg[] = "E line longer than 65536 bytes: closing\n";
    send_text(c, msg, sizeof msg - 1);
    client_close(c, 1);
  }
}

typedef struct wreq {
  uv_write_t req;
  ctl_client *c;
  char data[];
} wreq;

static void flush_out(ctl_client *c);
static void on_drain_timer(uv_timer_t *t);

static void on_written(uv_write_t *req, int status) {
  wreq *w = (wreq *)req;
  ctl_client *c = w->c;
  free(w);
  c->writing = 0;
  if (status < 0 || c->closing)
    return; /* gone (or cancelled by the close) */
  if (c->out_off < c->out_len)
    flush_out(c);
  else if (c->dropping) /* the E line is out */
    client_close(c, 1);
  /* The drain handler from a timer, not from here: a write that
   * completes at once is called back in the same loop turn (libuv runs
   * the pending callbacks up to 8 more times after polling), so a handler
   * called here would send up to 9 slices of a listing in one turn. */
  if (c->want_drain && !c->closing && !c->dropping &&
      c->writing + c->out_len - c->out_off < LOW_WATER)
    uv_timer_start(&c->grace, on_drain_timer, 1, 0);
}

/* Starts writing the next slice of c's pending output. */
static void flush_out(ctl_client *c) {
  size_t n = c->out_len - c->out_off;
  if (c->writing || c->closing || n == 0)
    return;
  if (n > SLICE)
    n = SLICE;
  wreq *w = malloc(sizeof(*w) + n);
  if (w == NULL)
    return;
  w->c = c;
  memcpy(w->data, c->out + c->out_off, n);
  c->out_off += n;
  if (c->out_off == c->out_len)
    c->out_off = c->out_len = 0;
  uv_buf_t b = uv_buf_init(w->data, (unsigned)n);
  if (uv_write(&w->req, &c->h.stream, &b, 1, on_written) != 0) {
    free(w);
    return;
  }
  c->writing = n;
}

static void on_grace_over(uv_timer_t *t) {
  ctl_client *c = t->data;
  client_close(c, 1); /* a client that does not read */
}

/* Past MAX_PENDING: the queue is freed, the E line alone goes out, and
 * the client is closed once it is written or after DROP_GRACE_MS. */
static void drop(ctl_client *c) {
  static const char msg[] =
      "E output to this client passed 4 MiB (it is not reading): "
      "disconnected\n";
  free(c->out);
  c->out_cap = sizeof msg - 1;
  c->out = malloc(c->out_cap);
  c->out_off = c->out_len = 0;
  if (c->out != NULL) {
    memcpy(c->out, msg, sizeof msg - 1);
    c->out_len = sizeof msg - 1;
  }
  c->dropping = 1;
  uv_read_stop(&c->h.stream);
  uv_update_time(c->grace.loop); /* an evaluation may hold the loop */
  uv_timer_start(&c->grace, on_grace_over, DROP_GRACE_MS, 0);
  flush_out(c);
}

/* Queues s for c; returns 0, or -1 when c is closed or being dropped. */
static int send_text(ctl_client *c, const char *s, size_t n) {
  if (c->closing || c->dropping)
    return -1;
  if (n == 0)
    return 0;
  size_t held = c->out_len - c->out_off;
  if (c->writing + held + n > MAX_PENDING) {
    drop(c);
    return -1;
  }
  if (c->out_len + n > c->out_cap) {
    if (c->out_off > 0) { /* written already: make room at the front */
      memmove(c->out, c->out + c->out_off, held);
      c->out_off = 0;
      c->out_len = held;
    }
    size_t cap = c->out_cap ? c->out_cap : 4096;
    while (cap < c->out_len + n)
      cap *= 2;
    if (cap != c->out_cap) {
      char *p = realloc(c->out, cap);
      if (p == NULL)
        return -1;
      c->out = p;
      c->out_cap = cap;
    }
  }
  memcpy(c->out + c->out_len, s, n);
  c->out_len += n;
  flush_out(c);
  return 0;
}

static void on_connection(uv_stream_t *server, int status) {
  ctl_server *srv = server->data;
  if (status < 0 || !srv->open)
    return;
  ctl_client *c = calloc(1, sizeof(*c));
  if (c == NULL)
    return;
  c->srv = srv;
  uv_loop_t *loop = srv->h.handle.loop;
  int rc = srv->is_tcp ? uv_tcp_init(loop, &c->h.tcp)
                       : uv_pipe_init(loop, &c->h.pipe, 0);
  if (rc != 0) {
    free(c);
    return;
  }
  c->h.handle.data = c;
  c->handles = 2;
  uv_timer_init(loop, &c->grace);
  c->grace.data = c;
  if (uv_accept(server, &c->h.stream) != 0) {
    uv_close(&c->h.handle, client_closed);
    uv_close((uv_handle_t *)&c->grace, client_closed);
    return;
  }
  lsl_swarm *S = srv->S;
  lua_State *L = S->L;
  if (S->finalizing || L == NULL || !lua_checkstack(L, 4)) {
    uv_close(&c->h.handle, client_closed);
    uv_close((uv_handle_t *)&c->grace, client_closed);
    return;
  }
  client_box *b = lua_newuserdatauv(L, sizeof(*b), 0);
  b->c = c;
  luaL_setmetatable(L, LSL_CONTROL_CLIENT);
  c->ref = lsl_ref(S, L);
  c->id = ++srv->next_id;
  c->next = srv->clients;
  srv->clients = c;
  uv_read_start(&c->h.stream, on_alloc, on_read);
  notify(c, "connect", NULL, 0);
}

static ctl_client *check_client(lua_State *L) {
  client_box *b = luaL_checkudata(L, 1, LSL_CONTROL_CLIENT);
  return b->c;
}

static int client_send(lua_State *L) {
  ctl_client *c = check_client(L);
  size_t n;
  const char *s = luaL_checklstring(L, 2, &n);
  if (c == NULL || send_text(c, s, n) != 0) {
    lua_pushnil(L);
    lua_pushliteral(L, "closed");
    return 2;
  }
  lua_pushboolean(L, 1);
  return 1;
}

static void on_drain_timer(uv_timer_t *t) {
  ctl_client *c = t->data;
  if (c->want_drain && !c->closing && !c->dropping) {
    c->want_drain = 0;
    notify(c, "drain", NULL, 0);
  }
}

/* c:when_drained() -> true: the handler `drain` is called once, on a
 * later loop turn, when what is queued for c is written down to 256 KiB
 * (a long listing goes on from there); nil, "closed" if c is gone. */
static int client_when_drained(lua_State *L) {
  ctl_client *c = check_client(L);
  if (c == NULL || c->closing || c->dropping) {
    lua_pushnil(L);
    lua_pushliteral(L, "closed");
    return 2;
  }
  c->want_drain = 1;
  /* No write to complete: the next loop turn.  1 ms, not 0: libuv 1.44
   * runs a timer due now that is started from a timer callback in the same
   * pass, so a drain handler asking again from on_drain_timer would run
   * every slice of a listing (or of a command to 100,000 drones) in one
   * loop turn. */
  if (c->writing == 0)
    uv_timer_start(&c->grace, on_drain_timer, 1, 0);
  lua_pushboolean(L, 1);
  return 1;
}

static int client_close_l(lua_State *L) {
  ctl_client *c = check_client(L);
  if (c != NULL)
    client_close(c, 0);
  return 0;
}

static int client_index(lua_State *L) {
  client_box *b = luaL_checkudata(L, 1, LSL_CONTROL_CLIENT);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "id") == 0) {
    if (b->c == NULL)
      lua_pushnil(L);
    else
      lua_pushinteger(L, b->c->id);
    return 1;
  }
  luaL_getmetatable(L, LSL_CONTROL_CLIENT);
  lua_getfield(L, -1, "methods");
  lua_getfield(L, -1, k);
  return 1;
}

/* --- the server
 * ---------------------------------------------------------------- */

static void server_closed(uv_handle_t *h) {
  free(h->data);
}

static void server_close(ctl_server *srv) {
  if (!srv->open)
    return;
  srv->open = 0;
  lsl_swarm *S = srv->S;
  for (ctl_server **p = &S->controls; *p != NULL; p = &(*p)->next)
    if (*p == srv) {
      *p = srv->next;
      break;
    }
  if (srv->box != NULL)
    srv->box->srv = NULL;
  while (srv->clients != NULL) {
    ctl_client *c = srv->clients;
    client_close(c, 0); /* unlinks c */
    c->srv = NULL;
  }
  if (!srv->is_tcp && srv->path[0] != '\0')
    unlink(srv->path);
  if (!S->finalizing)
    lsl_unref(S, srv->handlers);
  uv_close(&srv->h.handle, server_closed);
}

void lsl_control_close_all(lsl_swarm *S) {
  while (S->controls != NULL)
    server_close(S->controls);
}

static int server_close_l(lua_State *L) {
  server_box *b = luaL_checkudata(L, 1, LSL_CONTROL);
  if (b->srv != NULL)
    server_close(b->srv); /* empties b */
  return 0;
}

static int server_gc(lua_State *L) {
  server_box *b = luaL_checkudata(L, 1, LSL_CONTROL);
  if (b->srv != NULL)
    b->srv->box = NULL; /* the socket stays open until the swarm closes */
  return 0;
}

static int server_index(lua_State *L) {
  server_box *b = luaL_checkudata(L, 1, LSL_CONTROL);
  const char *k = luaL_checkstring(L, 2);
  if (strcmp(k, "address") == 0) {
    if (b->srv == NULL)
      lua_pushnil(L);
    else
      lua_pushstring(L, b->srv->address);
    return 1;
  }
  if (strcmp(k, "close") == 0) {
    lua_pushcfunction(L, server_close_l);
    return 1;
  }
  return 0;
}

/* Binds a Unix socket with mode 0600; a stale file is replaced. */
static int bind_unix(ctl_server *srv, const char *path, char *err,
                     size_t errlen) {
  if (strlen(path) >= sizeof srv->path) {
    snprintf(err, errlen, "socket path too long: %s", path);
    return -1;
  }
  struct stat st;
  if (lstat(path, &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) {
      snprintf(err, errlen, "%s exists and is not a socket", path);
      return -1;
    }
    /* Someone listening?  Then it is theirs. */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    snprintf(a.sun_path, sizeof a.sun_path, "%s", path);
    int live = fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
    if (fd >= 0)
      close(fd);
    if (live) {
      snprintf(err, errlen, "%s is in use by a running starling", path);
      return -1;
    }
    unlink(path);
  }
  mode_t old = umask(0177); /* the socket file is born 0600 */
  int rc = uv_pipe_bind(&srv->h.pipe, path);
  umask(old);
  if (rc != 0) {
    /* libuv reports a missing directory as EACCES: say which it is. */
    char dir[sizeof srv->path];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir)
      slash[1] = '\0';
    else if (slash != NULL)
      *slash = '\0';
    else
      snprintf(dir, sizeof dir, ".");
    struct stat ds;
    if (stat(dir, &ds) != 0 && errno == ENOENT)
      snprintf(err, errlen, "cannot bind %s: the directory %s does not exist",
               path, dir);
    else if (stat(dir, &ds) != 0 && errno == ENOTDIR)
      snprintf(err, errlen, "cannot bind %s: a parent of %s is not a directory",
               path, path);
    else if (stat(dir, &ds) == 0 && !S_ISDIR(ds.st_mode))
      snprintf(err, errlen, "cannot bind %s: %s is not a directory", path, dir);
    else
      snprintf(err, errlen, "cannot bind %s: %s", path, uv_strerror(rc));
    return -1;
  }
  snprintf(srv->path, sizeof srv->path, "%s", path);
  snprintf(srv->address, sizeof srv->address, "%s", path);
  return 0;
}

static int bind_tcp(ctl_server *srv, const char *hostport, char *err,
                    size_t errlen) {
  char host[64];
  const char *colon = strrchr(hostport, ':');
  if (colon == NULL || colon == hostport ||
      (size_t)(colon - hostport) >= sizeof host) {
    snprintf(err, errlen, "expected tcp://127.0.0.1:PORT, got tcp://%s",
             hostport);
    return -1;
  }
  memcpy(host, hostport, (size_t)(colon - hostport));
  host[colon - hostport] = '\0';
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end != '\0' || colon[1] == '\0' || port < 0 || port > 65535) {
    snprintf(err, errlen, "bad port '%s' (0..65535)", colon + 1);
    return -1;
  }
  if (strcmp(host, "localhost") == 0)
    snprintf(host, sizeof host, "127.0.0.1");
  if (strcmp(host, "[::1]") == 0)
    snprintf(host, sizeof host, "::1");
  struct sockaddr_storage ss;
  int rc;
  if (strcmp(host, "127.0.0.1") == 0)
    rc = uv_ip4_addr(host, (int)port, (struct sockaddr_in *)&ss);
  else if (strcmp(host, "::1") == 0)
    rc = uv_ip6_addr(host, (int)port, (struct sockaddr_in6 *)&ss);
  else {
    snprintf(err, errlen,
             "the control socket listens on loopback only (127.0.0.1, "
             "localhost or ::1), not %s",
             host);
    return -1;
  }
  if (rc == 0)
    rc = uv_tcp_bind(&srv->h.tcp, (struct sockaddr *)&ss, 0);
  if (rc != 0) {
    snprintf(err, errlen, "cannot bind tcp://%s: %s", hostport,
             uv_strerror(rc));
    return -1;
  }
  int len = sizeof ss;
  uv_tcp_getsockname(&srv->h.tcp, (struct sockaddr *)&ss, &len);
  int actual =
      ntohs(ss.ss_family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                    : ((struct sockaddr_in6 *)&ss)->sin6_port);
  snprintf(srv->address, sizeof srv->address,
           strchr(host, ':') ? "tcp://[%s]:%d" : "tcp://%s:%d", host, actual);
  return 0;
}

static int control_listen(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  const char *addr = luaL_checkstring(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  if (S->engine.clock != SL_CLOCK_REAL)
    return luaL_error(L, "control socket: the swarm runs on the virtual "
                         "clock (a control socket needs real time)");
  /* A client that goes away mid-write must not kill the process (the
   * default action of SIGPIPE): the write fails and the client is closed. */
  signal(SIGPIPE, SIG_IGN);
  ctl_server *srv = calloc(1, sizeof(*srv));
  if (srv == NULL)
    return luaL_error(L, "out of memory");
  srv->S = S;
  srv->is_tcp = strncmp(addr, "tcp://", 6) == 0;
  uv_loop_t *loop = &S->engine.loop;
  int rc = srv->is_tcp ? uv_tcp_init(loop, &srv->h.tcp)
                       : uv_pipe_init(loop, &srv->h.pipe, 0);
  if (rc != 0) {
    free(srv);
    lua_pushnil(L);
    lua_pushfstring(L, "control socket: %s", uv_strerror(rc));
    return 2;
  }
  srv->h.handle.data = srv;
  char err[512];
  rc = srv->is_tcp ? bind_tcp(srv, addr + 6, err, sizeof err)
                   : bind_unix(srv, addr, err, sizeof err);
  if (rc == 0) {
    rc = uv_listen(&srv->h.stream, SOMAXCONN, on_connection);
    if (rc != 0)
      snprintf(err, sizeof err, "cannot listen on %s: %s", addr,
               uv_strerror(rc));
  }
  if (rc != 0) {
    if (srv->path[0] != '\0')
      unlink(srv->path);
    uv_close(&srv->h.handle, server_closed);
    lua_pushnil(L);
    lua_pushfstring(L, "control socket: %s", err);
    return 2;
  }
  srv->open = 1;
  lua_pushvalue(L, 3);
  srv->handlers = lsl_ref(S, L);
  server_box *b = lua_newuserdatauv(L, sizeof(*b), 0);
  b->srv = srv;
  srv->box = b;
  srv->next = S->controls;
  S->controls = srv;
  luaL_setmetatable(L, LSL_CONTROL);
  return 1;
}

int lsl_default_control_path(lua_State *L);

/* core.control_pending(swarm) -> the bytes of output queued for the
 * swarm's control clients and not yet written. */
static int control_pending(lua_State *L) {
  lsl_swarm *S = lsl_swarm_enter(L, 1);
  lua_Integer n = 0;
  for (ctl_server *srv = S->controls; srv != NULL; srv = srv->next)
    for (ctl_client *c = srv->clients; c != NULL; c = c->next)
      n += (lua_Integer)(c->writing + c->out_len - c->out_off);
  lua_pushinteger(L, n);
  return 1;
}

void lsl_control_open(lua_State *L, int core) {
  core = lua_absindex(L, core);
  if (luaL_newmetatable(L, LSL_CONTROL)) {
    lua_pushcfunction(L, server_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, server_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  if (luaL_newmetatable(L, LSL_CONTROL_CLIENT)) {
    lua_pushcfunction(L, client_index);
    lua_setfield(L, -2, "__index");
    lua_newtable(L);
    lua_pushcfunction(L, client_send);
    lua_setfield(L, -2, "send");
    lua_pushcfunction(L, client_close_l);
    lua_setfield(L, -2, "close");
    lua_pushcfunction(L, client_when_drained);
    lua_setfield(L, -2, "when_drained");
    lua_setfield(L, -2, "methods");
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, control_listen);
  lua_setfield(L, core, "control_listen");
  lua_pushcfunction(L, control_pending);
  lua_setfield(L, core, "control_pending");
  lua_pushcfunction(L, lsl_default_control_path);
  lua_setfield(L, core, "default_control_path");
}

/* $XDG_RUNTIME_DIR/starling.sock, or /tmp/starling-UID.sock: where
 * `starling repl` listens and `starling attach` connects when no address
 * is given (engine/cli/attach.c calls this too). */
void lsl_control_default_path(char *buf, size_t n) {
  const char *dir = getenv("XDG_RUNTIME_DIR");
  if (dir != NULL && *dir != '\0')
    snprintf(buf, n, "%s/starling.sock", dir);
  else
    snprintf(buf, n, "/tmp/starling-%d.sock", (int)getuid());
}

/* core.default_control_path() */
int lsl_default_control_path(lua_State *L) {
  char buf[1024];
  lsl_control_default_path(buf, sizeof buf);
  lua_pushstring(L, buf);
  return 1;
}
