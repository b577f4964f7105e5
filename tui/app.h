/* app.h -- what paxos-top's parts share: the options, the event loop, the
 * HTTP client, the model and the poller. main.c builds it; the
 * interactive dashboard (ui.c), the monitor (monitor.c) and scripted
 * writes (script.c) run on it. */
#ifndef PAXOS_TOP_APP_H
#define PAXOS_TOP_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "model.h"

struct loop;
struct fetch;
struct poller;

struct app_options {
    int interval_ms;            /* --interval (seconds on the command line) */
    int duration_s;             /* --duration, 0 = until stopped */
    bool monitor, json;         /* --monitor, --json */
    bool readonly;              /* --readonly */
    bool color;                 /* false with --no-color or NO_COLOR */
    int iterations;             /* -n: interactive mode exits after n polls */
    const char *script;         /* --script FILE */
    const char **writes;        /* --write VALUE ... */
    size_t n_writes;
    const char *client;         /* node that takes writes; NULL = first client */
    const char *proposer;       /* node for direct writes and changes of
                                   the acceptor set; NULL = the leader */
    const char *endpoints_file; /* the local cluster's run/endpoints, read
                                   again when it changes; NULL: the nodes
                                   found at start are all */
};

struct app {
    struct app_options opt;
    struct loop *loop;
    struct fetch *fetch;
    struct model model;
    struct poller *poller;
};

/* The interactive dashboard. Returns the process exit code. */
int ui_run(struct app *app);
/* --monitor: a plain table (or JSON) per interval. Returns the exit code:
 * non-zero when the cluster had no leader or no quorum the whole run. */
int monitor_run(struct app *app);
/* --write and --script: each command's result printed; stops with a
 * non-zero exit at the first failure. */
int script_run(struct app *app);

#endif
