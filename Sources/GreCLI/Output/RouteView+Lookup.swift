import GreKit

// What the reply to a lookup (`route get`) carries beyond a table entry: how the
// kernel cached the route and the cache entry's counters.
extension RouteView {
    /// How the kernel cached an IPv4 route, on a line of its own.
    func writeCacheFlags<Sink: ItemSink>(_ flags: RouteCacheFlags, to sink: inout Sink) {
        var rest = flags
        if Sink.isJSON {
            sink.beginArray("cache")
            for (flag, name) in Self.cacheFlagNames where rest.contains(flag) { sink.element(name) }
            sink.endArray()
            return
        }
        let output = sink.output
        output.write(lineBreak)
        output.write("    cache ")
        guard !rest.isEmpty else { return }
        output.write(UInt8(ascii: "<"))
        for (flag, name) in Self.cacheFlagNames where rest.contains(flag) {
            rest.remove(flag)
            output.write(name)
            output.write(!rest.isEmpty ? "," : "> ")
        }
        if !rest.isEmpty { output.write(String(rest.rawValue, radix: 16) + ">") }
    }

    /// print_cache_flags' words, in its order.
    static let cacheFlagNames: [(flag: RouteCacheFlags, name: String)] = [
        (.local, "local"), (.reject, "reject"), (.multicast, "mc"), (.broadcast, "brd"),
        (.destinationNAT, "dst-nat"), (.sourceNAT, "src-nat"), (.masquerade, "masq"), (.directDestination, "dst-direct"),
        (.directSource, "src-direct"), (.redirected, "redirected"), (.doRedirect, "redirect"),
        (.fast, "fastroute"), (.notify, "notify"), (.transparentProxy, "proxy"),
    ]

    /// print_rta_cacheinfo: what a lookup reports about the cached entry.
    func writeCacheInfo<Sink: ItemSink>(_ info: RouteCacheInfo, to sink: inout Sink) {
        // Times come in clock ticks (USER_HZ), hundredths of a second on Linux.
        let ticksPerSecond: Int32 = 100
        if info.expires != 0 {
            if Sink.isJSON { sink.number("expires", nil, UInt64(max(0, info.expires / ticksPerSecond))) } else {
                sink.output.write("expires \(info.expires / ticksPerSecond)sec ")
            }
        }
        if info.error != 0 { sink.number("error", "error", UInt64(info.error)) }
        if statistics {
            if info.clientReferences != 0 { sink.number("users", "users", UInt64(info.clientReferences)) }
            if info.used != 0 { sink.number("used", "used", UInt64(info.used)) }
            if info.lastUse != 0 {
                if Sink.isJSON { sink.number("age", nil, UInt64(info.lastUse) / UInt64(ticksPerSecond)) } else {
                    sink.output.write("age \(info.lastUse / UInt32(ticksPerSecond))sec ")
                }
            }
        }
        if info.ipID != 0 {
            sink.string("ipid", "ipid", hexadecimal(info.ipID, digits: 4))
        }
        if info.timestamp != 0 || info.timestampAge != 0 {
            sink.string("ts", "ts", hexadecimal(info.timestamp))
            if Sink.isJSON { sink.number("tsage", nil, UInt64(info.timestampAge)) } else {
                sink.output.write("tsage \(info.timestampAge)sec ")
            }
        }
    }
}
