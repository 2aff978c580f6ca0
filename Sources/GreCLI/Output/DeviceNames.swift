import GreKit

/// Device names for routes: one link dump, and the last answer kept (routes come in
/// runs through the same device).
final class DeviceNames {
    private let snapshot: LinkSnapshot
    private var lastIndex: Int32 = -1
    private var lastName = ""

    init(_ snapshot: LinkSnapshot) { self.snapshot = snapshot }

    /// The name, or "ifN" for a device that is gone, as iproute2 shows it.
    func name(_ index: Int32) -> String {
        if index == lastIndex { return lastName }
        lastIndex = index
        lastName = snapshot.displayName(of: index)
        return lastName
    }
}
