# -*- coding: utf-8 -*-
"""What both modules share: the gretool command line and its answers.

gretool does the work; this only builds the command (the binary, the namespace, -j),
runs it and reads its JSON, and takes gretool's own one-line message when it fails.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json

# Options every module takes: where gretool is and which namespace it works in
# (documented once, in doc_fragments/gretool.py).
COMMON_ARGUMENT_SPEC = dict(
    netns=dict(type='str'),
    executable=dict(type='str', default='gretool'),
)


def command(module, words):
    """gretool's command line: the binary, -n NETNS when given, -j, then the words."""
    binary = module.get_bin_path(module.params['executable'], required=True)
    line = [binary]
    if module.params['netns']:
        line += ['-n', module.params['netns']]
    return line + ['-j'] + list(words)


def message(stderr, rc):
    """gretool's one line: the last line it wrote on standard error."""
    lines = [line for line in (stderr or '').splitlines() if line.strip()]
    if lines:
        return lines[-1]
    return 'gretool exited with status %d and said nothing' % rc


def run(module, words, data=None):
    """Runs gretool; returns its exit status, its JSON answer (None when it printed
    none) and its message."""
    rc, stdout, stderr = module.run_command(command(module, words), data=data)
    answer = None
    if stdout.strip():
        try:
            answer = json.loads(stdout)
        except ValueError:
            module.fail_json(msg='gretool printed something that is not JSON', rc=rc, stdout=stdout, stderr=stderr)
    return rc, answer, message(stderr, rc)
