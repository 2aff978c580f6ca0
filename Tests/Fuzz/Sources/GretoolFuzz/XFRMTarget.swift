@testable import GreKit
@testable import Netlink

extension FuzzTarget {
    /// A datagram of xfrm messages, as `diag ipsec` and `diag mtu` receive them: policies
    /// and their templates, SAs and their algorithms, the database counts and the default
    /// policies; then the lookup of the policy and SAs that protect a flow between the
    /// addresses they name, and the ESP sizes an SA gives.
    static let xfrm = FuzzTarget(name: "xfrm", summary: "xfrm (IPsec) replies") { bytes in
        var policies: [IPsecPolicy] = []
        var associations: [SecurityAssociation] = []
        var counts = IPsecCounts()
        for message in MessageSequence(buffer: bytes) {
            if let policy = IPsecPolicy(message) { policies.append(policy) }
            if let association = SecurityAssociation(message) { associations.append(association) }
            switch message.xfrmMessageType {
            case .newSPDInfo?: counts.readPolicies(message)
            case .newSADInfo?: counts.readAssociations(message)
            case .getDefault?: _ = IPsecDefaultPolicy(message)
            default: break
            }
        }
        for association in associations {
            guard let sizes = IPsecEncapsulation(association) else { continue }
            discardedOutput.write(sizes.description)
            for pathMTU in [0, 68, 1280, 1500, 65535] {
                for ipv6 in [false, true] {
                    let largest = sizes.largestInnerPacket(pathMTU: pathMTU, ipv6: ipv6)
                    _ = sizes.parts(total: pathMTU - largest, outerHeader: OverheadPart(name: "IP", bytes: ipv6 ? 40 : 20))
                }
            }
        }
        for association in associations.prefix(8) {
            let flow = XFRMFlow(source: association.source, destination: association.destination)
            for direction in [IPsecPolicy.Direction.outbound, .inbound] {
                for flow in [flow, flow.reversed] {
                    _ = flow.policy(direction, in: policies, associations: associations)?.espAssociation
                }
            }
        }
    }
}
