/* main.c -- paxos-top: options, finding the nodes, building the app (the
 * loop, the HTTP client, the model and the poller), then one of three
 * modes: scripted writes (--write, --script), the plain-text monitor
 * (--monitor, --json), or the interactive dashboard. Bad input is one
 * line on stderr and exit status 2. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "array.h"
#include "endpoints.h"
#include "fetch.h"
#include "loop.h"
#include "model.h"
#include "poller.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

#define EXIT_USAGE 2
#define INTERVAL_MIN_S 0.1
#define INTERVAL_MAX_S 3600.0
#define DEFAULT_NAMESPACE "paxos"

/* What the command line says beyond the app's options. */
struct cli {
    struct app_options opt;
    size_t writes_cap;          /* room in opt.writes */
    const char *endpoints, *run_dir, *namespace, *node_ip, *token;
    bool k8s, port_forward;
    bool done;                  /* --help or --version: exit 0 */
    char endpoints_file[4096];  /* the run directory's, when watched */
};

static int usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("paxos-top: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs(" (see paxos-top --help)\n", stderr);
    return -1;
}

static void print_help(void)
{
    puts("Usage: paxos-top [OPTION]...\n"
"A live view of a paxosd cluster: every node's /status, polled in parallel.\n"
"\n"
"Where the nodes are (one of):\n"
"  --endpoints NAME=HOST:PORT,...  the nodes, listed\n"
"  --run-dir DIR       the local cluster's run directory (DIR/endpoints);\n"
"                      default $PAXOS_RUN_DIR, else ./run\n"
"  --k8s               the NodePort services NAME-external of a namespace\n"
"    --node-ip IP      the Kubernetes node's address (default: minikube ip)\n"
"  --port-forward      kubectl port-forward to each node service\n"
"  --namespace NS      the namespace for --k8s and --port-forward (paxos)\n"
"\n"
"Polling:\n"
"  --interval SECONDS  time between polls (default 1, at least 0.1)\n"
"  --duration SECONDS  stop after this long (default 0: until Ctrl-C)\n"
"  -n N                the dashboard (and the monitor) stop after N polls\n"
"\n"
"Modes (the interactive dashboard unless one of these is given):\n"
"  --monitor           print a plain-text table per poll (no terminal needed)\n"
"  --json              with --monitor: one JSON object per poll, one a line\n"
"  --write VALUE       write VALUE through a client (repeatable), then exit\n"
"  --script FILE       run FILE's commands: write V, direct-write V, read,\n"
"                      sleep S, wait-leader [S], expect-values N [S],\n"
"                      expect-leader NAME [S] (one a line, # comments)\n"
"  --client NAME       the client that takes writes (default: the first)\n"
"  --proposer NAME     the proposer for direct writes (default: the leader)\n"
"  --readonly          the dashboard offers no writes\n"
"  --no-color          no colours (also when NO_COLOR is set)\n"
"  --token TOKEN       the cluster's client token, when it has one (also\n"
"                      PAXOS_CLIENT_TOKEN): sent as Authorization: Bearer\n"
"\n"
"  --version           print the version and exit\n"
"  -h, --help          print this help and exit\n"
"\n"
"Exit status: 0 ok; 1 a script step failed, or the monitored cluster had no\n"
"leader or no quorum during the whole run; 2 bad usage.");
}

/* ---- option values ---- */

static int parse_interval(const char *text, int *ms)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v) || v < INTERVAL_MIN_S ||
        v > INTERVAL_MAX_S)
        return usage_error("--interval '%s': give seconds from %g to %g",
                           text, INTERVAL_MIN_S, INTERVAL_MAX_S);
    *ms = (int)lround(v * 1000);
    return 0;
}

/* A whole number from 0 (or 1 when positive) to INT32_MAX. */
static int parse_count(const char *option, const char *text, bool positive,
                       int *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < (positive ? 1 : 0) || v > INT32_MAX)
        return usage_error("%s '%s': give a whole number%s", option, text,
                           positive ? " above 0" : "");
    *out = (int)v;
    return 0;
}

static int add_write(struct cli *cli, const char *value)
{
    if (array_reserve(&cli->opt.writes, &cli->writes_cap,
                      cli->opt.n_writes + 1) < 0)
        return usage_error("out of memory");
    cli->opt.writes[cli->opt.n_writes++] = value;
    return 0;
}

enum {
    OPT_ENDPOINTS = 256, OPT_RUN_DIR, OPT_K8S, OPT_PORT_FORWARD, OPT_NAMESPACE,
    OPT_NODE_IP, OPT_INTERVAL, OPT_DURATION, OPT_MONITOR, OPT_JSON, OPT_WRITE,
    OPT_SCRIPT, OPT_CLIENT, OPT_PROPOSER, OPT_READONLY, OPT_NO_COLOR,
    OPT_TOKEN, OPT_VERSION,
};

