"""The shell commands the docs give, as a reader would copy them.

Every fenced ``sh`` block of every shipped Markdown page, its lines joined
where they end in a backslash; ``cat > FILE <<EOF`` heredocs are kept as the
text they write, so a command that reads ``file://FILE`` can be checked
with what the same block wrote there.
"""

import os
import re
import shlex

from . import cfn

SKIPPED_DIRS = {"target", ".venv", ".git", "dist", ".demo", "node_modules"}
FENCE = re.compile(r"^(\s*)```(\w*)\s*$")
HEREDOC = re.compile(r"cat\s+>\s*(\S+)\s+<<'?(\w+)'?\s*$")


def markdown_files():
    found = []
    for directory, dirs, files in os.walk(cfn.REPO_ROOT):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_DIRS)
        found.extend(os.path.join(directory, f) for f in sorted(files) if f.endswith(".md"))
    return found


def shell_blocks(text):
    """The bodies of the page's ```sh blocks (a list item's indentation removed)."""
    blocks, fence = [], None  # fence: (indentation, is it shell, body lines)
    for line in text.splitlines():
        match = FENCE.match(line)
        if fence is None:
            if match:
                fence = (match.group(1), match.group(2) in ("sh", "bash", "shell"), [])
            continue
        indent, is_shell, body = fence
        if match and not match.group(2):
            if is_shell:
                blocks.append(body)
            fence = None
            continue
        body.append(line[len(indent):] if line.startswith(indent) else line)
    return blocks


class Command:
    """One command of a block: its text (continuations joined), its words,
    and the files the block's heredocs wrote before it."""

    def __init__(self, path, text, files):
        self.path = os.path.relpath(path, cfn.REPO_ROOT)
        self.text = text
        self.files = dict(files)
        try:
            self.words = shlex.split(text, comments=True)
        except ValueError:
            self.words = text.split()

    def option(self, name):
        """The value after ``name`` (``--x v`` or ``--x=v``), or None."""
        for i, word in enumerate(self.words):
            if word == name and i + 1 < len(self.words):
                return self.words[i + 1]
            if word.startswith(name + "="):
                return word[len(name) + 1:]
        return None

    def has(self, name):
        return any(word == name or word.startswith(name + "=") for word in self.words)

    def is_aws(self, service, operation):
        """Whether the command runs ``aws SERVICE OPERATION``."""
        words = self.words
        return any(words[i:i + 3] == ["aws", service, operation] for i in range(len(words)))

    def __repr__(self):
        return f"{self.path}: {self.text[:100]}"


def commands(paths=None):
    """Every command of every shell block of ``paths`` (default: every page)."""
    found = []
    for path in paths or markdown_files():
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        for block in shell_blocks(text):
            files, pending, heredoc = {}, [], None
            for line in block:
                if heredoc is not None:
                    name, marker, body = heredoc
                    if line.strip() == marker:
                        files[name] = "\n".join(body)
                        heredoc = None
                    else:
                        body.append(line)
                    continue
                stripped = line.strip()
                match = HEREDOC.search(stripped)
                if match and not pending:
                    heredoc = (match.group(1), match.group(2), [])
                    continue
                if not stripped and not pending:
                    continue
                pending.append(stripped[:-1] if stripped.endswith("\\") else stripped)
                if not stripped.endswith("\\"):
                    found.append(Command(path, " ".join(pending), files))
                    pending = []
            if pending:
                found.append(Command(path, " ".join(pending), files))
    return found
