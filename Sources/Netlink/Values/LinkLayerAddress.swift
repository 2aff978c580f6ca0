/// Formats link-layer addresses as iproute2 does: colon-separated hex bytes.
public enum LinkLayerAddress {
    public static func format(_ bytes: some Collection<UInt8>) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 3)
        for (index, byte) in bytes.enumerated() {
            if index > 0 { output.append(UInt8(ascii: ":")) }
            output.append(digits[Int(byte >> 4)])
            output.append(digits[Int(byte & 0xf)])
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Parses "aa:bb:cc:dd:ee:ff" (any number of bytes).
    public static func parse(_ text: some StringProtocol) -> [UInt8]? {
        var bytes: [UInt8] = []
        for part in text.split(separator: ":", omittingEmptySubsequences: false) {
            guard (1...2).contains(part.count), let byte = UInt8(part, radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes.isEmpty ? nil : bytes
    }
}