static const struct option OPTIONS[] = {
    { "endpoints", required_argument, NULL, OPT_ENDPOINTS },
    { "run-dir", required_argument, NULL, OPT_RUN_DIR },
    { "k8s", no_argument, NULL, OPT_K8S },
    { "port-forward", no_argument, NULL, OPT_PORT_FORWARD },
    { "namespace", required_argument, NULL, OPT_NAMESPACE },
    { "node-ip", required_argument, NULL, OPT_NODE_IP },
    { "interval", required_argument, NULL, OPT_INTERVAL },
    { "duration", required_argument, NULL, OPT_DURATION },
    { "monitor", no_argument, NULL, OPT_MONITOR },
    { "json", no_argument, NULL, OPT_JSON },
    { "write", required_argument, NULL, OPT_WRITE },
    { "script", required_argument, NULL, OPT_SCRIPT },
    { "client", required_argument, NULL, OPT_CLIENT },
    { "proposer", required_argument, NULL, OPT_PROPOSER },
    { "readonly", no_argument, NULL, OPT_READONLY },
    { "no-color", no_argument, NULL, OPT_NO_COLOR },
    { "token", required_argument, NULL, OPT_TOKEN },
    { "version", no_argument, NULL, OPT_VERSION },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

/* One option; -1 after printing why it is wrong. */
static int apply_option(struct cli *cli, int c, const char *arg)
{
    struct app_options *o = &cli->opt;

    switch (c) {
    case OPT_ENDPOINTS: cli->endpoints = arg; return 0;
    case OPT_RUN_DIR: cli->run_dir = arg; return 0;
    case OPT_K8S: cli->k8s = true; return 0;
    case OPT_PORT_FORWARD: cli->port_forward = true; return 0;
    case OPT_NAMESPACE: cli->namespace = arg; return 0;
    case OPT_NODE_IP: cli->node_ip = arg; return 0;
    case OPT_INTERVAL: return parse_interval(arg, &o->interval_ms);
    case OPT_DURATION: return parse_count("--duration", arg, false,
                                          &o->duration_s);
    case 'n': return parse_count("-n", arg, true, &o->iterations);
    case OPT_MONITOR: o->monitor = true; return 0;
    case OPT_JSON: o->json = o->monitor = true; return 0;
    case OPT_WRITE: return add_write(cli, arg);
    case OPT_SCRIPT: o->script = arg; return 0;
    case OPT_CLIENT: o->client = arg; return 0;
    case OPT_PROPOSER: o->proposer = arg; return 0;
    case OPT_READONLY: o->readonly = true; return 0;
    case OPT_NO_COLOR: o->color = false; return 0;
    case OPT_TOKEN: cli->token = arg; return 0;
    case OPT_VERSION: printf("paxos-top %s\n", PACKAGE_VERSION);
        cli->done = true; return 0;
    case 'h': print_help(); cli->done = true; return 0;
    default: return -1;
    }
}

/* Options that cannot go together. */
static int check_combinations(const struct cli *cli)
{
    int sources = !!cli->endpoints + !!cli->run_dir + cli->k8s +
                  cli->port_forward;
    bool scripted = cli->opt.n_writes > 0 || cli->opt.script;

    if (sources > 1)
        return usage_error("give only one of --endpoints, --run-dir, --k8s "
                           "and --port-forward");
    if (cli->namespace && !cli->k8s && !cli->port_forward)
        return usage_error("--namespace goes with --k8s or --port-forward");
    if (cli->node_ip && !cli->k8s)
        return usage_error("--node-ip goes with --k8s");
    if (scripted && cli->opt.monitor)
        return usage_error("--write/--script and --monitor/--json are "
                           "separate modes: give one");
    if (scripted && cli->opt.readonly)
        return usage_error("--readonly forbids --write and --script");
    return 0;
}

static int parse_cli(int argc, char **argv, struct cli *cli)
{
    const char *no_color = getenv("NO_COLOR");
    int c;

    cli->opt.interval_ms = 1000;
    cli->opt.color = !(no_color && no_color[0]);
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hn:", OPTIONS, NULL)) != -1) {
        const char *given = argv[optind - 1];
        if (c == '?')
            return usage_error("unknown option '%s'", optopt && optopt < 256
                               ? (char[]){ '-', (char)optopt, 0 } : given);
        if (c == ':')
            return usage_error("option '%s' needs a value", given);
        if (apply_option(cli, c, optarg) != 0)
            return -1;
        if (cli->done)
            return 0;
    }
    if (optind < argc)
        return usage_error("unexpected argument '%s'", argv[optind]);
    return check_combinations(cli);
}

/* ---- the nodes ---- */

/* The nodes of the local cluster's endpoints file, read again later (a
 * spare acceptor started since is watched then). */
