/* test_config.c -- unit tests for settings and SEED_NODES (common/config.c).
 *
 * config_load() runs with stdout and stderr redirected to temporary files,
 * so each failure can be checked to print exactly one "paxosd: ..." line.
 * Every test starts from an environment without any of the settings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "log.h"

#define TEN_NODES "1:proposer:proposer1:3001,2:proposer:proposer2:3002," \
                  "3:proposer:proposer3:3003,4:acceptor:acceptor1:4001,"  \
                  "5:acceptor:acceptor2:4002,6:acceptor:acceptor3:4003,"  \
                  "7:learner:learner1:5001,8:learner:learner2:5002,"      \
                  "9:client:client1:6001,10:client:client2:6002"

static const char *const setting_envs[] = {
    "NODE_ROLE", "NODE_ID", "PORT", "NODE_NAME", "BIND_ADDR", "SEED_NODES",
    "ADVERTISE_HOST", "ACCEPTOR_IDS", "DATA_DIR", "NO_FSYNC", "HEARTBEAT_MS",
    "ELECTION_TIMEOUT_MS", "REQUEST_TIMEOUT_MS", "LOG_LEVEL", "MAX_BODY_BYTES",
    "MAX_VALUE_BYTES", "MAX_BATCH",
};
#define N_ENVS (sizeof setting_envs / sizeof setting_envs[0])

static int clean_env(void **state)
{
    for (size_t i = 0; i < N_ENVS; i++)
        unsetenv(setting_envs[i]);
    return 0;
}

/* What a config_load() call printed. */
struct output {
    char out[8192];
    char err[2048];
};

static void read_back(FILE *f, char *buf, size_t len)
{
    size_t n;

    rewind(f);
    n = fread(buf, 1, len - 1, f);
    buf[n] = '\0';
    fclose(f);
}

/* Runs config_load with "paxosd" followed by args (NULL-terminated),
 * capturing what it writes to fds 1 and 2. */
