// The C surface gretool uses: libmnl and the kernel's rtnetlink and xfrm uapi, and the system
// headers of the socket layer (signalfd, socket filters, the error queue) and of the
// packets it reads and writes (the kernel's iphdr, ipv6hdr, icmphdr: glibc's own
// netinet/ip.h would clash with linux/ip.h, which linux/if_tunnel.h brings).
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
#include <linux/net_namespace.h>
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
#include <linux/lwtunnel.h>
#include <linux/veth.h>
#include <linux/ipv6_route.h>
#include <linux/errqueue.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/icmp.h>
#include <linux/udp.h>
#include <linux/if_bridge.h>

// setns(2) is declared by glibc only under _GNU_SOURCE, which the Swift
// importer does not define; declare it here with its glibc signature.
extern int setns(int fd, int nstype);

// sendmmsg(2), recvmmsg(2) and struct mmsghdr, the same: the keepalive watcher
// sends its keepalives in batches, one system call per wake-up, and reads its
// replies many a call.
#ifndef __USE_GNU
struct mmsghdr {
    struct msghdr msg_hdr;
    unsigned int msg_len;
};
extern int sendmmsg(int fd, struct mmsghdr *vmessages, unsigned int vlen, int flags);
extern int recvmmsg(int fd, struct mmsghdr *vmessages, unsigned int vlen, int flags, struct timespec *timeout);
#endif

// struct in6_pktinfo (IPV6_PKTINFO), the same: glibc declares it only under
// _GNU_SOURCE, and linux/ipv6.h leaves it to glibc once glibc's headers came first.
#ifndef __USE_GNU
struct in6_pktinfo {
    struct in6_addr ipi6_addr;
    unsigned int ipi6_ifindex;
};
#endif

// The fixed part of a GRE header (RFC 2784), as the kernel declares it in
// include/net/gre.h: the uapi headers have only its flag values. Both fields are
// big-endian; the checksum, key and sequence number, when flagged, follow in that order.
struct gre_base_hdr {
    __be16 flags;
    __be16 protocol;
};

// The fragment bits of an IPv4 header's frag_off, in host order: glibc's netinet/ip.h
// has them, but it cannot be included beside linux/ip.h (both define struct iphdr).
#ifndef IP_MF
#define IP_DF 0x4000
#define IP_MF 0x2000
#define IP_OFFMASK 0x1fff
#endif

// ARPHRD_IP6GRE is in linux/if_arp.h only, which cannot be included beside glibc's
// net/if_arp.h (both define struct arpreq). A unit test pins it to the kernel header.
#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823
#endif

// IP_PROTOCOL (Linux 6.2, and the stable kernels it went to): the control message
// that names the protocol of a packet sent whole through a raw socket, for the IPsec
// policy lookup. It is in linux/in.h only, which cannot be included beside glibc's
// netinet/in.h. A unit test pins it to the kernel header.
#ifndef IP_PROTOCOL
#define IP_PROTOCOL 52
#endif

// MSG_PROBE: a send that goes no further than the route (nothing leaves). The kernel
// keeps the name to itself (its uapi headers lack it); glibc has the bit under its old
// name, MSG_PROXY, which a unit test pins it to.
#ifndef MSG_PROBE
#define MSG_PROBE 0x10
#endif

// Values the Swift importer drops: macros defined as expressions.
static const int cmnl_clone_newnet = 0x40000000;            /* CLONE_NEWNET */
static const unsigned short cmnl_nla_type_mask = NLA_TYPE_MASK;
// The GRE header's flags as they travel (big-endian), for the unit test that pins gretool's copy.
static const unsigned short cmnl_gre_csum = GRE_CSUM;
static const unsigned short cmnl_gre_key = GRE_KEY;
static const unsigned short cmnl_gre_seq = GRE_SEQ;

#endif