static int from_run_dir(struct cli *cli, struct endpoint *eps)
{
    const char *dir = cli->run_dir ? cli->run_dir : getenv("PAXOS_RUN_DIR");
    char *path = cli->endpoints_file, err[512];
    size_t size = sizeof cli->endpoints_file;
    int n;

    if (!dir || !dir[0])
        dir = "./run";
    if ((size_t)snprintf(path, size, "%s/endpoints", dir) >= size) {
        fprintf(stderr, "paxos-top: the run directory's path is too long\n");
        return -1;
    }
    cli->opt.endpoints_file = path;
    if (access(path, F_OK) != 0) {
        fprintf(stderr, "paxos-top: no nodes to watch (no %s): start the "
                "local cluster with scripts/paxos-local.sh up, or give "
                "--endpoints / --k8s\n", path);
        return -1;
    }
    if ((n = endpoints_from_file(path, eps, ENDPOINTS_MAX, err, sizeof err)) < 0)
        fprintf(stderr, "paxos-top: %s\n", err);
    return n;
}

/* Fills eps; returns the count, or -1 after saying why. */
static int find_nodes(struct cli *cli, struct endpoint *eps,
                      struct port_forwards **pf)
{
    const char *ns = cli->namespace ? cli->namespace : DEFAULT_NAMESPACE;
    char err[512];
    int n = -1;

    if (cli->endpoints)
        n = endpoints_parse(cli->endpoints, eps, ENDPOINTS_MAX, err, sizeof err);
    else if (cli->k8s)
        n = endpoints_from_k8s(ns, cli->node_ip, eps, ENDPOINTS_MAX, err,
                               sizeof err);
    else if (cli->port_forward)
        *pf = endpoints_port_forward(ns, eps, ENDPOINTS_MAX, &n, err,
                                     sizeof err);
    else
        return from_run_dir(cli, eps);
    if (n < 0 || (cli->port_forward && !*pf)) {
        fprintf(stderr, "paxos-top: %s\n", err);
        return -1;
    }
    return n;
}

/* --client and --proposer name nodes of those roles. */
static int check_target(const struct model *m, const char *option,
                        const char *name, const char *role)
{
    if (!name)
        return 0;
    for (size_t i = 0; i < m->n_nodes; i++) {
        const char *has = model_node_role(&m->nodes[i]);
        if (strcmp(m->nodes[i].ep.name, name) != 0)
            continue;
        if (has[0] && strcmp(has, role) != 0)
            return usage_error("%s %s: that node is a %s, not a %s", option,
                               name, has, role);
        return 0;
    }
    return usage_error("%s %s: no such node among the %zu watched", option,
                       name, m->n_nodes);
}

/* ---- running ---- */

static int run_mode(struct app *app)
{
    if (app->opt.n_writes > 0 || app->opt.script)
        return script_run(app);
    if (app->opt.monitor)
        return monitor_run(app);
    return ui_run(app);
}

/* The loop, the HTTP client, the model of the nodes and the poller; -1
 * after saying why not. */
static int build_app(struct app *app, const struct cli *cli,
                     const struct endpoint *eps, size_t n)
{
    const char *token = cli->token ? cli->token : getenv("PAXOS_CLIENT_TOKEN");
    char bearer[320];

    app->opt = cli->opt;
    snprintf(bearer, sizeof bearer, "Authorization: Bearer %s", token ? token : "");
    if (model_init(&app->model, eps, n) != 0 || !(app->loop = loop_new()) ||
        !(app->fetch = fetch_new(app->loop)) ||
        (token && *token && fetch_add_header(app->fetch, bearer) != 0) ||
        !(app->poller = poller_start(app, NULL, NULL))) {
        fprintf(stderr, "paxos-top: cannot start: out of memory or file "
                "descriptors\n");
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct cli cli = { 0 };
    struct app app = { 0 };
    struct port_forwards *pf = NULL;
    struct endpoint *eps = calloc(ENDPOINTS_MAX, sizeof *eps);
    int rc = EXIT_USAGE, n;

    if (!eps || parse_cli(argc, argv, &cli) != 0)
        goto cleanup;
    if (cli.done) {
        rc = 0;
        goto cleanup;
    }
    if ((n = find_nodes(&cli, eps, &pf)) < 0)
        goto cleanup;
    if (n == 0) {
        fprintf(stderr, "paxos-top: no nodes to watch: start the local "
                "cluster with scripts/paxos-local.sh up, or give --endpoints "
                "/ --k8s\n");
        goto cleanup;
    }
    if (build_app(&app, &cli, eps, (size_t)n) != 0) {
        rc = 1;
        goto cleanup;
    }
    if (check_target(&app.model, "--client", app.opt.client, "client") != 0 ||
        check_target(&app.model, "--proposer", app.opt.proposer, "proposer") != 0)
        goto cleanup;
    rc = run_mode(&app);
cleanup:
    poller_stop(app.poller);    /* ends its requests and frees the client */
    fetch_free(app.fetch);      /* when there was no poller */
    if (app.loop)
        loop_free(app.loop);
    model_free(&app.model);
    port_forwards_stop(pf);
    free(cli.opt.writes);
    free(eps);
    return rc;
}
