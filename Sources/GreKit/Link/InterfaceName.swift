/// A network interface name as the kernel accepts it: 1 to 15 bytes, no '/',
/// no whitespace, not "." or "..".
public struct InterfaceName: Hashable, Sendable, CustomStringConvertible {
    public let value: String
    public static let maximumLength = 15

    public init(_ text: String) throws(InvalidArgument) {
        // Batch lines name a device on every line: the bytes are read in place.
        let (length, valid) = text.withUTF8Bytes(Self.check)
        guard length > 0 else { throw InvalidArgument("interface name is empty") }
        guard length <= Self.maximumLength else {
            throw InvalidArgument("interface name \"\(text)\" is \(length) bytes long; the limit is \(Self.maximumLength)")
        }
        guard valid else { throw InvalidArgument("\"\(text)\" is not a valid interface name") }
        value = text
    }

    /// The name's length, and whether it is neither "." nor ".." and has no '/', ':',
    /// blank or control byte.
    private static func check(_ bytes: UnsafeBufferPointer<UInt8>) -> (length: Int, valid: Bool) {
        let dot = UInt8(ascii: ".")
        if bytes.count <= 2, bytes.allSatisfy({ $0 == dot }) { return (bytes.count, false) }
        let valid = !bytes.contains { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 <= 0x20 || $0 == 0x7f }
        return (bytes.count, valid)
    }

    public var description: String { value }
}

/// Translates between interface names and indexes. Kind modules use it for
/// options that name a device (`dev eth0`), and to show them.
public protocol InterfaceResolver {
    /// The index of a device, or an error naming the missing device.
    func index(of name: String) throws -> Int32
    /// The name of a device, if it exists.
    func name(of index: Int32) -> String?
}

extension InterfaceResolver {
    /// The name of a device, or "ifN" for one that is gone, as iproute2 shows it.
    public func displayName(of index: Int32) -> String { name(of: index) ?? "if\(index)" }
}

/// A missing device named on the command line.
public struct DeviceNotFound: Error, Equatable, CustomStringConvertible, Sendable {
    public let name: String
    public init(_ name: String) { self.name = name }
    public var description: String { "cannot find device \"\(name)\"" }
}
