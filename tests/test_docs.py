"""The documentation holds together: its links resolve, the README stays short, and every
`reportqa …` line in a code block is a command the CLI accepts.

No model, index or browser: this runs in a second.
"""
from __future__ import annotations

import re
import shlex
from functools import cache
from pathlib import Path
from urllib.parse import unquote

import click
import pytest
from click.testing import CliRunner
from reportqa.cli import main

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 300


def _docs() -> list[Path]:
    return sorted((ROOT / "docs").glob("*.md"))


LINKED_FILES = [ROOT / "README.md", ROOT / "ARCHITECTURE.md", *_docs()]
COMMAND_FILES = [ROOT / "README.md", *_docs()]

FENCE = re.compile(r"^\s*(```|~~~)")
INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1")
# [text](target) and ![alt](target); the target may be <…> or followed by a "title".
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(\s*(<[^>]*>|[^)\s]+)(?:\s+\"[^\"]*\")?\s*\)")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def _lines(path: Path, in_code: bool) -> list[tuple[int, str]]:
    """(line number, line) inside fenced code blocks (`in_code`), or outside them."""
    lines, fenced = [], False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if fenced == in_code:
            lines.append((number, line))
    return lines


def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: markdown markup dropped, lower-cased, every character
    that is not a letter, digit, mark, underscore, hyphen or space dropped (Hangul is kept),
    then each space becomes a hyphen. `\\w` is Unicode-aware, so Hangul and other scripts stay."""
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # links and images → their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML tags
    text = text.replace("`", "")
    text = text.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    """Every heading anchor of a markdown file, with GitHub's -1, -2 … for repeated headings."""
    seen: dict[str, int] = {}
    result = set()
    for _, line in _lines(path, in_code=False):
        match = HEADING.match(line)
        if not match:
            continue
        slug = github_slug(match.group(2))
        if slug in seen:
            seen[slug] += 1
            result.add(f"{slug}-{seen[slug]}")
        else:
            seen[slug] = 0
            result.add(slug)
    return frozenset(result)


def _links(path: Path) -> list[tuple[int, str]]:
    """Relative link targets (line number, target) outside code blocks and code spans."""
    found = []
    for number, line in _lines(path, in_code=False):
        for match in LINK.finditer(INLINE_CODE.sub("", line)):
            target = match.group(1).strip("<>")
            if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target) or target.startswith("//"):
                continue  # http:, https:, mailto: … — not checked offline
            found.append((number, target))
    return found


LINK_CASES = [pytest.param(path, number, target, id=f"{_rel(path)}:{number}:{target}") for path in LINKED_FILES for number, target in _links(path)]


def test_the_documentation_has_links_to_check() -> None:
    assert len(LINK_CASES) > 20
    assert any(case.values[0] == ROOT / "README.md" for case in LINK_CASES)


@pytest.mark.parametrize(("path", "number", "target"), LINK_CASES)
def test_relative_link_resolves(path: Path, number: int, target: str) -> None:
    file_part, _, fragment = target.partition("#")
    resolved = (path.parent / unquote(file_part)).resolve() if file_part else path
    where = f"{_rel(path)}:{number}: link {target!r}"
    assert resolved.exists(), f"{where}: {resolved} does not exist"
    if fragment and resolved.suffix == ".md":
        assert unquote(fragment) in anchors(resolved), (
            f"{where}: no heading in {_rel(resolved)} has the anchor #{fragment} "
            f"(anchors: {', '.join(sorted(anchors(resolved)))})"
        )


