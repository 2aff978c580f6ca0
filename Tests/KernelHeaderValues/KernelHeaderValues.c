#include <linux/if_arp.h>
#include "KernelHeaderValues.h"

unsigned short kernel_arphrd_ip6gre(void) { return ARPHRD_IP6GRE; }
