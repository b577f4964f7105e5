/* endpoints.c -- where paxos-top finds the nodes (see endpoints.h): a
 * "name=host:port" list from the command line or the local cluster's
 * run/endpoints file, the NodePort services of a Kubernetes namespace
 * (kubectl get services, the node address from minikube), or one
 * kubectl port-forward per node service.
 *
 * kubectl and minikube run through popen() with a command line built only
 * from checked text (the namespace is a DNS label), so nothing the user
 * typed reaches the shell unchecked. Port-forward children are exec'd
 * directly and die with paxos-top (PR_SET_PDEATHSIG). */
#include "endpoints.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "jsonread.h"

#define K8S_JSON_DEPTH 64
#define FORWARD_READY_MS 15000      /* kubectl port-forward gets this long */
#define FORWARD_CHECK_MS 100

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* ---- checks ---- */

static bool valid_name(const char *s, size_t len)
{
    if (len == 0 || len >= MODEL_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(isalnum((unsigned char)s[i]) || strchr("._-", s[i])))
            return false;
    return true;
}

/* A host name, an IPv4 address or a bracketed IPv6 address. */
static bool valid_host(const char *s, size_t len)
{
    bool bracketed = len >= 2 && s[0] == '[' && s[len - 1] == ']';
    const char *allowed = bracketed ? ":." : ".-";

    if (len == 0 || len >= sizeof ((struct endpoint *)0)->host)
        return false;
    if (bracketed) {
        s++;
        len -= 2;
    }
    for (size_t i = 0; i < len; i++)
        if (!(isalnum((unsigned char)s[i]) || strchr(allowed, s[i])))
            return false;
    return len > 0;
}

/* A Kubernetes namespace: 1-63 of [a-z0-9-], not starting or ending with
 * '-'. Also what makes it safe on a shell command line. */
static bool valid_dns_label(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len > 63 || s[0] == '-' || s[len - 1] == '-')
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
              s[i] == '-'))
            return false;
    return true;
}

static int parse_port(const char *s, size_t len, uint16_t *port)
{
    unsigned long v = 0;

    if (len == 0 || len > 5)
        return -1;
    for (size_t i = 0; i < len; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (unsigned long)(s[i] - '0');
    }
    if (v == 0 || v > 65535)
        return -1;
    *port = (uint16_t)v;
    return 0;
}

/* ---- name=host:port ---- */

static int parse_endpoint(const char *s, size_t len, struct endpoint *ep,
                          char *err, size_t errlen)
{
    const char *eq = memchr(s, '=', len);
    const char *colon = NULL;
    int shown = len > 60 ? 60 : (int)len;

    memset(ep, 0, sizeof *ep);
    for (const char *p = eq ? eq + 1 : s; p < s + len; p++)
        if (*p == ':')
            colon = p;
    if (!eq || !colon)
        return fail(err, errlen, "'%.*s' is not name=host:port", shown, s);
    size_t name_len = (size_t)(eq - s);
    size_t host_len = (size_t)(colon - eq - 1);
    if (!valid_name(s, name_len))
        return fail(err, errlen, "'%.*s': the name must be 1-%d letters, "
                    "digits, '.', '_' or '-'", shown, s, MODEL_NAME_MAX - 1);
    if (!valid_host(eq + 1, host_len))
        return fail(err, errlen, "'%.*s': bad host", shown, s);
    if (parse_port(colon + 1, (size_t)(s + len - colon - 1), &ep->port) != 0)
        return fail(err, errlen, "'%.*s': the port must be 1-65535", shown, s);
    memcpy(ep->name, s, name_len);
    memcpy(ep->host, eq + 1, host_len);
    return 0;
}

static int add_endpoint(struct endpoint *out, size_t max, size_t *n,
                        const struct endpoint *ep, char *err, size_t errlen)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(out[i].name, ep->name) == 0)
            return fail(err, errlen, "node '%s' is listed twice", ep->name);
    if (*n >= max)
        return fail(err, errlen, "more than %zu nodes", max);
    out[(*n)++] = *ep;
    return 0;
}

int endpoints_parse(const char *spec, struct endpoint *out, size_t max,
                    char *err, size_t errlen)
{
    struct endpoint ep;
    size_t n = 0;

    if (!spec[0])
        return fail(err, errlen, "no endpoints given");
    for (const char *item = spec;; item++) {
        size_t len = strcspn(item, ",");
        if (parse_endpoint(item, len, &ep, err, errlen) != 0 ||
            add_endpoint(out, max, &n, &ep, err, errlen) != 0)
            return -1;
        item += len;
        if (!*item)
            break;
    }
    return (int)n;
}

/* The line without its leading and trailing blanks. */
static char *trim(char *line)
{
    char *end = line + strlen(line);

    while (*line == ' ' || *line == '\t')
        line++;
    while (end > line && strchr(" \t\r\n", end[-1]))
        *--end = '\0';
    return line;
}

