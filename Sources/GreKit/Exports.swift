// The domain speaks in the netlink layer's value types (addresses, prefixes, errors).
@_exported import Netlink
