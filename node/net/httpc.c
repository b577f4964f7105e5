/* httpc.c -- the HTTP client (see httpc.h): a curl multi handle whose
 * sockets and timer live in our loop.
 *
 * curl says which sockets to watch (on_curl_socket) and when to wake it
 * (on_curl_timer); the loop reports readiness back through
 * curl_multi_socket_action(), after which finished transfers are collected
 * and their callbacks run. Finished requests go to a small idle list so
 * their easy handles and body buffers serve again. */
#include "net/httpc.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "loop.h"

#define HTTPC_MAX_RESPONSE (64u << 20)
#define HTTPC_MAX_HOST_CONNECTIONS 32L
/* Idle connections kept open for reuse. curl's default, 4 per request in
 * flight, shrinks as requests end: a leader with two in flight then
 * closed the connections to its acceptors and learners and opened them
 * again, dozens of times a second. */
#define HTTPC_MAX_IDLE_CONNECTIONS 256L
#define HTTPC_CONNECT_TIMEOUT_MS 1000L
#define HTTPC_IDLE_MAX 64               /* requests kept for reuse */
#define HTTPC_IDLE_BODY_MAX (1u << 20)  /* larger buffers are not kept */

struct request {
    CURL *easy;
    struct curl_slist *headers;     /* own list, or NULL for the defaults */
    char *body;                     /* the response, NUL-terminated */
    size_t body_len, body_cap;
    bool too_large;
    httpc_done_fn fn;
    void *ud;
    char error[CURL_ERROR_SIZE];
    struct request *prev, *next;    /* in client->active or client->idle */
};

struct httpc {
    struct loop *loop;
    CURLM *multi;
    struct curl_slist *default_headers;
    uint64_t timer_id;              /* 0 when curl wants no wake-up */
    struct request *active;
    size_t in_flight;
    struct request *idle;
    size_t idle_len;
    bool closing;                   /* httpc_free has begun */
};

int httpc_add_header(struct httpc *c, const char *line)
{
    struct curl_slist *grown = curl_slist_append(c->default_headers, line);

    if (!grown)
        return -1;
    c->default_headers = grown;
    return 0;
}

size_t httpc_in_flight(const struct httpc *c)
{
    return c->in_flight;
}

/* ---- request objects ---- */

static void destroy_request(struct request *r)
{
    curl_easy_cleanup(r->easy);
    curl_slist_free_all(r->headers);
    free(r->body);
    free(r);
}

static struct request *take_request(struct httpc *c)
{
    struct request *r = c->idle;

    if (r) {
        c->idle = r->next;
        c->idle_len--;
        return r;
    }
    r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->easy = curl_easy_init();
    if (!r->easy) {
        free(r);
        return NULL;
    }
    return r;
}

/* Back to the idle list with its options cleared, or destroyed. */
static void release_request(struct httpc *c, struct request *r)
{
    curl_slist_free_all(r->headers);
    r->headers = NULL;
    if (c->idle_len >= HTTPC_IDLE_MAX) {
        destroy_request(r);
        return;
    }
    curl_easy_reset(r->easy);
    if (r->body_cap > HTTPC_IDLE_BODY_MAX) {
        free(r->body);
        r->body = NULL;
        r->body_cap = 0;
    }
    r->next = c->idle;
    c->idle = r;
    c->idle_len++;
}

static void unlink_active(struct httpc *c, struct request *r)
{
    if (r->prev)
        r->prev->next = r->next;
    else
        c->active = r->next;
    if (r->next)
        r->next->prev = r->prev;
    r->prev = r->next = NULL;
    c->in_flight--;
}

static size_t on_response_data(char *data, size_t size, size_t nmemb,
                               void *ud)
{
    struct request *r = ud;
    size_t len = size * nmemb;

    if (len > HTTPC_MAX_RESPONSE - r->body_len) {
        r->too_large = true;
        return 0;   /* aborts the transfer */
    }
    if (r->body_len + len + 1 > r->body_cap) {
        size_t cap = r->body_cap ? r->body_cap : 4096;
        while (cap < r->body_len + len + 1)
            cap *= 2;
        char *grown = realloc(r->body, cap);
        if (!grown)
            return 0;
        r->body = grown;
        r->body_cap = cap;
    }
    memcpy(r->body + r->body_len, data, len);
    r->body_len += len;
    r->body[r->body_len] = '\0';
    return len;
}

