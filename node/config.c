/* config.c -- a node's settings from flags, the environment and SEED_NODES
 * (see config.h).
 *
 * config_load() first takes each setting's text from its flag, else its
 * environment variable (an empty variable counts as unset), else its
 * default. It then checks and converts them in the order they depend on
 * each other: who this node is, the cluster (SEED_NODES plus this node),
 * the acceptor set, then the rest. Every failure prints one line and
 * returns 2. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "log.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "0.1.0"
#endif

#define ID_MAX 2147483647LL
#define SEED_ITEM_MAX (CLUSTER_HOST_MAX + 64)   /* "id:role:host:port" */

/* "an acceptor", "a proposer" */
static const char *role_article(enum role r)
{
    return strchr("aeiou", role_name(r)[0]) ? "an" : "a";
}

/* ---- small parsers shared by SEED_NODES, ACCEPTOR_IDS and the numbers ---- */

/* A plain decimal in min..max: no sign, no spaces, nothing after it. */
static bool parse_number(const char *text, long long min, long long max, long long *out)
{
    char *end;
    long long v;

    if (!isdigit((unsigned char)text[0]))
        return false;
    errno = 0;
    v = strtoll(text, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* A DNS name or an IPv4 address: letters, digits, '.', '-' and '_'. */
static bool valid_host(const char *host)
{
    if (host[0] == '\0' || strlen(host) >= CLUSTER_HOST_MAX)
        return false;
    for (const char *p = host; *p; p++) {
        if (!isalnum((unsigned char)*p) && !strchr(".-_", *p))
            return false;
    }
    return true;
}

static bool is_blank(const char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    return *s == '\0';
}

/* Steps through a comma-separated list. *next starts at the list (NULL for
 * a blank list, which has no items); each call yields one item with the
 * whitespace around it removed, until it returns false. */
static bool list_next(const char **next, const char **item, size_t *len)
{
    const char *start = *next, *comma, *end;

    if (!start)
        return false;
    comma = strchr(start, ',');
    end = comma ? comma : start + strlen(start);
    *next = comma ? comma + 1 : NULL;
    while (start < end && isspace((unsigned char)*start))
        start++;
    while (end > start && isspace((unsigned char)end[-1]))
        end--;
    *item = start;
    *len = (size_t)(end - start);
    return true;
}

/* ---- SEED_NODES ---- */

static int compare_node_ids(const void *a, const void *b)
{
    const struct node_info *x = a, *y = b;

    return x->id < y->id ? -1 : x->id > y->id;
}

/* Parses one "id:role:host:port" item into *node; returns a reason or NULL. */
static const char *parse_seed_item(const char *item, size_t len, struct node_info *node)
{
    char buf[SEED_ITEM_MAX];
    char *fields[4];
    size_t n_fields = 1;
    long long number;

    if (len >= sizeof buf)
        return "item too long";
    memcpy(buf, item, len);
    buf[len] = '\0';
    fields[0] = buf;
    for (char *p = buf; (p = strchr(p, ':')); *p++ = '\0') {
        if (n_fields == 4)
            return "expected id:role:host:port";
        fields[n_fields++] = p + 1;
    }
    if (n_fields != 4)
        return "expected id:role:host:port";
    if (!parse_number(fields[0], 1, ID_MAX, &number))
        return "bad id";
    node->id = (uint32_t)number;
    if (role_parse(fields[1], &node->role) != 0)
        return "unknown role";
    if (fields[2][0] == '\0')
        return "empty host";
    if (!valid_host(fields[2]))
        return "bad host";
    strcpy(node->host, fields[2]);
    if (!parse_number(fields[3], 1, 65535, &number))
        return "bad port";
    node->port = (uint16_t)number;
    return NULL;
}

/* Names each node by its role and its rank among that role, by id. */
static void assign_names(struct node_info *nodes, size_t n)
{
    unsigned rank[ROLE_COUNT] = { 0 };

    for (size_t i = 0; i < n; i++)
        snprintf(nodes[i].name, sizeof nodes[i].name, "%s%u",
                 role_name(nodes[i].role), ++rank[nodes[i].role]);
}

int config_parse_seeds(const char *s, struct node_info *nodes, size_t max,
                       char *err, size_t errlen)
{
    const char *next = is_blank(s) ? NULL : s;
    const char *item;
    size_t len, n = 0;

    while (list_next(&next, &item, &len)) {
        struct node_info node = { 0 };
        char too_many[48];
        const char *reason = too_many;

        if (n == max)
            snprintf(too_many, sizeof too_many, "more than %zu nodes", max);
        else
            reason = parse_seed_item(item, len, &node);

        for (size_t i = 0; !reason && i < n; i++) {
            if (nodes[i].id == node.id)
                reason = "duplicate id";
        }
        if (reason) {
            snprintf(err, errlen, "SEED_NODES item %zu '%.*s': %s", n + 1,
                     (int)(len < 80 ? len : 80), item, reason);
            return -1;
        }
        nodes[n++] = node;
    }
    qsort(nodes, n, sizeof *nodes, compare_node_ids);
    assign_names(nodes, n);
    return (int)n;
}

/* ---- the settings ---- */

enum setting {
    SET_ROLE, SET_ID, SET_PORT, SET_NAME, SET_BIND, SET_SEEDS, SET_ADVERTISE,
    SET_ACCEPTORS, SET_DATA_DIR, SET_NO_FSYNC, SET_WAL_COMPACT, SET_HEARTBEAT,
    SET_ELECTION,
    SET_REQUEST_TIMEOUT, SET_LOG_LEVEL, SET_MAX_BODY, SET_MAX_VALUE, SET_MAX_BATCH,
    SET_PROBE_INTERVAL, SET_PROBE_TIMEOUT, SET_INDIRECT_CHECKS, SET_GOSSIP_INTERVAL,
    SET_GOSSIP_NODES, SET_SUSPICION_MULT, SET_RETRANSMIT_MULT, SET_PUSH_PULL,
    SET_SECRET, SET_SECRET_FILE, SET_CLIENT_TOKEN, SET_CLIENT_TOKEN_FILE,
    SET_MAX_CONNECTIONS, SET_IDLE_TIMEOUT, SET_PEER_PORT_OFFSET,
    SET_COUNT
};

struct setting_info {
    const char *flag;
    const char *env;
    const char *arg;            /* the flag's value in --help; NULL: no value */
    const char *what;           /* what errors call it */
    const char *values;         /* accepted values, for --help */
    const char *default_value;  /* NULL when computed or required */
    const char *default_note;   /* --help's words for the default, if not the value */
};

static const struct setting_info settings[SET_COUNT] = {
    [SET_ROLE] = { "role", "NODE_ROLE", "ROLE", "role",
                   "proposer|acceptor|learner|client", NULL, "required" },
    [SET_ID] = { "id", "NODE_ID", "N", "node id", "1..2147483647", NULL, "required" },
    [SET_PORT] = { "port", "PORT", "P", "port", "1..65535", NULL,
                   "this id's port in SEED_NODES, else required" },
    [SET_NAME] = { "name", "NODE_NAME", "NAME", "node name", "at most 31 bytes", NULL,
                   "from SEED_NODES, else ROLE followed by ID" },
    [SET_BIND] = { "bind", "BIND_ADDR", "ADDR", "bind address", "address to listen on",
                   "", "all addresses" },
    [SET_SEEDS] = { "seeds", "SEED_NODES", "LIST", "seed list", "id:role:host:port,...",
                    "", "none" },
    [SET_ADVERTISE] = { "advertise", "ADVERTISE_HOST", "HOST", "advertised host",
                        "host others use for this node if it is not in SEED_NODES",
                        "127.0.0.1", NULL },
    [SET_ACCEPTORS] = { "acceptors", "ACCEPTOR_IDS", "IDS",
                        "founding acceptors",
                        "comma-separated acceptor ids: the first configuration "
                        "(later ones are chosen in the log)", NULL,
                        "every acceptor in SEED_NODES" },
    [SET_DATA_DIR] = { "data-dir", "DATA_DIR", "DIR", "data directory",
                       "where the log is kept", NULL, "./data/NAME" },
    [SET_NO_FSYNC] = { "no-fsync", "NO_FSYNC", NULL, "NO_FSYNC value",
                       "skip fsync (environment: 1|true or 0|false)", NULL,
                       "fsync on" },
    [SET_WAL_COMPACT] = { "wal-compact-bytes", "WAL_COMPACT_BYTES", "N",
                          "write-ahead file compaction threshold",
                          "1048576..68719476736: an acceptor rewrites its "
                          "write-ahead file with only the slots it still "
                          "keeps once it grew by this much",
                          "67108864", NULL },
    [SET_HEARTBEAT] = { "heartbeat-ms", "HEARTBEAT_MS", "N", "heartbeat interval",
                        "10..60000", "100", NULL },
    [SET_ELECTION] = { "election-timeout-ms", "ELECTION_TIMEOUT_MS", "N",
                       "election timeout", "more than twice the heartbeat, up to 600000",
                       "300", NULL },
    [SET_REQUEST_TIMEOUT] = { "request-timeout-ms", "REQUEST_TIMEOUT_MS", "N",
                              "request timeout", "100..600000", "10000", NULL },
    [SET_LOG_LEVEL] = { "log-level", "LOG_LEVEL", "LEVEL", "log level",
                        "debug|info|warn|error", "info", NULL },
    [SET_MAX_BODY] = { "max-body", "MAX_BODY_BYTES", "N", "body limit",
                       "1024..268435456", "1048576", NULL },
    [SET_MAX_VALUE] = { "max-value", "MAX_VALUE_BYTES", "N", "value limit",
                        "1..max-body/8 (room for escaping and batching)",
                        "65536", NULL },
    [SET_MAX_BATCH] = { "max-batch", "MAX_BATCH", "N", "batch size", "1..100000",
                        "512", NULL },
    [SET_PROBE_INTERVAL] = { "probe-interval-ms", "PROBE_INTERVAL_MS", "N",
                             "gossip probe interval", "10..600000", "1000", NULL },
    [SET_PROBE_TIMEOUT] = { "probe-timeout-ms", "PROBE_TIMEOUT_MS", "N",
                            "gossip probe timeout", "less than the probe interval",
                            "500", NULL },
    [SET_INDIRECT_CHECKS] = { "indirect-checks", "INDIRECT_CHECKS", "N",
                              "indirect probes", "0..8", "3", NULL },
    [SET_GOSSIP_INTERVAL] = { "gossip-interval-ms", "GOSSIP_INTERVAL_MS", "N",
                              "gossip interval", "10..600000", "200", NULL },
    [SET_GOSSIP_NODES] = { "gossip-nodes", "GOSSIP_NODES", "N",
                           "members gossiped to", "1..16", "3", NULL },
    [SET_SUSPICION_MULT] = { "suspicion-mult", "SUSPICION_MULT", "N",
                             "suspicion multiplier", "1..100", "4", NULL },
    [SET_RETRANSMIT_MULT] = { "retransmit-mult", "RETRANSMIT_MULT", "N",
                              "retransmit multiplier", "1..100", "4", NULL },
    [SET_PUSH_PULL] = { "push-pull-interval-ms", "PUSH_PULL_INTERVAL_MS", "N",
                        "push-pull interval", "100..3600000", "30000", NULL },
    [SET_SECRET] = { "cluster-secret", "CLUSTER_SECRET", "TEXT", "cluster secret",
                     "signs peer messages (at least 16 bytes; prefer the "
                     "environment or a file: flags show in ps)", NULL,
                     "none: peer routes unauthenticated" },
    [SET_SECRET_FILE] = { "cluster-secret-file", "CLUSTER_SECRET_FILE", "PATH",
                          "cluster secret file", "a file holding the cluster secret",
                          NULL, "none" },
    [SET_CLIENT_TOKEN] = { "client-token", "CLIENT_TOKEN", "TEXT", "client token",
                           "required (Authorization: Bearer) on user routes",
                           NULL, "none: user routes open" },
    [SET_CLIENT_TOKEN_FILE] = { "client-token-file", "CLIENT_TOKEN_FILE", "PATH",
                                "client token file", "a file holding the client token",
                                NULL, "none" },
    [SET_MAX_CONNECTIONS] = { "max-connections", "MAX_CONNECTIONS", "N",
                              "connection limit", "1..100000",
                              "1000", NULL },
    [SET_IDLE_TIMEOUT] = { "idle-timeout-s", "IDLE_TIMEOUT_S", "N",
                           "connection idle timeout",
                           "1..3600 (a request must arrive whole within it too)",
                           "30", NULL },
    [SET_PEER_PORT_OFFSET] = { "peer-port-offset", "PEER_PORT_OFFSET", "N",
                               "peer port offset",
                               "0..60000: peer routes on PORT+N, so a network "
                               "policy can close them to outsiders (the same "
                               "on every node); 0 = one port", "0", NULL },
};

enum { OPT_SETTING = 0x100, OPT_HELP = OPT_SETTING + SET_COUNT, OPT_VERSION,
       OPT_ROUTES };

/* Prints "paxosd: MESSAGE" as one line (control characters in it become
 * spaces) and returns 2, config_load's failure code. */
__attribute__((format(printf, 1, 2)))
static int fail(const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    for (char *p = line; *p; p++) {
        if (iscntrl((unsigned char)*p))
            *p = ' ';
    }
    fprintf(stderr, "paxosd: %s\n", line);
    return 2;
}

/* "invalid port 'abc' (--port / PORT): expected 1..65535" */
__attribute__((format(printf, 3, 4)))
static int fail_setting(enum setting s, const char *text, const char *fmt, ...)
{
    char reason[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return fail("invalid %s '%.200s' (--%s / %s): %s", settings[s].what, text,
                settings[s].flag, settings[s].env, reason);
}

static int fail_missing(enum setting s, const char *why)
{
    return fail("missing %s (--%s / %s): %s", settings[s].what, settings[s].flag,
                settings[s].env, why);
}

static void print_usage(void)
{
    printf("Usage: paxosd [OPTION]...\n"
           "Runs one node of a Multi-Paxos cluster. Every option can also be set\n"
           "by its environment variable; the flag wins.\n\n");
    for (size_t s = 0; s < SET_COUNT; s++) {
        const struct setting_info *info = &settings[s];
        char flag[48];

        snprintf(flag, sizeof flag, "--%s%s%s", info->flag, info->arg ? " " : "",
                 info->arg ? info->arg : "");
        printf("  %-26s %-20s %s; default: %s\n", flag, info->env, info->values,
               info->default_note ? info->default_note : info->default_value);
    }
    printf("  %-26s %-20s show this help\n", "--help", "");
    printf("  %-26s %-20s show the version\n", "--version", "");
    printf("  %-26s %-20s list every role's routes and who may call them\n",
           "--routes", "");
}

/* Fills flags[] from argv. Returns 0, 1 after --help or --version, 2, or
 * 3 for --routes. */
static int read_flags(int argc, char **argv, const char *flags[SET_COUNT])
{
    struct option options[SET_COUNT + 4] = { { 0 } };
    int c;

    for (size_t s = 0; s < SET_COUNT; s++)
        options[s] = (struct option){ settings[s].flag,
                                      settings[s].arg ? required_argument : no_argument,
                                      NULL, OPT_SETTING + (int)s };
    options[SET_COUNT] = (struct option){ "help", no_argument, NULL, OPT_HELP };
    options[SET_COUNT + 1] = (struct option){ "version", no_argument, NULL, OPT_VERSION };
    options[SET_COUNT + 2] = (struct option){ "routes", no_argument, NULL, OPT_ROUTES };

    optind = 0;     /* glibc: 0 restarts scanning from scratch */
    opterr = 0;     /* our messages, not getopt's */
    while ((c = getopt_long(argc, argv, "+:", options, NULL)) != -1) {
        if (c == OPT_HELP) {
            print_usage();
            return 1;
        }
        if (c == OPT_VERSION) {
            printf("paxosd %s\n", PACKAGE_VERSION);
            return 1;
        }
        if (c == OPT_ROUTES)
            return 3;
        if (c == ':')
            return fail("option '--%s' needs a value", settings[optopt - OPT_SETTING].flag);
        if (c == '?' && optopt >= OPT_SETTING)     /* --help and the others too */
            return fail("option '--%s' takes no value", options[optopt - OPT_SETTING].name);
        if (c == '?' && optopt != 0)
            return fail("unknown option '-%c' (see --help)", optopt);
        if (c == '?')
            return fail("unknown option '%s' (see --help)", argv[optind - 1]);
        flags[c - OPT_SETTING] = settings[c - OPT_SETTING].arg ? optarg : "1";
    }
    if (optind < argc)
        return fail("unexpected argument '%s'", argv[optind]);
    return 0;
}

/* A setting's text: its flag, else its environment variable, else its
 * default (NULL when there is none). */
static const char *setting_text(const char *const flags[SET_COUNT], enum setting s)
{
    const char *env = getenv(settings[s].env);

    if (flags[s])
        return flags[s];
    if (env && env[0] != '\0')
        return env;
    return settings[s].default_value;
}

static int number_setting(const char *text, enum setting s, long long min,
                          long long max, long long *out)
{
    if (!parse_number(text, min, max, out))
        return fail_setting(s, text, "expected %lld..%lld", min, max);
    return 0;
}

static bool has_control_chars(const char *s)
{
    for (; *s; s++) {
        if (iscntrl((unsigned char)*s))
            return true;
    }
    return false;
}

/* Copies a non-empty text without control characters that fits dst. */
static int string_setting(const char *text, enum setting s, char *dst, size_t size)
{
    if (text[0] == '\0' || strlen(text) >= size || has_control_chars(text))
        return fail_setting(s, text, "expected 1..%zu printable bytes", size - 1);
    strcpy(dst, text);
    return 0;
}

static int load_identity(struct config *cfg, const char *const *text)
{
    long long id;

    if (!text[SET_ROLE])
        return fail_missing(SET_ROLE, "expected proposer|acceptor|learner|client");
    if (role_parse(text[SET_ROLE], &cfg->role) != 0)
        return fail_setting(SET_ROLE, text[SET_ROLE],
                            "expected proposer|acceptor|learner|client");
    if (!text[SET_ID])
        return fail_missing(SET_ID, "expected 1..2147483647");
    if (number_setting(text[SET_ID], SET_ID, 1, ID_MAX, &id) != 0)
        return 2;
    cfg->id = (uint32_t)id;
    return 0;
}

/* Index of id in cfg->nodes (sorted by id), or -1. */
static long node_index(const struct config *cfg, uint32_t id)
{
    struct node_info key = { .id = id };
    const struct node_info *found = bsearch(&key, cfg->nodes, cfg->n_nodes,
                                            sizeof key, compare_node_ids);

    return found ? found - cfg->nodes : -1;
}

/* Adds this node, absent from SEED_NODES, at its place in the id order. */
static int add_self(struct config *cfg, const char *host)
{
    size_t at = 0;

    if (!valid_host(host))
        return fail_setting(SET_ADVERTISE, host, "expected a DNS name or an IPv4 address");
    if (cfg->n_nodes == CLUSTER_MAX_NODES)
        return fail("too many nodes: SEED_NODES has %d and this node is not among them",
                    CLUSTER_MAX_NODES);
    while (at < cfg->n_nodes && cfg->nodes[at].id < cfg->id)
        at++;
    memmove(&cfg->nodes[at + 1], &cfg->nodes[at],
            (cfg->n_nodes - at) * sizeof cfg->nodes[0]);
    cfg->nodes[at] = (struct node_info){ .id = cfg->id, .role = cfg->role,
                                         .port = cfg->port };
    strcpy(cfg->nodes[at].name, cfg->name);
    strcpy(cfg->nodes[at].host, host);
    cfg->n_nodes++;
    return 0;
}

/* Reads SEED_NODES, then places this node in it: settles its port and
 * name, and checks its entry or adds one. */
static int load_cluster(struct config *cfg, const char *const *text)
{
    char err[256];
    int n = config_parse_seeds(text[SET_SEEDS], cfg->nodes, CLUSTER_MAX_NODES,
                               err, sizeof err);
    struct node_info *self;
    long self_at;
    long long port;

    if (n < 0)
        return fail("%s (--%s / %s)", err, settings[SET_SEEDS].flag,
                    settings[SET_SEEDS].env);
    cfg->n_nodes = (size_t)n;
    self_at = node_index(cfg, cfg->id);
    self = self_at >= 0 ? &cfg->nodes[self_at] : NULL;
    if (self && self->role != cfg->role)
        return fail("NODE_ID %u is %s %s in SEED_NODES, not %s %s", cfg->id,
                    role_article(self->role), role_name(self->role),
                    role_article(cfg->role), role_name(cfg->role));

    if (text[SET_PORT]) {
        if (number_setting(text[SET_PORT], SET_PORT, 1, 65535, &port) != 0)
            return 2;
        cfg->port = (uint16_t)port;
    } else if (self) {
        cfg->port = self->port;
    } else {
        return fail_missing(SET_PORT, "this node is not in SEED_NODES");
    }

    if (text[SET_NAME]) {
        if (string_setting(text[SET_NAME], SET_NAME, cfg->name, sizeof cfg->name) != 0)
            return 2;
    } else if (self) {
        strcpy(cfg->name, self->name);
    } else {
        snprintf(cfg->name, sizeof cfg->name, "%s%u", role_name(cfg->role), cfg->id);
    }
    /* Names pick data directories and writer ids: two nodes never share one. */
    for (size_t i = 0; i < cfg->n_nodes; i++) {
        if (cfg->nodes[i].id != cfg->id && strcmp(cfg->nodes[i].name, cfg->name) == 0)
            return fail("node name '%s' is node %u's in SEED_NODES: choose another "
                        "(--%s / %s)", cfg->name, cfg->nodes[i].id,
                        settings[SET_NAME].flag, settings[SET_NAME].env);
    }

    if (!self)
        return add_self(cfg, text[SET_ADVERTISE]);
    self->port = cfg->port;
    return 0;
}

/* Adds id to the acceptor set: it must be an acceptor of the cluster. */
static int add_acceptor(struct config *cfg, const char *list, uint32_t id)
{
    const struct node_info *node = config_node(cfg, id);

    if (!node)
        return fail_setting(SET_ACCEPTORS, list, "node %u is not in SEED_NODES", id);
    if (node->role != ROLE_ACCEPTOR)
        return fail_setting(SET_ACCEPTORS, list, "node %u is %s %s, not an acceptor",
                            id, role_article(node->role), role_name(node->role));
    if (config_acceptor_index(cfg, id) >= 0)
        return fail_setting(SET_ACCEPTORS, list, "acceptor %u is listed twice", id);
    if (cfg->n_acceptors == CLUSTER_MAX_ACCEPTORS)
        return fail_setting(SET_ACCEPTORS, list, "more than %d acceptors",
                            CLUSTER_MAX_ACCEPTORS);
    cfg->acceptors[cfg->n_acceptors++] = id;
    return 0;
}

static int load_acceptors(struct config *cfg, const char *list)
{
    const char *next, *item;
    size_t len;

    if (!list) {
        for (size_t i = 0; i < cfg->n_nodes; i++) {
            if (cfg->nodes[i].role != ROLE_ACCEPTOR)
                continue;
            if (cfg->n_acceptors == CLUSTER_MAX_ACCEPTORS)
                return fail("more than %d acceptors in SEED_NODES: choose the deciding "
                            "ones with --acceptors / ACCEPTOR_IDS", CLUSTER_MAX_ACCEPTORS);
            cfg->acceptors[cfg->n_acceptors++] = cfg->nodes[i].id;
        }
        return 0;
    }
    next = is_blank(list) ? NULL : list;
    while (list_next(&next, &item, &len)) {
        char id_text[16];
        long long id;

        snprintf(id_text, sizeof id_text, "%.*s", (int)len, item);
        if (len >= sizeof id_text || !parse_number(id_text, 1, ID_MAX, &id))
            return fail_setting(SET_ACCEPTORS, list, "'%.*s' is not a node id",
                                (int)(len < 40 ? len : 40), item);
        if (add_acceptor(cfg, list, (uint32_t)id) != 0)
            return 2;
    }
    return 0;
}

static int check_peers(const struct config *cfg)
{
    bool has_proposer = false;

    if ((cfg->role == ROLE_PROPOSER || cfg->role == ROLE_LEARNER) && cfg->n_acceptors == 0)
        return fail("no acceptors: list them in SEED_NODES or ACCEPTOR_IDS");
    for (size_t i = 0; i < cfg->n_nodes; i++)
        has_proposer |= cfg->nodes[i].role == ROLE_PROPOSER;
    if (cfg->role == ROLE_CLIENT && !has_proposer)
        return fail("no proposers: a client needs them in SEED_NODES (--%s / %s)",
                    settings[SET_SEEDS].flag, settings[SET_SEEDS].env);
    return 0;
}

/* The listen address: "" for all, else a host name or IPv4 address. */
static int load_bind(struct config *cfg, const char *bind)
{
    if (bind[0] != '\0' && !valid_host(bind))
        return fail_setting(SET_BIND, bind, "expected a DNS name or an IPv4 address");
    strcpy(cfg->bind, bind);
    return 0;
}

static int load_storage(struct config *cfg, const char *const *text)
{
    const char *no_fsync = text[SET_NO_FSYNC];
    long long compact;

    if (number_setting(text[SET_WAL_COMPACT], SET_WAL_COMPACT, 1LL << 20,
                       1LL << 36, &compact))
        return 2;
    cfg->wal_compact_bytes = (uint64_t)compact;
    if (text[SET_DATA_DIR]) {
        if (string_setting(text[SET_DATA_DIR], SET_DATA_DIR, cfg->data_dir,
                           sizeof cfg->data_dir) != 0)
            return 2;
    } else {
        snprintf(cfg->data_dir, sizeof cfg->data_dir, "./data/%s", cfg->name);
    }
    if (!no_fsync || strcasecmp(no_fsync, "0") == 0 || strcasecmp(no_fsync, "false") == 0)
        cfg->fsync = true;
    else if (strcasecmp(no_fsync, "1") == 0 || strcasecmp(no_fsync, "true") == 0)
        cfg->fsync = false;
    else
        return fail_setting(SET_NO_FSYNC, no_fsync, "expected 1|true or 0|false");
    return 0;
}

static int load_tuning(struct config *cfg, const char *const *text)
{
    long long heartbeat, election, request, body, value, batch;

    if (number_setting(text[SET_HEARTBEAT], SET_HEARTBEAT, 10, 60000, &heartbeat) ||
        number_setting(text[SET_ELECTION], SET_ELECTION, 1, 600000, &election) ||
        number_setting(text[SET_REQUEST_TIMEOUT], SET_REQUEST_TIMEOUT, 100, 600000,
                       &request) ||
        number_setting(text[SET_MAX_BODY], SET_MAX_BODY, 1024, 268435456, &body) ||
        number_setting(text[SET_MAX_VALUE], SET_MAX_VALUE, 1, body / 8, &value) ||
        number_setting(text[SET_MAX_BATCH], SET_MAX_BATCH, 1, 100000, &batch))
        return 2;
    if (election <= 2 * heartbeat)
        return fail("election timeout %lld (--%s / %s) must be more than twice the "
                    "heartbeat interval %lld (--%s / %s)", election,
                    settings[SET_ELECTION].flag, settings[SET_ELECTION].env, heartbeat,
                    settings[SET_HEARTBEAT].flag, settings[SET_HEARTBEAT].env);
    cfg->log_level = log_level_parse(text[SET_LOG_LEVEL]);
    if (cfg->log_level < 0)
        return fail_setting(SET_LOG_LEVEL, text[SET_LOG_LEVEL],
                            "expected debug|info|warn|error");
    cfg->heartbeat_ms = (int)heartbeat;
    cfg->election_timeout_ms = (int)election;
    cfg->request_timeout_ms = (int)request;
    cfg->max_body = (size_t)body;
    cfg->max_value = (size_t)value;
    cfg->max_batch = (size_t)batch;
    return 0;
}

static int load_gossip(struct config *cfg, const char *const *text)
{
    long long v[SET_PUSH_PULL - SET_PROBE_INTERVAL + 1];
    static const long long limits[][2] = {
        { 10, 600000 }, { 1, 599999 }, { 0, 8 }, { 10, 600000 },
        { 1, 16 }, { 1, 100 }, { 1, 100 }, { 100, 3600000 },
    };

    for (int s = SET_PROBE_INTERVAL; s <= SET_PUSH_PULL; s++) {
        const long long *lim = limits[s - SET_PROBE_INTERVAL];
        if (number_setting(text[s], (enum setting)s, lim[0], lim[1],
                           &v[s - SET_PROBE_INTERVAL]))
            return 2;
    }
    cfg->probe_interval_ms = (int)v[0];
    cfg->probe_timeout_ms = (int)v[1];
    cfg->indirect_checks = (int)v[2];
    cfg->gossip_interval_ms = (int)v[3];
    cfg->gossip_nodes = (int)v[4];
    cfg->suspicion_mult = (int)v[5];
    cfg->retransmit_mult = (int)v[6];
    cfg->push_pull_interval_ms = (int)v[7];
    if (cfg->probe_timeout_ms >= cfg->probe_interval_ms)
        return fail("probe timeout %d (--%s / %s) must be less than the probe "
                    "interval %d (--%s / %s)", cfg->probe_timeout_ms,
                    settings[SET_PROBE_TIMEOUT].flag, settings[SET_PROBE_TIMEOUT].env,
                    cfg->probe_interval_ms, settings[SET_PROBE_INTERVAL].flag,
                    settings[SET_PROBE_INTERVAL].env);
    return 0;
}

/* A secret from its setting, else from the file its other setting names
 * (the file's trailing newlines dropped). Empty out when neither is set. */
static int load_secret(const char *text, enum setting s, const char *path,
                       enum setting file_setting, size_t min_len, char *out,
                       size_t cap)
{
    char buf[CONFIG_SECRET_MAX + 2];
    size_t len = 0;
    FILE *f;

    out[0] = '\0';
    if (!text && path) {
        if (!(f = fopen(path, "r")))
            return fail_setting(file_setting, path, "cannot read it: %s",
                                strerror(errno));
        len = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[len] = '\0';
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            buf[--len] = '\0';
        text = buf;
    }
    if (!text)
        return 0;
    len = strlen(text);
    if (len < min_len || len >= cap)
        return fail("the %s (--%s / %s) must be %zu to %zu bytes long",
                    settings[s].what, settings[s].flag, settings[s].env,
                    min_len, cap - 1);
    memcpy(out, text, len + 1);
    return 0;
}

static int load_security(struct config *cfg, const char *const *text)
{
    long long connections, idle, offset;

    if (load_secret(text[SET_SECRET], SET_SECRET, text[SET_SECRET_FILE],
                    SET_SECRET_FILE, 16, cfg->secret, sizeof cfg->secret) ||
        load_secret(text[SET_CLIENT_TOKEN], SET_CLIENT_TOKEN,
                    text[SET_CLIENT_TOKEN_FILE], SET_CLIENT_TOKEN_FILE, 8,
                    cfg->client_token, sizeof cfg->client_token) ||
        number_setting(text[SET_MAX_CONNECTIONS], SET_MAX_CONNECTIONS, 1, 100000,
                       &connections) ||
        number_setting(text[SET_IDLE_TIMEOUT], SET_IDLE_TIMEOUT, 1, 3600, &idle) ||
        number_setting(text[SET_PEER_PORT_OFFSET], SET_PEER_PORT_OFFSET, 0, 60000,
                       &offset))
        return 2;
    cfg->max_connections = (unsigned)connections;
    cfg->idle_timeout_s = (unsigned)idle;
    cfg->peer_port_offset = (uint16_t)offset;
    for (size_t i = 0; i < cfg->n_nodes; i++)
        if (cfg->nodes[i].port + offset > 65535)
            return fail("%s's peer port %lld (port %u + --%s / %s) is over 65535",
                        cfg->nodes[i].name, cfg->nodes[i].port + offset,
                        (unsigned)cfg->nodes[i].port,
                        settings[SET_PEER_PORT_OFFSET].flag,
                        settings[SET_PEER_PORT_OFFSET].env);
    return 0;
}

int config_load(struct config *cfg, int argc, char **argv)
{
    const char *flags[SET_COUNT] = { NULL };
    const char *text[SET_COUNT];
    int rc;

    memset(cfg, 0, sizeof *cfg);
    rc = read_flags(argc, argv, flags);
    if (rc != 0)
        return rc;
    for (size_t s = 0; s < SET_COUNT; s++)
        text[s] = setting_text(flags, (enum setting)s);

    if (load_identity(cfg, text) || load_cluster(cfg, text) ||
        load_acceptors(cfg, text[SET_ACCEPTORS]) || check_peers(cfg) ||
        load_bind(cfg, text[SET_BIND]) ||
        load_storage(cfg, text) || load_tuning(cfg, text) ||
        load_gossip(cfg, text) || load_security(cfg, text))
        return 2;
    return 0;
}

const struct node_info *config_node(const struct config *cfg, uint32_t id)
{
    long at = node_index(cfg, id);

    return at >= 0 ? &cfg->nodes[at] : NULL;
}

const char *config_name(const struct config *cfg, uint32_t id)
{
    const struct node_info *info = config_node(cfg, id);

    return info ? info->name : "";
}

int config_acceptor_index(const struct config *cfg, uint32_t id)
{
    for (size_t i = 0; i < cfg->n_acceptors; i++) {
        if (cfg->acceptors[i] == id)
            return (int)i;
    }
    return -1;
}

size_t config_quorum(const struct config *cfg)
{
    return cfg->n_acceptors / 2 + 1;
}
