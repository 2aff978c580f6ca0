#!/usr/bin/python
# -*- coding: utf-8 -*-

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: gretool_apply
short_description: Make a host's tunnels, addresses, routes and rules what a file declares, with gretool apply
description:
  - Runs C(gretool apply -j) on the target. gretool reads the declared state, compares it with the kernel's, and
    runs the fewest commands that make them match, as one change that it takes back whole when the kernel refuses
    a part of it.
  - The declared state is an apply file already on the target (O(src)), or the JSON form of one, which
    C(gretool -j state show) prints, given here as a YAML structure (O(config)).
  - All the logic is gretool's; this module passes the options and reports what gretool answered.
version_added: 0.1.0
author:
  - gretool maintainers (!UNKNOWN)
extends_documentation_fragment:
  - gretool.gre.gretool
options:
  src:
    description:
      - An apply file on the target, in batch words or in JSON (C(gretool state show) and C(gretool -j state show) print
        both forms).
      - Exactly one of O(src), O(config), O(commit) and O(rollback) is given.
    type: path
  config:
    description:
      - The declared state in the JSON form of an apply file, as a structure (sections C(links), C(addresses),
        C(nexthops), C(routes), C(rules), C(keepalives), each a list of objects keyed as iproute2's JSON keys them).
        It is passed to gretool on its standard input.
    type: dict
  owner:
    description:
      - Whose objects these are (C(gretool apply --owner)). Each owner prunes only its own objects. gretool's default
        owner is used when this is not given.
    type: str
  keepalive_file:
    description:
      - The keepalive service's file, where gretool writes the keepalive stanzas' lines and whose watchers it has read
        it again (C(--keepalive-file)). gretool's default, C(/etc/gretool/keepalive.conf), when this is not given.
    type: path
  prune:
    description:
      - Delete the owner's objects the declared state no longer has (C(--prune)).
    type: bool
    default: false
  allow_recreate:
    description:
      - Let gretool delete and make again a link whose change cannot be made in place (C(--allow-recreate)); without
        it such a plan is refused and nothing changes.
    type: bool
    default: false
  confirm:
    description:
      - Seconds within which the change must be confirmed, or gretool rolls it back (C(--confirm SECONDS)).
      - With O(confirm_by_probe), the window the keepalive probes get. Without it, another task must confirm with
        O(commit) while this one waits (run this one with C(async) and C(poll=0)).
    type: int
  confirm_by_probe:
    description:
      - Keep the change only if every tunnel with a keepalive stanza answers a keepalive probe in time
        (C(--confirm-by-probe)); otherwise it is rolled back and the task fails.
    type: bool
    default: false
  commit:
    description:
      - Confirm the change a running C(gretool apply --confirm) of the same owner waits for (C(gretool apply --commit)).
    type: bool
    default: false
  rollback:
    description:
      - Roll back, at once, the change a running C(gretool apply --confirm) of the same owner waits for
        (C(gretool apply --rollback)).
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Runs C(gretool apply --dry-run), which plans without writing; confirmation options are not passed.
  diff_mode:
    support: full
    description: The plan's changes, each object as the kernel has it (before) and as declared (after).
notes:
  - gretool exits with a one-line message when the declared state is wrong or the kernel refuses a change; the task
    fails with that line as its message, and the kernel is as it was.
requirements:
  - gretool on the target, run as root (or with CAP_NET_ADMIN)
'''

EXAMPLES = r'''
- name: Tunnels to the spokes, from a file templated earlier
  gretool.gre.gretool_apply:
    src: /etc/gretool/fleet.conf
    prune: true

- name: The same as a structure, kept only if the spokes answer keepalives within 20 s
  gretool.gre.gretool_apply:
    config:
      links:
        - ifname: gre1
          mtu: 1476
          up: true
          linkinfo:
            info_kind: gre
            info_data: {local: 198.51.100.1, remote: 203.0.113.2, ttl: 64, ikey: 42, okey: 42}
      addresses:
        - {local: 10.0.0.1/30, dev: gre1}
      routes:
        - {dst: 10.2.0.0/16, gateway: 10.0.0.2, dev: gre1}
      keepalives:
        - {tunnel: gre1, interval: 5, retries: 3}
    owner: fleet
    confirm: 20
    confirm_by_probe: true

- name: A change that might cut this connection, rolled back unless confirmed in 60 s
  gretool.gre.gretool_apply:
    src: /etc/gretool/fleet.conf
    confirm: 60
  async: 90
  poll: 0
  register: pending

- name: Still reachable, so keep it
  gretool.gre.gretool_apply:
    commit: true
  register: confirmed
  until: confirmed is succeeded
  retries: 5
  delay: 2
'''

RETURN = r'''
status:
  description: What gretool did (C(planned), C(in state), C(applied), C(committed)).
  returned: when a file or structure was applied
  type: str
  sample: applied
changes:
  description: The plan's steps, as gretool's JSON reports them (op, object, key, from, to, command, recreate).
  returned: when a file or structure was applied
  type: list
  elements: dict
  sample:
    - op: add
      object: route
      key: 10.2.0.0/16
      from: null
      to: {dst: 10.2.0.0/16, protocol: 47, gateway: 10.0.0.2, dev: gre1}
      command: gretool route add 10.2.0.0/16 proto 47 via 10.0.0.2 dev gre1
      recreate: false
commands:
  description: The commands of the plan, in the order gretool runs them.
  returned: when a file or structure was applied
  type: list
  elements: str
  sample: [gretool route add 10.2.0.0/16 proto 47 via 10.0.0.2 dev gre1]
drift:
  description: Objects the file does not declare that gretool left alone, because they are not the owner's.
  returned: when a file or structure was applied
  type: list
  elements: dict
  sample: [{object: route, key: 10.99.0.0/24, reason: "not in the file, and not apply's (protocol static): left alone"}]
recreates:
  description: Links made again (or, in check mode, that would be).
  returned: when a file or structure was applied
  type: list
  elements: str
  sample: []
writes:
  description: Commands gretool sent to the kernel.
  returned: when a file or structure was applied
  type: int
  sample: 3
report:
  description: gretool's whole JSON answer (with C(failed) and C(rollback) when the kernel refused a step, and
    C(confirmation) after a confirmed apply).
  returned: always
  type: dict
