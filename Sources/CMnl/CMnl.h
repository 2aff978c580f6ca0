// The C surface gretool uses: libmnl and the kernel's rtnetlink and xfrm uapi, plus the
// signalfd and socket-filter declarations the keepalive watcher's event loop needs.
// glibc headers must come before the kernel headers, or clean builds fail on
// duplicate definitions of struct in6_addr between SwiftGlibc and linux/in6.h.
#ifndef GRETOOL_CMNL_H
#define GRETOOL_CMNL_H

#include <sys/socket.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <sys/signalfd.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/if_link.h>
#include <linux/if_addr.h>
#include <linux/if_tunnel.h>
#include <linux/nexthop.h>
#include <linux/fib_rules.h>
#include <linux/in_route.h>
#include <linux/icmpv6.h>
#include <linux/filter.h>
#include <linux/xfrm.h>
#include <linux/if.h>
#include <linux/ip6_tunnel.h>
#include <linux/veth.h>
#include <linux/ipv6_route.h>

// setns(2) is declared by glibc only under _GNU_SOURCE, which the Swift
// importer does not define; declare it here with its glibc signature.
extern int setns(int fd, int nstype);

// sendmmsg(2) and struct mmsghdr, the same: the keepalive watcher sends its
// keepalives in batches, one system call per wake-up.
#ifndef __USE_GNU
struct mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};
extern int sendmmsg(int fd, struct mmsghdr *vmessages, unsigned int vlen, int flags);
#endif

// Values the Swift importer drops: macros defined as expressions.
static const int cmnl_clone_newnet = 0x40000000;            /* CLONE_NEWNET */
static const unsigned short cmnl_nla_type_mask = NLA_TYPE_MASK;
// The GRE header's flags as they travel (big-endian), for the unit test that pins gretool's copy.
static const unsigned short cmnl_gre_csum = GRE_CSUM;
static const unsigned short cmnl_gre_key = GRE_KEY;
static const unsigned short cmnl_gre_seq = GRE_SEQ;

#endif
