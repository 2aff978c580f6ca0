import GreKit

/// Links and addresses as `ip -br` lists them (print_linkinfo_brief): the name and the
/// operational state in columns, then a link's MAC address and flags, or its addresses.
/// Every word ends with a space, as iproute2 prints them, so a line ends with one.
enum BriefView {
    static func link(_ link: Link, devices: LinkSnapshot) -> [Field] {
        var fields = head(link, devices: devices)
        if let address = link.address {
            let text = LinkView.format(address, type: link.hardwareType)
            fields.append(Field("address", .string(text), text: text + " "))
        }
        var flags = LinkView.flagsField(link, devices: devices)
        flags.text? += " "
        return fields + [flags]
    }

    static func addresses(_ link: Link, _ addresses: [Address], devices: LinkSnapshot) -> [Field] {
        head(link, devices: devices) + [AddressView.briefField(addresses)]
    }

    /// The name (with "@parent", padded to 16) and the operational state (padded to 14).
    private static func head(_ link: Link, devices: LinkSnapshot) -> [Field] {
        var fields = LinkView.nameFields(link, devices: devices, suffix: "")
        fields[fields.count - 1].text = fields[fields.count - 1].text.map { padded($0, to: 16) }
        if let state = link.operationalState {
            fields.append(Field("operstate", .string(state.name), text: padded(state.name, to: 14)))
        }
        return fields
    }

    /// iproute2's "%-WIDTHs ".
    private static func padded(_ text: String, to width: Int) -> String {
        text + String(repeating: " ", count: max(0, width - text.count)) + " "
    }
}
