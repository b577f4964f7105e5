/* main.c -- paxosd: one Paxos node (proposer, acceptor, learner or
 * client), its role and cluster chosen by flags or environment. */
#include <stdlib.h>

#include "config.h"
#include "log.h"
#include "node.h"

int main(int argc, char **argv)
{
    static struct config cfg;   /* large: keep it off the stack */
    int rc = config_load(&cfg, argc, argv);

    if (rc == 1)
        return 0;
    if (rc == 3) {
        node_print_routes(stdout);
        return 0;
    }
    if (rc != 0)
        return 2;
    log_init(cfg.name, (enum log_level)cfg.log_level);
    if (!cfg.fsync)
        log_warn("--no-fsync: acceptor writes are not flushed to disk; "
                 "a crash can lose promises and break safety");
    return node_run(&cfg) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
