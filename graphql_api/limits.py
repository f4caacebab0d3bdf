"""Bounds on what one document may ask, checked before validation runs, so a
deep, wide or alias-heavy document is refused in time linear in its size."""

from __future__ import annotations

from django.conf import settings
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

from graphql_api.errors import DocumentTooComplex


class _Budget:
    def __init__(self) -> None:
        self.fields = 0
        self.aliases = 0


def check(document: DocumentNode) -> None:
    fragments = {
        d.name.value: d
        for d in document.definitions
        if isinstance(d, FragmentDefinitionNode)
    }
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode):
            _walk(definition.selection_set, 1, fragments, _Budget(), ())


def _walk(
    selection_set: SelectionSetNode | None,
    depth: int,
    fragments: dict[str, FragmentDefinitionNode],
    budget: _Budget,
    spreads: tuple[str, ...],
) -> None:
    if selection_set is None:
        return
    if depth > settings.GRAPHQL_MAX_DEPTH:
        raise DocumentTooComplex(
            f"Query is nested too deeply: more than {settings.GRAPHQL_MAX_DEPTH} levels"
        )
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            budget.fields += 1
            if selection.alias is not None:
                budget.aliases += 1
            if budget.fields > settings.GRAPHQL_MAX_FIELDS:
                raise DocumentTooComplex(
                    f"Query selects too many fields: more than {settings.GRAPHQL_MAX_FIELDS}"
                )
            if budget.aliases > settings.GRAPHQL_MAX_ALIASES:
                raise DocumentTooComplex(
                    f"Query uses too many aliases: more than {settings.GRAPHQL_MAX_ALIASES}"
                )
            _walk(selection.selection_set, depth + 1, fragments, budget, spreads)
        elif isinstance(selection, InlineFragmentNode):
            _walk(selection.selection_set, depth, fragments, budget, spreads)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            budget.fields += (
                1  # a spread costs too, so spreads cannot multiply for free
            )
            if name in spreads or name not in fragments:
                continue  # validation reports cycles and unknown fragments
            _walk(
                fragments[name].selection_set,
                depth,
                fragments,
                budget,
                spreads + (name,),
            )