@pytest.mark.parametrize(
    ("heading", "slug"),
    [
        ("Reliability: what is guaranteed, and how it is tested", "reliability-what-is-guaranteed-and-how-it-is-tested"),
        ("Measured: `reportqa bench --store qdrant`", "measured-reportqa-bench---store-qdrant"),
        ("2026-11-28: fusion sweep (BM25 weight 0.4, sureness off)", "2026-11-28-fusion-sweep-bm25-weight-04-sureness-off"),
        ("2. 장기불황을 극복한 중소기업 사례", "2-장기불황을-극복한-중소기업-사례"),
        ("The chat (`app.py`)", "the-chat-apppy"),
    ],
)
def test_github_slug(heading: str, slug: str) -> None:
    assert github_slug(heading) == slug


def test_readme_is_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; at most {README_MAX_LINES} (move detail to docs/)"


# --- `reportqa …` lines in code blocks -------------------------------------------------------

SEPARATORS = {"&&", "||", ";", "|"}


def _invocations(path: Path) -> list[tuple[int, str]]:
    """Code-block lines that start with `reportqa ` (a trailing `# comment` is stripped by shlex)."""
    return [(number, line.strip()) for number, line in _lines(path, in_code=True) if line.strip().startswith("reportqa ")]


def _commands(line: str) -> list[list[str]]:
    """The argument lists of every `reportqa` command on a line (`a && reportqa b` holds two)."""
    tokens = shlex.split(line, comments=True)
    commands, current = [], None
    for token in tokens:
        if token in SEPARATORS:
            current = None
        elif current is None:
            if token == "reportqa":
                current = []
                commands.append(current)
            else:
                current = None
        else:
            current.append(token)
    return commands


def _option_names(command: click.Command) -> set[str]:
    context = click.Context(command, info_name=command.name)
    names = set()
    for param in command.get_params(context):  # includes --help
        if isinstance(param, click.Option):
            names.update(param.opts)
            names.update(param.secondary_opts)
    return names


def _resolve(arguments: list[str]) -> tuple[list[str], list[click.Command]]:
    """Walk the command tree through the leading words that name groups and subcommands; the top
    group's own options (`-v`) may come before the subcommand. Returns the command path and the
    commands along it (the last is the one invoked)."""
    path: list[str] = []
    chain: list[click.Command] = [main]
    for token in arguments:
        command = chain[-1]
        if not isinstance(command, click.Group):
            break
        word = token.strip("[]")
        if word in command.commands:
            path.append(word)
            chain.append(command.commands[word])
        elif token.startswith("-") and token in _option_names(command):
            continue  # a flag of the group itself (all of main's options are flags)
        else:
            break
    return path, chain


def _option_tokens(arguments: list[str]) -> list[str]:
    """Every option named in the arguments: brackets stripped, `a|b` alternatives split, `=value` dropped."""
    names = []
    for token in arguments:
        for part in token.strip("[]").split("|"):
            part = part.strip("[]")
            if re.match(r"^--?[A-Za-z]", part):
                names.append(part.split("=", 1)[0])
    return names


COMMAND_CASES = [
    pytest.param(path, number, line, id=f"{_rel(path)}:{number}")
    for path in COMMAND_FILES
    for number, line in _invocations(path)
]


def test_the_documentation_has_commands_to_check() -> None:
    assert len(COMMAND_CASES) > 20


@pytest.mark.parametrize(("path", "number", "line"), COMMAND_CASES)
def test_documented_command_is_valid(path: Path, number: int, line: str) -> None:
    where = f"{_rel(path)}:{number}: {line}"
    commands = _commands(line)
    assert commands, f"{where}: no reportqa command found"
    for arguments in commands:
        command_path, chain = _resolve(arguments)
        assert command_path, f"{where}: {arguments[:1]} names no reportqa command"
        allowed = set().union(*(_option_names(c) for c in chain))
        unknown = [name for name in _option_tokens(arguments) if name not in allowed]
        assert not unknown, f"{where}: reportqa {' '.join(command_path)} has no option {', '.join(unknown)}"
        result = CliRunner().invoke(main, [*command_path, "--help"])
        assert result.exit_code == 0, f"{where}: reportqa {' '.join(command_path)} --help exited {result.exit_code}: {result.output}"
