"""The skills and plugin commands shipped in the package, and install-skills / uninstall-skills.

Front matter as the Agent Skills spec and Claude Code's commands want it; every command line
written in them (and in docs/assistants.md) parses with our parser, ends by itself and, outside
the skill about changing a process, passes the read-only policy; install and uninstall leave
exactly what they say and never touch a file that is not ours.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import yaml
from conftest import flight
from jupyterlab_flight.assistants import install
from jupyterlab_flight.assistants.policy import refusal
from jupyterlab_flight.commands import parse_command
from jupyterlab_flight.diagnose import router
from jupyterlab_flight.errors import CommandSyntaxError

PLUGIN = install.PLUGIN
ROOT = Path(__file__).parent.parent
COMMANDS = {"diagnose", "diagnose-slow", "diagnose-memory", "diagnose-hang", "diagnose-exception", "diagnose-torch"}
WRITES_SKILL = "flight-profiler-change"
SKILL_KEYS = {"name", "description", "license", "compatibility", "metadata", "allowed-tools"}
# `flight_profiler <pid> --cmd "LINE" [more options]` as written in the markdown (inside backticks or a code block)
INVOCATION = re.compile(r"""flight_profiler <pid>(?: --job)? --cmd (?:"([^"]*)"|'([^']*)')([^`\n]*)""")


def front_matter(path: Path) -> tuple[dict, str]:
    text = path.read_text()
    assert text.startswith("---\n"), path
    head, body = text[4:].split("\n---\n", 1)
    return yaml.safe_load(head), body


def skills() -> list:
    return sorted((PLUGIN / "skills").glob("*/SKILL.md"))


def commands() -> list:
    return sorted((PLUGIN / "commands").glob("*.md"))


def invocations(path: Path) -> list:
    found = [
        (m.group(1) if m.group(1) is not None else m.group(2), m.group(3))
        for m in INVOCATION.finditer(path.read_text())
    ]
    assert found or path.name.endswith(".json"), f"{path}: no flight_profiler command line"
    return found


def test_skills_front_matter_follows_the_agent_skills_spec():
    names = []
    for path in skills():
        meta, body = front_matter(path)
        assert set(meta) <= SKILL_KEYS, (path, set(meta) - SKILL_KEYS)
        name, description = meta["name"], meta["description"]
        assert name == path.parent.name and 1 <= len(name) <= 64, path
        assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name), name
        assert 1 <= len(description) <= 1024 and "<" not in description, path
        assert body.count("\n") < 500, path  # the spec's size for what is loaded on activation
        names.append(name)
    families = ("attach", "stack", "observe", "inspect", "perf", "mem", "gilstat", "torch", "change", "diagnose")
    assert {f"flight-profiler-{f}" for f in families} <= set(names)
    assert {f"flight-profiler-diagnose-{w}" for w in router.WORKFLOWS} <= set(names)


def test_plugin_commands_front_matter():
    assert {p.stem for p in commands()} == COMMANDS
    for path in commands():
        meta, body = front_matter(path)
        assert set(meta) == {"description", "argument-hint", "allowed-tools"}, path
        assert 1 <= len(meta["description"]) <= 1024 and meta["argument-hint"].startswith("<pid>"), path
        assert meta["allowed-tools"] == "Bash(flight_profiler:*)"
        assert "$ARGUMENTS" in body, path
    manifest = json.loads((PLUGIN / ".claude-plugin" / "plugin.json").read_text())
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", manifest["name"]) and manifest["description"]


def check_line(line: str, after: str, where: str) -> None:
    """One written command line: it parses; a stream is bounded and has --timeout."""
    try:
        parsed = parse_command(line)
    except CommandSyntaxError as e:
        raise AssertionError(f"{where}: {line!r}: {e.message}") from None
    if parsed.streams:
        assert "--timeout" in after, f"{where}: {line!r} streams: give it --timeout"
        for option in parsed.command.options:
            if option.name in ("limit", "duration") and option.default is None:
                assert parsed.request.get(option.name) is not None, f"{where}: {line!r} needs {option.flags[0]}"
    return parsed


def test_every_command_line_written_parses_ends_and_only_reads():
    checked = 0
    for path in [*skills(), *commands()]:
        for line, after in invocations(path):
            parsed = check_line(line, after, str(path.relative_to(PLUGIN)))
            checked += 1
            if parsed is None:
                continue
            why = refusal(parsed)
            if path.parent.name == WRITES_SKILL:
                assert why, f"{path}: {line!r} is read-only: it belongs in another skill"
            else:
                assert not why, f"{path}: {line!r}: {why}"
    assert checked > 100


