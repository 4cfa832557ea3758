#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""cover-letter.py BLURB COVER: fill git format-patch's cover letter.

BLURB is the checked-in text: its first line is the subject, the rest (after
one blank line) the body.  They replace format-patch's "*** SUBJECT HERE ***"
and "*** BLURB HERE ***" placeholders in COVER, in place.
"""
import sys

blurb_path, cover_path = sys.argv[1:3]
with open(blurb_path, encoding='utf-8') as f:
    subject, _, body = f.read().partition('\n')
with open(cover_path, encoding='utf-8') as f:
    cover = f.read()
for placeholder in ('*** SUBJECT HERE ***', '*** BLURB HERE ***'):
    if placeholder not in cover:
        sys.exit(f'{cover_path}: no "{placeholder}" to replace')
cover = cover.replace('*** SUBJECT HERE ***', subject.strip())
cover = cover.replace('*** BLURB HERE ***', body.strip('\n'))
with open(cover_path, 'w', encoding='utf-8') as f:
    f.write(cover)
