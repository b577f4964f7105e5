/* test_fetch.c -- paxos-top's HTTP client: parsing answers, and requests
 * against a real listening socket on the event loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fetch.h"
#include "loop.h"

/* Parses text (copied: parsing writes into the buffer). */
static int parse(const char *text, int *status, char *body_out, size_t size,
                 const char **err)
{
    char buf[512];
    char *body;
    size_t body_len;
    int rc;

    snprintf(buf, sizeof buf, "%s", text);
    rc = fetch_parse_response(buf, strlen(buf), status, &body, &body_len, err);
    if (rc == 0)
        snprintf(body_out, size, "%.*s", (int)body_len, body);
    return rc;
}

static void test_parse_content_length_and_chunked(void **state)
{
    char body[64];
    const char *err = NULL;
    int status = 0;

    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
                           &status, body, sizeof body, &err), 0);
    assert_int_equal(status, 200);
    assert_string_equal(body, "hello");
    assert_int_equal(parse("HTTP/1.1 404 Not Found\r\ncontent-length: 2\r\n"
                           "\r\n{}", &status, body, sizeof body, &err), 0);
    assert_int_equal(status, 404);
    assert_string_equal(body, "{}");
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                           "\r\n3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n",
                           &status, body, sizeof body, &err), 0);
    assert_string_equal(body, "abcdefg");
    assert_int_equal(parse("HTTP/1.0 200 OK\r\n\r\nuntil the end",
                           &status, body, sizeof body, &err), 0);
    assert_string_equal(body, "until the end");
}

static void test_parse_refuses_what_is_not_a_whole_answer(void **state)
{
    char body[64];
    const char *err = NULL;
    int status = 0;

    assert_int_equal(parse("", &status, body, sizeof body, &err), -1);
    assert_string_equal(err, "no answer");
    assert_int_equal(parse("SSH-2.0-OpenSSH_9.2\r\n\r\n", &status, body,
                           sizeof body, &err), -1);
    assert_string_equal(err, "not an HTTP answer");
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort",
                           &status, body, sizeof body, &err), -1);
    assert_string_equal(err, "the answer was cut off");
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nContent-Le", &status, body,
                           sizeof body, &err), -1);
    assert_int_equal(parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                           "\r\n9\r\nabc", &status, body, sizeof body, &err), -1);
}

struct outcome {
    struct loop *loop;
    int calls, status;
    char body[128], err[128];
};

static void on_done(void *ud, int status, const char *body, size_t len,
                    const char *err)
{
    struct outcome *o = ud;

    o->calls++;
    o->status = status;
    snprintf(o->body, sizeof o->body, "%.*s", (int)len, body);
    snprintf(o->err, sizeof o->err, "%s", err ? err : "");
    loop_stop(o->loop);
}

/* A one-shot server on a free loopback port; returns its socket. */
static int listen_any(uint16_t *port)
{
    struct sockaddr_in a = { .sin_family = AF_INET,
                             .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 4), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

/* The server's side of one connection: reads the whole request (the
 * client writes it from the same loop), then answers and closes. */
struct served {
    char request[1024];
    size_t len;
    int done;
};

static void on_client(struct loop *l, int fd, int events, void *ud)
{
    static const char answer[] = "HTTP/1.1 201 Created\r\nContent-Length: 6"
                                 "\r\nConnection: close\r\n\r\ncreate";
    struct served *s = ud;
    ssize_t n = recv(fd, s->request + s->len, sizeof s->request - 1 - s->len, 0);

    (void)events;
    assert_true(n > 0);
    s->len += (size_t)n;
    s->request[s->len] = '\0';
    if (!strstr(s->request, "{\"value\":\"v\"}"))
        return;
    /* the request line, the extra header and the body all arrived */
    assert_non_null(strstr(s->request, "POST /send HTTP/1.1\r\n"));
    assert_non_null(strstr(s->request, "Authorization: Bearer t\r\n"));
    assert_int_equal(send(fd, answer, sizeof answer - 1, 0),
                     (ssize_t)sizeof answer - 1);
    loop_unwatch(l, fd);
    close(fd);
    s->done = 1;
}

static void on_accept(struct loop *l, int fd, int events, void *ud)
{
    int c = accept(fd, NULL, NULL);

    (void)events;
    assert_true(c >= 0);
    assert_int_equal(loop_watch(l, c, LOOP_READ, on_client, ud), 0);
}

static void test_request_round_trip_and_refused(void **state)
{
    struct loop *l = loop_new();
    struct fetch *f = fetch_new(l);
    struct outcome o = { .loop = l };
    uint16_t port;
    int server = listen_any(&port);
    struct served served = { .len = 0 };
    char url[64];

    assert_int_equal(fetch_add_header(f, "Authorization: Bearer t"), 0);
    assert_int_equal(loop_watch(l, server, LOOP_READ, on_accept, &served), 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%u/send", (unsigned)port);
    assert_int_equal(fetch_request(f, "POST", url, "{\"value\":\"v\"}", 13,
                                   2000, on_done, &o), 0);
    assert_int_equal(o.calls, 0);           /* never from inside the call */
    loop_run(l);
    assert_int_equal(served.done, 1);
    assert_int_equal(o.calls, 1);
    assert_int_equal(o.status, 201);
    assert_string_equal(o.body, "create");
    assert_string_equal(o.err, "");

    loop_unwatch(l, server);
    close(server);                          /* nothing listens there now */
    assert_int_equal(fetch_request(f, "GET", url, NULL, 0, 2000, on_done, &o), 0);
    loop_run(l);
    assert_int_equal(o.calls, 2);
    assert_int_equal(o.status, 0);
    assert_non_null(strcasestr(o.err, "refused"));

    assert_int_equal(fetch_request(f, "GET", "https://x/", NULL, 0, 2000,
                                   on_done, &o), -1);
    assert_int_equal(fetch_request(f, "GET", url, NULL, 0, 2000, on_done, &o), 0);
    fetch_free(f);                          /* ends it: told once */
    assert_int_equal(o.calls, 3);
    assert_string_equal(o.err, "shutting down");
    loop_free(l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_content_length_and_chunked),
        cmocka_unit_test(test_parse_refuses_what_is_not_a_whole_answer),
        cmocka_unit_test(test_request_round_trip_and_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