def test_docs_command_lines_parse():
    for line, after in invocations(ROOT / "docs" / "assistants.md"):
        check_line(line, after, "docs/assistants.md")


def files_under(root: Path) -> set:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def test_install_into_a_dir_then_uninstall_leaves_exactly_what_was_there(tmp_path):
    target = tmp_path / "plugin"
    theirs = target / "commands" / "diagnose.md"  # someone's own /diagnose: never replaced nor removed
    theirs.parent.mkdir(parents=True)
    theirs.write_text("my own diagnose command\n")
    done = flight("install-skills", "--dir", str(target))
    assert done.returncode == 0, done.stderr
    assert f"left alone: {theirs}: there already and not ours" in done.stdout
    assert f"claude --plugin-dir {target}" in done.stdout
    expected = (
        {f"skills/{p.parent.name}/SKILL.md" for p in skills()}
        | {f"commands/{p.name}" for p in commands()}
        | {".claude-plugin/plugin.json", ".mcp.json", install.MANIFEST}
    )
    assert files_under(target) == expected
    assert theirs.read_text() == "my own diagnose command\n"
    assert f"wrote {len(expected) - 2} files" in done.stdout  # all but the manifest and theirs
    server = json.loads((target / ".mcp.json").read_text())["mcpServers"]["flight-profiler"]
    assert server["args"] == ["-m", "jupyterlab_flight.cli", "mcp"] and os.path.exists(server["command"])
    for path in skills():
        assert (target / "skills" / path.parent.name / "SKILL.md").read_bytes() == path.read_bytes()

    edited = target / "skills" / "flight-profiler-stack" / "SKILL.md"
    edited.write_text(edited.read_text() + "\nmy note\n")
    mine = target / "skills" / "my-skill" / "SKILL.md"  # added beside ours after the install
    mine.parent.mkdir()
    mine.write_text("mine\n")
    again = flight("install-skills", "--dir", str(target))  # an update: ours are rewritten, the rest left
    assert f"left alone: {edited}: changed since it was installed" in again.stdout

    done = flight("uninstall-skills", "--dir", str(target))
    assert done.returncode == 0, done.stderr
    assert f"left alone: {edited}: changed since it was installed" in done.stdout
    assert files_under(target) == {
        "commands/diagnose.md",
        "skills/my-skill/SKILL.md",
        "skills/flight-profiler-stack/SKILL.md",
    }
    assert not (target / ".claude-plugin").exists() and not (target / "skills" / "flight-profiler-attach").exists()
    done = flight("uninstall-skills", "--dir", str(target))
    assert "nothing of ours there" in done.stdout


def test_install_where_assistants_look_and_uninstall_to_nothing(tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.delenv("CLAUDE_CONFIG_DIR", raising=False)
    done = flight("install-skills")
    assert done.returncode == 0, done.stderr
    assert f"{home / '.claude'} (Claude Code)" in done.stdout and f"{home / '.agents'} (Codex" in done.stdout
    names = {p.parent.name for p in skills()}
    assert {p.parent.name for p in (home / ".claude" / "skills").glob("*/SKILL.md")} == names
    assert {p.parent.name for p in (home / ".agents" / "skills").glob("*/SKILL.md")} == names
    assert {p.stem for p in (home / ".claude" / "commands" / "flight-profiler").glob("*.md")} == COMMANDS
    done = flight("uninstall-skills")
    assert done.returncode == 0, done.stderr
    assert list(home.iterdir()) == []  # the folders it made went with it


def test_the_wheel_carries_the_plugin():
    from hatchling.builders.wheel import WheelBuilder

    shipped = {f.distribution_path for f in WheelBuilder(str(ROOT)).recurse_included_files()}
    plugin = {f"jupyterlab_flight/assistants/plugin/{p}" for p in files_under(PLUGIN)}
    assert plugin and plugin <= shipped
    assert "jupyterlab_flight/assistants/plugin/.claude-plugin/plugin.json" in shipped


def test_ps_lists_the_python_processes():
    record = json.loads(flight("ps", "--json").stdout)
    assert record["kind"] == "processes" and os.getpid() in {p["pid"] for p in record["processes"]}  # this test