/* ---- finishing transfers ---- */

static void report(struct request *r, CURLcode result)
{
    long status = 0;
    const char *err = NULL;

    if (r->too_large)
        err = "response too large";
    else if (result != CURLE_OK)
        err = r->error[0] ? r->error : curl_easy_strerror(result);
    else
        curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);

    if (err)
        r->fn(r->ud, 0, "", 0, err);
    else
        r->fn(r->ud, (int)status, r->body ? r->body : "", r->body_len, NULL);
}

/* Runs the callback of every finished transfer. A callback may start new
 * requests: its own is already out of the multi handle. */
static void collect_finished(struct httpc *c)
{
    CURLMsg *msg;
    int queued;

    while ((msg = curl_multi_info_read(c->multi, &queued))) {
        if (msg->msg != CURLMSG_DONE)
            continue;
        CURL *easy = msg->easy_handle;
        CURLcode result = msg->data.result;    /* msg dies on removal */
        void *priv = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
        struct request *r = priv;

        curl_multi_remove_handle(c->multi, easy);
        unlink_active(c, r);
        report(r, result);
        release_request(c, r);
    }
}

/* ---- curl driven by the loop ---- */

static void on_socket_ready(struct loop *l, int fd, int events, void *ud)
{
    struct httpc *c = ud;
    int running;
    int flags = ((events & LOOP_READ) ? CURL_CSELECT_IN : 0) |
                ((events & LOOP_WRITE) ? CURL_CSELECT_OUT : 0);

    curl_multi_socket_action(c->multi, fd, flags, &running);
    collect_finished(c);
}

static void on_timeout(struct loop *l, void *ud)
{
    struct httpc *c = ud;
    int running;

    c->timer_id = 0;
    curl_multi_socket_action(c->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    collect_finished(c);
}

static int on_curl_socket(CURL *easy, curl_socket_t fd, int what,
                          void *userp, void *socketp)
{
    struct httpc *c = userp;
    int events = ((what & CURL_POLL_IN) ? LOOP_READ : 0) |
                 ((what & CURL_POLL_OUT) ? LOOP_WRITE : 0);

    if (what == CURL_POLL_REMOVE) {
        loop_unwatch(c->loop, fd);
        return 0;
    }
    return loop_watch(c->loop, fd, events, on_socket_ready, c);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp)
{
    struct httpc *c = userp;

    if (c->timer_id)
        loop_cancel(c->loop, c->timer_id);
    c->timer_id = 0;
    if (timeout_ms < 0)
        return 0;
    c->timer_id = loop_timer(c->loop, timeout_ms, on_timeout, c);
    return c->timer_id ? 0 : -1;
}

/* ---- public ---- */

struct httpc *httpc_new(struct loop *l)
{
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return NULL;

    struct httpc *c = calloc(1, sizeof *c);
    if (!c) {
        curl_global_cleanup();
        return NULL;
    }
    c->loop = l;
    c->multi = curl_multi_init();
    if (!c->multi)
        goto fail;
    c->default_headers =
        curl_slist_append(NULL, "Content-Type: application/json");
    /* "Expect:" with no value stops curl waiting for 100 Continue. */
    if (!c->default_headers ||
        !curl_slist_append(c->default_headers, "Expect:"))
        goto fail;
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETFUNCTION, on_curl_socket);
    curl_multi_setopt(c->multi, CURLMOPT_SOCKETDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
    curl_multi_setopt(c->multi, CURLMOPT_TIMERDATA, c);
    curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                      HTTPC_MAX_HOST_CONNECTIONS);
    curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
                      HTTPC_MAX_IDLE_CONNECTIONS);
    return c;
fail:
    httpc_free(c);
    return NULL;
}