int endpoints_from_file(const char *path, struct endpoint *out, size_t max,
                        char *err, size_t errlen)
{
    char buf[1024], why[200];
    struct endpoint ep;
    size_t n = 0, line_no = 0;
    int rc = -1;
    FILE *f = fopen(path, "r");

    if (!f)
        return fail(err, errlen, "cannot read %s: %s", path, strerror(errno));
    while (fgets(buf, sizeof buf, f)) {
        char *line = trim(buf);
        line_no++;
        if (!line[0] || line[0] == '#')
            continue;
        if (parse_endpoint(line, strlen(line), &ep, why, sizeof why) != 0 ||
            add_endpoint(out, max, &n, &ep, why, sizeof why) != 0) {
            fail(err, errlen, "%s:%zu: %s", path, line_no, why);
            goto cleanup;
        }
    }
    rc = (int)n;
cleanup:
    fclose(f);
    return rc;
}

/* ---- running kubectl and minikube ---- */

/* The last non-empty line of text, cut to fit out. */
static void last_line(const char *text, char *out, size_t size)
{
    const char *end = text + strlen(text), *start;

    while (end > text && strchr(" \t\r\n", end[-1]))
        end--;
    start = end;
    while (start > text && start[-1] != '\n')
        start--;
    snprintf(out, size, "%.*s", (int)(end - start), start);
}

/* Runs command (checked text only) with stderr joined to stdout. Returns
 * its output (the caller frees it) when it exits 0; else NULL with the
 * reason, naming tool when it is not installed. */
static char *run_capture(const char *command, const char *tool,
                         const char *hint, char *err, size_t errlen)
{
    char line[256], *out = NULL;
    size_t len = 0, cap = 0;
    char *full = NULL;
    FILE *p = NULL;
    int status;

    if (asprintf(&full, "%s 2>&1 </dev/null", command) < 0)
        full = NULL;    /* asprintf leaves it undefined */
    if (!full || !(p = popen(full, "r"))) {
        fail(err, errlen, "cannot run %s: %s", tool, strerror(errno));
        goto cleanup;
    }
    for (size_t got; (got = fread(line, 1, sizeof line, p)) > 0; len += got) {
        if (len + got + 1 > cap) {
            cap = 2 * (len + got + 1);
            char *grown = realloc(out, cap);
            if (!grown)
                break;
            out = grown;
        }
        memcpy(out + len, line, got);
        out[len + got] = '\0';
    }
    status = pclose(p);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && out)
        goto cleanup;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        fail(err, errlen, "%s is not installed (or not in PATH): %s", tool, hint);
    else {
        last_line(out ? out : "", line, sizeof line);
        fail(err, errlen, "%s failed: %s", command,
             line[0] ? line : "no output");
    }
    free(out);
    out = NULL;
cleanup:
    free(full);
    return out;
}

/* The node's address from `minikube ip`, into host. */
static int minikube_ip(char *host, size_t size, char *err, size_t errlen)
{
    char line[256];
    char *out = run_capture("minikube ip", "minikube",
                            "give the node's address with --node-ip",
                            err, errlen);

    if (!out)
        return -1;
    last_line(out, line, sizeof line);
    free(out);
    if (!valid_host(line, strlen(line)) || strlen(line) >= size)
        return fail(err, errlen, "minikube ip printed '%.60s', not an address",
                    line);
    snprintf(host, size, "%s", line);
    return 0;
}

/* A node service's name: proposer1, acceptor2, learner1, client2... */
static bool node_service_name(const char *name)
{
    static const char *const roles[] = { "proposer", "acceptor", "learner",
                                         "client" };

    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        size_t len = strlen(roles[i]);
        if (strncmp(name, roles[i], len) == 0 && name[len] &&
            strspn(name + len, "0123456789") == strlen(name + len))
            return true;
    }
    return false;
}

static const char *json_str(json_object *obj, const char *key)
{
    json_object *val = NULL;

    if (!json_object_object_get_ex(obj, key, &val) ||
        !json_object_is_type(val, json_type_string))
        return "";
    return json_object_get_string(val);
}

static json_object *json_get(json_object *obj, const char *key)
{
    json_object *val = NULL;

    json_object_object_get_ex(obj, key, &val);
    return val;
}

/* The endpoint a service item stands for: external (NodePort services
 * named NODE-external, at their nodePort) or a node's own service (named
 * after the node, at its port). False when it is neither. */
static bool service_endpoint(json_object *item, bool external,
                             struct endpoint *ep)
{
    json_object *spec = json_get(item, "spec");
    const char *name = json_str(json_get(item, "metadata"), "name");
    json_object *ports = json_get(spec, "ports");
    json_object *port = NULL;
    size_t name_len = strlen(name);
    static const char suffix[] = "-external";

