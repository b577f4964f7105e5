/* fuzz_config.c -- libFuzzer harness for the settings (config_load) and
 * the SEED_NODES parser (config_parse_seeds) of common/config.c.
 *
 * Input: words separated by NUL bytes. The first word is a SEED_NODES
 * list for config_parse_seeds; the others are config_load's arguments
 * after "paxosd", except that a word NAME=VALUE, for NAME one of the
 * settings' environment variables, sets that variable instead (every one
 * of them is unset again after each input, and at start). config_load
 * prints its one line to stderr (or --help to stdout): both streams go
 * to /dev/null during the call (file descriptor 2 stays open for the
 * sanitizers' reports). Inputs with a word naming something under dev/
 * or proc/ are skipped, so that a secret file can never be a terminal, a
 * pipe or standard input that would block.
 * Checks on config_parse_seeds: the count is within max; ids are unique
 * and sorted; names are unique and are the role followed by the rank
 * among that role; hosts are non-empty; ports are in 1..65535; the same
 * list parsed with a small max gives the same nodes or fails.
 * Checks on config_load: the result is 0, 1, 2 or 3; on 0 the cluster holds
 * this node with its role and port, ids are unique and sorted, names are
 * unique and non-empty, ports are in range, every acceptor of the set is
 * an acceptor of the cluster and listed once, and the timing and size
 * settings keep their stated relations. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define SMALL_MAX 4
#define MAX_WORDS 64

/* The variables of config.c's settings table. */
static const char *const envs[] = {
    "NODE_ROLE", "NODE_ID", "PORT", "NODE_NAME", "BIND_ADDR", "SEED_NODES",
    "ADVERTISE_HOST", "ACCEPTOR_IDS", "DATA_DIR", "NO_FSYNC", "HEARTBEAT_MS",
    "ELECTION_TIMEOUT_MS", "REQUEST_TIMEOUT_MS", "LOG_LEVEL", "MAX_BODY_BYTES",
    "MAX_VALUE_BYTES", "MAX_BATCH", "PROBE_INTERVAL_MS", "PROBE_TIMEOUT_MS",
    "INDIRECT_CHECKS", "GOSSIP_INTERVAL_MS", "GOSSIP_NODES", "SUSPICION_MULT",
    "RETRANSMIT_MULT", "PUSH_PULL_INTERVAL_MS", "CLUSTER_SECRET",
    "CLUSTER_SECRET_FILE", "CLIENT_TOKEN", "CLIENT_TOKEN_FILE", "MAX_CONNECTIONS",
    "IDLE_TIMEOUT_S", "PEER_PORT_OFFSET",
};
#define N_ENVS (sizeof envs / sizeof envs[0])

static char program[] = "paxosd";
static struct node_info nodes[CLUSTER_MAX_NODES], small[SMALL_MAX];
static struct config cfg;       /* large: not on the stack */
static FILE *quiet;             /* /dev/null, for config_load's messages */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "fuzz_config: %s: %.300s\n", what, detail);
    abort();
}

static void unset_envs(void)
{
    for (size_t i = 0; i < N_ENVS; i++)
        unsetenv(envs[i]);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (!(quiet = fopen("/dev/null", "w")))
        fail("cannot open /dev/null", "");
    unset_envs();
    return 0;
}

/* Sets NAME=VALUE when NAME is a setting's variable; false otherwise. */
static bool set_env_word(const char *word)
{
    const char *eq = strchr(word, '=');

    if (!eq)
        return false;
    for (size_t i = 0; i < N_ENVS; i++) {
        size_t len = strlen(envs[i]);
        if ((size_t)(eq - word) == len && strncmp(word, envs[i], len) == 0) {
            setenv(envs[i], eq + 1, 1);
            return true;
        }
    }
    return false;
}

static void check_node(const struct node_info *n, const char *list)
{
    if (n->id == 0 || n->port == 0 || (unsigned)n->role > ROLE_CLIENT)
        fail("a node without an id, a port or a known role", list);
    if (!memchr(n->name, '\0', sizeof n->name) || !n->name[0] ||
        !memchr(n->host, '\0', sizeof n->host) || !n->host[0])
        fail("a node's name or host is empty or not terminated", list);
}

/* Ids strictly ascending, names unique. */
static void check_cluster(const struct node_info *ns, size_t n, const char *list)
{
    for (size_t i = 0; i < n; i++) {
        check_node(&ns[i], list);
        if (i > 0 && ns[i - 1].id >= ns[i].id)
            fail("ids not unique and sorted", list);
        for (size_t k = 0; k < i; k++)
            if (strcmp(ns[k].name, ns[i].name) == 0)
                fail("two nodes have the same name", list);
    }
}

