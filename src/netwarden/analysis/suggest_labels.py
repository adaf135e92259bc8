"""Which labels select a workload: stable ones only, the most telling first.

Controllers stamp labels that change with every rollout or differ per pod
(``pod-template-hash``, ``controller-revision-hash``, ``statefulset.kubernetes.io/
pod-name``, ...), and Calico adds its own (``projectcalico.org/namespace``): a policy
selecting by them stops matching, or matches one pod. A workload is selected by
``app.kubernetes.io/name`` when that alone picks exactly its pods in the namespace, else
by ``app``, else by every stable label its pods share.

>>> choose_selector([{"app": "web", "pod-template-hash": "7d9f"},
...                  {"app": "web", "pod-template-hash": "8c1e"}], others=[])
Selection(labels=(('app', 'web'),), warning=None)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = ["PREFERRED_KEYS", "UNSTABLE_KEYS", "Selection", "choose_selector", "stable_labels"]

UNSTABLE_KEYS = frozenset({
    "pod-template-hash",
    "controller-revision-hash",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "pod-template-generation",
    "controller-uid",
    "batch.kubernetes.io/controller-uid",
    "job-name",
    "batch.kubernetes.io/job-name",
    "batch.kubernetes.io/job-completion-index",
})
# Added by Calico to every workload endpoint: not the pod's own.
IMPLICIT_PREFIXES = ("projectcalico.org/",)
PREFERRED_KEYS = ("app.kubernetes.io/name", "app")


@dataclass(frozen=True, slots=True)
class Selection:
    """The matchLabels chosen, and what the user must know about them."""

    labels: tuple[tuple[str, str], ...]
    warning: str | None = None


def own_labels(labels: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in labels.items() if not k.startswith(IMPLICIT_PREFIXES)}


def stable_labels(labels: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in own_labels(labels).items() if k not in UNSTABLE_KEYS}


def _selects(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def choose_selector(pods: Sequence[Mapping[str, str]],
                    others: Iterable[Mapping[str, str]], name: str = "") -> Selection:
    """matchLabels for the workload whose pods carry ``pods``' labels.

    ``others`` are the labels of the other pods of its namespace: the choice prefers a
    selector none of them matches.
    """
    others = list(others)
    common = stable_labels(pods[0]) if pods else {}
    for labels in pods[1:]:
        stable = stable_labels(labels)
        common = {k: v for k, v in common.items() if stable.get(k) == v}
    if not common:
        own = own_labels(pods[0]) if pods else {}
        if len(pods) == 1 and own:
            keys = ", ".join(sorted(own))
            return Selection(tuple(sorted(own.items())), (
                f"{name}: its only labels ({keys}) change with every rollout or differ per "
                "pod: the suggested policies select it by them and will stop matching it; "
                "give the pod template a stable label (app.kubernetes.io/name or app)"))
        return Selection((), (
            f"{name}: no stable label shared by its pods: no policy can select it alone; "
            "give the pod template a stable label (app.kubernetes.io/name or app)"))
    candidates = [{key: common[key]} for key in PREFERRED_KEYS if key in common]
    candidates.append(common)
    for candidate in candidates:
        if not any(_selects(candidate, o) for o in others):
            return Selection(tuple(sorted(candidate.items())))
    return Selection(tuple(sorted(common.items())), (
        f"{name}: its labels ({', '.join(f'{k}={v}' for k, v in sorted(common.items()))}) "
        "also select other pods of its namespace: the suggested rules admit them too"))
