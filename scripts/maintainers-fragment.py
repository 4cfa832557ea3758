#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""maintainers-fragment.py OLD NEW: the MAINTAINERS entries NEW adds or changes.

Entries are the blank-line separated blocks of the file; each block of NEW
that is not in OLD is printed, as it reads in NEW.
"""
import sys


def entries(path):
    with open(path, encoding='utf-8') as f:
        return [b.strip('\n') for b in f.read().split('\n\n') if b.strip()]


old = set(entries(sys.argv[1]))
print('\n\n'.join(b for b in entries(sys.argv[2]) if b not in old))
