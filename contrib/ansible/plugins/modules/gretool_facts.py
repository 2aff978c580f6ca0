#!/usr/bin/python
# -*- coding: utf-8 -*-

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: gretool_facts
short_description: A host's tunnels and their keepalive states as facts, from gretool
description:
  - Sets C(gretool_state), what C(gretool -j state show) prints (the host's links, addresses, nexthops, routes and
    rules in the JSON form of an apply file, which M(gretool.gre.gretool_apply) takes as O(gretool.gre.gretool_apply#module:config)).
  - Sets C(gretool_keepalive), what C(gretool keepalive status -j) prints (one object per target of the running
    keepalive watchers), or an empty list when no watcher runs.
version_added: 0.1.0
author:
  - gretool maintainers (!UNKNOWN)
extends_documentation_fragment:
  - gretool.gre.gretool
options:
  tunnels:
    description:
      - Only these tunnels and what belongs to them (C(gretool state show TUNNEL...)); all of the state when empty.
    type: list
    elements: str
    default: []
  keepalive:
    description:
      - Whether to ask the keepalive watchers for their status.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: Reads only.
  diff_mode:
    support: none
    description: Nothing changes, so there is no diff.
  facts:
    support: full
    description: Sets C(gretool_state) and C(gretool_keepalive).
notes:
  - C(keepalive status) asks every watcher with a control socket in C(/run/gretool) (C($GRETOOL_RUNTIME_DIR)), so
    its targets are the host's, whatever O(netns) says.
requirements:
  - gretool on the target
'''

EXAMPLES = r'''
- name: Read the tunnels and their keepalives
  gretool.gre.gretool_facts:

- name: Fail when a tunnel is down
  ansible.builtin.assert:
    that: ansible_facts.gretool_keepalive | selectattr('state', 'equalto', 'down') | list | length == 0
    fail_msg: "down: {{ ansible_facts.gretool_keepalive | selectattr('state', 'equalto', 'down') | map(attribute='tunnel') | join(', ') }}"
'''

RETURN = r'''
ansible_facts:
  description: The facts.
  returned: always
  type: complex
  contains:
    gretool_state:
      description: The declarable state, as C(gretool -j state show) prints it.
      returned: always
      type: dict
      sample: {links: [], addresses: [], nexthops: [], routes: [], rules: [], keepalives: []}
    gretool_keepalive:
      description: The keepalive watchers' targets, as C(gretool keepalive status -j) prints them (tunnel, state, since,
        local, remote, rtt_ms, sent, received, missed, changes, withdrawn...).
      returned: always
      type: list
      elements: dict
      sample: [{tunnel: gre1, state: up, rtt_ms: {last: 0.4, min: 0.3, avg: 0.4, max: 1.2}, sent: 437, received: 433}]
keepalive_message:
  description: gretool's line when no keepalive watcher answered (then C(gretool_keepalive) is empty).
  returned: when no watcher answered
  type: str
  sample: "gretool: no keepalive watcher is running (none answers in /run/gretool)"
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.gretool.gre.plugins.module_utils.gretool import COMMON_ARGUMENT_SPEC, run


def main():
    argument_spec = dict(
        tunnels=dict(type='list', elements='str', default=[]),
        keepalive=dict(type='bool', default=True),
    )
    argument_spec.update(COMMON_ARGUMENT_SPEC)
    module = AnsibleModule(argument_spec=argument_spec, supports_check_mode=True)

    rc, state, message = run(module, ['state', 'show'] + module.params['tunnels'])
    if rc != 0 or state is None:
        module.fail_json(msg=message, rc=rc)
    facts = dict(gretool_state=state, gretool_keepalive=[])
    result = dict(changed=False, ansible_facts=facts)

    if module.params['keepalive']:
        rc, targets, message = run(module, ['keepalive', 'status'])
        # Exit 1 without output: no watcher answered, which is a fact too; anything else is a failure.
        if rc == 0 and isinstance(targets, list):
            facts['gretool_keepalive'] = targets
        elif rc == 1 and targets is None:
            result['keepalive_message'] = message
        else:
            module.fail_json(msg=message, rc=rc)
    module.exit_json(**result)


if __name__ == '__main__':
    main()
