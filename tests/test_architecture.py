"""The map of the code holds: the import-linter contracts in pyproject.toml (layers, a pure
domain, surfaces apart, no circles) are kept, and no module hides an import inside a function
to dodge one (docs/architecture.md explains the layers)."""

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog"


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout, result.stdout


def function_level_imports(path: Path) -> list[str]:
    """The project's own modules imported inside a function of ``path``, except in an app's
    ``ready()`` (Django wants models and signal wiring imported once the registry is ready)."""
    found = []

    def visit(node, function):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, child.name)
                continue
            if function and function != "ready" and isinstance(child, ast.ImportFrom | ast.Import):
                modules = (
                    [child.module or ""]
                    if isinstance(child, ast.ImportFrom)
                    else [alias.name for alias in child.names]
                )
                if getattr(child, "level", 0) or any(m.split(".")[0] == "catalog" for m in modules):
                    found.append(f"{path.relative_to(ROOT)}:{child.lineno}")
            visit(child, function)

    visit(ast.parse(path.read_text()), None)
    return found


def test_no_function_level_imports_of_the_project():
    hidden = [
        place
        for path in sorted(CATALOG.rglob("*.py"))
        if "migrations" not in path.parts
        for place in function_level_imports(path)
    ]
    assert hidden == [], "imports inside functions (move them to the top): " + ", ".join(hidden)
