/* page.c -- serves the client node's web page: the files of node/page/,
 * embedded by scripts/embed.sh, each at "/" + its name, and index.html at
 * "/" as well.
 *
 * Every file is sent with "Cache-Control: no-cache" and an ETag: a browser
 * keeps its copy but asks each time, and gets 304 with no body while the
 * file is unchanged, so a new paxosd never runs with an old script. */
#include "page.h"

#include <stdlib.h>
#include <string.h>

#include "net/peer.h"

/* If-None-Match holds "*" or a list of ETags, maybe weak (W/"..."). */
static int page_etag_matches(const char *if_none_match, const char *etag)
{
    return strcmp(if_none_match, "*") == 0 || strstr(if_none_match, etag);
}

static void page_on_get(struct http_request *req, void *ud)
{
    const struct page_asset *a = ud;
    const char *if_none_match = httpd_header(req, "If-None-Match");
    char *body;

    if (if_none_match && page_etag_matches(if_none_match, a->etag)) {
        httpd_reply_typed(req, 304, NULL, 0, a->content_type);
    } else {
        body = malloc(a->len + 1);
        if (!body) {
            httpd_reply_error(req, 503, "out of memory");
            return;
        }
        memcpy(body, a->data, a->len + 1);
        httpd_reply_typed(req, 200, body, a->len, a->content_type);
    }
    httpd_reply_header(req, "Cache-Control", "no-cache");
    httpd_reply_header(req, "ETag", a->etag);
}

int page_route(struct peer *p)
{
    for (size_t i = 0; i < page_assets_count; i++) {
        const struct page_asset *a = &page_assets[i];
        if (peer_route(p, "GET", a->path, ROUTE_OPEN, page_on_get, (void *)a) < 0 ||
            (strcmp(a->path, "/index.html") == 0 &&
             peer_route(p, "GET", "/", ROUTE_OPEN, page_on_get, (void *)a) < 0))
            return -1;
    }
    return 0;
}
