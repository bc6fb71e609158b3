"""Which version of the package's code a pipeline job runs, as a short digest.

Snakemake reruns a job when its params change; it watches a rule's own script, not the
``marlbc`` modules the script imports. The workflow therefore hands every rule the digest of
the code it runs as a param (``workflow/rules/common.smk``):

    code_version("marlbc.rl.train")   # the training job's code: rl, economy, benchmarks, ...

The digest covers the module, every ``marlbc`` module it imports, directly or through others,
anywhere in its body (imports inside functions too), and the glue that the rules' scripts
call, ``marlbc.pipeline`` (its own code only: it imports every stage), read as syntax trees
without docstrings: editing a comment, a docstring or the layout of a line changes nothing,
editing code changes the digest. The trees are those of the running Python, so another Python
version may change every digest once.
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


def _module(name: str, root: Path) -> tuple[str, frozenset[str]]:
    """(the module's syntax tree without docstrings, as text; the package modules it imports)."""
    path = module_path(name, root)
    if path is None:
        raise ValueError(f"{name!r} is not a module of the {PACKAGE} package (looked under {root})")
    return _parsed(name, root, path.read_text(encoding="utf-8"))


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


def code_version(name: str, glue: str | None = GLUE, root: Path = ROOT) -> str:
    """A 12-hex-digit digest of the code that module ``name`` runs when a rule's script calls it
    through module ``glue`` (None: no glue), the package in folder ``root`` (see the module
    docstring)."""
    trees = [(m, _module(m, root)[0]) for m in closure(name, root)]
    if glue is not None:                          # its own code only (it imports every stage)
        trees.append((f"glue {glue}", _module(glue, root)[0]))
    h = hashlib.sha256()
    for label, tree in trees:
        h.update(f"{label}\n{tree}\n".encode())
    return h.hexdigest()[:12]
