"""Figures about the shape of the code (no timing): how many modules sit at catalog/'s top
level, how many import circles there are, how many of the project's imports hide inside
functions, and the longest functions. Prints figures, asserts nothing.

    .venv/bin/python bench/code_map.py            # this checkout
    .venv/bin/python bench/code_map.py --top 10   # the ten longest functions

Circles are counted between modules (strongly connected groups of two or more modules in the
import graph, imports inside functions included) and between the sibling packages and
modules of each package (what import-linter's no-circles contract checks).
"""

import argparse
import ast
import sys
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def python_files():
    return [p for p in sorted((ROOT / "catalog").rglob("*.py")) if "migrations" not in p.parts]


def functions(path: Path):
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def function_level_imports(path: Path) -> int:
    count = 0
    for function in functions(path):
        if function.name == "ready":  # Django's AppConfig.ready imports once apps are loaded
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and (
                node.level or (node.module or "").split(".")[0] == "catalog"
            ):
                count += 1
            elif isinstance(node, ast.Import) and any(
                alias.name.split(".")[0] == "catalog" for alias in node.names
            ):
                count += 1
    return count


def module_circles(graph) -> list[list[str]]:
    """Strongly connected groups of modules (Tarjan), largest first."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []
    counter = [0]

    def connect(module):
        index[module] = low[module] = counter[0]
        counter[0] += 1
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                connect(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    sys.setrecursionlimit(10_000)
    for module in sorted(graph.modules):
        if module not in index:
            connect(module)
    return sorted(groups, key=len, reverse=True)


def sibling_circles(graph) -> int:
    """Packages whose children import each other in a circle (import-linter's view)."""
    packages = [m for m in graph.modules if graph.find_children(m)]
    return sum(1 for package in packages if graph.nominate_cycle_breakers(package))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--top", type=int, default=5, help="longest functions to list (5)")
    args = parser.parse_args()

    files = python_files()
    top_level = [p for p in files if p.parent == ROOT / "catalog" and p.name != "__init__.py"]
    packages = sorted({p.parent.name for p in files if p.parent.parent == ROOT / "catalog"})
    graph = grimp.build_graph("catalog", cache_dir=None)
    circles = module_circles(graph)
    lengths = sorted(
        (
            (f.end_lineno - f.lineno + 1, f"{p.relative_to(ROOT)}:{f.lineno} {f.name}")
            for p in files
            for f in functions(p)
        ),
        reverse=True,
    )
    print(f"modules under catalog/ (migrations aside): {len(files)}")
    print(f"top-level modules in catalog/: {len(top_level)}")
    print(f"subpackages of catalog/: {len(packages)} ({', '.join(packages)})")
    print(f"module import circles: {len(circles)}")
    for group in circles:
        print(f"  {' <-> '.join(group)}")
    print(f"packages whose children import in a circle: {sibling_circles(graph)}")
    print(f"imports of the project inside functions: {sum(map(function_level_imports, files))}")
    print(
        f"longest functions (lines): {', '.join(f'{n} {where}' for n, where in lengths[: args.top])}"
    )


if __name__ == "__main__":
    main()
