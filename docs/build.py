"""
Build the API reference of tisocket-twisted with pydoctor, warnings as errors.

    python docs/build.py            # HTML in docs/_build/api/index.html

The docstrings use epytext (C{code}, L{link}, @param), like Twisted's. Links to
Python and Twisted names resolve through Sphinx inventories made here, offline:
Python's from the running interpreter's built-ins and a few standard modules,
Twisted's by pydoctor from the installed Twisted (cached per Twisted version
in docs/_build/inventories/). The links point to docs.python.org and
docs.twisted.org.

It also fails when a public name (the package's C{__all__}, the testing
toolkit's, and the public methods and properties of their classes) has no
docstring, or when a module breaks an import rule of docs/architecture.md
("Never").
"""

from __future__ import annotations

import ast
import builtins
import html
import importlib
import inspect
import os
import re
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "docs" / "_build"
INVENTORIES = BUILD / "inventories"
OUTPUT = BUILD / "api"
PACKAGE = "tisocket_twisted"

PYTHON_DOCS = "https://docs.python.org/3/"
TWISTED_DOCS = "https://docs.twisted.org/en/stable/api/"

#: Standard modules whose names the docstrings may link to.
STDLIB_MODULES = [
    "asyncio",
    "codecs",
    "collections",
    "collections.abc",
    "contextlib",
    "enum",
    "errno",
    "functools",
    "io",
    "itertools",
    "os",
    "pathlib",
    "socket",
    "struct",
    "sys",
    "threading",
    "time",
    "typing",
    "unittest",
]
#: Built-in types documented on the "Built-in Types" page (the rest: "Built-in Functions").
STDTYPES = {"str", "bytes", "bytearray", "memoryview", "list", "tuple", "dict", "set", "frozenset"}
STDTYPES |= {"range"}


def writeInventory(path: Path, project: str, entries: list[tuple[str, str, str]]) -> None:
    """Write a Sphinx inventory (version 2): (name, role, uri) entries."""
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {project}\n"
        "# Version: \n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    body = "".join(f"{name} {role} 1 {uri} -\n" for name, role, uri in sorted(set(entries)))
    path.write_bytes(header.encode() + zlib.compress(body.encode()))


def pythonEntries() -> list[tuple[str, str, str]]:
    """Built-ins and the public names of L{STDLIB_MODULES}, with their docs.python.org pages."""
    entries: list[tuple[str, str, str]] = []
    for name in dir(builtins):
        if name.startswith("_"):
            continue
        value = getattr(builtins, name)
        if value in (None, True, False, NotImplemented, Ellipsis):
            entries.append((name, "py:data", f"library/constants.html#{name}"))
        elif isinstance(value, type) and issubclass(value, BaseException):
            entries.append((name, "py:exception", f"library/exceptions.html#{name}"))
        elif isinstance(value, type):
            page = "stdtypes" if name in STDTYPES else "functions"
            entries.append((name, "py:class", f"library/{page}.html#{name}"))
        elif callable(value):
            entries.append((name, "py:function", f"library/functions.html#{name}"))
    for moduleName in STDLIB_MODULES:
        module = importlib.import_module(moduleName)
        page = f"library/{moduleName}.html"
        entries.append((moduleName, "py:module", f"{page}#module-{moduleName}"))
        for name in dir(module):
            if name.startswith("_"):
                continue
            value = getattr(module, name)
            full = f"{moduleName}.{name}"
            role = "py:class" if isinstance(value, type) else "py:data"
            entries.append((full, role, f"{page}#{full}"))
            if isinstance(value, type) and getattr(value, "__module__", "") in (
                moduleName,
                "_" + moduleName,
                "builtins",
            ):
                for member in vars(value):
                    if not member.startswith("_"):
                        entries.append((f"{full}.{member}", "py:method", f"{page}#{full}.{member}"))
    return entries


def twistedInventory() -> Path:
    """Twisted's inventory, made by pydoctor from the installed Twisted (cached)."""
    import twisted

    path = INVENTORIES / f"twisted-{twisted.__version__}.inv"
    if not path.exists():
        work = INVENTORIES / "twisted-work"
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pydoctor",
                "--make-intersphinx",
                "--project-name=Twisted",
                f"--html-output={work}",
                "-q",
                "-q",
                str(Path(twisted.__file__).parent),
            ],
            check=True,
        )
        (work / "objects.inv").replace(path)
    return path


def undocumented() -> list[str]:
    """Public names without a docstring."""
    missing: list[str] = []
    for moduleName in (PACKAGE, f"{PACKAGE}.testing"):
        module = importlib.import_module(moduleName)
        if not (module.__doc__ or "").strip():
            missing.append(moduleName)
        for name in module.__all__:
            value = getattr(module, name)
            where = f"{moduleName}.{name}"
            routine = inspect.isclass(value) or inspect.isfunction(value)
            if routine and not (value.__doc__ or "").strip():
                missing.append(where)
            if inspect.isclass(value):
                missing.extend(_undocumentedMembers(value, where))
    return missing


def _undocumentedMembers(cls: type, where: str) -> list[str]:
    missing = []
    for name, member in vars(cls).items():
        if name.startswith("_"):
            continue
        target: Any = member
        if isinstance(member, (staticmethod, classmethod)):
            target = member.__func__
        documentable = isinstance(target, property) or inspect.isfunction(target)
        if documentable and not (target.__doc__ or "").strip():
            missing.append(f"{where}.{name}")
    return missing


