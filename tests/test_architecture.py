"""The tree shows the architecture: layers import only downward, qa/'s paths only what their
`__init__` says, and nothing imports in a circle."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERS = {"index": 0, "qa": 1, "api": 2}
# What each qa/ subpackage may import of qa/ outside itself (see its __init__).
ALLOWED = {"ingest": {"qa.errors", "qa.urls"}, "answer": {"qa.errors", "qa.abandon"},
           "insights": {"qa.answer.passages"}}


def _modules() -> dict[str, Path]:
    found = {}
    for layer in LAYERS:
        for path in (ROOT / layer).rglob("*.py"):
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules `name` imports, at the top or inside a function, typing-only ones included."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        targets = [a.name for a in node.names] if isinstance(node, ast.Import) else []
        if isinstance(node, ast.ImportFrom) and node.module:
            targets = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        for target in targets:
            while target and target not in modules:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


GRAPH = {name: _imports(name, path, _modules()) for name, path in _modules().items()}


def test_layers_import_only_downward() -> None:
    upward = [(m, t) for m, ts in GRAPH.items() for t in ts if LAYERS[t.split(".")[0]] > LAYERS[m.split(".")[0]]]
    assert upward == []


def test_qa_paths_import_only_what_they_say() -> None:
    wrong = []
    for module, targets in GRAPH.items():
        parts = module.split(".")
        if parts[0] != "qa" or len(parts) < 3 or parts[1] not in ALLOWED:
            continue
        own = f"qa.{parts[1]}"
        for t in targets:
            if t.startswith("qa") and t != own and not t.startswith(own + ".") and t not in ALLOWED[parts[1]]:
                wrong.append((module, t))
    assert wrong == []


def test_nothing_imports_in_a_circle() -> None:
    def reaches(start: str) -> set[str]:
        seen, todo = set(), list(GRAPH[start])
        while todo:
            m = todo.pop()
            if m not in seen:
                seen.add(m)
                todo.extend(GRAPH.get(m, ()))
        return seen

    circles = sorted(m for m in GRAPH if m in reaches(m))
    assert circles == []


def test_no_module_is_much_over_three_hundred_lines() -> None:
    long = {name: n for name, path in _modules().items() if (n := len(path.read_text("utf-8").splitlines())) > 320}
    assert long == {}
