#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""recipients.py TREE PATCHDIR

Give every patch in PATCHDIR the recipients scripts/get_maintainer.pl of
TREE (the kernel tree with the series applied, so that MAINTAINERS has the
entries the series adds) names for it: people (maintainers, reviewers) in a
To: header, mailing lists in a Cc: header, inserted after the Subject: as
git format-patch --to/--cc would.  The cover letter goes to all of them.
git send-email sends each patch to its own headers; git am, b4 and quilt
ignore them.  Run with --nogit, so the result depends on the tree only.
"""

import email.utils
import os
import subprocess
import sys

GET_MAINTAINER = ["perl", "scripts/get_maintainer.pl", "--nogit",
                  "--nogit-fallback", "--norolestats"]


def recipients(tree, patch):
    out = subprocess.run(GET_MAINTAINER + [os.path.abspath(patch)], cwd=tree,
                         capture_output=True, text=True, check=True).stdout
    people, lists = [], []
    for line in out.splitlines():
        line = line.strip()
        if not line:
            continue
        # People come as "Name <address>", lists as a bare address.  Names
        # outside ASCII are RFC 2047 encoded, as git format-patch does.
        if "<" in line:
            people.append(email.utils.formataddr(email.utils.parseaddr(line),
                                                 charset="utf-8"))
        else:
            lists.append(line)
    return people, lists


def header(name, addresses):
    return "%s: %s\n" % (name, ",\n    ".join(addresses)) if addresses else ""


def insert(path, to, cc):
    with open(path) as f:
        lines = f.readlines()
    out, i, done = [], 0, False
    while i < len(lines):
        out.append(lines[i])
        if not done and lines[i].startswith("Subject:"):
            # the Subject: may be folded over several lines
            while i + 1 < len(lines) and lines[i + 1].startswith(" "):
                i += 1
                out.append(lines[i])
            out.append(header("To", to) + header("Cc", cc))
            done = True
        i += 1
    if not done:
        sys.exit("recipients.py: no Subject: in %s" % path)
    with open(path, "w") as f:
        f.writelines(out)


def main():
    tree, patchdir = sys.argv[1], sys.argv[2]
    patches = sorted(p for p in os.listdir(patchdir)
                     if p.endswith(".patch") and p != "0000-cover-letter.patch")
    all_to, all_cc = [], []
    for p in patches:
        to, cc = recipients(tree, os.path.join(patchdir, p))
        insert(os.path.join(patchdir, p), to, cc)
        all_to += [a for a in to if a not in all_to]
        all_cc += [a for a in cc if a not in all_cc]
    cover = os.path.join(patchdir, "0000-cover-letter.patch")
    if os.path.exists(cover):
        insert(cover, all_to, all_cc)


if __name__ == "__main__":
    main()
