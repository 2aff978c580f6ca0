#include <linux/if_arp.h>
#include <linux/in.h>
#include "KernelHeaderValues.h"

unsigned short kernel_arphrd_ip6gre(void) { return ARPHRD_IP6GRE; }
int kernel_ip_protocol(void) { return IP_PROTOCOL; }
