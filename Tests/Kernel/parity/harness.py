"""The iproute2 parity harness: command lines run once through `ip -n A` and once
through `gretool -n B`, in twin namespaces set up identically, and compared.

For each line: the exit status (success or failure; gretool's own codes are 0, 1
and 2, with one line on standard error when it fails), standard output byte for
byte (and, for a listing, its `-j` form too), and for a line that changes something
the kernel's state afterwards, read by `ip -d -j` in both twins: links, addresses,
routes of every table (IPv4 and IPv6), rules (IPv4 and IPv6) and nexthops.

Only what must differ between twins is normalised: gretool's namespace names
become ip's, and a MAC address the kernel chose at random (with the IPv6
link-local address and bridge id made from it) becomes the one ip's twin got.
Lifetimes and expiry times count down, so they may differ by a few seconds; bridge
timers and a resilient group's unbalanced time are live values and are not
compared. A state or a listing that differs is read again after a second (links
change operational state asynchronously) before it counts.

A line may differ from ip only as a deliberate difference (a case names it;
Documentation/gretool.md lists it with its reason) or while it is pending (the file
`pending` beside this one). Both lists must stay true: a named or pending line that
matches ip is reported too.

Usage: harness.py [--list] [-k PATTERN] SUITE SECTION...
  GRETOOL    the gretool binary (required), NS_PREFIX namespace name prefix.
"""

import ipaddress
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
TOLERANCE = 3  # seconds a countdown may move between the twins' readings

# ------------------------------------------------------------------ the cases


@dataclass
class Case:
    """One command line compared. `line` is its words after the program's name, with
    placeholders (see `Twins.bind`, and {peer} the twin's second namespace, {batch} a
    file holding `batch`). `setup` lines run first through ip in both twins.
    `differs` names a documented difference."""
    line: str
    setup: tuple = ()
    differs: str | None = None
    batch: str | None = None
    # Tells apart cases of the same words (a line run twice).
    label: str | None = None

    @property
    def name(self):
        name = self.line
        if self.batch is not None:
            name += " <<< " + json.dumps(self.batch)
        if self.setup:
            name += " (after " + "; ".join(self.setup) + ")"
        if self.label:
            name += " #" + self.label
        return name


@dataclass
class Fixture:
    """What both twins hold before their first case: ip batch lines (with {peer}) run
    in each twin, `peer_lines` in its second namespace (when `peer`)."""
    lines: tuple = ()
    peer: bool = False
    peer_lines: tuple = ()
    # Seconds to wait once it is made: links that came up send a few IPv6 multicast
    # reports at random moments within a second or two, and listings with -s
    # compare their counters.
    settle: float = 0
    # Whether the state read includes the IPv6 rules, which take a process of their own
    # per twin (ip's rule dump is of one family): not for lines that make no rules.
    ipv6_rules: bool = True


@dataclass
class Group:
    """Cases run one after another in the same twins."""
    name: str
    fixture: Fixture
    cases: list = field(default_factory=list)
    # Compare the state after every so many changing lines (and at the end); a
    # mismatch is then narrowed to its line by running the group again line by line.
    check_every: int = 5
    # Run lines many to a batch file (-force), where each process costs (the lab's
    # emulated CPU): those of the same options, expected to differ or not, together
    # (the group is run in that order), their setup lines first in one batch. So the
    # lines must not depend on each other.
    batched: bool = False


READ_VERBS = {"show", "list", "lst", "get", "sh", "ls", "l", "li", "s", "g"}
OPTIONS_WITH_VALUE = {"-n", "-netns", "-b", "-batch", "-rc", "-rcvbuf"}


def split_line(words):
    """(options, object, verb) of a command line's words."""
    i = 0
    options = []
    while i < len(words) and words[i].startswith("-") and len(words[i]) > 1:
        options.append(words[i])
        if words[i] in OPTIONS_WITH_VALUE and i + 1 < len(words):
            options.append(words[i + 1])
            i += 1
        i += 1
    rest = words[i:]
    return options, (rest[0] if rest else None), (rest[1] if len(rest) > 1 else None)


def reads_only(words):
    """A listing: no verb, or show/list/get (and their abbreviations)."""
    options, obj, verb = split_line(words)
    if any(o in ("-b", "-batch") for o in options):
        return False
    if obj is None:
        return True
    return verb is None or verb in READ_VERBS or verb == "help"


# ------------------------------------------------------------------ processes

class Run:
    """A finished process."""

    def __init__(self, argv, status, stdout, stderr):
        self.argv, self.status, self.stdout, self.stderr = argv, status, stdout, stderr

    def describe(self):
        err = self.stderr.decode(errors="replace").strip().replace("\n", " | ")
        return f"exit {self.status}" + (f" ({err[:300]})" if err else "")


