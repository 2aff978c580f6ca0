# -*- coding: utf-8 -*-

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """The options every module of the collection takes (module_utils' COMMON_ARGUMENT_SPEC):
    which gretool to run and in which network namespace."""

    DOCUMENTATION = r'''
options:
  netns:
    description:
      - The named network namespace gretool works in (C(gretool -n NETNS)).
    type: str
  executable:
    description:
      - The gretool binary, a name looked up in the PATH or a path.
    type: str
    default: gretool
'''
