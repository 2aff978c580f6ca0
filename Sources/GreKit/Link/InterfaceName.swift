/// A network interface name as the kernel accepts it: 1 to 15 bytes, no '/',
/// no whitespace, not "." or "..".
public struct InterfaceName: Hashable, Sendable, CustomStringConvertible {
    public let value: String
    public static let maximumLength = 15

    public init(_ text: String) throws(InvalidArgument) {
        let length = text.utf8.count
        guard length > 0 else { throw InvalidArgument("interface name is empty") }
        guard length <= Self.maximumLength else {
            throw InvalidArgument("interface name \"\(text)\" is \(length) bytes long; the limit is \(Self.maximumLength)")
        }
        guard text != ".", text != "..",
              !text.utf8.contains(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: ":") || $0 <= 0x20 || $0 == 0x7f })
        else {
            throw InvalidArgument("\"\(text)\" is not a valid interface name")
        }
        value = text
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

/// A missing device named on the command line.
public struct DeviceNotFound: Error, Equatable, CustomStringConvertible, Sendable {
    public let name: String
    public init(_ name: String) { self.name = name }
    public var description: String { "cannot find device \"\(name)\"" }
}
