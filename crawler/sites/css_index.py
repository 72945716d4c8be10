"""A subtree's elements indexed once by class and id; plain selectors answered from the index.

Every CSS query through lxml is an XPath that tests each element of the subtree, and a class
test costs libxml2 a string search per element: a dozen field selectors over a korea.kr-sized
article container were a sixth of a page's parse. One walk builds the index; a selector made
of tags, ids, classes, `:not(.class)`, descendant and child combinators (every selector the
korea.kr layouts use) is then answered from the index, right to left: the candidates for its
last compound, each checked against its ancestors inside the subtree. The answer is the one
lxml's CSSSelector (HTML translator) gives, in document order (tests/test_css_index.py);
`plan` returns None for any other selector, which the caller sends to the XPath.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import cssselect
from lxml import etree

Element = Any  # lxml.html.HtmlElement


@dataclass(frozen=True, slots=True)
class Compound:
    """One compound selector: `tag#id.class1.class2:not(.class3)`; None and () mean any."""

    tag: str | None
    element_id: str | None
    classes: tuple[str, ...]
    not_classes: tuple[str, ...]


# A chain, left to right: the first compound, then (combinator, compound) pairs (" " or ">").
Steps = tuple[tuple[str, Compound], ...]
Chain = tuple[Compound, Steps]


@lru_cache(maxsize=512)
def plan(selector: str) -> tuple[Chain, ...] | None:
    """The selector as chains the index can answer, or None when it holds anything else."""
    try:
        parsed = cssselect.parse(selector)
    except cssselect.SelectorError:
        return None
    chains = []
    for one in parsed:
        if one.pseudo_element is not None:
            return None
        chain = _chain(one.parsed_tree)
        if chain is None:
            return None
        chains.append(chain)
    return tuple(chains)


def _chain(tree: object) -> Chain | None:
    steps: list[tuple[str, Compound]] = []
    while isinstance(tree, cssselect.parser.CombinedSelector):
        compound = _compound(tree.subselector)
        if compound is None or tree.combinator not in (" ", ">"):
            return None
        steps.append((tree.combinator, compound))
        tree = tree.selector
    first = _compound(tree)
    if first is None:
        return None
    return first, tuple(reversed(steps))


def _compound(tree: object) -> Compound | None:
    classes: list[str] = []
    not_classes: list[str] = []
    element_id: str | None = None
    while not isinstance(tree, cssselect.parser.Element):
        if isinstance(tree, cssselect.parser.Class):
            classes.append(tree.class_name)
        elif isinstance(tree, cssselect.parser.Hash):
            if element_id is not None and element_id != tree.id:
                return None  # `#a#b`: left to the XPath
            element_id = tree.id
        elif isinstance(tree, cssselect.parser.Negation):
            inner = tree.subselector
            if not (
                isinstance(inner, cssselect.parser.Class)
                and isinstance(inner.selector, cssselect.parser.Element)
                and inner.selector.element is None
                and inner.selector.namespace is None
            ):
                return None
            not_classes.append(inner.class_name)
        else:
            return None
        tree = tree.selector
    if tree.namespace is not None:
        return None
    # The HTML translator compares element names in lower case.
    tag = tree.element.lower() if tree.element is not None else None
    return Compound(tag, element_id, tuple(reversed(classes)), tuple(not_classes))


@dataclass(frozen=True, slots=True)
class Names:
    """A group of bare names (`aside, #x, .y`): each selector one tag, one id or one class."""

    tags: frozenset[str]
    ids: frozenset[str]
    classes: frozenset[str]


@lru_cache(maxsize=512)
def bare_names(selector: str) -> Names | None:
    """The selector as a `Names` group, or None when any of its selectors asks for more."""
    chains = plan(selector)
    if chains is None:
        return None
    tags: set[str] = set()
    ids: set[str] = set()
    classes: set[str] = set()
    for first, steps in chains:
        if steps or first.not_classes:
            return None
        if first.tag is not None and first.element_id is None and not first.classes:
            tags.add(first.tag)
        elif first.tag is None and first.element_id is not None and not first.classes:
            ids.add(first.element_id)
        elif first.tag is None and first.element_id is None and len(first.classes) == 1:
            classes.add(first.classes[0])
        else:
            return None
    return Names(frozenset(tags), frozenset(ids), frozenset(classes))


def select_names(root: Element, names: Names) -> list[Element]:
    """The elements of `root`'s subtree (itself included) matching a `Names` group, in document order.

    One walk testing each element against the sets: for a group asked once of a small subtree
    (the chrome widgets of an article body) cheaper than indexing the subtree to answer it.
    """
    tags, ids, classes = names.tags, names.ids, names.classes
    found = []
    for element in root.iter(etree.Element):
        if element.tag in tags:
            found.append(element)
            continue
        get = element.get
        if ids and get("id") in ids:
            found.append(element)
        elif classes and (value := get("class")):
            if _SEPARATORS.search(value):
                if any(name in classes for name in _class_names(value)):
                    found.append(element)
            elif value in classes:
                found.append(element)
    return found


class ElementIndex:
    """The elements of one subtree (its root included) by class and id, in document order."""

    __slots__ = ("root", "_by_class", "_by_id", "_order")

    def __init__(self, root: Element) -> None:
        self.root = root
        self._by_class: dict[str, list[Element]] = {}
        self._by_id: dict[str, list[Element]] = {}
        self._order: dict[Element, int] | None = None  # positions, for selector groups only
        by_class, by_id = self._by_class, self._by_id
        for element in root.iter(etree.Element):
            get = element.get
            if value := get("class"):
                # Most values are one name: no split, no dedup (a fifth of the index's time).
                for name in dict.fromkeys(_class_names(value)) if _SEPARATORS.search(value) else (value,):
                    if (elements := by_class.get(name)) is None:
                        by_class[name] = [element]
                    else:
                        elements.append(element)
            if (element_id := get("id")) is not None:
                by_id.setdefault(element_id, []).append(element)

    def select(self, chains: tuple[Chain, ...]) -> list[Element]:
        found: dict[Element, None] = {}
        sources = 0  # chains that added an element
        for first, steps in chains:
            last = steps[-1][1] if steps else first
            before = len(found)
            for element in self._candidates(last):
                if _matches(element, last) and self._ancestors_match(element, first, steps, len(steps) - 1):
                    found[element] = None
            sources += len(found) > before
        if sources <= 1:
            # One chain's answers are in document order (its candidates are); numbering every
            # element to sort them cost a group selector most of its time.
            return list(found)
        # A selector group answers in document order.
        if self._order is None:
            self._order = {element: n for n, element in enumerate(self.root.iter(etree.Element))}
        return sorted(found, key=self._order.__getitem__)

    def _candidates(self, compound: Compound) -> list[Element]:
        if compound.element_id is not None:
            return self._by_id.get(compound.element_id, [])
        if compound.classes:
            return min((self._by_class.get(name, []) for name in compound.classes), key=len)
        # Tag names are walked in C; `*` is every element.
        return list(self.root.iter(compound.tag or etree.Element))

    def _ancestors_match(self, element: Element, first: Compound, steps: Steps, at: int) -> bool:
        """Whether `element` (which matches step `at`) has the ancestors steps 0..at-1 ask for."""
        if at < 0:
            return True
        combinator = steps[at][0]
        wanted = steps[at - 1][1] if at > 0 else first
        for ancestor in self._ancestors(element):
            if _matches(ancestor, wanted) and self._ancestors_match(ancestor, first, steps, at - 1):
                return True
            if combinator == ">":
                return False  # only the parent may match
        return False

    def _ancestors(self, element: Element) -> Iterable[Element]:
        # The XPath starts at the subtree's root: nothing above it takes part.
        if element is self.root:
            return
        for ancestor in element.iterancestors():
            yield ancestor
            if ancestor is self.root:
                return


_SEPARATORS = re.compile("[ \t\n\r]")


def _class_names(value: str) -> list[str]:
    # Split as normalize-space() does: on space, tab, CR and LF only.
    if "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\t", " ").replace("\n", " ").replace("\r", " ")
    return [name for name in value.split(" ") if name]


def _classes(element: Element) -> list[str]:
    value = element.get("class")
    return _class_names(value) if value else []


def _matches(element: Element, compound: Compound) -> bool:
    if compound.tag is not None and element.tag != compound.tag:
        return False
    if compound.element_id is not None and element.get("id") != compound.element_id:
        return False
    if compound.classes or compound.not_classes:
        classes = _classes(element)
        if any(name not in classes for name in compound.classes):
            return False
        if any(name in classes for name in compound.not_classes):
            return False
    return True