    if (external) {
        if (strcmp(json_str(spec, "type"), "NodePort") != 0 ||
            name_len <= strlen(suffix) ||
            strcmp(name + name_len - strlen(suffix), suffix) != 0)
            return false;
        name_len -= strlen(suffix);
    } else if (!node_service_name(name)) {
        return false;
    }
    if (json_object_is_type(ports, json_type_array) &&
        json_object_array_length(ports) > 0)
        port = json_get(json_object_array_get_idx(ports, 0),
                        external ? "nodePort" : "port");
    int64_t number = port ? json_object_get_int64(port) : 0;
    if (!valid_name(name, name_len) || number < 1 || number > 65535)
        return false;
    memset(ep, 0, sizeof *ep);
    memcpy(ep->name, name, name_len);
    ep->port = (uint16_t)number;
    return true;
}

/* The services of namespace that stand for nodes (see service_endpoint);
 * hosts are left empty. Returns the count or -1. */
static int k8s_services(const char *namespace, bool external,
                        struct endpoint *out, size_t max, char *err,
                        size_t errlen)
{
    char command[160], why[200];
    struct jr d = { why, sizeof why };
    json_object *root = NULL, *items;
    size_t n = 0;
    int rc = -1;

    if (!valid_dns_label(namespace))
        return fail(err, errlen, "bad namespace '%.64s': a DNS label is 1-63 "
                    "lowercase letters, digits and '-'", namespace);
    snprintf(command, sizeof command, "kubectl get services -n %s -o json "
             "--request-timeout=10s", namespace);
    char *out_text = run_capture(command, "kubectl", "install it, or give "
                                 "--endpoints", err, errlen);
    if (!out_text)
        return -1;
    const char *json = strchr(out_text, '{');   /* after any warning lines */
    if (!json || jr_parse(&d, json, strlen(json), K8S_JSON_DEPTH, &root) != 0) {
        fail(err, errlen, "kubectl get services: unreadable answer (%s)", why);
        goto cleanup;
    }
    items = json_get(root, "items");
    size_t len = json_object_is_type(items, json_type_array)
                     ? json_object_array_length(items) : 0;
    for (size_t k = 0; k < len; k++) {
        struct endpoint ep;
        if (service_endpoint(json_object_array_get_idx(items, k), external,
                             &ep) &&
            add_endpoint(out, max, &n, &ep, err, errlen) != 0)
            goto cleanup;
    }
    if (n == 0) {
        fail(err, errlen, "no %s services in namespace %s (is the cluster "
             "deployed there?)", external ? "NodePort NAME-external" : "node",
             namespace);
        goto cleanup;
    }
    rc = (int)n;
cleanup:
    json_object_put(root);
    free(out_text);
    return rc;
}

int endpoints_from_k8s(const char *namespace, const char *node_ip,
                       struct endpoint *out, size_t max, char *err,
                       size_t errlen)
{
    char host[sizeof out->host];
    int n;

    if (node_ip && !valid_host(node_ip, strlen(node_ip)))
        return fail(err, errlen, "bad --node-ip '%.64s'", node_ip);
    if ((n = k8s_services(namespace, true, out, max, err, errlen)) < 0)
        return -1;
    if (node_ip)
        snprintf(host, sizeof host, "%s", node_ip);
    else if (minikube_ip(host, sizeof host, err, errlen) != 0)
        return -1;
    for (int i = 0; i < n; i++)
        memcpy(out[i].host, host, sizeof host);
    return n;
}

/* ---- port-forward ---- */

struct forward {
    pid_t pid;
    FILE *log;              /* the child's stderr, for the reason it died */
    char service[MODEL_NAME_MAX];
    uint16_t local_port;
};

struct port_forwards {
    struct forward *fw;
    size_t n;
};

