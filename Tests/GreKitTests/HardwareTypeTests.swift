import Testing
import CMnl
import KernelHeaderValues
@testable import GreKit

@Suite struct HardwareTypeTests {
    @Test func hardwareTypesAreTheHeaders() {
        let pinned: [(HardwareType, Int32)] = [
            (.ether, ARPHRD_ETHER), (.ipip, ARPHRD_TUNNEL), (.tunnel6, ARPHRD_TUNNEL6), (.loopback, ARPHRD_LOOPBACK),
            (.sit, ARPHRD_SIT), (.gre, ARPHRD_IPGRE), (.ip6gre, ARPHRD_IP6GRE), (.none, ARPHRD_NONE), (.void, ARPHRD_VOID),
        ]
        for (type, value) in pinned { #expect(Int32(type.rawValue) == value, "\(type.name)") }
        // CMnl.h's copy of the one glibc's net/if_arp.h lacks, against linux/if_arp.h itself.
        #expect(UInt16(ARPHRD_IP6GRE) == kernel_arphrd_ip6gre())
        #expect(HardwareType.gre.name == "gre" && HardwareType(rawValue: 280).name == "[280]")
        // iproute2's name for ARPHRD_IP6GRE (ll_types.c), not the kind's.
        #expect(HardwareType.ip6gre.name == "gre6")
        #expect(HardwareType.ip6gre.carriesIPAddress && !HardwareType.ether.carriesIPAddress)
    }

    @Test func linkModesAreTheHeaders() {
        let pinned: [(LinkMode, Int)] = [
            (.default, IF_LINK_MODE_DEFAULT), (.dormant, IF_LINK_MODE_DORMANT),
            (.testing, IF_LINK_MODE_TESTING),
        ]
        for (mode, value) in pinned { #expect(Int(mode.rawValue) == value, "\(mode.name)") }
        #expect(LinkMode.dormant.name == "DORMANT" && LinkMode(rawValue: 7).name == "unknown")
    }
}
