/* page.h -- the client node's web page (node/page/): its files, embedded
 * in paxosd at build time by scripts/embed.sh, and the routes that serve
 * them. */
#ifndef PAXOS_PAGE_H
#define PAXOS_PAGE_H

#include <stddef.h>

struct peer;

struct page_asset {
    const char *path;               /* "/app.js": "/" + the file's name */
    const char *content_type;
    const char *etag;               /* quoted, from the file's checksum */
    const unsigned char *data;      /* len bytes, then a NUL */
    size_t len;
};

/* In page_assets.c, generated from node/page/ (see Makefile.am). */
extern const struct page_asset page_assets[];
extern const size_t page_assets_count;

/* Routes GET for every file at its path, and index.html at "/" too, open
 * to anyone (the page then asks for the client token if the node wants
 * one). Returns 0, or -1 when a route cannot be added. */
int page_route(struct peer *p);

#endif