/* A local port nobody listens on (the kernel's choice), or 0. */
static uint16_t free_local_port(void)
{
    struct sockaddr_in addr = { .sin_family = AF_INET,
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof addr;
    uint16_t port = 0;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0)
        return 0;
    if (bind(fd, (struct sockaddr *)&addr, sizeof addr) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    close(fd);
    return port;
}

static bool local_port_open(uint16_t port)
{
    struct sockaddr_in addr = { .sin_family = AF_INET,
                                .sin_port = htons(port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool open = fd >= 0 &&
                connect(fd, (struct sockaddr *)&addr, sizeof addr) == 0;

    if (fd >= 0)
        close(fd);
    return open;
}

/* In the child: dies with its parent, default signals, stderr to log. */
static void exec_port_forward(const char *namespace, const struct forward *f,
                              uint16_t remote_port, pid_t parent)
{
    char target[MODEL_NAME_MAX + 8], ports[32];
    sigset_t none;
    int null_fd = open("/dev/null", O_RDWR);

    prctl(PR_SET_PDEATHSIG, SIGTERM);
    if (getppid() != parent)
        _exit(1);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);  /* the loop blocked SIGTERM */
    signal(SIGPIPE, SIG_DFL);
    if (null_fd >= 0) {
        dup2(null_fd, STDIN_FILENO);
        dup2(null_fd, STDOUT_FILENO);
    }
    dup2(fileno(f->log), STDERR_FILENO);
    snprintf(target, sizeof target, "svc/%s", f->service);
    snprintf(ports, sizeof ports, "%u:%u", f->local_port, remote_port);
    execlp("kubectl", "kubectl", "port-forward", "-n", namespace,
           "--address", "127.0.0.1", target, ports, (char *)NULL);
    fprintf(stderr, "cannot run kubectl: %s\n", strerror(errno));
    _exit(127);
}

static int start_forward(const char *namespace, struct forward *f,
                         const struct endpoint *service, char *err,
                         size_t errlen)
{
    pid_t parent = getpid();

    snprintf(f->service, sizeof f->service, "%s", service->name);
    if (!(f->local_port = free_local_port()) || !(f->log = tmpfile()))
        return fail(err, errlen, "cannot set up a port-forward for %s: %s",
                    service->name, strerror(errno));
    fflush(NULL);
    if ((f->pid = fork()) < 0)
        return fail(err, errlen, "cannot start kubectl: %s", strerror(errno));
    if (f->pid == 0)
        exec_port_forward(namespace, f, service->port, parent);
    return 0;
}

/* Why a forward's kubectl exited: the last line it printed. */
static int forward_died(struct forward *f, int status, char *err,
                        size_t errlen)
{
    char text[4096] = "", line[256];
    size_t got;

    f->pid = 0;
    rewind(f->log);
    got = fread(text, 1, sizeof text - 1, f->log);
    text[got] = '\0';
    last_line(text, line, sizeof line);
    return fail(err, errlen, "kubectl port-forward svc/%s exited (status %d): %s",
                f->service, WIFEXITED(status) ? WEXITSTATUS(status) : -1,
                line[0] ? line : "no output");
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

    nanosleep(&ts, NULL);
}

/* Waits until every forward's local port accepts connections. */
static int await_forwards(struct port_forwards *pf, char *err, size_t errlen)
{
    for (long waited = 0;; waited += FORWARD_CHECK_MS) {
        size_t ready = 0;
        for (size_t i = 0; i < pf->n; i++) {
            struct forward *f = &pf->fw[i];
            int status;
            if (waitpid(f->pid, &status, WNOHANG) == f->pid)
                return forward_died(f, status, err, errlen);
            ready += local_port_open(f->local_port);
        }
        if (ready == pf->n)
            return 0;
        if (waited >= FORWARD_READY_MS)
            return fail(err, errlen, "kubectl port-forward: %zu of %zu ports "
                        "not ready after %d s", pf->n - ready, pf->n,
                        FORWARD_READY_MS / 1000);
        sleep_ms(FORWARD_CHECK_MS);
    }
}

struct port_forwards *endpoints_port_forward(const char *namespace,
                                             struct endpoint *out, size_t max,
                                             int *count, char *err,
                                             size_t errlen)
{
    struct port_forwards *pf = NULL;
    bool ok = false;
    int n = k8s_services(namespace, false, out, max, err, errlen);

    *count = 0;
    if (n < 0)
        return NULL;
    if (!(pf = calloc(1, sizeof *pf)) ||
        !(pf->fw = calloc((size_t)n, sizeof *pf->fw))) {
        fail(err, errlen, "out of memory");
        goto cleanup;
    }
    for (int i = 0; i < n; i++)
        if (start_forward(namespace, &pf->fw[pf->n++], &out[i], err,
                          errlen) != 0)
            goto cleanup;
    if (await_forwards(pf, err, errlen) != 0)
        goto cleanup;
    for (int i = 0; i < n; i++) {
        snprintf(out[i].host, sizeof out[i].host, "127.0.0.1");
        out[i].port = pf->fw[i].local_port;
    }
    *count = n;
    ok = true;
cleanup:
    if (!ok) {
        port_forwards_stop(pf);
        pf = NULL;
    }
    return pf;
}

void port_forwards_stop(struct port_forwards *pf)
{
    if (!pf)
        return;
    for (size_t i = 0; i < pf->n; i++) {
        struct forward *f = &pf->fw[i];
        if (f->pid > 0) {
            kill(f->pid, SIGTERM);
            waitpid(f->pid, NULL, 0);
        }
        if (f->log)
            fclose(f->log);
    }
    free(pf->fw);
    free(pf);
}
