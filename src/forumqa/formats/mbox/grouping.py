"""Which messages form a thread, and which message each one answers.

A thread is joined by Message-ID / In-Reply-To / References, including ids of messages the file
lacks; an old mailer's reply that carries none of them is joined by its "Re:" subject.
"""

from __future__ import annotations

from collections.abc import Sequence

from forumqa.formats.mbox.headers import Head


class _Groups:
    """Union-find over message ids, including ids of messages that are not in the file.

    Two replies to a message this month's archive lacks still meet at its id; that is what
    "join by References" means.
    """

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, item: str) -> str:
        parent = self._parent.setdefault(item, item)
        while parent != item:
            grand = self._parent[parent]
            self._parent[item] = grand
            item, parent = parent, grand
        return item

    def union(self, a: str, b: str) -> None:
        root_a, root_b = self.find(a), self.find(b)
        if root_a != root_b:
            self._parent[root_b] = root_a


def threads(heads: list[Head]) -> list[list[Head]]:
    """Messages grouped into threads, in order of each thread's first message in the file."""
    groups = _Groups()
    by_subject: dict[str, str] = {}  # the latest thread started under a subject
    for head in heads:
        groups.find(head.msgid)
        for ref in head.refs:
            groups.union(head.msgid, ref)
        if head.refs or not head.subject:
            by_subject.setdefault(head.subject, head.msgid)
        elif head.is_reply and head.subject in by_subject:
            groups.union(by_subject[head.subject], head.msgid)  # an old mailer's reply: only "Re:" ties it
        else:
            by_subject[head.subject] = head.msgid
    found: dict[str, list[Head]] = {}
    for head in heads:
        found.setdefault(groups.find(head.msgid), []).append(head)
    return [sorted(members, key=lambda h: (h.when, h.index)) for members in found.values()]


def parents(heads: Sequence[Head]) -> dict[str, str]:
    """Each message's parent: In-Reply-To, else the newest of its References that the file holds."""
    present = {h.msgid for h in heads}
    return {h.msgid: parent for h in heads if (parent := next((r for r in h.refs if r in present), None)) is not None}


def chain(msgid: str, parent_of: dict[str, str]) -> list[str]:
    """The message's ancestors, nearest first."""
    found: list[str] = []
    seen = {msgid}
    while (parent := parent_of.get(msgid)) is not None and parent not in seen:  # broken headers can loop
        found.append(parent)
        seen.add(parent)
        msgid = parent
    return found