static void check_seeds(const char *list)
{
    char err[256] = "", small_err[256] = "";
    int n = config_parse_seeds(list, nodes, CLUSTER_MAX_NODES, err, sizeof err);
    int n_small = config_parse_seeds(list, small, SMALL_MAX, small_err, sizeof small_err);

    if (n < 0) {
        if (!err[0] || n_small >= 0)
            fail("a list refused without a reason, or accepted with a smaller max", list);
        return;
    }
    if (n > CLUSTER_MAX_NODES)
        fail("more nodes than max", list);
    check_cluster(nodes, (size_t)n, list);
    for (size_t i = 0; i < (size_t)n; i++) {
        char name[CLUSTER_NAME_MAX];
        unsigned rank = 1;
        for (size_t k = 0; k < i; k++)
            rank += nodes[k].role == nodes[i].role;
        snprintf(name, sizeof name, "%s%u", role_name(nodes[i].role), rank);
        if (strcmp(name, nodes[i].name) != 0)
            fail("a name is not its role and rank", list);
    }
    if (n > SMALL_MAX ? n_small >= 0 : n_small != n)
        fail("a smaller max changed the outcome", list);
    for (int i = 0; i < n_small; i++)
        if (small[i].id != nodes[i].id || small[i].role != nodes[i].role ||
            small[i].port != nodes[i].port || strcmp(small[i].name, nodes[i].name) != 0 ||
            strcmp(small[i].host, nodes[i].host) != 0)
            fail("a smaller max changed a node", list);
}

static void check_config(const struct config *c, const char *args)
{
    const struct node_info *self = config_node(c, c->id);

    if (c->n_nodes < 1 || c->n_nodes > CLUSTER_MAX_NODES)
        fail("node count out of range", args);
    check_cluster(c->nodes, c->n_nodes, args);
    if (!self || self->role != c->role || self->port != c->port || c->port == 0)
        fail("this node is not in the cluster as configured", args);
    if (c->n_acceptors > CLUSTER_MAX_ACCEPTORS)
        fail("too many acceptors", args);
    for (size_t i = 0; i < c->n_acceptors; i++) {
        const struct node_info *a = config_node(c, c->acceptors[i]);
        if (!a || a->role != ROLE_ACCEPTOR ||
            config_acceptor_index(c, c->acceptors[i]) != (int)i)
            fail("the acceptor set is wrong", args);
    }
    if (c->n_acceptors && (config_quorum(c) * 2 <= c->n_acceptors ||
                           config_quorum(c) > c->n_acceptors))
        fail("the quorum is not a majority", args);
    if (c->election_timeout_ms <= 2 * c->heartbeat_ms ||
        c->probe_timeout_ms >= c->probe_interval_ms ||
        c->max_value < 1 || c->max_value > c->max_body / 8)
        fail("timing or size settings break their relations", args);
    if (!memchr(c->name, '\0', sizeof c->name) || !c->name[0] ||
        !memchr(c->data_dir, '\0', sizeof c->data_dir) ||
        !memchr(c->secret, '\0', sizeof c->secret) ||
        !memchr(c->client_token, '\0', sizeof c->client_token))
        fail("a string setting is not terminated", args);
}

/* Runs config_load with the stdout and stderr streams on /dev/null. */
static int load_quietly(int argc, char **argv)
{
    FILE *saved_out = stdout, *saved_err = stderr;
    int rc;

    stdout = stderr = quiet;
    rc = config_load(&cfg, argc, argv);
    stdout = saved_out;
    stderr = saved_err;
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    char *argv[MAX_WORDS + 2];
    char args[512];
    size_t used = 0;
    int argc = 1, rc;

    if (!text)
        fail("out of memory", "");
    memcpy(text, data, size);
    text[size] = '\0';
    check_seeds(text);

    argv[0] = program;
    args[0] = '\0';
    for (char *word = text + strlen(text) + 1; word <= text + size;
         word += strlen(word) + 1) {
        if (strstr(word, "dev/") || strstr(word, "proc/") || argc > MAX_WORDS)
            goto out;
        if (set_env_word(word))
            continue;
        argv[argc++] = word;
        used += (size_t)snprintf(args + used, sizeof args - used, "%s ", word);
        if (used >= sizeof args)
            used = sizeof args - 1;
    }
    argv[argc] = NULL;
    rc = load_quietly(argc, argv);
    if (rc < 0 || rc > 3)
        fail("config_load returned something else than 0, 1, 2 or 3", args);
    if (rc == 0)
        check_config(&cfg, args);
out:
    unset_envs();
    free(text);
    return 0;
}
