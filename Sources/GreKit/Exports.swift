// The domain speaks in the netlink layer's value types (addresses, prefixes, errors)
// and reports the system layer's errors (`SystemError`) as they come.
@_exported import Netlink
@_exported import SystemCalls
