"""``FakeNft``: an in-memory nft that applies transactions all-or-nothing.

Like knftables' fake it is a real implementation of ``NftBackend``: rules that
jump to a missing chain or look up a missing set or map are refused, objects
still referenced cannot be deleted, and a failing batch leaves the previous
state untouched. ``dump()`` writes the state as nft text for golden tests.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from ..._errors import NftError
from .objects import Chain, ChainRules, Element, Map, NftObject, Rule, Set, Table, Verb
from .transaction import Transaction

__all__ = ["FakeNft", "references"]

_SET_REF = re.compile(r"@([A-Za-z_][A-Za-z0-9_./\-]*+)(?!,)")
_CHAIN_REF = re.compile(r"\b(?:jump|goto)\s+([A-Za-z_][A-Za-z0-9_./\-]*)")
_RAW_PAYLOAD = frozenset(("ll", "nh", "th", "ih"))
_NOT_FOUND = "Error: Could not process rule: No such file or directory"
_EXISTS = "Error: Could not process rule: File exists"
_BUSY = "Error: Could not process rule: Device or resource busy"


def references(text: str) -> tuple[set[str], set[str]]:
    """(sets or maps, chains) that an nft rule body or map value names."""
    sets = {m for m in _SET_REF.findall(text) if m not in _RAW_PAYLOAD}
    return sets, set(_CHAIN_REF.findall(text))


@dataclass
class _ChainState:
    decl: Chain
    rules: list[Rule] = field(default_factory=list)


@dataclass
class _SetState:
    decl: Set
    elements: dict[str, str | None] = field(default_factory=dict)


@dataclass
class _Model:
    table: Table | None = None
    chains: dict[str, _ChainState] = field(default_factory=dict)
    sets: dict[str, _SetState] = field(default_factory=dict)

    def users(self) -> tuple[set[str], set[str]]:
        """Every set and chain some rule or map element refers to."""
        sets: set[str] = set()
        chains: set[str] = set()
        for chain in self.chains.values():
            for rule in chain.rules:
                s, c = references(rule.body)
                sets |= s
                chains |= c
        for st in self.sets.values():
            for value in st.elements.values():
                if value is not None:
                    chains |= references(value)[1]
        return sets, chains


def _fail(message: str, stderr: str) -> NftError:
    return NftError(message, stderr)


class FakeNft:
    """An ``NftBackend`` for one table, kept in memory."""

    def __init__(self) -> None:
        self._model = _Model()
        self.last_transaction: Transaction | None = None
        self.transactions = 0

    # -- NftBackend ---------------------------------------------------------
    def run(self, tx: Transaction) -> None:
        self._model = self._applied(tx)
        self.last_transaction = tx
        self.transactions += 1

    def check(self, tx: Transaction) -> None:
        self._applied(tx)

    def list_table(self, table: Table, *, as_json: bool = False) -> str:
        if as_json:
            raise NftError("FakeNft lists text only")
        if self._model.table is None or self._model.table.ref != table.ref:
            raise _fail(f"no table {table.ref}", _NOT_FOUND)
        return self.dump()

    # -- inspection ---------------------------------------------------------
    @property
    def exists(self) -> bool:
        return self._model.table is not None

    def rules(self, chain: str) -> list[Rule]:
        return list(self._model.chains[chain].rules)

    def elements(self, name: str) -> dict[str, str | None]:
        return dict(self._model.sets[name].elements)

    def chain_names(self) -> list[str]:
        return sorted(self._model.chains)

    def set_names(self) -> list[str]:
        return sorted(self._model.sets)

    def dump(self) -> str:
        model = self._model
        if model.table is None:
            return ""
        out = [f"table {model.table.ref} {{"]
        for name in sorted(model.sets):
            st = model.sets[name]
            out.append(f"\t{st.decl.keyword} {name} {{")
            out.append(f"\t\ttype {st.decl.type}")
            if st.decl.flags:
                out.append(f"\t\tflags {','.join(st.decl.flags)}")
            if st.decl.counter:
                out.append("\t\tcounter")
            if st.elements:
                items = sorted(k if v is None else f"{k} : {v}" for k, v in st.elements.items())
                out.append(f"\t\telements = {{ {', '.join(items)} }}")
            out.append("\t}")
        for name in sorted(model.chains):
            ch = model.chains[name]
            out.append(f"\tchain {name} {{")
            if ch.decl.is_base:
                line = f"\t\ttype {ch.decl.type} hook {ch.decl.hook} priority {ch.decl.priority};"
                out.append(line + (f" policy {ch.decl.policy};" if ch.decl.policy else ""))
            out.extend(f"\t\t{r.body_text()}" for r in ch.rules)
            out.append("\t}")
        out.append("}")
        return "\n".join(out) + "\n"

    # -- applying -----------------------------------------------------------
    def _applied(self, tx: Transaction) -> _Model:
        if tx.error is not None:
            raise NftError(f"invalid transaction: {tx.error}")
        model = copy.deepcopy(self._model)
        for op in tx.operations:
            self._apply(model, op.verb, op.obj, tx.table)
        return model

    def _apply(self, m: _Model, verb: Verb, obj: NftObject, table: Table) -> None:
        if isinstance(obj, Table):
            self._table(m, verb)
            m.table = table if m.table is not None or verb is Verb.ADD else None
            return
        if m.table is None:
            raise _fail(f"table {table.ref} does not exist", _NOT_FOUND)
        if isinstance(obj, ChainRules):
            if obj.chain.name not in m.chains:
                raise _fail(f"add rule: no chain {obj.chain.name}", _NOT_FOUND)
            self._chain(m, verb, obj.chain)
        elif isinstance(obj, Chain):
            self._chain(m, verb, obj)
        elif isinstance(obj, Set):
            self._set(m, verb, obj)
        elif isinstance(obj, Element):
            self._element(m, verb, obj)

    @staticmethod
    def _table(m: _Model, verb: Verb) -> None:
        if verb is Verb.DELETE:
            if m.table is None:
                raise _fail("delete table: not found", _NOT_FOUND)
            m.table = None
            m.chains.clear()
            m.sets.clear()
        elif verb is Verb.FLUSH:
            if m.table is None:
                raise _fail("flush table: not found", _NOT_FOUND)
            for chain in m.chains.values():
                chain.rules.clear()

    def _chain(self, m: _Model, verb: Verb, obj: Chain) -> None:
        state = m.chains.get(obj.name)
        if verb is Verb.ADD:
            if state is None:
                state = m.chains[obj.name] = _ChainState(Chain(
                    obj.name, (), obj.type, obj.hook, obj.priority, obj.policy, obj.comment
                ))
            elif (state.decl.hook, state.decl.type) != (obj.hook, obj.type):
                raise _fail(f"chain {obj.name} redeclared differently", _EXISTS)
            for rule in obj.rules:
                self._check_refs(m, rule.body, f"rule in {obj.name}")
                state.rules.append(rule)
            return
        if state is None:
            raise _fail(f"{verb.value} chain {obj.name}: not found", _NOT_FOUND)
        if verb is Verb.FLUSH:
            state.rules.clear()
            return
        if state.rules or obj.name in m.users()[1]:
            raise _fail(f"delete chain {obj.name}: still in use", _BUSY)
        del m.chains[obj.name]

    def _set(self, m: _Model, verb: Verb, obj: Set) -> None:
        state = m.sets.get(obj.name)
        if verb is Verb.ADD:
            if state is None:
                state = m.sets[obj.name] = _SetState(obj)
            elif (state.decl.keyword, state.decl.type, state.decl.flags, state.decl.counter) != (
                obj.keyword, obj.type, obj.flags, obj.counter
            ):
                raise _fail(f"{obj.keyword} {obj.name} redeclared differently", _EXISTS)
            items = obj.entries if isinstance(obj, Map) else [(e, None) for e in obj.elements]
            for key, value in items:
                self._element(m, Verb.ADD, Element(obj.name, key, value))
            return
        if state is None or state.decl.keyword != obj.keyword:
            raise _fail(f"{verb.value} {obj.keyword} {obj.name}: not found", _NOT_FOUND)
        if verb is Verb.FLUSH:
            state.elements.clear()
        elif obj.name in m.users()[0]:
            raise _fail(f"delete {obj.keyword} {obj.name}: still in use", _BUSY)
        else:
            del m.sets[obj.name]

    def _element(self, m: _Model, verb: Verb, obj: Element) -> None:
        state = m.sets.get(obj.container)
        if state is None:
            raise _fail(f"element of missing set {obj.container}", _NOT_FOUND)
        if verb is Verb.DELETE:
            if obj.key not in state.elements:
                raise _fail(f"element {obj.key} not in {obj.container}", _NOT_FOUND)
            del state.elements[obj.key]
            return
        is_map = isinstance(state.decl, Map)
        if is_map != (obj.value is not None):
            raise _fail(f"element {obj.text()} does not fit {obj.container}", _EXISTS)
        if obj.value is not None:
            self._check_refs(m, obj.value, f"element of {obj.container}")
        state.elements[obj.key] = obj.value

    @staticmethod
    def _check_refs(m: _Model, text: str, what: str) -> None:
        sets, chains = references(text)
        for name in sorted(sets - m.sets.keys()):
            raise _fail(f"{what} refers to missing set {name}", _NOT_FOUND)
        for name in sorted(chains - m.chains.keys()):
            raise _fail(f"{what} jumps to missing chain {name}", _NOT_FOUND)