static int load(struct config *cfg, struct output *output, const char *const *args)
{
    char *argv[32] = { (char *)"paxosd" };
    int argc = 1, rc, saved_out, saved_err;
    FILE *out = tmpfile(), *err = tmpfile();

    assert_non_null(out);
    assert_non_null(err);
    while (args[argc - 1]) {
        assert_true(argc < 31);
        argv[argc] = (char *)args[argc - 1];
        argc++;
    }
    fflush(stdout);
    fflush(stderr);
    saved_out = dup(STDOUT_FILENO);
    saved_err = dup(STDERR_FILENO);
    dup2(fileno(out), STDOUT_FILENO);
    dup2(fileno(err), STDERR_FILENO);
    rc = config_load(cfg, argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(saved_out, STDOUT_FILENO);
    dup2(saved_err, STDERR_FILENO);
    close(saved_out);
    close(saved_err);
    read_back(out, output->out, sizeof output->out);
    read_back(err, output->err, sizeof output->err);
    return rc;
}

#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_ARGS ((const char *const[]){ NULL })

static void load_ok(struct config *cfg, const char *const *args)
{
    struct output output;

    if (load(cfg, &output, args) != 0)
        fail_msg("config_load failed: %s", output.err);
    assert_string_equal(output.err, "");
}

/* config_load must return 2 after one stderr line "paxosd: ...want...". */
static void expect_error(const char *const *args, const char *want)
{
    struct config cfg;
    struct output output;
    int rc = load(&cfg, &output, args);
    char *newline = strchr(output.err, '\n');

    if (rc != 2)
        fail_msg("rc %d (want 2) for '%s'; stderr: %s", rc, want, output.err);
    assert_non_null(newline);
    assert_string_equal(newline, "\n");
    assert_memory_equal(output.err, "paxosd: ", 8);
    if (!strstr(output.err, want))
        fail_msg("stderr '%s' lacks '%s'", output.err, want);
}

/* ---- SEED_NODES ---- */

static void test_ten_node_seeds(void **state)
{
    struct node_info nodes[CLUSTER_MAX_NODES];
    char err[256] = "";
    static const char *const names[] = {
        "proposer1", "proposer2", "proposer3", "acceptor1", "acceptor2",
        "acceptor3", "learner1", "learner2", "client1", "client2",
    };
    static const uint16_t ports[] = { 3001, 3002, 3003, 4001, 4002, 4003, 5001,
                                      5002, 6001, 6002 };

    assert_int_equal(config_parse_seeds(TEN_NODES, nodes, CLUSTER_MAX_NODES, err,
                                        sizeof err), 10);
    for (size_t i = 0; i < 10; i++) {
        assert_int_equal(nodes[i].id, i + 1);
        assert_string_equal(nodes[i].name, names[i]);
        assert_string_equal(nodes[i].host, names[i]);
        assert_int_equal(nodes[i].port, ports[i]);
    }
    assert_int_equal(nodes[3].role, ROLE_ACCEPTOR);
    assert_int_equal(nodes[9].role, ROLE_CLIENT);
}

static void test_seeds_sorted_and_ranked(void **state)
{
    struct node_info nodes[8];
    char err[256] = "";

    assert_int_equal(config_parse_seeds("  9:Acceptor:10.0.0.9:1 ,\t2:proposer:p-2.svc:2,"
                                        "4:ACCEPTOR:a_4:3  ", nodes, 8, err, sizeof err), 3);
    assert_int_equal(nodes[0].id, 2);
    assert_string_equal(nodes[0].name, "proposer1");
    assert_int_equal(nodes[1].id, 4);
    assert_string_equal(nodes[1].name, "acceptor1");
    assert_int_equal(nodes[2].id, 9);
    assert_string_equal(nodes[2].name, "acceptor2");
    assert_string_equal(nodes[2].host, "10.0.0.9");
    assert_int_equal(config_parse_seeds("", nodes, 8, err, sizeof err), 0);
    assert_int_equal(config_parse_seeds(" \t ", nodes, 8, err, sizeof err), 0);
}

static void expect_bad_seeds(const char *seeds, size_t max, const char *want)
{
    struct node_info nodes[4];
    char err[256] = "";

    assert_true(max <= 4);
    if (config_parse_seeds(seeds, nodes, max, err, sizeof err) != -1)
        fail_msg("accepted '%s'", seeds);
    if (!strstr(err, want))
        fail_msg("error '%s' lacks '%s'", err, want);
}

static void test_bad_seeds(void **state)
{
    expect_bad_seeds("1:proposer:h:1,2:acceptor:h:2,x:acceptor:h:1", 4,
                     "SEED_NODES item 3 'x:acceptor:h:1': bad id");
    expect_bad_seeds("0:acceptor:h:1", 4, "item 1 '0:acceptor:h:1': bad id");
    expect_bad_seeds("2147483648:acceptor:h:1", 4, "bad id");
    expect_bad_seeds("-1:acceptor:h:1", 4, "bad id");
    expect_bad_seeds("1:leader:h:1", 4, "unknown role");
    expect_bad_seeds("1:acceptor::1", 4, "empty host");
    expect_bad_seeds("1:acceptor:h h:1", 4, "bad host");
    expect_bad_seeds("1:acceptor:h:0", 4, "bad port");
    expect_bad_seeds("1:acceptor:h:65536", 4, "bad port");
    expect_bad_seeds("1:acceptor:h:80x", 4, "bad port");
    expect_bad_seeds("1:acceptor:h", 4, "expected id:role:host:port");
    expect_bad_seeds("1:acceptor:h:1:2", 4, "expected id:role:host:port");
    expect_bad_seeds("1:acceptor:h:1,1:learner:g:2", 4, "item 2 '1:learner:g:2': duplicate id");
    expect_bad_seeds("1:acceptor:h:1,2:acceptor:h:2,3:acceptor:h:3", 2,
                     "item 3 '3:acceptor:h:3': more than 2 nodes");
    expect_bad_seeds("1:acceptor:h:1,", 4, "item 2 ''");
}

/* ---- config_load ---- */

static void test_acceptor_from_ten_nodes(void **state)
{
    struct config cfg;

    load_ok(&cfg, ARGS("--role", "acceptor", "--id", "5", "--seeds", TEN_NODES));
    assert_int_equal(cfg.role, ROLE_ACCEPTOR);
    assert_int_equal(cfg.id, 5);
    assert_int_equal(cfg.port, 4002);
    assert_string_equal(cfg.name, "acceptor2");
    assert_int_equal(cfg.n_nodes, 10);
    assert_int_equal(cfg.n_acceptors, 3);
    assert_int_equal(cfg.acceptors[0], 4);
    assert_int_equal(cfg.acceptors[1], 5);
    assert_int_equal(cfg.acceptors[2], 6);
    assert_int_equal(config_quorum(&cfg), 2);
    assert_int_equal(config_acceptor_index(&cfg, 6), 2);
    assert_int_equal(config_acceptor_index(&cfg, 1), -1);
    assert_string_equal(config_node(&cfg, 7)->name, "learner1");
    assert_string_equal(config_node(&cfg, 10)->host, "client2");
    assert_null(config_node(&cfg, 11));
    /* defaults */
    assert_string_equal(cfg.bind, "");
    assert_string_equal(cfg.data_dir, "./data/acceptor2");
    assert_true(cfg.fsync);
    assert_int_equal(cfg.heartbeat_ms, 100);
    assert_int_equal(cfg.election_timeout_ms, 300);
    assert_int_equal(cfg.request_timeout_ms, 10000);
    assert_int_equal(cfg.log_level, LOG_INFO);
    assert_int_equal(cfg.max_body, 1048576);
    assert_int_equal(cfg.max_value, 65536);
    assert_int_equal(cfg.max_batch, 512);
}

static void test_environment_only(void **state)
{
    struct config cfg;

    setenv("NODE_ROLE", "Proposer", 1);
    setenv("NODE_ID", "2", 1);
    setenv("SEED_NODES", TEN_NODES, 1);
    setenv("BIND_ADDR", "0.0.0.0", 1);
    setenv("DATA_DIR", "/var/lib/paxos", 1);
    setenv("NO_FSYNC", "true", 1);
    setenv("HEARTBEAT_MS", "50", 1);
    setenv("ELECTION_TIMEOUT_MS", "150", 1);
    setenv("REQUEST_TIMEOUT_MS", "2000", 1);
    setenv("LOG_LEVEL", "debug", 1);
    setenv("MAX_BODY_BYTES", "4096", 1);
    setenv("MAX_VALUE_BYTES", "512", 1);
    setenv("MAX_BATCH", "64", 1);
    setenv("ACCEPTOR_IDS", "6, 4", 1);
    setenv("PORT", "", 1);      /* empty counts as unset */
    load_ok(&cfg, NO_ARGS);
    assert_int_equal(cfg.role, ROLE_PROPOSER);
    assert_int_equal(cfg.id, 2);
    assert_int_equal(cfg.port, 3002);
    assert_string_equal(cfg.name, "proposer2");
    assert_string_equal(cfg.bind, "0.0.0.0");
    assert_string_equal(cfg.data_dir, "/var/lib/paxos");
    assert_false(cfg.fsync);
    assert_int_equal(cfg.heartbeat_ms, 50);
    assert_int_equal(cfg.election_timeout_ms, 150);
    assert_int_equal(cfg.request_timeout_ms, 2000);
    assert_int_equal(cfg.log_level, LOG_DEBUG);
    assert_int_equal(cfg.max_body, 4096);
    assert_int_equal(cfg.max_value, 512);
    assert_int_equal(cfg.max_batch, 64);
    assert_int_equal(cfg.n_acceptors, 2);
    assert_int_equal(cfg.acceptors[0], 6);
    assert_int_equal(cfg.acceptors[1], 4);
    assert_int_equal(config_quorum(&cfg), 2);
}

static void test_flag_beats_environment(void **state)
{
    struct config cfg;

    setenv("NODE_ROLE", "learner", 1);
    setenv("NODE_ID", "8", 1);
    setenv("PORT", "7000", 1);
    setenv("SEED_NODES", TEN_NODES, 1);
    setenv("NO_FSYNC", "1", 1);
    setenv("NODE_NAME", "env-name", 1);
    load_ok(&cfg, ARGS("--role=acceptor", "--id", "4", "--port=7001", "--name", "flag-name",
                       "--log-level", "warn"));
    assert_int_equal(cfg.role, ROLE_ACCEPTOR);
    assert_int_equal(cfg.id, 4);
    assert_int_equal(cfg.port, 7001);
    assert_int_equal(config_node(&cfg, 4)->port, 7001);  /* overrides the seed */
    assert_string_equal(cfg.name, "flag-name");
    assert_string_equal(cfg.data_dir, "./data/flag-name");
    assert_false(cfg.fsync);
    assert_int_equal(cfg.log_level, LOG_WARN);

    /* A second call starts afresh (getopt is reset). */
    load_ok(&cfg, ARGS("--no-fsync", "--id", "7", "--role", "learner"));
    assert_int_equal(cfg.port, 7000);
    assert_string_equal(cfg.name, "env-name");
    assert_false(cfg.fsync);
    setenv("NO_FSYNC", "false", 1);
    load_ok(&cfg, ARGS("--id", "7", "--role", "learner"));
    assert_true(cfg.fsync);
}

static void test_node_outside_seeds_is_added(void **state)
{
    struct config cfg;

    load_ok(&cfg, ARGS("--role", "proposer", "--id", "7", "--port", "3007", "--seeds",
                       "9:acceptor:a9:4009,4:acceptor:a4:4004"));
    assert_string_equal(cfg.name, "proposer7");
    assert_string_equal(cfg.data_dir, "./data/proposer7");
    assert_int_equal(cfg.n_nodes, 3);
    assert_int_equal(cfg.nodes[0].id, 4);
    assert_int_equal(cfg.nodes[1].id, 7);
    assert_int_equal(cfg.nodes[2].id, 9);
    assert_string_equal(cfg.nodes[1].host, "127.0.0.1");
    assert_string_equal(cfg.nodes[1].name, "proposer7");
    assert_int_equal(cfg.nodes[1].port, 3007);
    assert_int_equal(cfg.n_acceptors, 2);

    load_ok(&cfg, ARGS("--role", "acceptor", "--id", "12", "--port", "4012",
                       "--advertise", "paxos-12.svc", "--name", "solo"));
    assert_int_equal(cfg.n_nodes, 1);
    assert_string_equal(config_node(&cfg, 12)->host, "paxos-12.svc");
    assert_string_equal(config_node(&cfg, 12)->name, "solo");
    assert_int_equal(cfg.n_acceptors, 1);
    assert_int_equal(config_quorum(&cfg), 1);
}

static void test_quorum_sizes(void **state)
{
    struct config cfg;

    load_ok(&cfg, ARGS("--role", "proposer", "--id", "1", "--seeds",
                       "1:proposer:p:1,2:acceptor:a:2,3:acceptor:a:3,4:acceptor:a:4,"
                       "5:acceptor:a:5,6:acceptor:a:6"));
    assert_int_equal(cfg.n_acceptors, 5);
    assert_int_equal(config_quorum(&cfg), 3);
    load_ok(&cfg, ARGS("--role", "proposer", "--id", "1", "--seeds",
                       "1:proposer:p:1,2:acceptor:a:2,3:acceptor:a:3,4:acceptor:a:4,"
                       "5:acceptor:a:5", "--acceptors", "2,3,4,5"));
    assert_int_equal(config_quorum(&cfg), 3);
}

static void test_help_and_version(void **state)
{
    struct config cfg;
    struct output output;

    assert_int_equal(load(&cfg, &output, ARGS("--help")), 1);
    assert_string_equal(output.err, "");
    for (size_t i = 0; i < N_ENVS; i++)
        assert_non_null(strstr(output.out, setting_envs[i]));
    static const char *const flags[] = {
        "--role ROLE", "--id N", "--port P", "--name NAME", "--bind ADDR",
        "--seeds LIST", "--advertise HOST", "--acceptors IDS", "--data-dir DIR",
        "--no-fsync", "--heartbeat-ms N", "--election-timeout-ms N",
        "--request-timeout-ms N", "--log-level LEVEL", "--max-body N",
        "--max-value N", "--max-batch N", "--help", "--version", "1048576", "65536",
    };
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        if (!strstr(output.out, flags[i]))
            fail_msg("--help lacks %s", flags[i]);

    assert_int_equal(load(&cfg, &output, ARGS("--role", "x", "--version")), 1);
    assert_string_equal(output.out, "paxosd 0.1.0\n");
}

static void test_bad_values(void **state)
{
    expect_error(ARGS("--id", "1"), "missing role (--role / NODE_ROLE)");
    expect_error(ARGS("--role", "leader", "--id", "1"), "'leader' (--role / NODE_ROLE)");
    expect_error(ARGS("--role", "acceptor"), "(--id / NODE_ID)");
    expect_error(ARGS("--role", "acceptor", "--id", "0", "--port", "1"), "'0' (--id / NODE_ID)");
    expect_error(ARGS("--role", "acceptor", "--id", "2147483648", "--port", "1"), "NODE_ID");
    expect_error(ARGS("--role", "acceptor", "--id", "1x", "--port", "1"), "NODE_ID");
    expect_error(ARGS("--role", "acceptor", "--id", "4", "--port", "abc"), "(--port / PORT)");
    expect_error(ARGS("--role", "acceptor", "--id", "4", "--port", "0"), "(--port / PORT)");
    expect_error(ARGS("--role", "acceptor", "--id", "4", "--port", "65536"), "(--port / PORT)");
    expect_error(ARGS("--role", "acceptor", "--id", "4", "--port", ""), "(--port / PORT)");
    expect_error(ARGS("--role", "acceptor", "--id", "4"), "missing port (--port / PORT)");
    expect_error(ARGS("--role", "proposer", "--id", "4", "--seeds", TEN_NODES),
                 "NODE_ID 4 is an acceptor in SEED_NODES, not a proposer");
    expect_error(ARGS("--role", "client", "--id", "1", "--seeds", TEN_NODES),
                 "NODE_ID 1 is a proposer in SEED_NODES, not a client");
    expect_error(ARGS("--role", "acceptor", "--id", "4", "--seeds", "4:acceptor:h:1,x"),
                 "SEED_NODES item 2 'x'");
    expect_error(ARGS("--role", "acceptor", "--id", "4", "--seeds", "4:acceptor:h:1,x"),
                 "(--seeds / SEED_NODES)");
    expect_error(ARGS("--role", "acceptor", "--id", "4", "--port", "1", "--name",
                      "a-name-that-is-much-too-long-0123"), "(--name / NODE_NAME)");
    expect_error(ARGS("--role", "acceptor", "--id", "4", "--port", "1", "--name", ""),
                 "(--name / NODE_NAME)");
    expect_error(ARGS("--role", "acceptor", "--id", "4", "--port", "1", "--name", "a\nb\nc"),
                 "(--name / NODE_NAME)");
    expect_error(ARGS("--role", "acceptor", "--id", "4", "--port", "1", "--advertise",
                      "bad host"), "(--advertise / ADVERTISE_HOST)");
    expect_error(ARGS("--role", "acceptor", "--id", "4", "--port", "1", "--bind", "a b"),
                 "(--bind / BIND_ADDR)");
    expect_error(ARGS("--role", "proposer", "--id", "1", "--port", "1"),
                 "no acceptors: list them in SEED_NODES or ACCEPTOR_IDS");
    expect_error(ARGS("--role", "learner", "--id", "7", "--seeds", "7:learner:h:1"),
                 "no acceptors");
    expect_error(ARGS("--role", "client", "--id", "9", "--seeds", "4:acceptor:h:1,9:client:h:2"),
                 "no proposers");
}

static void test_bad_acceptor_ids(void **state)
{
    expect_error(ARGS("--role", "proposer", "--id", "1", "--seeds", TEN_NODES,
                      "--acceptors", "4,1"), "node 1 is a proposer, not an acceptor");
    expect_error(ARGS("--role", "proposer", "--id", "1", "--seeds", TEN_NODES,
                      "--acceptors", "4,99"), "node 99 is not in SEED_NODES");
    expect_error(ARGS("--role", "proposer", "--id", "1", "--seeds", TEN_NODES,
                      "--acceptors", "4,x"), "(--acceptors / ACCEPTOR_IDS)");
    expect_error(ARGS("--role", "proposer", "--id", "1", "--seeds", TEN_NODES,
                      "--acceptors", "4,,5"), "'' is not a node id");
    expect_error(ARGS("--role", "proposer", "--id", "1", "--seeds", TEN_NODES,
                      "--acceptors", "4,5,4"), "acceptor 4 is listed twice");
}

static void test_too_many_acceptors(void **state)
{
    char seeds[2048] = "1:proposer:p:1";
    char ids[512] = "2";
    size_t used = strlen(seeds);

    for (int id = 2; id <= 34; id++)
        used += (size_t)snprintf(seeds + used, sizeof seeds - used, ",%d:acceptor:a:%d", id, id);
    for (int id = 3; id <= 33; id++)
        snprintf(ids + strlen(ids), sizeof ids - strlen(ids), ",%d", id);
    expect_error(ARGS("--role", "proposer", "--id", "1", "--seeds", seeds),
                 "more than 31 acceptors");
    expect_error(ARGS("--role", "proposer", "--id", "1", "--seeds", seeds, "--acceptors", ids),
                 "more than 31 acceptors");
}

static void test_bad_tuning(void **state)
{
#define NODE "--role", "acceptor", "--id", "4", "--port", "4001"
    expect_error(ARGS(NODE, "--heartbeat-ms", "9"), "(--heartbeat-ms / HEARTBEAT_MS)");
    expect_error(ARGS(NODE, "--heartbeat-ms", "60001"), "HEARTBEAT_MS");
    expect_error(ARGS(NODE, "--heartbeat-ms", "1.5"), "HEARTBEAT_MS");
    expect_error(ARGS(NODE, "--election-timeout-ms", "200"),
                 "(--election-timeout-ms / ELECTION_TIMEOUT_MS) must be more than twice");
    expect_error(ARGS(NODE, "--heartbeat-ms", "200"), "(--heartbeat-ms / HEARTBEAT_MS)");
    expect_error(ARGS(NODE, "--election-timeout-ms", "x"), "ELECTION_TIMEOUT_MS");
    expect_error(ARGS(NODE, "--request-timeout-ms", "99"),
                 "(--request-timeout-ms / REQUEST_TIMEOUT_MS)");
    expect_error(ARGS(NODE, "--request-timeout-ms", "600001"), "REQUEST_TIMEOUT_MS");
    expect_error(ARGS(NODE, "--log-level", "loud"), "(--log-level / LOG_LEVEL)");
    expect_error(ARGS(NODE, "--max-body", "1023"), "(--max-body / MAX_BODY_BYTES)");
    expect_error(ARGS(NODE, "--max-body", "268435457"), "MAX_BODY_BYTES");
    expect_error(ARGS(NODE, "--max-value", "0"), "(--max-value / MAX_VALUE_BYTES)");
    expect_error(ARGS(NODE, "--max-value", "131073"), "expected 1..131072");
    expect_error(ARGS(NODE, "--max-body", "2048"), "expected 1..256");
    expect_error(ARGS(NODE, "--max-batch", "0"), "(--max-batch / MAX_BATCH)");
    expect_error(ARGS(NODE, "--max-batch", "100001"), "MAX_BATCH");
    expect_error(ARGS(NODE, "--data-dir", ""), "(--data-dir / DATA_DIR)");
    setenv("NO_FSYNC", "maybe", 1);
    expect_error(ARGS(NODE), "(--no-fsync / NO_FSYNC)");
    unsetenv("NO_FSYNC");
    setenv("MAX_BATCH", "-1", 1);
    expect_error(ARGS(NODE), "invalid batch size '-1' (--max-batch / MAX_BATCH)");
#undef NODE
}

static void test_bad_command_line(void **state)
{
    expect_error(ARGS("--role", "acceptor", "--bogus", "1"), "unknown option '--bogus'");
    expect_error(ARGS("--role", "acceptor", "-x"), "unknown option '-x'");
    expect_error(ARGS("--role", "acceptor", "stray"), "unexpected argument 'stray'");
    expect_error(ARGS("--role", "acceptor", "--id"), "option '--id' needs a value");
    expect_error(ARGS("--role", "acceptor", "--no-fsync=1"), "option '--no-fsync' takes no value");
}

static void test_exact_port_message(void **state)
{
    struct config cfg;
    struct output output;

    assert_int_equal(load(&cfg, &output, ARGS("--role", "acceptor", "--id", "4",
                                              "--port", "abc")), 2);
    assert_string_equal(output.err,
                        "paxosd: invalid port 'abc' (--port / PORT): expected 1..65535\n");
    assert_string_equal(output.out, "");
}

#define TEST(f) cmocka_unit_test_setup(f, clean_env)

int main(void)
{
    const struct CMUnitTest tests[] = {
        TEST(test_ten_node_seeds),
        TEST(test_seeds_sorted_and_ranked),
        TEST(test_bad_seeds),
        TEST(test_acceptor_from_ten_nodes),
        TEST(test_environment_only),
        TEST(test_flag_beats_environment),
        TEST(test_node_outside_seeds_is_added),
        TEST(test_quorum_sizes),
        TEST(test_help_and_version),
        TEST(test_bad_values),
        TEST(test_bad_acceptor_ids),
        TEST(test_too_many_acceptors),
        TEST(test_bad_tuning),
        TEST(test_bad_command_line),
        TEST(test_exact_port_message),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
