"""Bundling the contract's files into the one self-contained document sleeve runs.

The contract is written as a root document whose ``paths`` refer (``$ref``) to path items in
part files, one per upstream, and the parts refer to components across files. Nothing
downstream should see that split: connexion 3.3's resolver recurses forever on a recursive
schema (``Track.sub_tracks``) that lives in another file, openapi-spec-validator needs a base
URI to follow relative refs, and SDK generators and schemathesis want one document. So the
files are bundled first, with plain OpenAPI ``$ref`` semantics and nothing of sleeve's own:

- a ``$ref`` that is a whole path item of the root's ``paths`` is replaced by the part's path
  item of the same name, and every path of a part must be listed so, once;
- every component of every file reached is put under the bundle's ``components`` by its own
  name: names are one namespace across the files, so a name defined twice is an error rather
  than something to rename;
- every other ``$ref`` (``#/components/...`` within a file, ``other.yaml#/components/...``
  across files) then points at that same component of the bundle, ``#/components/...``.

A part holds only ``paths``, ``components`` and ``x-`` keys; the ``x-`` keys are its author's
scaffolding (such as a block of YAML anchors) and are not part of the document. Anything
that does not fit raises :class:`BundleError` naming the file and the key, so a broken split
stops the server at start-up instead of serving a document with a hole in it.
"""

from __future__ import annotations

import os
import pathlib
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml

__all__ = ["BundleError", "bundle"]

# libyaml's loader when PyYAML has it (the contract is large); the constructor is Python's
# either way, which is what the duplicate-key check below hooks into.
_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MERGE = "tag:yaml.org,2002:merge"
Where = tuple[str, ...]


class BundleError(ValueError):
    """The contract's files do not make one document; the message names file and key."""


class _DuplicateKey(yaml.YAMLError):
    def __init__(self, key: str, mark: Any) -> None:
        super().__init__(key)
        self.key = key
        self.mark = mark


class _StrictLoader(_BaseLoader):  # type: ignore[misc, valid-type]
    """A safe loader that refuses a mapping key written twice.

    PyYAML keeps the last of two equal keys without a word, so a path or component pasted
    twice into one file would silently replace the first.
    """

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[tuple[str, str]] = set()
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag != _MERGE:
                key = (key_node.tag, key_node.value)
                if key in seen:
                    raise _DuplicateKey(key_node.value, key_node.start_mark)
                seen.add(key)
        result: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        return result


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def _pointer(where: Where) -> str:
    return "#/" + "/".join(_escape(token) for token in where) if where else "#"


def _tokens(pointer: str) -> list[str]:
    return [t.replace("~1", "/").replace("~0", "~") for t in unquote(pointer)[1:].split("/")]


def bundle(root: str | os.PathLike[str]) -> dict[str, Any]:
    """The document made of the root at ``root`` and every part it leads to, with no
    ``$ref`` left that leaves it.

    Mapping order follows the files: the root's keys and paths in its order; the parts'
    components in the order the root's paths first lead to the parts, then the root's own.
    """
    return _Bundler(pathlib.Path(root)).run()


