/* netif.h — a network interface of the calling process's network
 * namespace brought up.  For c-run's containers: docker and podman bring up
 * the loopback of a container's new network namespace (127.0.0.1 and ::1,
 * which the kernel gives lo as it comes up), so that a server in the
 * container answers on 127.0.0.1. */
#ifndef C_NETIF_H
#define C_NETIF_H

#include "err.h"

/* Set IFF_UP on the interface name; an interface up already stays so.
 * Errors name it: "bring up lo: Operation not permitted". */
int c_netif_up(const char *name, c_err **err);

#endif
