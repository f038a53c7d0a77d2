"""The English and French READMEs give the same commands, and their links resolve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
READMES = ("README.md", "README.fr.md")

BASH_BLOCK = re.compile(r"^```bash\n(.*?)^```", re.MULTILINE | re.DOTALL)
ANY_BLOCK = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`([^`\n]+)`")
# A command: one of these programs, maybe behind a folder such as `.venv/bin/`, followed by
# at least one argument.
INLINE_COMMAND = re.compile(r"^(\S*/)?(kedro|mlflow|python[0-9.]*|pytest)\s+\S")
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
EXTERNAL = re.compile(r"^([a-z][a-z0-9+.-]*:|#)", re.IGNORECASE)


def _read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def block_commands(text: str) -> set[str]:
    """Return the command lines of the ```bash blocks, without their ``#`` comments."""
    commands = set()
    for block in BASH_BLOCK.findall(text):
        for line in block.splitlines():
            command = line.split("#", 1)[0].strip()
            if command:
                commands.add(command)
    return commands


def inline_commands(text: str) -> set[str]:
    """Return the inline code spans outside code blocks that are commands."""
    prose = ANY_BLOCK.sub("", text)
    return {span.strip() for span in INLINE_CODE.findall(prose) if INLINE_COMMAND.match(span)}


def relative_links(text: str) -> list[str]:
    """Return the link targets outside code blocks that are paths, without fragments."""
    prose = ANY_BLOCK.sub("", text)
    targets = [target.split("#", 1)[0] for target in LINK.findall(prose)]
    return [target for target in targets if target and not EXTERNAL.match(target)]


def test_block_commands_strip_comments():
    text = "```bash\n# Set up\nkedro run  # train\n\n```\n```text\nkedro viz\n```\n"

    assert block_commands(text) == {"kedro run"}


def test_inline_commands_skip_bare_names_and_blocks():
    text = (
        "Run `kedro run --env ci` or `.venv/bin/pytest -x`, not `kedro` or `model.fit()`.\n"
        "```bash\n`pytest -m slow`\n```\n"
    )

    assert inline_commands(text) == {"kedro run --env ci", ".venv/bin/pytest -x"}


def test_relative_links_skip_urls_and_anchors():
    text = "[a](https://x.org) [b](#top) [c](docs/a.md#part) [d](mailto:x@y.z)"

    assert relative_links(text) == ["docs/a.md"]


def test_readmes_block_commands_match():
    english, french = (block_commands(_read(name)) for name in READMES)

    assert english, "README.md has no ```bash command"
    assert english - french == set(), "in README.md only"
    assert french - english == set(), "in README.fr.md only"


def test_readmes_inline_commands_match():
    english, french = (inline_commands(_read(name)) for name in READMES)

    assert english, "README.md has no inline command"
    assert english - french == set(), "in README.md only"
    assert french - english == set(), "in README.fr.md only"


@pytest.mark.parametrize("name", READMES)
def test_readme_relative_links_exist(name):
    links = relative_links(_read(name))
    missing = [link for link in links if not (ROOT / link).exists()]

    assert links, f"{name} has no relative link"
    assert missing == []