class _Bundler:
    def __init__(self, root: pathlib.Path) -> None:
        self.root = root.resolve()
        self.base = self.root.parent
        self.docs: dict[pathlib.Path, dict[str, Any]] = {}
        self.parts: list[pathlib.Path] = []  # in the order first reached
        self.components: dict[str, dict[str, Any]] = {}
        self.owners: dict[tuple[str, str], pathlib.Path] = {}
        self.listed: set[tuple[pathlib.Path, str]] = set()
        self.hoisted = 0  # how many of ``parts`` have had their components hoisted
        self.active: set[int] = set()  # containers being copied, against recursive aliases

    # -- files ---------------------------------------------------------------------------

    def name(self, path: pathlib.Path) -> str:
        return pathlib.Path(os.path.relpath(path, self.base)).as_posix()

    def load(self, path: pathlib.Path) -> dict[str, Any]:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise BundleError(f"{self.name(path)}: no such file") from None
        try:
            doc = yaml.load(text, Loader=_StrictLoader)
        except _DuplicateKey as exc:
            raise BundleError(
                f"{self.name(path)}, line {exc.mark.line + 1}: key {exc.key!r} is written twice"
            ) from None
        except yaml.YAMLError as exc:
            raise BundleError(f"{self.name(path)}: not YAML: {exc}") from None
        if not isinstance(doc, dict):
            raise BundleError(f"{self.name(path)}: not a mapping at the top")
        return doc

    def reach(self, path: pathlib.Path, ref: str, where: Where, referrer: pathlib.Path) -> None:
        """Load the part ``path`` the first time a ``$ref`` leads to it."""
        if path in self.docs:
            return
        if not path.is_file():
            raise BundleError(
                f"{self.name(referrer)}{_pointer(where)}: $ref {ref!r} leads to "
                f"{self.name(path)}, which does not exist"
            )
        doc = self.load(path)
        for key in doc:
            if key not in ("paths", "components") and not str(key).startswith("x-"):
                raise BundleError(
                    f"{self.name(path)}: a part holds only paths, components and x- keys, "
                    f"not {key!r}"
                )
        for key in ("paths", "components"):
            if not isinstance(doc.get(key, {}), dict):
                raise BundleError(f"{self.name(path)}#/{key}: not a mapping")
        self.docs[path] = doc
        self.parts.append(path)

    # -- the document --------------------------------------------------------------------

    def run(self) -> dict[str, Any]:
        root = self.load(self.root)
        self.docs[self.root] = root
        out: dict[str, Any] = {}
        for key, value in root.items():
            if key == "paths":
                out[key] = self.paths(value)
            elif key == "components":
                out[key] = self.components  # filled below, in this place
            else:
                out[key] = self.copy(value, self.root, (key,))
        # Every part's components, in the order the parts were reached, then the root's own;
        # hoisting follows refs, so it may reach further parts.
        self.hoist_reached()
        self.hoist(self.root)
        self.hoist_reached()
        if self.components and "components" not in out:
            out["components"] = self.components
        self.check_listed()
        return out

    def paths(self, paths: Any) -> dict[str, Any]:
        if not isinstance(paths, dict):
            raise BundleError(f"{self.name(self.root)}#/paths: not a mapping")
        out: dict[str, Any] = {}
        for key, item in paths.items():
            where = ("paths", key)
            if isinstance(item, dict) and "$ref" in item:
                out[key] = self.path_item(key, item, where)
            else:
                out[key] = self.copy(item, self.root, where)
        return out

    def path_item(self, key: str, item: dict[str, Any], where: Where) -> Any:
        """The part's path item that a root path refers to, taken whole."""
        ref = item["$ref"]
        here = f"{self.name(self.root)}{_pointer(where)}"
        if len(item) > 1:
            raise BundleError(f"{here}: a path item $ref takes no other keys beside it")
        target, fragment = self.split(ref, self.root, where)
        if target == self.root or _tokens(fragment) != ["paths", key]:
            raise BundleError(
                f"{here}: $ref {ref!r} should name a part's path item of the same name, "
                f"<part>.yaml{_pointer(where)}"
            )
        self.reach(target, ref, where, self.root)
        part = self.docs[target]
        part_item = part.get("paths", {}).get(key)
        if not isinstance(part_item, dict):
            raise BundleError(f"{here}: $ref {ref!r} does not resolve: no such path")
        if "$ref" in part_item:
            raise BundleError(f"{self.name(target)}{_pointer(where)}: is a $ref itself")
        self.listed.add((target, key))
        return self.copy(part_item, target, where)

    def hoist_reached(self) -> None:
        while self.hoisted < len(self.parts):
            self.hoist(self.parts[self.hoisted])
            self.hoisted += 1

    def hoist(self, file: pathlib.Path) -> None:
        components = self.docs[file].get("components", {})
        if not isinstance(components, dict):
            raise BundleError(f"{self.name(file)}#/components: not a mapping")
        for section, entries in components.items():
            if not isinstance(entries, dict):
                raise BundleError(f"{self.name(file)}#/components/{section}: not a mapping")
            merged = self.components.setdefault(section, {})
            for name, value in entries.items():
                owner = self.owners.setdefault((section, name), file)
                if owner != file:
                    raise BundleError(
                        f"{self.name(file)}#/components/{section}/{name} is also defined in "
                        f"{self.name(owner)}: component names are one namespace across the files"
                    )
                merged[name] = self.copy(value, file, ("components", section, name))

    def check_listed(self) -> None:
        for part in self.parts:
            for key in self.docs[part].get("paths", {}):
                if (part, key) not in self.listed:
                    raise BundleError(
                        f"{self.name(part)}{_pointer(('paths', key))} is not listed in "
                        f"{self.name(self.root)}'s paths, so it would not be served"
                    )

    # -- references ----------------------------------------------------------------------

    def copy(self, node: Any, file: pathlib.Path, where: Where) -> Any:
        """``node`` copied, every ``$ref`` in it made local to the bundle.

        Fresh containers every time: YAML aliases share one object between places, and the
        bundle must not (its refs are rewritten relative to each place's file).
        """
        if isinstance(node, dict):
            if id(node) in self.active:
                raise BundleError(f"{self.name(file)}{_pointer(where)}: a YAML alias of itself")
            self.active.add(id(node))
            try:
                return {
                    key: self.local(value, file, where)
                    if key == "$ref" and isinstance(value, str)
                    else self.copy(value, file, (*where, str(key)))
                    for key, value in node.items()
                }
            finally:
                self.active.discard(id(node))
        if isinstance(node, list):
            if id(node) in self.active:
                raise BundleError(f"{self.name(file)}{_pointer(where)}: a YAML alias of itself")
            self.active.add(id(node))
            try:
                return [self.copy(value, file, (*where, str(i))) for i, value in enumerate(node)]
            finally:
                self.active.discard(id(node))
        return node

    def split(self, ref: str, file: pathlib.Path, where: Where) -> tuple[pathlib.Path, str]:
        """The file a ``$ref`` names (relative to the file it is written in) and its pointer."""
        target, _, fragment = ref.partition("#")
        if urlsplit(target).scheme or target.startswith("//"):
            raise BundleError(
                f"{self.name(file)}{_pointer(where)}: $ref {ref!r}: the contract's refs stay "
                f"within its files"
            )
        if not fragment.startswith("/"):
            raise BundleError(
                f"{self.name(file)}{_pointer(where)}: $ref {ref!r} needs a JSON pointer after '#'"
            )
        path = (file.parent / unquote(target)).resolve() if target else file
        return path, fragment

    def local(self, ref: str, file: pathlib.Path, where: Where) -> str:
        """``ref`` as a ref into the bundle, once it is known to resolve."""
        target, fragment = self.split(ref, file, where)
        tokens = _tokens(fragment)
        here = f"{self.name(file)}{_pointer(where)}"
        if tokens[0] != "components" or len(tokens) < 3:
            raise BundleError(
                f"{here}: $ref {ref!r}: refs may name components (and, from the root's paths, "
                f"a part's path item), nothing else"
            )
        self.reach(target, ref, where, file)
        node: Any = self.docs[target]
        for depth, token in enumerate(tokens):
            if isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            elif isinstance(node, dict) and token in node:
                node = node[token]
            else:
                missing = "/".join(_escape(t) for t in tokens[: depth + 1])
                raise BundleError(
                    f"{here}: $ref {ref!r} does not resolve: {self.name(target)} has no #/{missing}"
                )
        return f"#{fragment}"