#: The byte layer, and what it must not import (streams, sockets and above).
BYTE_LAYER = {"_buffer", "_blob", "_codec"}
ABOVE_BYTES = {
    "_iostream",
    "_bufferstream",
    "_stream",
    "_inbox",
    "_connection",
    "_tcp",
    "_protocol",
    "_tap",
    "_apps",
    "testing",
    "_pytest_plugin",
}


#: The socket modules, which C{_stream} must not import (a socket is just an IOStream).
SOCKETS = {"_connection", "_tcp", "_protocol"}


def _isTypeChecking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def runtimeImports(path: Path, package: str) -> tuple[set[str], set[str]]:
    """
    The package's modules C{path} imports at run time (C{if TYPE_CHECKING:}
    blocks left out), and what it imports at module level from anywhere.
    """
    tree = ast.parse(path.read_text(), str(path))
    ours: set[str] = set()
    topLevel: set[str] = set()

    def visit(node: ast.AST, inFunction: bool) -> None:
        if isinstance(node, ast.If) and _isTypeChecking(node):
            for child in node.orelse:
                visit(child, inFunction)
            return
        if isinstance(node, ast.ImportFrom):
            base = package if node.level else (node.module or "")
            if node.level and node.module:
                base = f"{package}.{node.module}"
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        else:
            nested = inFunction or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
            for child in ast.iter_child_nodes(node):
                visit(child, nested)
            return
        for name in names:
            if name.startswith(package + "."):
                ours.add(name[len(package) + 1 :].split(".")[0])
            if not inFunction:
                topLevel.add(name)

    visit(tree, False)
    return ours, topLevel


def importRuleViolations() -> list[str]:
    """The "Never" rules of docs/architecture.md, checked on every module's imports."""
    problems: list[str] = []
    importedBy: dict[str, set[str]] = {}
    paths = [*sorted((ROOT / PACKAGE).glob("*.py")), ROOT / "twisted/plugins/tisocket_plugin.py"]
    for path in paths:
        name = path.stem if path.parent.name == PACKAGE else "twisted.plugins." + path.stem
        ours, topLevel = runtimeImports(path, PACKAGE)
        ours.discard(name)
        for target in ours:
            importedBy.setdefault(target, set()).add(name)
        if name in BYTE_LAYER and ours & ABOVE_BYTES:
            problems.append(f"{name} (byte layer) imports {sorted(ours & ABOVE_BYTES)}")
        if name == "_stream" and ours & SOCKETS:
            problems.append(f"_stream imports {sorted(ours & SOCKETS)}")
        if topLevel & {"twisted.internet.reactor", "twisted.internet.reactor.reactor"}:
            problems.append(f"{name} imports the global reactor at import time")
    if importedBy.get("_apps", set()) - {"_tap"}:
        problems.append(f"_apps is imported by {sorted(importedBy['_apps'] - {'_tap'})}")
    if importedBy.get("testing", set()) - {"_pytest_plugin"}:
        problems.append(f"testing is imported by {sorted(importedBy['testing'])}")
    if importedBy.get("_pytest_plugin"):
        problems.append(f"_pytest_plugin is imported by {sorted(importedBy['_pytest_plugin'])}")
    return problems


def literalMarkup() -> list[str]:
    """Pages whose text shows C{``double backquotes``}: reStructuredText, not epytext."""
    found = []
    for page in sorted(OUTPUT.glob("*.html")):
        text = re.sub(r"<[^>]+>", "", page.read_text())
        if "``" in html.unescape(text):
            found.append(page.name)
    return found


def main() -> int:
    missing = undocumented()
    if missing:
        print("Public names without a docstring:", *missing, sep="\n  ", file=sys.stderr)
        return 1
    problems = importRuleViolations()
    if problems:
        print("Import rules of docs/architecture.md broken:", *problems, sep="\n  ")
        return 1
    INVENTORIES.mkdir(parents=True, exist_ok=True)
    python = INVENTORIES / "python.inv"
    writeInventory(python, "Python", pythonEntries())
    twisted = twistedInventory()
    version = importlib.import_module(PACKAGE).__version__
    command = [
        sys.executable,
        "-m",
        "pydoctor",
        "--project-name=tisocket-twisted",
        f"--project-version={version}",
        f"--project-base-dir={ROOT}",
        "--docformat=epytext",
        f"--html-output={OUTPUT}",
        f"--intersphinx-file={python}::{PYTHON_DOCS}",
        f"--intersphinx-file={twisted}::{TWISTED_DOCS}",
        "--system-class=pydoctor_tisocket.TisocketSystem",
        "--warnings-as-errors",
        "-q",
        str(ROOT / PACKAGE),
    ]
    environment = dict(os.environ)
    environment["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "docs"), *filter(None, [environment.get("PYTHONPATH")])]
    )
    result = subprocess.run(command, check=False, env=environment)
    if result.returncode != 0:
        print(f"pydoctor failed (exit {result.returncode})", file=sys.stderr)
        return result.returncode
    literal = literalMarkup()
    if literal:
        print("reStructuredText markup in epytext docstrings:", *literal, sep="\n  ")
        return 1
    print(f"API reference: {OUTPUT / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
