"""Which labels select a workload: stable ones only, the most telling first.

Controllers stamp labels that change with every rollout or differ per pod
(``pod-template-hash``, ``controller-revision-hash``, ``statefulset.kubernetes.io/
pod-name``, ...), and Calico adds its own (``projectcalico.org/namespace``): a policy
selecting by them stops matching, or matches one pod. A workload is selected by
``app.kubernetes.io/name`` when that alone picks exactly its pods in the namespace, else
by ``app``, else by every stable label its pods share.

Bare pods (no controller) are workloads of one pod each, unless several of them share
a namespace and their ``app.kubernetes.io/name`` (else ``app``) value, and that label
picks out exactly them in the namespace: then they are one workload, as replicas a
controller netwarden does not see would be (``bare_pod_groups``).

>>> choose_selector([{"app": "web", "pod-template-hash": "7d9f"},
...                  {"app": "web", "pod-template-hash": "8c1e"}], others=[])
Selection(labels=(('app', 'web'),), warning=None)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from ..ir import Endpoint, EndpointKind

__all__ = ["PREFERRED_KEYS", "UNSTABLE_KEYS", "BarePodGroup", "Selection", "bare_pod_groups",
           "choose_selector", "stable_labels"]

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


@dataclass(frozen=True, slots=True)
class BarePodGroup:
    """Bare pods of one namespace that ``key=value`` selects, and only them."""

    namespace: str
    key: str
    value: str
    pods: tuple[str, ...]        # their keys, sorted

    @property
    def id(self) -> str:
        """``ns/key=value``: unlike any pod key or ``ns/Kind/name`` (no ``=`` in names)."""
        return f"{self.namespace}/{self.key}={self.value}"


def bare_pod_groups(endpoints: Iterable[Endpoint]) -> list[BarePodGroup]:
    """Groups of two or more bare pods that their preferred stable label selects exactly.

    A bare pod's label is the first of ``PREFERRED_KEYS`` it carries; the pods with the
    same namespace and value form a group when no other pod of the namespace (one of a
    workload, or a bare pod grouped by another key) carries that label and value.
    """
    pods = [e for e in endpoints if e.kind is EndpointKind.POD and e.namespace is not None]
    carried: Counter[tuple[str, str, str]] = Counter()
    for pod in pods:
        for key in PREFERRED_KEYS:
            if key in pod.labels:
                carried[(str(pod.namespace), key, pod.labels[key])] += 1
    members: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    for pod in pods:
        preferred = next((k for k in PREFERRED_KEYS if k in pod.labels), None)
        if preferred is not None and not pod.workload:
            members[(str(pod.namespace), preferred, pod.labels[preferred])].append(pod.key)
    return [BarePodGroup(ns, key, value, tuple(sorted(keys)))
            for (ns, key, value), keys in sorted(members.items())
            if len(keys) >= 2 and carried[(ns, key, value)] == len(keys)]