/* Outstanding requests end with status 0, "shutting down", so their
 * owners can free what they hold; requests started from those callbacks
 * are refused. Not to be called from a done callback, and before
 * loop_free(): curl still unwatches its sockets here. */
void httpc_free(struct httpc *c)
{
    if (!c)
        return;
    c->closing = true;
    while (c->active) {
        struct request *r = c->active;
        curl_multi_remove_handle(c->multi, r->easy);
        unlink_active(c, r);
        r->fn(r->ud, 0, "", 0, "shutting down");
        destroy_request(r);
    }
    while (c->idle) {
        struct request *r = c->idle;
        c->idle = r->next;
        destroy_request(r);
    }
    curl_multi_cleanup(c->multi);   /* may still unwatch sockets */
    if (c->timer_id)
        loop_cancel(c->loop, c->timer_id);
    curl_slist_free_all(c->default_headers);
    free(c);
    curl_global_cleanup();
}

/* True when some line of extra has the header name that line starts with. */
static bool header_given(const char *const *extra, const char *line)
{
    size_t name_len = strcspn(line, ":") + 1;   /* with the colon */

    for (; *extra; extra++)
        if (strncasecmp(*extra, line, name_len) == 0)
            return true;
    return false;
}

static int append_header(struct curl_slist **list, const char *line)
{
    struct curl_slist *grown = curl_slist_append(*list, line);

    if (!grown)
        return -1;
    *list = grown;
    return 0;
}

/* The caller's headers, then the defaults the caller did not replace; NULL
 * when out of memory. */
static struct curl_slist *header_list(const struct curl_slist *defaults,
                                      const char *const *extra)
{
    struct curl_slist *list = NULL;

    for (const char *const *h = extra; *h; h++)
        if (append_header(&list, *h) < 0)
            goto fail;
    for (const struct curl_slist *d = defaults; d; d = d->next)
        if (!header_given(extra, d->data) && append_header(&list, d->data) < 0)
            goto fail;
    return list;
fail:
    curl_slist_free_all(list);
    return NULL;
}

int httpc_request(struct httpc *c, const char *method, const char *url,
                  const char *body, size_t len, const char *const *headers,
                  long timeout_ms, httpc_done_fn fn, void *ud)
{
    struct request *r = c->closing ? NULL : take_request(c);

    if (!r)
        return -1;
    r->fn = fn;
    r->ud = ud;
    r->body_len = 0;
    r->too_large = false;
    r->error[0] = '\0';
    if (headers && *headers && !(r->headers = header_list(c->default_headers,
                                                          headers)))
        goto fail;

    CURL *easy = r->easy;
    long connect_ms = timeout_ms > 0 && timeout_ms < HTTPC_CONNECT_TIMEOUT_MS
                          ? timeout_ms
                          : HTTPC_CONNECT_TIMEOUT_MS;
    curl_easy_setopt(easy, CURLOPT_PRIVATE, r);
    curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, r->error);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_response_data);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TCP_NODELAY, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                     timeout_ms > 0 ? timeout_ms : 0L);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(easy, CURLOPT_HTTPHEADER,
                     r->headers ? r->headers : c->default_headers);
    if (curl_easy_setopt(easy, CURLOPT_URL, url) != CURLE_OK)
        goto fail;

    /* curl sends POST when there are post fields, GET otherwise; any other
     * method replaces the verb. */
    bool post = body || (method && strcmp(method, "POST") == 0);
    if (post) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE,
                         (curl_off_t)(body ? len : 0));
        if (curl_easy_setopt(easy, CURLOPT_COPYPOSTFIELDS,
                             body ? body : "") != CURLE_OK)
            goto fail;
    }
    if (method && strcmp(method, post ? "POST" : "GET") != 0 &&
        curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, method) != CURLE_OK)
        goto fail;

    if (curl_multi_add_handle(c->multi, easy) != CURLM_OK)
        goto fail;
    r->prev = NULL;
    r->next = c->active;
    if (c->active)
        c->active->prev = r;
    c->active = r;
    c->in_flight++;
    return 0;
fail:
    release_request(c, r);
    return -1;
}
