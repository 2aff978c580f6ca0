import CMnl
import Netlink

/// What a watcher owes one tunnel, as its state file holds it: the tunnel's name and
/// interface index (a tunnel deleted and made again, with another index, lost its routes
/// with the old device: nothing is owed to the new one) and what was taken.
///
/// The file is text, one record a line; routes and nexthop objects are the kernel's own
/// messages in hexadecimal, so that exactly what was taken is given back (the metrics,
/// the encapsulation and everything else gretool does not interpret included):
///
///     # gretool keepalive state, version 1
///     tunnel gre1 index 7
///     link-down
///     route <RTM_NEWROUTE>                  a route taken whole
///     legs <RTM_NEWROUTE> <RTM_NEWROUTE>    an ECMP route as it was, and its legs taken
///     penalized METRIC <RTM_NEWROUTE>       a route moved to METRIC
///     nexthop <RTM_NEWNEXTHOP>
///     group <RTM_NEWNEXTHOP>
public struct KeepaliveState: Sendable, Equatable {
    public var tunnel: String
    public var index: Int32
    public var taken: TakenFromTunnel

    public init(tunnel: String, index: Int32, taken: TakenFromTunnel) {
        self.tunnel = tunnel
        self.index = index
        self.taken = taken
    }

    static let header = "# gretool keepalive state, version 1"

    /// The file's text.
    public func encoded() throws -> String {
        // One buffer for every message, and the text written as bytes: a hub's thousand
        // tunnels going down at once write a file of a hundred routes each.
        let buffer = MessageBuffer(capacity: 65536)
        var text = Array("\(Self.header)\ntunnel \(tunnel) index \(index)\n".utf8)
        func word(_ word: String) { text += word.utf8 }
        func message(_ type: RouteMessageType, _ build: (MessageWriter) throws -> Void) throws {
            buffer.reset()
            try buffer.append(type: type.rawValue, flags: [], sequence: 0, build)
            Self.appendHex(buffer.bytes, to: &text)
        }
        func route(_ route: Route) throws { try message(.newRoute) { try route.encode($0) } }
        func nexthop(_ nexthop: NexthopObject) throws { try message(.newNexthop) { try nexthop.encode($0) } }
        // One record: its words, then what `messages` writes, then the end of the line.
        func line(_ words: String, _ messages: () throws -> Void) rethrows {
            word(words)
            try messages()
            word("\n")
        }
        if taken.linkDown { line("link-down") {} }
        for whole in taken.routes { try line("route ") { try route(whole) } }
        for record in taken.legs {
            try line("legs ") {
                try route(record.route)
                word(" ")
                try route(record.route.with(legs: record.legs))
            }
        }
        for record in taken.penalized { try line("penalized \(record.metric) ") { try route(record.route) } }
        for object in taken.nexthops { try line("nexthop ") { try nexthop(object) } }
        for group in taken.groups { try line("group ") { try nexthop(group) } }
        return String(decoding: text, as: UTF8.self)
    }

    /// Reads a state file's text; throws, naming the line, on anything it does not hold.
    public init(decoding text: String) throws(StateFileError) {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true).makeIterator()
        guard lines.next().map(String.init) == Self.header else { throw StateFileError("not a keepalive state file (version 1)") }
        guard let identity = lines.next()?.split(separator: " "), identity.count == 4, identity[0] == "tunnel",
              identity[2] == "index", let index = Int32(identity[3]) else {
            throw StateFileError("the second line does not name the tunnel and its index")
        }
        tunnel = String(identity[1])
        self.index = index
        taken = TakenFromTunnel()
        var number = 2
        while let line = lines.next() {
            number += 1
            let words = line.split(separator: " ").map(String.init)
            guard let record = words.first else { continue }
            switch (record, words.count) {
            case ("link-down", 1): taken.linkDown = true
            case ("route", 2): taken.routes.append(try Self.route(words[1], line: number))
            case ("legs", 3):
                let legs = try Self.route(words[2], line: number).nexthops
                taken.legs.append(RouteLegs(route: try Self.route(words[1], line: number), legs: legs))
            case ("penalized", 3):
                guard let metric = UInt32(words[1]) else { throw StateFileError("line \(number): metric \"\(words[1])\" is not a number") }
                taken.penalized.append(PenalizedRoute(route: try Self.route(words[2], line: number), metric: metric))
            case ("nexthop", 2): taken.nexthops.append(try Self.nexthop(words[1], line: number))
            case ("group", 2): taken.groups.append(try Self.nexthop(words[1], line: number))
            default: throw StateFileError("line \(number): unknown record \"\(record)\" with \(words.count - 1) values")
            }
        }
    }

    // MARK: Messages as hexadecimal

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// Appends `bytes` to `text` in hexadecimal.
    private static func appendHex(_ bytes: UnsafeRawBufferPointer, to text: inout [UInt8]) {
        for byte in bytes {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0xf)])
        }
    }

    private static func route(_ text: String, line: Int) throws(StateFileError) -> Route {
        guard let route = message(text, { Route($0) }) else { throw StateFileError("line \(line): not a route message") }
        return route
    }

    private static func nexthop(_ text: String, line: Int) throws(StateFileError) -> NexthopObject {
        guard let nexthop = message(text, { NexthopObject($0) }) else { throw StateFileError("line \(line): not a nexthop message") }
        return nexthop
    }

    /// Decodes one netlink message written in hexadecimal, whose length must be the
    /// message's own.
    private static func message<Value>(_ text: String, _ decode: (NetlinkMessage) -> Value?) -> Value? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0, digits.count >= 2 * MemoryLayout<nlmsghdr>.size else { return nil }
        // Aligned as a received datagram is.
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: digits.count / 2, alignment: 8)
        defer { bytes.deallocate() }
        for index in 0..<bytes.count {
            guard let high = nibble(digits[2 * index]), let low = nibble(digits[2 * index + 1]) else { return nil }
            bytes[index] = high << 4 | low
        }
        let header = bytes.baseAddress!.assumingMemoryBound(to: nlmsghdr.self)
        guard Int(header.pointee.nlmsg_len) == bytes.count else { return nil }
        return decode(NetlinkMessage(header: header))
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}

/// A state file gretool cannot read.
public struct StateFileError: Error, CustomStringConvertible, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}
