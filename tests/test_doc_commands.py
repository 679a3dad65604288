"""Every command in README.md and docs/*.md runs as written: each ``python tools/<tool>.py …`` or ``fer-<tool> …``
line of a ``bash`` block is given to that tool's own parser (options, choices, types, config files and config keys);
nothing trains or loads a model. A documented command that drifts from its tool fails here."""

from __future__ import annotations

import re
import shlex
from importlib import import_module
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
BLOCK = re.compile(r"^```bash\n(?P<body>.*?)^```", re.M | re.S)
ASSIGNMENT = re.compile(r"^(?P<name>[A-Z_][A-Z0-9_]*)=(?P<value>.*)$", re.S)
LIGHTNING_TOOLS = ("train", "summary")


def block_lines(body: str) -> list[str]:
    """The block's lines, continuation lines (``\\``) joined, a leading ``$ `` prompt dropped, and the body of a
    ``for NAME in WORDS; do … done`` loop repeated once per word with ``$NAME`` filled in."""
    text = re.sub(r"\\\n\s*", " ", body)
    lines = [line.strip().removeprefix("$ ") for line in text.splitlines() if line.strip()]
    expanded, loop = [], None
    for line in lines:
        if match := re.fullmatch(r"for (\w+) in (.*); do", line):
            loop = (match[1], match[2].split(), [])
        elif line == "done" and loop:
            name, words, body_lines = loop
            expanded += [expand(b, {name: word}) for word in words for b in body_lines]
            loop = None
        else:
            (loop[2] if loop else expanded).append(line)
    return expanded


def expand(line: str, variables: dict[str, str]) -> str:
    """``line`` with the ``$NAME`` variables its block set before it filled in."""
    return re.sub(r"\$\{?([A-Za-z_]\w*)\}?", lambda m: variables.get(m[1], m[0]), line)


def tool_of(words: list[str]) -> tuple[str, list[str]] | None:
    """``(tool, argv)`` of a fer-torch command, else None (pip, curl, bash …)."""
    if words[:1] == ["python"] and len(words) > 1 and re.fullmatch(r"tools/\w+\.py", words[1]):
        return words[1][len("tools/"):-len(".py")], words[2:]
    if words and words[0].startswith("fer-"):
        return words[0][len("fer-"):].replace("-", "_"), words[1:]
    return None


def written_file(words: list[str]) -> tuple[str, str] | None:
    """``(file, source)`` of a line that writes a config with ``> file`` from an existing ``source`` YAML (``sed …
    configs/x.yaml > mine.yaml``): the block's later commands may name that file."""
    if ">" not in words[:-1]:
        return None
    sources = [w for w in words if w.endswith(".yaml") and (REPO / w).is_file()]
    return (words[words.index(">") + 1], sources[0]) if sources else None


def documented_commands() -> list[tuple[str, str, list[str], list[tuple[str, str]]]]:
    """``(where, tool, argv, files its block wrote before it)`` of every fer-torch command in a bash block of the
    README and docs."""
    commands = []
    for document in DOCUMENTS:
        text = document.read_text()
        for block in BLOCK.finditer(text):
            variables: dict[str, str] = {}
            written: list[tuple[str, str]] = []
            line_no = text[: block.start()].count("\n") + 2
            for line in block_lines(block["body"]):
                try:
                    words = shlex.split(expand(line, variables), comments=True)
                except ValueError:  # a shell construct spanning lines (a quoted script): not a tool's command
                    continue
                if len(words) == 1 and (assignment := ASSIGNMENT.match(words[0])):
                    variables[assignment["name"]] = assignment["value"]
                    continue
                if file := written_file(words):
                    written.append(file)
                while words and ASSIGNMENT.match(words[0]):  # OMP_NUM_THREADS=1 python tools/…
                    words = words[1:]
                if words and words[-1] == "&":  # run in the background: the command is the same
                    words = words[:-1]
                if found := tool_of(words):
                    commands.append((f"{document.relative_to(REPO)}:{line_no}: {line[:70]}", *found, list(written)))
    return commands


COMMANDS = documented_commands()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    """A working folder like a checkout's root (``configs/``, ``weights/``), where commands that write may write."""
    root = tmp_path_factory.mktemp("docs_sandbox")
    for name in ("configs", "weights", "tools"):
        (root / name).symlink_to(REPO / name)
    return root


def parse_training_command(tool: str, argv: list[str], root: Path) -> None:
    """Parse as ``tools/train.py`` would (``tools/summary.py``: without its ``--json``); a resumed checkpoint is
    an empty file in the sandbox (only its existence is checked before training)."""
    from fer_torch.cli import train
    from fer_torch.cli.resume import option_value

    if tool == "train" and argv[:1] in (["--list-configs"], ["--copy-config"], ["--help"]):
        assert train.main(argv) == 0
        return
    checkpoint = option_value(argv, "ckpt_path")
    if checkpoint and not Path(checkpoint).is_absolute():
        (root / checkpoint).parent.mkdir(parents=True, exist_ok=True)
        (root / checkpoint).touch()
    train.build_cli([a for a in argv if a != "--json"], parse_only=True)


def parse_tool_command(tool: str, argv: list[str]) -> None:
    """Parse with the tool's own argparse parser (``benchmark``: with the chosen suite's options)."""
    module = import_module(f"fer_torch.cli.{tool}")
    if tool == "benchmark":
        parser = module.build_parser([a for a in argv if a in module.SUITES][:1])
    else:
        parser = module.build_parser()
    parser.parse_args(argv)


def test_the_docs_hold_commands_of_every_kind():
    tools = {command[1] for command in COMMANDS}
    assert {"train", "evaluate", "live", "export", "serve", "collect", "benchmark"} <= tools
    assert any(command[0].startswith("docs/web.md") for command in COMMANDS)


@pytest.mark.parametrize(("where", "tool", "argv", "written"), COMMANDS, ids=[c[0] for c in COMMANDS])
def test_documented_command_parses(where, tool, argv, written, sandbox, monkeypatch):
    from fer_torch.cli.scripts import TOOLS

    assert tool in TOOLS, f"{where}: no tool {tool}"
    monkeypatch.chdir(sandbox)
    for file, source in written:
        (sandbox / file).write_text((REPO / source).read_text())
    if tool in LIGHTNING_TOOLS:
        parse_training_command(tool, argv, sandbox)
    else:
        parse_tool_command(tool, argv)
