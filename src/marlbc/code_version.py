"""Which version of the package's code a pipeline job runs, as a short digest.

Snakemake reruns a job when its params change; it watches a rule's own script, not the
``marlbc`` modules the script imports. The workflow therefore hands every rule the digest of
the code it runs as a param (``workflow/rules/common.smk``):

    code_version("marlbc.rl.train", entry="run_train")   # rl, economy, benchmarks, ...; pipeline.run_train

The digest covers the module, every ``marlbc`` module it imports, directly or through others,
anywhere in its body (imports inside functions too), and the glue that the rules' scripts
call, ``marlbc.pipeline``: of the glue, only what the rule's own entry point runs (its function,
the glue's helpers and names that function uses, and the package modules those import), so that
editing another rule's glue, the claims gate say, reruns none of this rule's jobs. All is read as
syntax trees without docstrings: editing a comment, a docstring or the layout of a line changes
nothing, editing code changes the digest. The trees are those of the running Python, so another
Python version may change every digest once.
"""

from __future__ import annotations

import ast
import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE = "marlbc"
ROOT = Path(__file__).resolve().parent          # src/marlbc
GLUE = "marlbc.pipeline"                         # what workflow/scripts/*.py call


def module_path(name: str, root: Path = ROOT) -> Path | None:
    """The source file of package module ``name`` ('marlbc.rl.sac') in the package folder
    ``root``, or None if there is none."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = root.joinpath(*parts[1:])
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def imported_modules(name: str, tree: ast.Module, root: Path = ROOT) -> set[str]:
    """The package modules that module ``name`` (syntax ``tree``) imports by name: ``import
    marlbc.x``, ``from .x import y`` (x, and y too when y is a module), ``from . import y``.
    The ``__init__`` of a package passed through on the way (``evaluation`` in
    ``from .evaluation.io import f``) runs too, but what it defines is not used: it is left out."""
    package = name if module_path(name, root).name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:                                   # relative: from ..x import y
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            if node.module:
                found.add(base)
            found |= {f"{base}.{alias.name}" for alias in node.names}
    return {m for m in found if module_path(m, root) is not None}


def _without_docstrings(tree: ast.Module) -> ast.Module:
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.Pass()]
    return tree


def _source(name: str, root: Path) -> tuple[Path, str]:
    """The source file of package module ``name`` and its text; a clear error if there is none."""
    path = module_path(name, root)
    if path is None:
        raise ValueError(f"{name!r} is not a module of the {PACKAGE} package (looked under {root})")
    return path, path.read_text(encoding="utf-8")


def _module(name: str, root: Path) -> tuple[str, frozenset[str]]:
    """(the module's syntax tree without docstrings, as text; the package modules it imports)."""
    return _parsed(name, root, _source(name, root)[1])


@lru_cache(maxsize=None)
def _parsed(name: str, root: Path, source: str) -> tuple[str, frozenset[str]]:
    tree = ast.parse(source, filename=name)
    imports = frozenset(imported_modules(name, tree, root) - {name})
    return ast.dump(_without_docstrings(tree), include_attributes=False), imports


def closure(name: str, root: Path = ROOT) -> list[str]:
    """Module ``name`` and every package module it imports, directly or not, sorted."""
    seen: set[str] = set()
    todo = [name]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += _module(m, root)[1]
    return sorted(seen)


def glue_entry(glue: str, entry: str, root: Path = ROOT) -> tuple[str, frozenset[str]]:
    """What function ``entry`` of module ``glue`` runs: (the syntax trees, without docstrings, of
    the top-level definitions it uses, directly or through each other, as text; the package
    modules those import). A top-level name is a function, a class, an assignment or an import."""
    path, source = _source(glue, root)
    tree = _without_docstrings(ast.parse(source, filename=glue))
    defines: dict[str, list[ast.stmt]] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names = [node.name]
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [(a.asname or a.name).split(".")[0] for a in node.names]
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
        else:
            continue
        for name in names:
            defines.setdefault(name, []).append(node)
    if entry not in defines:
        raise ValueError(f"{glue!r} has no top-level {entry!r} (looked in {path})")
    used: list[ast.stmt] = []
    todo = [entry]
    while todo:
        for node in defines.get(todo.pop(), []):
            if node not in used:
                used.append(node)
                todo += [n.id for n in ast.walk(node) if isinstance(n, ast.Name)]
    used.sort(key=lambda node: node.lineno)             # source order, whatever the search's
    imports = frozenset().union(*(imported_modules(glue, node, root) for node in used)) - {glue}
    return "\n".join(ast.dump(node, include_attributes=False) for node in used), imports


def code_version(name: str, glue: str | None = GLUE, entry: str | None = None, root: Path = ROOT) -> str:
    """A 12-hex-digit digest of the code that module ``name`` runs when a rule's script calls
    ``entry`` (``run_train``) of module ``glue``, the package in folder ``root`` (see the module
    docstring). Without ``entry`` the glue counts with all its own code; ``glue=None``: no glue."""
    modules, glue_tree = {name}, None
    if glue is not None and entry is not None:
        glue_tree, glue_imports = glue_entry(glue, entry, root)
        modules |= glue_imports
    elif glue is not None:                      # its own code only (it imports every stage)
        glue_tree = _module(glue, root)[0]
    covered = sorted(set().union(*(closure(m, root) for m in sorted(modules))))
    trees = [(m, _module(m, root)[0]) for m in covered]
    if glue_tree is not None:
        trees.append((f"glue {glue}" + (f".{entry}" if entry else ""), glue_tree))
    h = hashlib.sha256()
    for label, tree in trees:
        h.update(f"{label}\n{tree}\n".encode())
    return h.hexdigest()[:12]