def run_both(argvs, inputs=None):
    """Runs the commands at once (each twin is its own namespace) and waits for all."""
    procs = []
    for argv in argvs:
        procs.append(subprocess.Popen(argv, stdin=subprocess.PIPE if inputs is not None else subprocess.DEVNULL,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    results = []
    for proc, argv in zip(procs, argvs):
        try:
            out, err = proc.communicate(inputs.encode() if inputs is not None else None, timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
            err += b"\n(harness: killed after 30 s)"
        results.append(Run(argv, proc.returncode, out, err))
    return results


def ip_lines(ns, lines, force=False):
    """Runs ip command lines in a namespace: those without options in one `ip -batch`
    (several when lines with options come between), the others alone. Unless
    `force`, each must succeed."""
    batch = []

    def send():
        if batch:
            argv = ["ip", "-n", ns] + (["-force"] if force else []) + ["-batch", "-"]
            (subprocess.run(argv, input="\n".join(batch).encode() + b"\n", capture_output=True) if force
             else must(argv, "\n".join(batch) + "\n"))
            batch.clear()
    for line in lines:
        if line.startswith("-"):
            send()
            argv = ["ip", "-n", ns] + line.split()
            subprocess.run(argv, capture_output=True) if force else must(argv)
        else:
            batch.append(line)
    send()


def must(argv, stdin=None):
    result = subprocess.run(argv, input=stdin.encode() if stdin else None, capture_output=True)
    if result.returncode != 0:
        raise SystemExit(f"harness: {' '.join(argv)} failed: {result.stderr.decode(errors='replace').strip()}")
    return result.stdout


# ------------------------------------------------------------------ the twins

STATE_LINES = "link show\naddress show\nroute show table all\nrule show\nnexthop show\n"
STATE_PARTS = ["links", "addresses", "routes", "rules", "nexthops"]

MAC = re.compile(r"\b(?:[0-9a-f]{2}:){5}[0-9a-f]{2}\b")
# The name the kernel gives a veth's peer that the words did not name.
KERNEL_NAME = re.compile(r"veth\d+")
KERNEL_NAME_WORD = re.compile(r"\bveth\d+\b")
# Numbers that count down (or up: a cached route's age): compared within TOLERANCE seconds.
COUNTDOWN = re.compile(
    r'((?:valid_lft|preferred_lft|expires|age) )(-?\d+)(sec)|("(?:valid_life_time|preferred_life_time|expires|age)":)(-?\d+)')
# Live values, and what the kernel draws at random (an IPv6 tunnel's permanent
# address): not compared at all.
LIVE = re.compile(
    r'((?:hello_timer|tcn_timer|topology_change_timer|gc_timer|message_age_timer|forward_delay_timer|hold_timer)'
    r'(?:"?:|\s+))([\d.]+)|((?:unbalanced_time|"unbalanced_time":|idle_time|"idle_time":|permaddr |"permaddr":) ?)'
    r'("[0-9a-f:.]*"|[0-9a-f:.]+)')


# What the kernel changes asynchronously after a link comes up or goes down: a
# difference that mentions these is read again a second later.
SETTLING = re.compile(r"operstate|\bstate (UP|DOWN|UNKNOWN|LOWERLAYERDOWN|DORMANT)|LOWER_UP|NO-CARRIER|M-DOWN|linkdown|carrier_changes")

# The kernel's multicast routes (ff00::/8, one per link) come in the order links
# became ready, which differs from twin to twin: a run of them is sorted. Under -N
# their type is its number, 5.
MULTICAST_LINES = re.compile(r"(?:^(?:multicast|5) ff00::/8 dev .*\n)+", re.M)
MULTICAST_OBJECT = r'\{"type":"(?:multicast|5)","dst":"ff00::/8"[^{}]*\}'
MULTICAST_OBJECTS = re.compile(MULTICAST_OBJECT + "(?:," + MULTICAST_OBJECT + ")*")


def canonical(text):
    text = MULTICAST_LINES.sub(lambda m: "".join(sorted(m.group(0).splitlines(True))), text)
    return MULTICAST_OBJECTS.sub(lambda m: ",".join(sorted(re.findall(r"\{[^{}]*\}", m.group(0)))), text)


def mask(text):
    """The text with live values blanked and countdowns taken out, and the countdowns."""
    text = LIVE.sub(lambda m: (m.group(1) or m.group(3)) + "*", text)
    numbers = []

    def take(m):
        if m.group(2) is not None:
            numbers.append(int(m.group(2)))
            return m.group(1) + "#" + m.group(3)
        numbers.append(int(m.group(5)))
        return m.group(4) + "#"
    return COUNTDOWN.sub(take, text), numbers


def same_text(a, b):
    if a == b:
        return True
    ma, na = mask(canonical(a))
    mb, nb = mask(canonical(b))
    return ma == mb and len(na) == len(nb) and all(abs(x - y) <= TOLERANCE for x, y in zip(na, nb))


# Where a MAC address shows: itself, an IPv6 link-local address made from it, a bridge id.
MAC_FORMS = re.compile(r"(?:[0-9a-f]{2}:){5}[0-9a-f]{2}|fe80::[0-9a-f:]*[0-9a-f]"
                       r"|\.[0-9a-f]{1,2}(?::[0-9a-f]{1,2}){5}")


def eui64(mac):
    octets = [int(x, 16) for x in mac.split(":")]
    octets[0] ^= 2
    raw = bytes([0xfe, 0x80] + [0] * 6 + octets[:3] + [0xff, 0xfe] + octets[3:])
    return str(ipaddress.IPv6Address(raw))


def bridge_form(mac):
    """How iproute2 writes a MAC inside a bridge id: 8000.2:0:0:0:0:1."""
    return ":".join(format(int(x, 16), "x") for x in mac.split(":"))


class Twins:
    """Namespaces A (ip) and B (gretool), with second namespaces A2 and B2 when the
    fixture wants them, made from the fixture by ip."""

    def __init__(self, prefix, fixture, gretool, markers=False):
        self.prefix, self.fixture, self.gretool, self.markers = prefix, fixture, gretool, markers
        self.a, self.b = f"{prefix}-i", f"{prefix}-g"
        self.a2, self.b2 = f"{prefix}-i2", f"{prefix}-g2"
        self.mac_map = {}
        self.substitutions = None
        self.known_macs = set()
        self.name_map = {}
        self.counter = {"p4": 0, "p6": 0}
        self.build()

    def namespaces(self):
        pairs = [(self.a, self.b)]
        if self.fixture.peer:
            pairs.append((self.a2, self.b2))
        return pairs

    def build(self):
        self.destroy()
        for ns in [n for pair in self.namespaces() for n in pair]:
            must(["ip", "netns", "add", ns])
            # No duplicate address detection (addresses are usable at once) and no
            # automatic link-local addresses: the kernel adds those, and their routes,
            # when a link's carrier comes up, in an order that differs from twin to twin.
            # Fixtures give links their link-local addresses in words.
            must(["ip", "netns", "exec", ns, "sh", "-c",
                  "cd /proc/sys/net/ipv6/conf && echo 0 > all/accept_dad && echo 0 > default/accept_dad"
                  " && echo 1 > default/addr_gen_mode && echo 0 > default/router_solicitations"])
            must(["ip", "-n", ns, "link", "set", "lo", "up"])
        self.known_macs = set()
        self.mac_map = {}
        self.substitutions = None
        self.name_map = {}
        for own, peer in [(self.a, self.a2), (self.b, self.b2)]:
            lines = [l.format(peer=peer) for l in self.fixture.lines] + (list(MARKER_ROUTES) if self.markers else [])
            self.note_macs("\n".join(lines))
            ip_lines(own, lines)
            if self.fixture.peer:
                ip_lines(peer, self.fixture.peer_lines)
        self.note_macs("\n".join(self.fixture.peer_lines))
        self.counter = {"p4": 0, "p6": 0}
        time.sleep(self.fixture.settle)

    def destroy(self):
        for ns in (self.a, self.b, self.a2, self.b2):
            if os.path.exists(f"/run/netns/{ns}"):
                subprocess.run(["ip", "netns", "del", ns], capture_output=True)

    def note_macs(self, text):
        self.known_macs.update(m.lower() for m in MAC.findall(text.lower()))

    # -- placeholders

    def bind(self, case):
        """Values of the case's placeholders, fresh for each case: {p4} / {p6} an IPv4
        /24 or IPv6 /64, {h4} / {h6} its first address with the prefix length, {a4} /
        {a6} that address alone, {g4} / {g6} its second; {l} a link name and {lp} its
        peer's, {mac} a MAC address, {pr} a rule priority, {id} a nexthop id."""
        text = " ".join((case.line,) + tuple(case.setup) + ((case.batch,) if case.batch else ()))
        values = {}
        if any("{%s4}" % k in text for k in "phag"):
            self.counter["p4"] += 1
            n = self.counter["p4"]
            net = f"10.{100 + n // 250}.{n % 250}"
            values.update(p4=f"{net}.0/24", h4=f"{net}.1/24", a4=f"{net}.1", g4=f"{net}.2")
        if any("{%s6}" % k in text for k in "phag"):
            self.counter["p6"] += 1
            n = self.counter["p6"]
            net = f"2001:db8:f{n // 65536:03x}:{n % 65536:x}"
            values.update(p6=f"{net}::/64", h6=f"{net}::1/64", a6=f"{net}::1", g6=f"{net}::2")
        if any(k in text for k in ("{l}", "{lp}", "{mac}", "{pr}", "{id}")):
            self.counter["n"] = self.counter.get("n", 0) + 1
            n = self.counter["n"]
            values.update(l=f"l{n}", lp=f"l{n}p", mac=f"02:00:00:aa:{n // 256:02x}:{n % 256:02x}", pr=str(1000 + n),
                          id=str(100 + n))
        return values

    # -- reading the state

    def dump(self, namespaces):
        """`ip -d -j` of everything compared in each namespace, as text per part."""
        procs = []
        for ns in namespaces:
            argvs = [["ip", "-n", ns, "-d", "-j", "-batch", "-"]]
            if self.fixture.ipv6_rules:
                argvs.append(["ip", "-n", ns, "-d", "-j", "-6", "rule", "show"])
            procs.append([subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                          for argv in argvs])
        dumps = []
        for state, *rules in procs:
            text = state.communicate(STATE_LINES.encode())[0].decode()
            dumps.append(self.split_dump(text) + [rules[0].communicate()[0].decode() if rules else "[]"])
        return dumps

    @staticmethod
    def split_dump(text):
        decoder = json.JSONDecoder()
        parts, i = [], 0
        while i < len(text):
            while i < len(text) and text[i].isspace():
                i += 1
            if i >= len(text):
                break
            _, end = decoder.raw_decode(text, i)
            parts.append(text[i:end])
            i = end
        if len(parts) != len(STATE_PARTS):
            raise SystemExit(f"harness: the state dump has {len(parts)} parts, expected {len(STATE_PARTS)}: {text[:200]}")
        return parts

    def states(self):
        """The states of both twins (A's, B's), B's normalised to A's names."""
        order = [n for pair in self.namespaces() for n in pair]
        dumps = self.dump(order)
        pairs = [(dumps[i], dumps[i + 1]) for i in range(0, len(dumps), 2)]
        self.learn_names(pairs[0][0][0], pairs[0][1][0])
        self.learn_macs(pairs[0][0][0], pairs[0][1][0])
        if self.fixture.peer:
            self.learn_macs(pairs[1][0][0], pairs[1][1][0])
        return ([p for pair in pairs for p in pair[0]],
                [self.normalise(p) for pair in pairs for p in pair[1]])

    def learn_macs(self, links_a, links_b):
        """Maps MACs the kernel chose at random in B to those of the same link in A."""
        try:
            a = {l["ifname"]: l.get("address") for l in json.loads(links_a)}
            b = {l["ifname"]: l.get("address") for l in json.loads(links_b)}
        except (ValueError, KeyError, TypeError):
            return
        for name, mac in b.items():
            theirs = a.get(self.name_map.get(name, name))
            if not mac or not theirs or mac == theirs or not MAC.fullmatch(mac) or not MAC.fullmatch(theirs):
                continue
            if theirs in self.known_macs or mac in self.known_macs:
                continue  # a MAC the words gave: it must be the same
            self.mac_map[mac] = theirs
            self.substitutions = None

    def learn_names(self, links_a, links_b):
        """Maps the names the kernel chose in B for a veth's peer (veth0, veth1...) to
        those of the same link's peer in A: the kernel takes the first free number, and
        a line one twin made links of and the other did not (a documented difference)
        leaves them apart."""
        try:
            a = {l["ifname"]: l.get("link") for l in json.loads(links_a)}
            b = {l["ifname"]: l.get("link") for l in json.loads(links_b)}
        except (ValueError, KeyError, TypeError):
            return
        self.name_map = {}
        for name, peer in b.items():
            theirs = a.get(name)
            if (peer and theirs and peer != theirs and KERNEL_NAME.fullmatch(peer) and KERNEL_NAME.fullmatch(theirs)
                    and theirs not in b):
                self.name_map[peer] = theirs

    def normalise(self, text):
        """B's output as A's would read: namespace names, the peers' names the kernel
        chose and random MACs replaced."""
        text = text.replace(self.b2, self.a2).replace(self.b, self.a)
        if self.name_map:
            text = KERNEL_NAME_WORD.sub(lambda m: self.name_map.get(m.group(0), m.group(0)), text)
        if not self.mac_map:
            return text
        if self.substitutions is None:
            pairs = {}
            for mine, theirs in self.mac_map.items():
                pairs[mine] = theirs
                pairs[eui64(mine)] = eui64(theirs)
                pairs["." + bridge_form(mine)] = "." + bridge_form(theirs)
            self.substitutions = pairs
        pairs = self.substitutions
        return MAC_FORMS.sub(lambda m: pairs.get(m.group(0), m.group(0)), text)


# In a batch file, a marker line follows each line compared: its output, unlike any
# listing's, splits the batch's output into the lines' own. It lists a table of one
# route (IPv4, or IPv6 with -6) that batched groups' twins hold.
MARKER_ROUTES = ("route add 192.0.2.252 dev lo table 252", "route add 2001:db8:252::/128 dev lo table 252")
MARKER_LINE = "route show table 252"
MARKER_TEXT = re.compile(r"^(?:unicast )?(?:192\.0\.2\.252|2001:db8:252::) dev lo [^\n]*\n", re.M)
MARKER_JSON = re.compile(r'\[\{(?:"type":"unicast",)?"dst":"(?:192\.0\.2\.252|2001:db8:252::)"')


def split_by_markers(text):
    """The output of each line of a batch file, from the markers' output between them;
    the last piece is what came after the last marker."""
    pieces, start = [], 0
    while True:
        text_match = MARKER_TEXT.search(text, start)
        json_match = MARKER_JSON.search(text, start)
        match = min((m for m in (text_match, json_match) if m), key=lambda m: m.start(), default=None)
        if match is None:
            pieces.append(text[start:])
            return pieces
        if match is json_match:
            _, end = json.JSONDecoder().raw_decode(text, match.start())
            end += text[end:end + 1] == "\n"
        else:
            end = match.end()
        pieces.append(text[start:match.start()])
        start = end


# ------------------------------------------------------------------ comparing

@dataclass
class Mismatch:
    case: Case
    aspect: str
    detail: str


def identity(item):
    """What names an object of a dump: a link's name, a nexthop's id, a route's key."""
    if not isinstance(item, dict):
        return json.dumps(item)
    for keys in (("ifname",), ("id",), ("type", "dst", "table", "metric", "tos", "dev", "gateway", "nhid"),
                 ("priority", "src", "srclen", "dst", "dstlen", "table", "not", "fwmark", "iif", "oif")):
        if keys[0] in item:
            return json.dumps({k: item.get(k) for k in keys})
    return json.dumps(item, sort_keys=True)


def flatten(value, path=""):
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            out.update(flatten(v, f"{path}.{k}" if path else k))
        return out or {path: {}}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{path}[{i}]"))
        return out
    return {path: value}


def describe_lists(a, b):
    """Object by object: which are only in one dump, which keys differ, or the order."""
    ids_a, ids_b = [identity(x) for x in a], [identity(x) for x in b]
    lines = []
    by_b = {}
    for k, x in zip(ids_b, b):
        by_b.setdefault(k, []).append(x)
    for k, x in zip(ids_a, a):
        if by_b.get(k):
            y = by_b[k].pop(0)
            if x != y:
                fa, fb = flatten(x), flatten(y)
                changed = [f"{key}: ip {json.dumps(fa.get(key, '(none)'))}, gretool {json.dumps(fb.get(key, '(none)'))}"
                           for key in dict.fromkeys(list(fa) + list(fb)) if fa.get(key, "(none)") != fb.get(key, "(none)")]
                lines.append(f"  {k}: " + "; ".join(changed))
        else:
            lines.append(f"  only ip: {json.dumps(x)}")
    for k, rest in by_b.items():
        for y in rest:
            lines.append(f"  only gretool: {json.dumps(y)}")
    if not lines:
        import difflib
        order = [l for l in difflib.unified_diff(ids_a, ids_b, "ip", "gretool", lineterm="", n=1)]
        lines.append("  the same objects, in another order:")
        lines += ["  " + l for l in order[2:]]
    return "\n".join(l[:600] for l in lines[:30])


def changes(before, after):
    """What changed from one dump of a part to the next: the objects gone and the
    objects new (countdowns blanked), each in dump order."""
    old, new = objects(before), objects(after)
    gone, came = list(old), []
    for item in new:
        if item in gone:
            gone.remove(item)
        else:
            came.append(item)
    return {"gone": [json.loads(x) for x in gone], "new": [json.loads(x) for x in came]}


# Countdowns and live values in a dump: "counting" in place of the number (forever,
# 4294967295, stays).
COUNTING = re.compile(r'("(?:valid_life_time|preferred_life_time|expires|unbalanced_time|idle_time|hello_timer|tcn_timer|'
                      r'topology_change_timer|gc_timer|message_age_timer|forward_delay_timer|hold_timer)":)(-?[\d.]+)')
INDEXES = re.compile(r'("(?:ifindex|link_index)":)\d+')
PERMANENT_ADDRESS = re.compile(r'"permaddr":"[0-9a-f:]*"')
_objects = {}


# What the kernel changes on a link by itself, after the line that made or touched it:
# out of step, it is no change of a later line.
LINK_WEATHER_FLAGS = {"LOWER_UP", "M-DOWN", "NO-CARRIER"}
LINK_WEATHER_KEYS = ("operstate", "carrier_changes", "carrier_up_count", "carrier_down_count")


def strip_link_weather(link):
    if isinstance(link.get("flags"), list):
        link["flags"] = [f for f in link["flags"] if f not in LINK_WEATHER_FLAGS]
    for key in LINK_WEATHER_KEYS:
        link.pop(key, None)


def objects(dump):
    """A dump's objects, each as compact JSON with its countdowns blanked (remembered:
    each reading is compared twice, as the state after a line and before the next)."""
    if dump not in _objects:
        if len(_objects) > 64:
            _objects.clear()
        text = COUNTING.sub(lambda m: m.group(1) + (m.group(2) if m.group(2) == "4294967295" else '"counting"'), dump)
        text = PERMANENT_ADDRESS.sub('"permaddr":"random"', text)
        # Out of step, the twins may have used up different interface indexes (a link
        # made in one twin and not the other): what a line changed is compared without them.
        text = INDEXES.sub(lambda m: m.group(1) + '"n"', text)
        items = []
        for item in json.loads(text):
            if isinstance(item, dict) and "ifname" in item:
                strip_link_weather(item)
            # A link's addresses count one by one: out of step, a link that holds one
            # address more in one twin would otherwise change as a whole with every
            # address added to it.
            if isinstance(item, dict) and isinstance(item.get("addr_info"), list):
                addresses = item.pop("addr_info")
                items.append(item)
                items += [{"ifname": item.get("ifname"), "addr_info": address} for address in addresses]
            else:
                items.append(item)
        _objects[dump] = [json.dumps(x, separators=(",", ":")) for x in items]
    return _objects[dump]


def diff(a, b, label_a="ip", label_b="gretool"):
    import difflib
    try:
        ja, jb = json.loads(a), json.loads(b)
        if isinstance(ja, list) and isinstance(jb, list):
            return describe_lists(ja, jb)
    except ValueError:
        pass
    la, lb = pretty(a).splitlines(), pretty(b).splitlines()
    lines = list(difflib.unified_diff(la, lb, label_a, label_b, lineterm="", n=2))
    if len(lines) > 40:
        lines = lines[:40] + [f"... ({len(lines) - 40} more lines)"]
    return "\n".join(lines)


def pretty(text):
    """JSON reindented (one key per line), other text as it is."""
    stripped = text.strip()
    if stripped.startswith(("[", "{")):
        try:
            return json.dumps(json.loads(stripped), indent=1, sort_keys=False)
        except ValueError:
            pass
    return text


class Harness:
    def __init__(self, gretool, prefix, differences, pending):
        self.gretool, self.prefix = gretool, prefix
        self.differences, self.pending = differences, pending
        self.failures = []      # (case name, aspect, detail)
        self.accepted = {}      # case name -> difference name
        self.pending_seen = {}  # case name -> [aspects]
        self.matched = set()    # case names that matched ip in every way
        self.commands = 0
        self.lines = 0

    # -- one case

    def command_lines(self, twins, case, values):
        """argv for A (ip) and B (gretool), and the batch file if any."""
        words_a, words_b = case.line.split(), case.line.split()
        path = None
        if case.batch is not None:
            fd, path = tempfile.mkstemp(prefix="parity-", suffix=".batch")
            with os.fdopen(fd, "w") as f:
                f.write(case.batch.format(**values))
        fill = lambda w, peer: w.format(peer=peer, batch=path, **values)
        words_a = [fill(w, twins.a2) for w in words_a]
        words_b = [fill(w, twins.b2) for w in words_b]
        twins.note_macs(" ".join(words_a) + "\n" + (case.batch or "").format(**values))
        return ["ip", "-n", twins.a] + words_a, [self.gretool, "-n", twins.b] + words_b, path

    def setup(self, twins, case, values):
        self.setup_all(twins, [(case, values)])

    @staticmethod
    def setup_all(twins, cases):
        """The setup lines of the cases (each with its placeholders' values), in one ip
        batch per twin."""
        for own, peer in [(twins.a, twins.a2), (twins.b, twins.b2)]:
            lines = [s.format(peer=peer, **values) for case, values in cases for s in case.setup]
            if lines:
                twins.note_macs("\n".join(lines))
                ip_lines(own, lines)

    def compare_output(self, twins, case, argv_a, argv_b, label, found):
        """Runs a listing in both and compares stdout; when it differs, again with the
        MACs of links made since the last state reading learnt, and when what differs
        is a link's state (which settles asynchronously) again a second later. A line
        expected to differ is run once."""
        for attempt in range(3):
            a, b = run_both([argv_a, argv_b])
            self.commands += 2
            out_a, out_b = a.stdout.decode(errors="replace"), twins.normalise(b.stdout.decode(errors="replace"))
            same = (a.status == 0) == (b.status == 0) and same_text(out_a, out_b)
            if same or self.expected_to_differ(case) or (attempt == 1 and not SETTLING.search(diff(out_a, out_b))):
                break
            if attempt == 0:
                twins.states()
            elif attempt == 1:
                time.sleep(1.1)
        if (a.status == 0) != (b.status == 0):
            found.append(Mismatch(case, "status" if label == "stdout" else f"status {label}",
                                  f"ip {a.describe()}; gretool {b.describe()}"))
        if not same_text(out_a, out_b):
            found.append(Mismatch(case, label, diff(out_a, out_b)))
        return a, b

    def run_case(self, twins, case, found):
        values = twins.bind(case)
        self.setup(twins, case, values)
        argv_a, argv_b, path = self.command_lines(twins, case, values)
        try:
            words = case.line.split()
            if reads_only(words):
                a, b = self.compare_output(twins, case, argv_a, argv_b, "stdout", found)
                options, _, _ = split_line(words)
                if not any(o in ("-j", "-json") for o in options) and a.status == 0:
                    self.compare_output(twins, case, argv_a[:3] + ["-j"] + argv_a[3:],
                                        argv_b[:3] + ["-j"] + argv_b[3:], "json", found)
            else:
                a, b = run_both([argv_a, argv_b])
                self.commands += 2
                if (a.status == 0) != (b.status == 0):
                    found.append(Mismatch(case, "status", f"ip {a.describe()}; gretool {b.describe()}"))
                out_a, out_b = a.stdout.decode(errors="replace"), twins.normalise(b.stdout.decode(errors="replace"))
                if not same_text(out_a, out_b):
                    found.append(Mismatch(case, "stdout", diff(out_a, out_b)))
            # gretool's contract: 0, 1 or 2, and a failure says why in one line.
            if b.status not in (0, 1, 2):
                found.append(Mismatch(case, "exit code", f"gretool {b.describe()}"))
            elif b.status != 0:
                err = b.stderr.decode(errors="replace")
                lines = err.splitlines()
                # With -force, a batch says each failure: a line each, numbered.
                forced = "-force" in split_line(words)[0] and all(re.match(r"gretool: line \d+", l) for l in lines)
                if not forced and (err.count("\n") != 1 or not err.endswith("\n")):
                    found.append(Mismatch(case, "stderr", f"gretool failed without exactly one line on stderr: {err[:300]!r}"))
        finally:
            if path:
                os.unlink(path)
        self.lines += 1

    def part_names(self, count):
        return [(STATE_PARTS[i % 6] if i % 6 < 5 else "rules (IPv6)") + (" (second namespace)" if i >= 6 else "")
                for i in range(count)]

    def compare_state(self, twins, settle):
        """Whether the state agrees, and if not, how it differs. In step, the twins'
        states must be the same; out of step (a line differed before), each twin's
        change since the last reading must be the same. `settle`: read again after a
        second before a difference in links or addresses counts."""
        a, b = twins.states()
        if self.in_step:
            differing = [i for i, (x, y) in enumerate(zip(a, b)) if not same_text(x, y)]
            if differing and settle and any(SETTLING.search(diff(a[i], b[i])) for i in differing):
                time.sleep(1.1)
                a, b = twins.states()
                differing = [i for i, (x, y) in enumerate(zip(a, b)) if not same_text(x, y)]
            names = self.part_names(len(a))
            detail = "\n".join(f"{names[i]}:\n{diff(a[i], b[i])}" for i in differing) or None
            if any(i % 6 == 0 for i in differing):
                # Links that differ may still change state on their own (a link one
                # twin made came up): what later lines change is counted from a
                # reading taken once they settled.
                time.sleep(1.1)
                a, b = twins.states()
        else:
            before_a, before_b = self.last_state
            names = self.part_names(len(a))
            details = []
            for i in range(len(a)):
                change_a, change_b = changes(before_a[i], a[i]), changes(before_b[i], b[i])
                if change_a != change_b:
                    details.append(f"{names[i]} (what the line changed):\n{diff(json.dumps(change_a), json.dumps(change_b))}")
            detail = "\n".join(details) or None
        self.last_state = (a, b)
        self.in_step = all(same_text(x, y) for x, y in zip(a, b))
        return detail

    # -- a group

    def run_group(self, group, selected):
        twins = Twins(self.prefix, group.fixture, self.gretool, markers=group.batched)
        self.in_step, self.last_state = True, None
        try:
            cases = [c for c in group.cases if selected(c)]
            if group.batched:
                # The lines are independent: those of the same options, expected to differ
                # or not, together make fewer batches and state readings.
                cases.sort(key=lambda c: (self.expectation(c) or "", split_line(c.line.split())[0]))
            history = []
            unchecked = []
            index = 0
            while index < len(cases):
                self.progress(f"{group.name}: {index} of {len(cases)} lines")
                case = cases[index]
                expected = self.expected_to_differ(case)
                if (expected or group.batched) and unchecked:
                    # A line expected to differ is checked on its own, so that it does
                    # not send the lines before it to be narrowed down.
                    self.note_state(unchecked, self.compare_state(twins, settle=True))
                    unchecked = []
                if group.batched and self.batchable(case):
                    # Lines of the same options and expectation (none, pending, or one difference).
                    chunk = [case]
                    options = split_line(case.line.split())[0]
                    while (index + len(chunk) < len(cases) and len(chunk) < group.check_every
                           and self.batchable(cases[index + len(chunk)])
                           and split_line(cases[index + len(chunk)].line.split())[0] == options
                           and self.expectation(cases[index + len(chunk)]) == self.expectation(case)):
                        chunk.append(cases[index + len(chunk)])
                    index += len(chunk)
                    if not self.in_step and any(reads_only(c.line.split()) for c in chunk):
                        self.resync(twins, history)
                    self.run_batch(twins, chunk, options)
                    history += chunk
                    changing = [c for c in chunk if not reads_only(c.line.split())]
                    if changing:
                        state = self.compare_state(twins, settle=not expected)
                        if state is None or len(changing) == 1 or expected:
                            # Lines expected to differ share what their batch did.
                            self.note_state(changing, state)
                        else:
                            self.narrow(twins, history, chunk, state)
                    continue
                index += 1
                if reads_only(case.line.split()) and not self.in_step:
                    # A listing reads everything: from twins in step again.
                    self.resync(twins, history)
                found = []
                self.run_case(twins, case, found)
                history.append(case)
                self.record_output(case, found)
                if reads_only(case.line.split()):
                    continue
                unchecked.append(case)
                if not expected and len(unchecked) < group.check_every and index < len(cases):
                    continue
                state = self.compare_state(twins, settle=not (expected and len(unchecked) == 1))
                if state is None or len(unchecked) == 1:
                    self.note_state(unchecked, state)
                else:
                    # Narrow it down: the lines again from where the twins were, each
                    # checked alone.
                    self.narrow(twins, history, unchecked, state)
                unchecked = []
            self.close_cases(cases)
        finally:
            twins.destroy()

    def expectation(self, case):
        """Why a line may differ: the documented difference it names, "pending", or None."""
        return case.differs or ("pending" if case.name in self.pending else None)

    def expected_to_differ(self, case):
        return bool(case.differs) or case.name in self.pending

    # Options a batched line may have (the others are what a line tests).
    BATCH_OPTIONS = {"-4", "-6", "-d", "-s", "-j"}

    def batchable(self, case):
        """Whether a line may go in a batch file with others: no batch of its own, only
        options that choose what a listing shows (markers are found in compact output)."""
        options = split_line(case.line.split())[0]
        return case.batch is None and set(options) <= self.BATCH_OPTIONS

    def run_batch(self, twins, chunk, options):
        """The lines of `chunk` (which share their options) in a batch file per twin, after
        their setup lines; listings again with -j. See `batch_outputs`."""
        lines = []
        setups = []
        for case in chunk:
            values = twins.bind(case)
            setups.append((case, values))
            argv_a, argv_b, _ = self.command_lines(twins, case, values)
            lines.append((" ".join(argv_a[3 + len(options):]), " ".join(argv_b[3 + len(options):])))
        self.setup_all(twins, setups)
        self.compare_batch(twins, chunk, options, lines, "stdout")
        listings = [(case, line) for case, line in zip(chunk, lines) if reads_only(case.line.split())]
        if listings and not {"-j", "-json"} & set(options):
            self.compare_batch(twins, [c for c, _ in listings], options + ["-j"], [l for _, l in listings], "json")
        self.lines += len(chunk)

    def compare_batch(self, twins, chunk, options, lines, label):
        """Runs the lines in `ip -force -batch`, then those ip reached in `gretool -force
        -batch`, each followed by a marker line whose output splits the batch's output
        into the lines' own. ip ends a batch, even with -force, at a line of wrong words:
        the markers printed say where, and the lines after it go in another batch. Each
        line's status is read from the failures the batch reports (ip: "Command failed
        FILE:N", gretool: "line N:"). A listing whose output differs is compared again
        on its own (`compare_output` reads again what settles)."""
        # gretool goes on after any failed line: one batch for all. ip stops at wrong
        # words: a batch from each line after one that stopped it.
        b = self.batch_of([self.gretool, "-n", twins.b] + options, [l[1] for l in lines])
        pieces_b = split_by_markers(twins.normalise(b.stdout.decode(errors="replace")))
        errors_b = {}
        for line in b.stderr.decode(errors="replace").splitlines():
            m = re.match(r"gretool: line (\d+): ", line)
            if m:
                errors_b[(int(m.group(1)) + 1) // 2] = line
            else:
                self.record_output(chunk[0], [Mismatch(chunk[0], "stderr", f"gretool -batch printed {line!r}")])
        if b.status not in (0, 1, 2):
            self.record_output(chunk[0], [Mismatch(chunk[0], "exit code", f"gretool -batch {b.describe()}")])
        remaining = list(enumerate(zip(chunk, lines), start=1))
        while remaining:
            a = self.batch_of(["ip", "-n", twins.a] + options, [l[0] for _, (_, l) in remaining])
            pieces_a = split_by_markers(a.stdout.decode(errors="replace"))
            finished = len(pieces_a) - 1
            reached = min(len(remaining), finished + 1)
            attempted, remaining = remaining[:reached], remaining[reached:]
            failed_a = {(int(n) + 1) // 2 for n in re.findall(r"^Command failed \S+:(\d+)$", a.stderr.decode(errors="replace"), re.M)}
            if finished < reached:
                failed_a.add(reached)  # ip stopped there
            for offset, (number, (case, (line_a, line_b))) in enumerate(attempted, start=1):
                piece_a = pieces_a[offset - 1] if offset <= len(pieces_a) else ""
                piece_b = pieces_b[number - 1] if number <= len(pieces_b) else ""
                same_status = (offset in failed_a) == (number in errors_b)
                if same_status and same_text(piece_a, piece_b):
                    continue
                if reads_only(case.line.split()):
                    # Once more alone, where what settles is read again.
                    found = []
                    argv_a = ["ip", "-n", twins.a] + options + line_a.split()
                    argv_b = [self.gretool, "-n", twins.b] + options + line_b.split()
                    self.compare_output(twins, case, argv_a, argv_b, label, found)
                    self.record_output(case, found)
                    continue
                if not same_status:
                    detail = f"ip {'failed' if offset in failed_a else 'succeeded'}; gretool " + errors_b.get(number, "succeeded")
                    self.record_output(case, [Mismatch(case, "status", detail + " (in a -force batch)")])
                if not same_text(piece_a, piece_b):
                    self.record_output(case, [Mismatch(case, "stdout", diff(piece_a, piece_b))])

    def batch_of(self, program, lines):
        fd, path = tempfile.mkstemp(prefix="parity-", suffix=".batch")
        with os.fdopen(fd, "w") as f:
            f.write("".join(f"{line}\n{MARKER_LINE}\n" for line in lines))
        try:
            self.commands += 1
            return run_both([program + ["-force", "-batch", path]])[0]
        finally:
            os.unlink(path)

    def progress(self, message):
        """A line now and then, for slow runs (the lab's watchdog wants output)."""
        if time.monotonic() - self.last_word > 60:
            print(f"parity: {message}", flush=True)
            self.last_word = time.monotonic()

    def narrow(self, twins, history, unchecked, together):
        """The lines again from where the twins were, each checked alone. When none
        differs alone, they differ together (`together`, the state they left): that is
        recorded on each of them that changes something, not lost."""
        first = len(history) - len(unchecked)
        self.resync(twins, history[:first])
        differ_alone = False
        for case in unchecked:
            self.progress(f"narrowing down to the line that differs: {case.name}")
            self.run_case(twins, case, [])
            self.lines -= 1
            state = self.compare_state(twins, settle=True)
            self.note_state([case], state)
            differ_alone = differ_alone or state is not None
        if not differ_alone:
            changing = [c for c in unchecked if not reads_only(c.line.split())]
            self.note_state(changing, "only together with the lines around it (each alone leaves the same state):\n" + together)

    def resync(self, twins, history):
        """Both twins again from the fixture, with every line so far run by ip in both."""
        twins.build()
        lines = {twins.a: [], twins.b: []}
        paths = []
        for case in history:
            values = twins.bind(case)
            for own, peer in [(twins.a, twins.a2), (twins.b, twins.b2)]:
                lines[own] += [s.format(peer=peer, **values) for s in case.setup]
            if reads_only(case.line.split()):
                continue
            argv_a, argv_b, path = self.command_lines(twins, case, values)
            if path:
                paths.append(path)
            lines[twins.a].append(" ".join(argv_a[3:]))
            lines[twins.b].append(" ".join(argv_b[3:]))
        for own, own_lines in lines.items():
            ip_lines(own, own_lines, force=True)
        for path in paths:
            os.unlink(path)
        self.in_step, self.last_state = True, None
        twins.states()

    # -- verdicts

    def record_output(self, case, found):
        self.found.setdefault(case.name, (case, []))[1].extend(found)

    def note_state(self, cases, detail):
        for case in cases:
            entry = self.found.setdefault(case.name, (case, []))
            if detail is not None:
                entry[1].append(Mismatch(case, "state", detail))

    def close_cases(self, cases):
        for case in cases:
            entry = self.found.pop(case.name, (case, []))
            mismatches = entry[1]
            name = case.name
            if case.differs:
                if case.differs not in self.differences:
                    self.failures.append((name, "difference", f"names \"{case.differs}\", which Documentation/gretool.md does not list"))
                elif not mismatches:
                    self.failures.append((name, "difference", f"documented as \"{case.differs}\" but matches ip now: drop the name"))
                else:
                    self.accepted[name] = case.differs
                    self.differences_seen.add(case.differs)
                continue
            if name in self.pending:
                self.pending_seen[name] = [m.aspect for m in mismatches]
                if not mismatches:
                    self.failures.append((name, "pending", "matches ip now: remove it from the pending list"))
                continue
            if mismatches:
                for m in mismatches:
                    self.failures.append((name, m.aspect, m.detail))
            else:
                self.matched.add(name)

    def run(self, groups, selected):
        self.last_word = time.monotonic()
        self.found = {}
        self.differences_seen = set()
        for group in groups:
            started, lines = time.monotonic(), self.lines
            self.run_group(group, selected)
            # Progress, for slow runs (the lab's watchdog wants output).
            print(f"parity: {group.name}: {self.lines - lines} lines in {time.monotonic() - started:.1f}s", flush=True)


# ------------------------------------------------------------------ lists

def read_differences(guide):
    """The names in the guide's table of deliberate differences from iproute2."""
    names = {}
    in_section = False
    with open(guide, encoding="utf-8") as f:
        for line in f:
            if line.startswith("## "):
                in_section = line.strip() == "## Differences from iproute2"
                continue
            if in_section:
                m = re.match(r"\|\s*`([a-z0-9-]+)`\s*\|(.*)\|\s*$", line)
                if m:
                    names[m.group(1)] = m.group(2).strip()
    return names


def read_pending(path):
    if not os.path.exists(path):
        return set()
    with open(path, encoding="utf-8") as f:
        return {l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")}


def find_guide():
    for candidate in (os.environ.get("PARITY_GUIDE"),
                      os.path.join(HERE, "..", "..", "..", "Documentation", "gretool.md"),
                      os.path.join(HERE, "..", "..", "gretool.md")):
        if candidate and os.path.exists(candidate):
            return candidate
    raise SystemExit("harness: cannot find Documentation/gretool.md (set PARITY_GUIDE)")


def main(argv):
    import suites
    listing = "--list" in argv
    argv = [a for a in argv if a != "--list"]
    pattern = None
    if "-k" in argv:
        i = argv.index("-k")
        pattern = argv[i + 1]
        argv = argv[:i] + argv[i + 2:]
    if not argv:
        raise SystemExit(__doc__)
    suite, sections = argv[0], argv[1:]
    available = suites.SUITES[suite]
    sections = sections or list(available)
    groups = [g for s in sections for g in available[s]()]
    selected = (lambda c: pattern in c.name) if pattern else (lambda c: True)
    if listing:
        for g in groups:
            for c in g.cases:
                if selected(c):
                    print(c.name)
        return 0
    names = [c.name for g in groups for c in g.cases]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise SystemExit(f"harness: cases named twice: {sorted(duplicates)[:5]}")
    gretool = os.environ.get("GRETOOL") or raise_missing()
    prefix = os.environ.get("NS_PREFIX", f"parity{os.getpid()}")
    harness = Harness(gretool, prefix, read_differences(find_guide()), read_pending(os.path.join(HERE, "pending")))
    started = time.monotonic()
    harness.run(groups, selected)
    took = time.monotonic() - started
    for name, aspect, detail in harness.failures:
        print(f"PARITY FAIL [{aspect}] {name}")
        if detail:
            print("\n".join("    " + l for l in detail.splitlines()))
    for name, aspects in sorted(harness.pending_seen.items()):
        print(f"parity: pending [{', '.join(dict.fromkeys(aspects))}] {name}")
    print(f"parity: {suite} {' '.join(sections)}: {harness.lines} lines ({harness.commands} commands) in {took:.1f}s:"
          f" {len(harness.matched)} as ip, {len(harness.accepted)} documented differences,"
          f" {len(harness.pending_seen)} pending, {len(harness.failures)} failures")
    return 1 if harness.failures else 0


def raise_missing():
    raise SystemExit("harness: set GRETOOL to the gretool binary")


if __name__ == "__main__":
    sys.dont_write_bytecode = True
    sys.path.insert(0, HERE)
    sys.exit(main(sys.argv[1:]))
