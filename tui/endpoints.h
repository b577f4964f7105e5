/* endpoints.h -- finding the nodes paxos-top polls: an explicit list, the
 * local cluster's run directory, or a Kubernetes namespace (NodePort
 * services and the minikube node address, or kubectl port-forward). */
#ifndef PAXOS_TOP_ENDPOINTS_H
#define PAXOS_TOP_ENDPOINTS_H

#include <stddef.h>

#include "model.h"

#define ENDPOINTS_MAX MODEL_NODES_MAX

/* "name=host:port,..." Returns the count, or -1 with a reason in err. */
int endpoints_parse(const char *spec, struct endpoint *out, size_t max,
                    char *err, size_t errlen);
/* A file of "name=host:port" lines (the local cluster's run/endpoints). */
int endpoints_from_file(const char *path, struct endpoint *out, size_t max,
                        char *err, size_t errlen);
/* The NodePort services of namespace (kubectl get services -o json): one
 * endpoint per service named NAME-external, at node_ip (NULL: from
 * `minikube ip`) and the service's nodePort. */
int endpoints_from_k8s(const char *namespace, const char *node_ip,
                       struct endpoint *out, size_t max, char *err,
                       size_t errlen);

/* kubectl port-forward, one per node service, on free local ports; the
 * endpoints then point at 127.0.0.1. */
struct port_forwards;
struct port_forwards *endpoints_port_forward(const char *namespace,
                                             struct endpoint *out, size_t max,
                                             int *count, char *err,
                                             size_t errlen);
/* Stops the kubectl processes. */
void port_forwards_stop(struct port_forwards *pf);

#endif
