"""flight_profiler install-skills / uninstall-skills: put the skills and commands where assistants look.

Without ``--dir``: the skills into ``~/.claude/skills/`` and the commands into
``~/.claude/commands/flight-profiler/`` (Claude Code; ``$CLAUDE_CONFIG_DIR`` instead of
``~/.claude`` when set), and the skills into ``~/.agents/skills/`` (Codex, Gemini CLI and the
other assistants that read Agent Skills there). With ``--dir D``: the Claude Code plugin layout
in D (``skills/``, ``commands/``, ``.claude-plugin/plugin.json``, ``.mcp.json``): a plugin for
``claude --plugin-dir D``, whose ``skills/`` any assistant can be pointed at.

Each place gets a manifest (MANIFEST) of the files written, their SHA-256 and the folders made.
A file that is there already and that we did not write is left alone; uninstall removes only
files the manifest lists whose content is still what we wrote, then the folders it made (and
the place itself, if install made it) when they are empty.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path

PLUGIN = Path(__file__).parent / "plugin"
MANIFEST = ".jupyterlab-flight-skills.json"


@dataclass(frozen=True)
class Place:
    root: Path
    who: str  # which assistants read it
    skills: str | None = "skills"
    commands: str | None = None
    plugin: bool = False  # also the plugin's manifest and MCP server entry


def default_places() -> list:
    claude = Path(os.environ.get("CLAUDE_CONFIG_DIR") or Path.home() / ".claude")
    return [
        Place(claude, "Claude Code", commands="commands/flight-profiler"),
        Place(Path.home() / ".agents", "Codex, Gemini CLI and other Agent Skills readers"),
    ]


def dir_place(directory: str) -> Place:
    return Place(Path(directory).expanduser().absolute(), "a Claude Code plugin", commands="commands", plugin=True)


def skill_names() -> list:
    return sorted(p.name for p in (PLUGIN / "skills").iterdir() if (p / "SKILL.md").is_file())


def command_files() -> list:
    return sorted(p.name for p in (PLUGIN / "commands").glob("*.md"))


def mcp_config() -> str:
    """The plugin's MCP server entry: this installation's Python, so the venv need not be on PATH."""
    server = {"command": sys.executable, "args": ["-m", "jupyterlab_flight.cli", "mcp"]}
    return json.dumps({"mcpServers": {"flight-profiler": server}}, indent=2) + "\n"


def _contents(place: Place) -> dict:
    """Relative path in the place -> the bytes to write there."""
    files: dict = {}
    if place.skills is not None:
        for name in skill_names():
            files[f"{place.skills}/{name}/SKILL.md"] = (PLUGIN / "skills" / name / "SKILL.md").read_bytes()
    if place.commands is not None:
        for name in command_files():
            files[f"{place.commands}/{name}"] = (PLUGIN / "commands" / name).read_bytes()
    if place.plugin:
        files[".claude-plugin/plugin.json"] = (PLUGIN / ".claude-plugin" / "plugin.json").read_bytes()
        files[".mcp.json"] = mcp_config().encode()
    return files


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _manifest(root: Path) -> dict:
    try:
        with open(root / MANIFEST) as f:
            manifest = json.load(f)
    except (OSError, ValueError):
        manifest = {}
    return {
        "files": dict(manifest.get("files", {})),
        "dirs": list(manifest.get("dirs", [])),
        "made_root": bool(manifest.get("made_root", False)),
    }


def _ours(path: Path, manifest: dict, rel: str) -> bool:
    """The file at path is one we wrote there, unchanged since."""
    try:
        return manifest["files"].get(rel) == _sha(path.read_bytes())
    except OSError:
        return False


def install(place: Place) -> tuple:
    """(written, left alone: [(path, why)]) for one place. A file there already that we did not
    write is never replaced, nor claimed (uninstall would remove it)."""
    manifest = _manifest(place.root)
    if not place.root.exists():
        manifest["made_root"] = True
    written, left = [], []
    for rel, data in _contents(place).items():
        path = place.root / rel
        if path.exists() and not _ours(path, manifest, rel):
            left.append(
                (path, "changed since it was installed" if rel in manifest["files"] else "there already and not ours")
            )
            continue
        made = [p for p in path.parents if place.root in p.parents and not p.exists()]
        path.parent.mkdir(parents=True, exist_ok=True)
        manifest["dirs"] += [str(p.relative_to(place.root)) for p in made]
        path.write_bytes(data)
        manifest["files"][rel] = _sha(data)
        written.append(path)
    place.root.mkdir(parents=True, exist_ok=True)
    manifest["dirs"] = sorted(set(manifest["dirs"]))
    with open(place.root / MANIFEST, "w") as f:
        json.dump(manifest, f, indent=2)
    return written, left


def uninstall(place: Place) -> tuple:
    """(removed, left alone: [(path, why)]) for one place; nothing without our manifest."""
    if not (place.root / MANIFEST).is_file():
        return [], []
    manifest = _manifest(place.root)
    removed, left = [], []
    for rel in sorted(manifest["files"]):
        path = place.root / rel
        if not path.exists():
            continue
        if _ours(path, manifest, rel):
            path.unlink()
            removed.append(path)
        else:
            left.append((path, "changed since it was installed"))
    for rel in sorted(manifest["dirs"], key=lambda d: -d.count("/")):  # deepest first
        folder = place.root / rel
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    (place.root / MANIFEST).unlink()
    if manifest["made_root"] and not any(place.root.iterdir()):
        place.root.rmdir()
    return removed, left


def _say(place: Place, verb: str, done: list, left: list) -> None:
    print(f"{place.root} ({place.who}): {verb} {len(done)} files")
    for path, why in left:
        print(f"  left alone: {path}: {why}")


def install_main(directory: str | None) -> int:
    places = [dir_place(directory)] if directory else default_places()
    for place in places:
        written, left = install(place)
        _say(place, "wrote", written, left)
        if place.skills:
            print(f"  skills: {place.root / place.skills} ({', '.join(skill_names())})")
        if place.commands:
            print(f"  commands: {place.root / place.commands} (/{', /'.join(n[:-3] for n in command_files())})")
        if place.plugin:
            print(f"  a Claude Code plugin: claude --plugin-dir {place.root}")
    print("flight_profiler uninstall-skills" + (f" --dir {directory}" if directory else "") + " removes them")
    return 0


def uninstall_main(directory: str | None) -> int:
    places = [dir_place(directory)] if directory else default_places()
    for place in places:
        removed, left = uninstall(place)
        if not removed and not left:
            print(f"{place.root} ({place.who}): nothing of ours there")
        else:
            _say(place, "removed", removed, left)
    return 0