'''

import json

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gretool.gre.plugins.module_utils.gretool import COMMON_ARGUMENT_SPEC, run


def apply_words(params, check_mode):
    """`apply`'s words for the module's options."""
    if params['commit']:
        words = ['apply', '--commit']
    elif params['rollback']:
        words = ['apply', '--rollback']
    else:
        words = ['apply']
        if check_mode:
            words.append('--dry-run')
        if params['prune']:
            words.append('--prune')
        if params['allow_recreate']:
            words.append('--allow-recreate')
        # A dry run changes nothing, so gretool refuses to be asked to confirm it.
        if not check_mode and params['confirm'] is not None:
            words += ['--confirm', str(params['confirm'])]
        if not check_mode and params['confirm_by_probe']:
            words.append('--confirm-by-probe')
    if params['owner'] is not None:
        words += ['--owner', params['owner']]
    if params['keepalive_file'] is not None and not (params['commit'] or params['rollback']):
        words += ['--keepalive-file', params['keepalive_file']]
    if params['src'] is not None:
        words.append(params['src'])
    elif params['config'] is not None:
        words.append('-')
    return words


def diff(changes):
    """The plan as a diff: each changed object as it is (before) and as declared (after)."""
    def lines(side):
        return ''.join('%s %s: %s\n' % (change['object'], change['key'], json.dumps(change[side], sort_keys=True))
                       for change in changes if change.get(side) is not None)
    return dict(before=lines('from'), after=lines('to'), before_header='kernel', after_header='declared')


def main():
    argument_spec = dict(
        src=dict(type='path'),
        config=dict(type='dict'),
        owner=dict(type='str'),
        keepalive_file=dict(type='path'),
        prune=dict(type='bool', default=False),
        allow_recreate=dict(type='bool', default=False),
        confirm=dict(type='int'),
        confirm_by_probe=dict(type='bool', default=False),
        commit=dict(type='bool', default=False),
        rollback=dict(type='bool', default=False),
    )
    argument_spec.update(COMMON_ARGUMENT_SPEC)
    module = AnsibleModule(
        argument_spec=argument_spec,
        mutually_exclusive=[('src', 'config', 'commit', 'rollback')],
        required_one_of=[('src', 'config', 'commit', 'rollback')],
        supports_check_mode=True,
    )
    params = module.params
    ending = params['commit'] or params['rollback']
    if ending and module.check_mode:
        module.exit_json(changed=True, report={})

    data = json.dumps(params['config']) if params['config'] is not None else None
    rc, report, message = run(module, apply_words(params, module.check_mode), data=data)
    report = report or {}
    if rc != 0:
        module.fail_json(msg=message, rc=rc, report=report)

    if ending:
        module.exit_json(changed=True, report=report)

    changes = report.get('changes', [])
    for warning in report.get('warnings', []):
        module.warn('gretool: %s: %s' % (warning['object'], warning['message']))
    result = dict(
        changed=bool(changes),
        status=report.get('status'),
        changes=changes,
        commands=[change['command'] for change in changes],
        drift=report.get('drift', []),
        recreates=report.get('recreates', []),
        writes=report.get('writes', 0),
        report=report,
    )
    if module._diff:
        result['diff'] = diff(changes)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
