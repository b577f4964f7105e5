#!/usr/bin/env python3
"""paxos_k8s_client.py -- the guide's Python client for the Paxos cluster on
Kubernetes. Python 3 standard library only.

The commands are those of paxos-client.sh, which does the work (kubectl
exec ... curl inside the pods, or the NodePort services):

  ./paxos_k8s_client.py write "novo valor"
  ./paxos_k8s_client.py direct-write "valor direto"
  ./paxos_k8s_client.py read
  ./paxos_k8s_client.py responses
  ./paxos_k8s_client.py status
  ./paxos_k8s_client.py members
  ./paxos_k8s_client.py member-add acceptor4
  ./paxos_k8s_client.py member-remove acceptor2
  ./paxos_k8s_client.py member-replace acceptor1 acceptor5
  ./paxos_k8s_client.py monitor --duration 120 --interval 10

monitor runs paxos-top's plain-text monitor on the cluster:
  paxos-top --k8s --monitor --duration 120 --interval 10
(paxos-top is found on PATH, in $PAXOS_TOP, or in the build directory).

Options --client and --proposer choose the nodes (as CLIENT= and PROPOSER=
do for paxos-client.sh); --json prints the nodes' JSON answers.
"""

import argparse
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.realpath(__file__))
SRC_DIR = os.path.dirname(HERE)


def find_client_script():
    """paxos-client.sh beside this file (scripts/), symlinks resolved."""
    for candidate in (os.path.join(HERE, "paxos-client.sh"),
                      os.path.join(SRC_DIR, "scripts", "paxos-client.sh")):
        if os.path.isfile(candidate):
            return candidate
    sys.exit("paxos_k8s_client.py: error: paxos-client.sh not found beside "
             + HERE)


def find_paxos_top():
    """paxos-top: $PAXOS_TOP, PATH, or the build directories of the source."""
    explicit = os.environ.get("PAXOS_TOP")
    if explicit:
        if os.path.isfile(explicit) and os.access(explicit, os.X_OK):
            return explicit
        sys.exit("paxos_k8s_client.py: error: PAXOS_TOP=%s is not an "
                 "executable file" % explicit)
    found = shutil.which("paxos-top")
    if found:
        return found
    for candidate in (os.path.join(SRC_DIR, "build", "paxos-top"),
                      os.path.join(SRC_DIR, "build", "tui", "paxos-top"),
                      os.path.join(SRC_DIR, "paxos-top")):
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    sys.exit("paxos_k8s_client.py: error: paxos-top not found (build it: "
             "scripts/run.sh or ./configure && make; or set PAXOS_TOP)")


def positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError("not a number: %r" % text)
    if value <= 0:
        raise argparse.ArgumentTypeError("must be positive: %r" % text)
    return value


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="paxos_k8s_client.py",
        description="Client of the Paxos cluster on Kubernetes "
                    "(namespace paxos).")
    parser.add_argument("--client", help="client node (default client1, "
                        "or $CLIENT)")
    parser.add_argument("--proposer", help="proposer of direct-write and "
                        "the member commands (default proposer1, or "
                        "$PROPOSER)")
    parser.add_argument("--json", action="store_true",
                        help="print the nodes' JSON answers")
    parser.add_argument("--nodeport", action="store_true",
                        help="reach the nodes at their NodePort services "
                             "(default: kubectl exec)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    commands = (
        ("write", "write a value through a client node", ("value",)),
        ("direct-write", "send a value to a proposer", ("value",)),
        ("read", "read the log (linearizable)", ()),
        ("responses", "the client node's write outcomes", ()),
        ("status", "the pods, the leader, every node", ()),
        ("members", "the acceptor set: the configuration, every "
         "acceptor's standing", ()),
        ("member-add", "make an acceptor a voter", ("name",)),
        ("member-remove", "take an acceptor out of the voters", ("name",)),
        ("member-replace", "an acceptor votes in place of a voter",
         ("old", "new")),
    )
    # Each command's own arguments go to paxos-client.sh in this order.
    for name, help_text, operands in commands:
        p = sub.add_parser(name, help=help_text)
        for operand in operands:
            p.add_argument(operand)
        p.set_defaults(operands=operands)
    p = sub.add_parser("monitor", help="watch the cluster (paxos-top "
                       "--k8s --monitor)")
    p.add_argument("--duration", type=positive_int, default=120,
                   help="seconds to watch (default 120)")
    p.add_argument("--interval", type=positive_int, default=10,
                   help="seconds between two reports (default 10)")
    return parser.parse_args(argv)


def command_line(args):
    """The command that does what args ask, and its environment."""
    env = dict(os.environ)
    if args.client:
        env["CLIENT"] = args.client
    if args.proposer:
        env["PROPOSER"] = args.proposer
    if args.command == "monitor":
        cmd = [find_paxos_top(), "--k8s", "--monitor",
               "--duration", str(args.duration),
               "--interval", str(args.interval)]
        if args.json:
            cmd.append("--json")
        return cmd, env
    cmd = ["bash", find_client_script()]
    if args.json:
        cmd.append("--json")
    if args.nodeport:
        cmd.append("--nodeport")
    cmd.append(args.command)
    cmd.extend(getattr(args, name) for name in args.operands)
    return cmd, env


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    cmd, env = command_line(args)
    try:
        return subprocess.call(cmd, env=env)
    except KeyboardInterrupt:
        return 130
    except OSError as err:
        sys.exit("paxos_k8s_client.py: error: cannot run %s: %s"
                 % (cmd[0], err))


if __name__ == "__main__":
    sys.exit(main())
