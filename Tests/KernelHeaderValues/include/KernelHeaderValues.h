// Values of kernel headers that cannot be included beside glibc's (linux/if_arp.h
// and net/if_arp.h both define struct arpreq; linux/in.h and netinet/in.h both
// define struct in_addr), compiled in a file of their own so
// unit tests can pin gretool's copies to them.
#ifndef GRETOOL_KERNEL_HEADER_VALUES_H
#define GRETOOL_KERNEL_HEADER_VALUES_H

unsigned short kernel_arphrd_ip6gre(void);
int kernel_ip_protocol(void);

#endif
