"""The package's import graph, read with grimp: module-level cycles and deferred imports.

An import inside a function body is *deferred*: it runs at call time, so it cannot make an
import cycle when the package is imported, and it is left out of the module-level graph.
Imports under ``if TYPE_CHECKING:`` never run and are left out too.

Run as a script to count both for a copy of the package anywhere on disk (used to measure
the flat layout of an old commit)::

    python -m tests.support.imports /tmp/flat/ocr_notebook
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grimp


@dataclass(frozen=True)
class DeferredImport:
    """One import statement inside a function body."""

    path: Path
    line: int
    text: str

    @property
    def internal(self) -> bool:
        """Whether it imports from this package (a relative or ``ocr_notebook`` import)."""
        return self.text.startswith(("from .", "from ocr_notebook", "import ocr_notebook"))


def _function_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    yield inner


def deferred_imports(package_dir: Path) -> list[DeferredImport]:
    """Every import statement inside a function of the package, sorted by file and line."""
    found: set[DeferredImport] = set()
    for path in sorted(package_dir.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in _function_imports(ast.parse(source)):
            text = lines[node.lineno - 1].strip()
            found.add(DeferredImport(path=path, line=node.lineno, text=text))
    return sorted(found, key=lambda d: (str(d.path), d.line))


def _module_path(package_dir: Path, module: str) -> Path:
    parts = module.split(".")[1:]
    candidate = package_dir.joinpath(*parts)
    if candidate.is_dir():
        return candidate / "__init__.py"
    return candidate.with_suffix(".py")


def module_level_graph(
    package_dir: Path, *, deferred: bool = False, type_checking: bool = False
) -> dict[str, set[str]]:
    """The package's imports that run when a module is imported: importer -> imported.

    With ``deferred=True`` the imports inside functions count too (the graph of every import
    that can ever run); with ``type_checking=True`` those under ``if TYPE_CHECKING:`` as well
    (every import a reader sees). ``package_dir``'s parent must be on ``sys.path`` (grimp finds the
    package there).
    """
    package = package_dir.name
    graph = grimp.build_graph(
        package, exclude_type_checking_imports=not type_checking, cache_dir=None
    )
    deferred_lines: dict[str, set[int]] = {}
    edges: dict[str, set[str]] = {module: set() for module in graph.modules}
    for module in graph.modules:
        path = _module_path(package_dir, module)
        if module not in deferred_lines:
            deferred_lines[module] = {
                node.lineno for node in _function_imports(ast.parse(path.read_text("utf-8")))
            }
        for imported in graph.find_modules_directly_imported_by(module):
            details = graph.get_import_details(importer=module, imported=imported)
            if deferred or any(d["line_number"] not in deferred_lines[module] for d in details):
                edges[module].add(imported)
    return edges


def import_cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of two or more modules (each group is one or more cycles)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(start: str) -> None:
        # Iterative Tarjan: the package is small, but recursion limits are not worth the risk.
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            advanced = False
            for succ in successors:
                if succ not in index:
                    index[succ] = low[succ] = len(index)
                    stack.append(succ)
                    on_stack.add(succ)
                    work.append((succ, iter(sorted(edges.get(succ, ())))))
                    advanced = True
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                group: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    groups.append(sorted(group))

    for module in sorted(edges):
        if module not in index:
            visit(module)
    return sorted(groups)


def main(argv: list[str]) -> int:
    """Print the module-level import cycles and the deferred imports of a package folder."""
    package_dir = Path(argv[0] if argv else "ocr_notebook").resolve()
    sys.path.insert(0, str(package_dir.parent))
    for label, deferred, type_checking in (
        ("module-level", False, False),
        ("deferred imports included", True, False),
        ("deferred and TYPE_CHECKING imports included", True, True),
    ):
        graph = module_level_graph(package_dir, deferred=deferred, type_checking=type_checking)
        cycles = import_cycles(graph)
        print(f"{label} import cycles: {len(cycles)}")
        for group in cycles:
            print("  {" + ", ".join(group) + "}")
    inside = deferred_imports(package_dir)
    internal = [d for d in inside if d.internal]
    print(f"imports inside functions: {len(inside)} ({len(internal)} from the package itself)")
    for item in inside:
        print(f"  {item.path.relative_to(package_dir.parent)}:{item.line}: {item.text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
