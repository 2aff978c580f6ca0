import CMnl

/// Classic BPF instructions for `Socket.attach(filter:)`: what linux/filter.h's
/// BPF_STMT and BPF_JUMP macros build, which Swift cannot import. An opcode is the sum
/// of its class, size, mode or operation and source (BPF_LD | BPF_H | BPF_ABS).
public enum SocketFilter {
    /// BPF_STMT: an instruction that does not branch.
    public static func statement(_ opcode: CInt, _ operand: UInt32) -> sock_filter {
        sock_filter(code: UInt16(opcode), jt: 0, jf: 0, k: operand)
    }

    /// BPF_JUMP: a comparison of the accumulator with `operand`, then a jump over
    /// `ifTrue` or `ifFalse` instructions.
    public static func jump(_ opcode: CInt, _ operand: UInt32, ifTrue: UInt8, ifFalse: UInt8) -> sock_filter {
        sock_filter(code: UInt16(opcode), jt: ifTrue, jf: ifFalse, k: operand)
    }

    /// Ends the program: accept the packet (up to 65535 bytes of it), or drop it.
    public static let accept = statement(BPF_RET | BPF_K, 0xffff)
    public static let drop = statement(BPF_RET | BPF_K, 0)
    /// Accepts the packet however long: a netlink message may pass 64 KiB, and the
    /// kernel cuts what passes to the length the program returns.
    public static let acceptWhole = statement(BPF_RET | BPF_K, .max)
}
