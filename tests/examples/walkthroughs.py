"""The seed walkthroughs as data: which manifests, which port, which connectivity.

Every entry of ``WALKTHROUGHS`` is one state of one article's walkthrough: the
example's ``cluster.yaml`` plus the policy files in force (in apply order), a
protocol and port, and the full pod-to-pod matrix the article states (corrected
to Kubernetes semantics where the article is wrong; the example's README says
where). The expectations are written by hand from the articles, never taken
from the engine. ``external`` rows are connections with an address outside the
cluster on one side (only the pod side's policies apply to those).

The matrices are written as a difference from an all-open (``open_except``) or
an all-closed (``closed_except``) cluster, with ``cross(sources, destinations)``
for "every one of these to every one of those". A pod reaching itself is always
allowed: both helpers put every ``src → src`` in, whatever the difference says.

The enforcement lab tests replay the same cases with real packets::

    from ..examples.walkthroughs import WALKTHROUGHS
    for w in WALKTHROUGHS:
        w.paths()          # cluster.yaml + the steps, as Paths
        w.allowed          # {"ns/pod": frozenset({"ns/pod", ...})}
        w.external         # (("192.168.5.10", "prod/db", True), ...)
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import product
from pathlib import Path

__all__ = [
    "EXAMPLES",
    "WALKTHROUGHS",
    "Walkthrough",
    "actual_matrix",
    "assert_walkthrough",
    "closed_except",
    "cross",
    "engine_for",
    "matrix_mismatches",
    "open_except",
    "walkthroughs",
]

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

Pair = tuple[str, str]
Matrix = dict[str, frozenset[str]]


def cross(sources: Iterable[str], destinations: Iterable[str]) -> set[Pair]:
    """Every (source, destination) pair, self pairs included (the helpers ignore them)."""
    return set(product(sources, destinations))


def _check_names(pods: Iterable[str], pairs: Iterable[Pair]) -> None:
    known = set(pods)
    unknown = {name for pair in pairs for name in pair} - known
    assert not unknown, f"expectation names pods the example does not have: {sorted(unknown)}"


def open_except(pods: Iterable[str], deny: Iterable[Pair] = ()) -> Matrix:
    """Everything allowed except ``deny`` (a pod reaching itself stays allowed)."""
    pods, deny = list(pods), set(deny)
    _check_names(pods, deny)
    return {s: frozenset(d for d in pods if s == d or (s, d) not in deny) for s in pods}


def closed_except(pods: Iterable[str], allow: Iterable[Pair] = ()) -> Matrix:
    """Everything denied except ``allow`` (and a pod reaching itself)."""
    pods, allow = list(pods), set(allow)
    _check_names(pods, allow)
    return {s: frozenset(d for d in pods if s == d or (s, d) in allow) for s in pods}


@dataclass(frozen=True)
class Walkthrough:
    id: str                    # "<example>/<state>", used as the pytest id
    example: str               # directory under examples/
    steps: tuple[str, ...]     # files relative to the example, in apply order
    protocol: str              # "TCP", "UDP" or "ICMP" (ICMP: echo request, port None)
    port: int | None
    allowed: Matrix            # src -> every dst it may open a connection to
    external: tuple[tuple[str, str, bool], ...] = ()   # (src, dst, allowed); one is an IP
    says: str = ""             # the article's claim, in a few words

    def paths(self) -> list[Path]:
        base = EXAMPLES / self.example
        return [base / "cluster.yaml", *(base / s for s in self.steps)]


def engine_for(w: Walkthrough):  # type: ignore[no-untyped-def]
    from netwarden import load_engine

    return load_engine(w.paths())


def actual_matrix(engine, w: Walkthrough) -> Matrix:  # type: ignore[no-untyped-def]
    from netwarden.analysis.matrix import port_matrix

    m = port_matrix(engine.connectivity, w.protocol, w.port)
    return {s: frozenset(d for d, ok in row.items() if ok) for s, row in m["allowed"].items()}


def matrix_mismatches(expected: Matrix, actual: Matrix) -> list[str]:
    """Readable differences, one line per wrong cell (empty when equal)."""
    out: list[str] = []
    if set(expected) != set(actual):
        out.append(f"pods differ: expected {sorted(expected)}, engine has {sorted(actual)}")
        return out
    for src in sorted(expected):
        for dst in sorted(expected):
            want, got = dst in expected[src], dst in actual[src]
            if want != got:
                out.append(f"{src} -> {dst}: expected {'allowed' if want else 'denied'}, "
                           f"engine says {'allowed' if got else 'denied'}")
    return out


W: list[Walkthrough] = []


def _add(example: str, state: str, steps: Iterable[str], protocol: str, port: int | None,
         allowed: Matrix, external: Iterable[tuple[str, str, bool]] = (), says: str = "") -> None:
    W.append(Walkthrough(f"{example}/{state}", example, tuple(steps), protocol, port,
                         allowed, tuple(external), says))


# ---------------------------------------------------------------------------
# seed-prod-dev (seed 000, Md Shamim): webservers in prod, testservers in dev.
W1, W2, W3 = "prod/webserver-1", "prod/webserver-2", "prod/webserver-3"
T1, T2 = "dev/testserver-1", "dev/testserver-2"
PROD, DEV = {W1, W2, W3}, {T1, T2}
PD = [W1, W2, W3, T1, T2]
P = "policies/"
S01, S02, S03 = P + "01-ingress-same-namespace.yaml", P + "02-ingress-from-dev.yaml", \
    P + "03-default-deny-ingress.yaml"
S04, S05, S06 = P + "04-egress-same-namespace.yaml", P + "05-egress-to-dev.yaml", \
    P + "06-default-deny-egress.yaml"
S07, S08 = P + "07-default-deny-all.yaml", P + "08-allow-from-dev-namespace.yaml"
EX = "seed-prod-dev"
INTERNET = "203.0.113.10"   # some address outside the cluster

_add(EX, "00-no-policy", [], "TCP", 80, open_except(PD),
     says="every pod reaches every pod, across namespaces too")
_add(EX, "01-ingress-same-namespace", [S01], "TCP", 80,
     open_except(PD, deny=cross(set(PD) - {W2}, {W1})),
     external=[(INTERNET, W1, False), (W1, INTERNET, True)],
     says="1.1: webserver-1 accepts only webserver-2; its own egress is untouched")
_add(EX, "02-ingress-from-dev", [S02], "TCP", 80,
     open_except(PD, deny=cross(set(PD) - {T1}, {W1})),
     says="1.2: webserver-1 accepts only testserver-1; testserver-1 still reaches ALL prod pods")
_add(EX, "03-default-deny-ingress", [S03], "TCP", 80,
     open_except(PD, deny=cross(PD, PROD)),
     says="1.3: nothing may connect to a prod pod; prod pods may still connect out")
_add(EX, "02+03-deny-ingress-with-dev-exception", [S02, S03], "TCP", 80,
     open_except(PD, deny=cross(PD, PROD) - {(T1, W1)}),
     says="1.3 with 1.2: only testserver-1 -> webserver-1 enters prod")
_add(EX, "04-egress-same-namespace", [S04], "TCP", 80,
     open_except(PD, deny=cross({W1}, set(PD) - {W3})),
     external=[(W1, INTERNET, False), (INTERNET, W1, True)],
     says="2.1: webserver-1 may connect only to webserver-3; anyone may connect to it")
_add(EX, "05-egress-to-dev", [S05], "TCP", 80,
     open_except(PD, deny=cross({W1}, set(PD) - {T1})),
     says="2.2: webserver-1 may connect only to testserver-1; other prod pods reach all of dev")
_add(EX, "06-default-deny-egress", [S06], "TCP", 80,
     open_except(PD, deny=cross(PROD, PD)),
     external=[(W2, INTERNET, False), (INTERNET, W2, True)],
     says="default deny egress: no prod pod may open a connection (not even inside prod)")
_add(EX, "05+06-deny-egress-with-dev-exception", [S05, S06], "TCP", 80,
     open_except(PD, deny=cross(PROD, PD) - {(W1, T1)}),
     external=[(W1, INTERNET, False)],
     says="2.2 with default deny egress: only webserver-1 -> testserver-1 leaves prod")
_add(EX, "07-default-deny-all", [S07], "TCP", 80,
     open_except(PD, deny=cross(PROD, PD) | cross(PD, PROD)),
     external=[(W1, INTERNET, False), (INTERNET, W1, False)],
     says="3: prod pods neither accept nor open connections; dev is untouched")
_add(EX, "07+08-bonus-namespace-isolation", [S07, S08], "TCP", 80,
     open_except(PD, deny=cross(PROD, PD) | (cross(PD, PROD) - cross(DEV, PROD))),
     external=[(INTERNET, W1, False), (W1, INTERNET, False)],
     says="bonus: only dev may connect to prod; prod pods open nothing (egress is still denied)")
_add(EX, "07+08-bonus-namespace-isolation-udp", [S07, S08], "UDP", 53,
     open_except(PD, deny=cross(PROD, PD)),
     says="the bonus rule has no ports: dev reaches prod on every port; prod has no DNS either")

# ---------------------------------------------------------------------------
# seed-bookstore (seed 001): api-allow.
API, WEB, INV, COFFEE, OTHER_INV = ("default/bookstore-api", "default/bookstore-web",
                                    "default/inventory", "default/coffeeshop", "other/inventory")
BS = [API, WEB, INV, COFFEE, OTHER_INV]
EX = "seed-bookstore"
_add(EX, "00-no-policy", [], "TCP", 80, open_except(BS),
     says="no policy selects a pod: implicit allow all")
_add(EX, "01-api-allow", [P + "01-api-allow.yaml"], "TCP", 80,
     open_except(BS, deny=cross({COFFEE, OTHER_INV}, {API})),
     external=[("198.51.100.7", API, False), (API, "198.51.100.7", True)],
     says="app=bookstore or app=inventory (same namespace) may connect to the bookstore API")
_add(EX, "01-api-allow-any-port", [P + "01-api-allow.yaml"], "TCP", 5432,
     open_except(BS, deny=cross({COFFEE, OTHER_INV}, {API})),
     says="the rules name no ports: the same pods on every port")

# ---------------------------------------------------------------------------
# seed-db-api (seed 003): the database pod in prod.
DB, PAPI, PWEB, DAPI, TAPI = "prod/db", "prod/api", "prod/web", "dev/api", "test/api"
DBA = [DB, PAPI, PWEB, DAPI, TAPI]
PRODNS = {DB, PAPI, PWEB}
BACKUP, NOT_BACKUP = "192.168.5.10", "192.168.5.11"
EX = "seed-db-api"
_add(EX, "00-no-policy", [], "TCP", 3306, open_except(DBA),
     external=[(BACKUP, DB, True)], says="by default everything reaches the db")
for state, file in (("01-select-db", "01-select-db.yaml"),
                    ("02-policy-types-ingress", "02-policy-types-ingress.yaml")):
    _add(EX, state, [P + file], "TCP", 3306, open_except(DBA, deny=cross(DBA, {DB})),
         external=[(BACKUP, DB, False)],
         says="selecting the db isolates it for ingress: nothing may connect to it")
    _add(EX, state + "-db-egress", [P + file], "TCP", 80, open_except(DBA, deny=cross(DBA, {DB})),
         external=[(DB, BACKUP, True), (BACKUP, DB, False)],
         says="the article says in AND out are blocked; only ingress is: db still connects out")
_add(EX, "03-allow-api-pod", [P + "03-allow-api-pod.yaml"], "TCP", 3306,
     open_except(DBA, deny=cross(set(DBA) - {PAPI}, {DB})),
     external=[(BACKUP, DB, False)],
     says="only the prod api pod; NOT dev/test api pods (article wrongly says any namespace)")
_add(EX, "03-allow-api-pod-other-port", [P + "03-allow-api-pod.yaml"], "TCP", 8080,
     open_except(DBA, deny=cross(DBA, {DB})), says="only 3306 is opened")
_add(EX, "04-pod-and-namespace-selector", [P + "04-pod-and-namespace-selector.yaml"], "TCP", 3306,
     open_except(DBA, deny=cross(set(DBA) - {PAPI}, {DB})),
     external=[(BACKUP, DB, False)],
     says="api pods in namespaces name=prod: prod/api only")
_add(EX, "05-namespace-selector-only", [P + "05-namespace-selector-only.yaml"], "TCP", 3306,
     open_except(DBA, deny=cross(set(DBA) - PRODNS, {DB})),
     says="every pod in prod (the web pod too), none from dev or test")
_add(EX, "06-ip-block-backup-server", [P + "06-ip-block-backup-server.yaml"], "TCP", 3306,
     open_except(DBA, deny=cross(set(DBA) - {PAPI}, {DB})),
     external=[(BACKUP, DB, True), (NOT_BACKUP, DB, False)],
     says="prod api pod, or the backup server 192.168.5.10")
_add(EX, "07-dash-makes-or", [P + "07-dash-makes-or.yaml"], "TCP", 3306,
     open_except(DBA, deny=cross({DAPI, TAPI}, {DB})),
     external=[(BACKUP, DB, True), (NOT_BACKUP, DB, False)],
     says="api pods of prod, OR any pod of prod (web too), OR the backup server")
_add(EX, "08-egress-to-backup-server", [P + "08-egress-to-backup-server.yaml"], "TCP", 3306,
     open_except(DBA, deny=cross(set(DBA) - {PAPI}, {DB}) | cross({DB}, DBA)),
     external=[(BACKUP, DB, False)],
     says="ingress back to the basic rule; db may open no connection on 3306")
_add(EX, "08-egress-to-backup-server-port-80", [P + "08-egress-to-backup-server.yaml"], "TCP", 80,
     open_except(DBA, deny=cross({DB}, DBA) | cross(DBA, {DB})),
     external=[(DB, BACKUP, True), (DB, NOT_BACKUP, False), (BACKUP, DB, False)],
     says="db pushes to 192.168.5.10:80 and to nothing else")

# ---------------------------------------------------------------------------
# seed-aks (seed 004): Azure, backend/frontend namespaces, test VM in 10.0.0.0/24.
DBPOD, APPPOD, APIPOD = "backend/dbpod", "frontend/apppod", "frontend/apipod"
AKS = [DBPOD, APPPOD, APIPOD]
VM = "10.0.0.4"
EX = "seed-aks"
A1, A2, A3 = P + "01-dbpod-policy.yaml", P + "02-apipod-policy.yaml", P + "03-apppod-policy.yaml"
_add(EX, "00-no-policy", [], "TCP", 80, open_except(AKS),
     external=[(VM, DBPOD, True), (VM, APPPOD, True), (VM, APIPOD, True)],
     says="step 5: every pod reachable from every pod and from the VM")
_add(EX, "01-dbpod-policy", [A1], "TCP", 80,
     open_except(AKS, deny={(APPPOD, DBPOD), (DBPOD, APPPOD), (DBPOD, APIPOD)}),
     external=[(VM, DBPOD, False), (DBPOD, VM, False), (VM, APPPOD, True)],
     says="criteria 1+2: dbpod accepts apipod only, and opens nothing")
_add(EX, "01-variant-dash-or", ["variants/dbpod-policy-dash-or.yaml"], "TCP", 80,
     open_except(AKS, deny={(DBPOD, APPPOD), (DBPOD, APIPOD)}),
     external=[(VM, DBPOD, False)],
     says="one dash: any pod of frontend (apppod too) or apipod pods of backend (none)")
_add(EX, "01+02-apipod-policy", [A1, A2], "TCP", 80,
     open_except(AKS, deny={(APPPOD, DBPOD), (DBPOD, APPPOD), (DBPOD, APIPOD), (APIPOD, APPPOD)}),
     external=[(VM, APIPOD, True), (APIPOD, VM, False), (VM, DBPOD, False), (APPPOD, VM, True)],
     says="apipod accepts the VNet on 80 and may connect only to namespace backend")
_add(EX, "01+02+03-all-policies", [A1, A2, A3], "TCP", 80,
     open_except(AKS, deny={(APPPOD, DBPOD), (DBPOD, APPPOD), (DBPOD, APIPOD), (APIPOD, APPPOD)}),
     external=[(VM, APPPOD, True), (VM, APIPOD, True), (VM, DBPOD, False),
               (APPPOD, VM, False), (APIPOD, VM, False), (DBPOD, VM, False)],
     says="criteria 1-4: app->api->db, the VNet reaches app and api, db opens nothing")
_add(EX, "01+02+03-all-policies-port-443", [A1, A2, A3], "TCP", 443,
     closed_except(AKS),
     external=[(VM, APPPOD, False), (VM, APIPOD, False)],
     says="every pod is isolated for ingress and every ingress rule names TCP 80 only")

# ---------------------------------------------------------------------------
# seed-banzai (seed 002, Banzai Cloud part).
B1, B2, DDB, DFE = "default/busybox1", "default/busybox2", "default/db", "default/frontend"
AC = "allowedns/client"
SFE, SBE, SDB, SC = "staging/frontend", "staging/backend", "staging/db", "staging/curl"
AD, AP = "admin/curl", "admin/pclient"
BZ = [B1, B2, DDB, DFE, AC, SFE, SBE, SDB, SC, AD, AP]
DEFAULT_NS, STAGING, ADMIN = {B1, B2, DDB, DFE}, {SFE, SBE, SDB, SC}, {AD, AP}
EX = "seed-banzai"
Z1, Z2, Z3 = P + "01-deny-all.yaml", P + "02-allow-all.yaml", P + "03-isolate-namespace.yaml"
Z4, Z5, Z6 = P + "04-db-connection.yaml", P + "05-allow-out-to-in.yaml", P + "06-staging.yaml"
NO_DEFAULT = cross(DEFAULT_NS, BZ) | cross(BZ, DEFAULT_NS)
_add(EX, "00-no-policy", [], "ICMP", None, open_except(BZ), says="busybox2 pings busybox1")
_add(EX, "01-deny-all", [Z1], "ICMP", None, open_except(BZ, deny=NO_DEFAULT),
     says="deny-all: no pod of default can ping or be pinged")
_add(EX, "01-deny-all-tcp", [Z1], "TCP", 80, open_except(BZ, deny=NO_DEFAULT),
     external=[(B2, "8.8.8.8", False)], says="deny-all covers every protocol")
_add(EX, "02-allow-all", [Z2], "TCP", 80, open_except(BZ), says="allow-all alone: all open")
_add(EX, "01+02-allow-all-overrides-deny-all", [Z1, Z2], "TCP", 80, open_except(BZ),
     external=[(B2, "8.8.8.8", True), ("8.8.8.8", B2, True)],
     says="allow-all overrides deny-all (policies add up)")
_add(EX, "03-isolate-namespace", [Z3], "TCP", 80,
     open_except(BZ, deny=cross(DEFAULT_NS, set(BZ) - DEFAULT_NS)
                 | cross(set(BZ) - DEFAULT_NS, DEFAULT_NS)),
     external=[(B1, "8.8.8.8", False)],
     says="pods of default talk only with pods in namespaces nsname=default")
_add(EX, "04-db-connection-3306", [Z4], "TCP", 3306,
     open_except(BZ, deny=cross(set(BZ) - {DFE, AC}, {DDB}) | cross({DDB}, BZ)),
     external=[("172.17.0.5", DDB, True), ("172.17.1.5", DDB, False), ("10.0.0.5", DDB, False)],
     says="db accepts 172.17/16 minus 172.17.1/24, ns nsname=allowedns, role=frontend of default")
_add(EX, "04-db-connection-3360", [Z4], "TCP", 3360,
     open_except(BZ, deny=cross(BZ, {DDB}) | cross({DDB}, BZ)),
     external=[("172.17.0.5", DDB, False)],
     says="3360 (the printed typo) is not opened: we use 3306")
_add(EX, "04-db-connection-8000", [Z4], "TCP", 8000,
     open_except(BZ, deny=cross(BZ, {DDB}) | cross({DDB}, BZ)),
     external=[(DDB, "10.0.0.5", True), (DDB, "10.0.1.5", False)],
     says="db may connect to 10.0.0.0/24 on TCP 8000 and nowhere else")
_add(EX, "01+05-allow-out-to-in", [Z1, Z5], "ICMP", None,
     open_except(BZ, deny=NO_DEFAULT - {(B2, B1)}),
     says="busybox2 (test=out) pings busybox1 (test=in); nothing else in default works")
_add(EX, "06-staging-port-80", [Z6], "TCP", 80,
     open_except(BZ, deny=cross(set(BZ) - STAGING - ADMIN, {SFE})
                 | cross(set(BZ) - {SFE} - ADMIN, {SBE}) | cross(BZ, {SDB})),
     says="frontend from staging+admin, backend from frontend+admin; curl in staging times out")
_add(EX, "06-staging-port-5432", [Z6], "TCP", 5432,
     open_except(BZ, deny=cross(BZ, {SFE, SBE}) | cross(set(BZ) - {SBE} - ADMIN, {SDB})),
     says="db from backend and admin (pclient lists the databases)")

# ---------------------------------------------------------------------------
# seed-cs1 (seed 002, the cs1/default examples).
CA, CB, C2, C3 = "cs1/cs1-a", "cs1/cs1-b", "cs2/cs2-a", "cs3/cs3-a"
DWEB, DOTH, MBE, MFE, BOB = ("default/web", "default/other", "myns/backend", "myns/frontend",
                             "bob/client")
CS = [CA, CB, C2, C3, DWEB, DOTH, MBE, MFE, BOB]
CS1, CS2, DEF = {CA, CB}, {C2}, {DWEB, DOTH}
EX = "seed-cs1"
_add(EX, "00-no-policy", [], "TCP", 80, open_except(CS))
_add(EX, "01-myns-backend-from-frontend", [P + "01-myns-backend-from-frontend.yaml"], "TCP", 6379,
     open_except(CS, deny=cross(set(CS) - {MFE}, {MBE})),
     says="backend accepts only role=frontend on TCP 6379")
_add(EX, "02-frontend-from-user-bob", [P + "02-frontend-from-user-bob.yaml"], "TCP", 443,
     open_except(CS, deny=cross(set(CS) - {BOB}, {MFE})),
     says="frontend accepts only namespaces user=bob on TCP 443")
_add(EX, "03-reject-all", [P + "03-reject-all.yaml"], "TCP", 80,
     open_except(CS, deny=cross(CS1, CS) | cross(CS, CS1)),
     says="example 1: cs1 pods neither accept nor open connections")
_add(EX, "04-allow-all", [P + "04-allow-all.yaml"], "TCP", 80, open_except(CS),
     says="example 2: all traffic allowed")
_add(EX, "03+04-allow-all-overrides", [P + "03-reject-all.yaml", P + "04-allow-all.yaml"],
     "TCP", 80, open_except(CS), says="both in cs1: the allow rules win (policies add up)")
_add(EX, "05-scope-of-action", [P + "05-scope-of-action.yaml"], "TCP", 80,
     open_except(CS, deny=cross({DWEB}, CS) | cross(CS, {DWEB})),
     says="example 3: only default pods access=true are cut off (not cs1-a: other namespace)")
_add(EX, "06-restrict-ip", [P + "06-restrict-ip.yaml"], "TCP", 80,
     open_except(CS, deny=cross(CS, DEF) | cross(DEF, DEF | {CB})),
     external=[(DWEB, "192.168.200.1", True), (DWEB, "8.8.8.8", False),
               ("192.168.200.1", DWEB, False)],
     says="example 4: default pods reach 192.168.0.0/16 except 192.168.94.134; accept nothing")
_add(EX, "06-restrict-ip-ping", [P + "06-restrict-ip.yaml"], "ICMP", None,
     open_except(CS, deny=cross(CS, DEF) | cross(DEF, DEF | {CB})),
     says="example 4: ping 192.168.94.134 fails")
_add(EX, "07-namespace-label", [P + "07-namespace-label.yaml"], "TCP", 80,
     open_except(CS, deny=cross(set(CS) - CS1, DEF)),
     says="example 5: default pods accept only namespace name=cs1 (not even default itself)")
_add(EX, "08-namespace-label-in", [P + "08-namespace-label-in.yaml"], "TCP", 80,
     open_except(CS, deny=cross(set(CS) - CS1 - CS2, DEF) | cross(DEF, CS)),
     external=[(DWEB, "8.8.8.8", False)],
     says="example 6: from cs1 or cs2; Egress with no rules: default pods open nothing")
_add(EX, "09-pod-label", [P + "09-pod-label.yaml"], "TCP", 80,
     open_except(CS, deny=cross(set(CS) - {DWEB}, DEF)),
     says="example 7: only default/web (access=true); cs1-a has the label but not the namespace")
_add(EX, "10-deny-all-ingress", [P + "10-deny-all-ingress.yaml"], "TCP", 80,
     open_except(CS, deny=cross(CS, CS2)))
_add(EX, "11-allow-all-ingress", [P + "11-allow-all-ingress.yaml"], "TCP", 80, open_except(CS))
_add(EX, "12-deny-all-egress", [P + "12-deny-all-egress.yaml"], "TCP", 80,
     open_except(CS, deny=cross(CS2, CS)))
_add(EX, "13-allow-all-egress", [P + "13-allow-all-egress.yaml"], "TCP", 80, open_except(CS))

# ---------------------------------------------------------------------------
# seed-redis-metrics (seed 002, Flant part, Kubernetes form).
REDIS, NODE, PHP, PROM = "default/redis", "default/nodejs", "default/php", \
    "kube-prometheus/prometheus"
RM = [REDIS, NODE, PHP, PROM]
APPS = {REDIS, NODE, PHP}
EX = "seed-redis-metrics"
R1, R2 = P + "01-allow-redis-nodejs.yaml", P + "02-allow-metrics-prom.yaml"
_add(EX, "01-allow-redis-nodejs", [R1], "TCP", 6379,
     open_except(RM, deny=cross({PHP, PROM}, {REDIS})),
     says="Node.js reaches Redis, PHP does not; other pods stay open")
_add(EX, "01-allow-redis-nodejs-9100", [R1], "TCP", 9100,
     open_except(RM, deny=cross(RM, {REDIS})),
     says="redis is isolated: only 6379 from nodejs")
_add(EX, "02-allow-metrics-prom", [R2], "TCP", 9100,
     open_except(RM, deny=cross(set(RM) - {PROM}, APPS)),
     says="only Prometheus' namespace scrapes 9100")
_add(EX, "02-allow-metrics-prom-6379", [R2], "TCP", 6379,
     open_except(RM, deny=cross(RM, APPS)),
     says="alone, allow-metrics-prom isolates every pod of default: nodejs loses redis")
_add(EX, "01+02-both-6379", [R1, R2], "TCP", 6379,
     open_except(RM, deny=cross(set(RM) - {NODE}, {REDIS}) | cross(RM, {NODE, PHP})),
     says="together: nodejs -> redis again; nothing else enters default on 6379")
_add(EX, "01+02-both-9100", [R1, R2], "TCP", 9100,
     open_except(RM, deny=cross(set(RM) - {PROM}, APPS)),
     says="together: Prometheus scrapes every app pod")

# ---------------------------------------------------------------------------
# seed-calico-reference (seed 002, first part; Kubernetes policy only).
CW1, CW2, CCL, DNS = "org-1/web-1", "org-1/web-2", "org-2/client", "kube-system/coredns"
CR = [CW1, CW2, CCL, DNS]
ORG1 = {CW1, CW2}
EX = "seed-calico-reference"
TN = P + "01-team-netpol.yaml"
_add(EX, "01-team-netpol-port-80", [TN], "TCP", 80, open_except(CR, deny=cross(ORG1, CR)),
     external=[("203.0.113.7", CW1, True), (CW1, "203.0.113.7", False)],
     says="org-1 accepts TCP 80 from anywhere; Egress without rules: org-1 opens nothing")
_add(EX, "01-team-netpol-port-8080", [TN], "TCP", 8080,
     open_except(CR, deny=cross(ORG1, CR) | cross(CR, ORG1)),
     external=[("203.0.113.7", CW1, False)], says="only port 80 is opened")
_add(EX, "01-team-netpol-dns", [TN], "UDP", 53,
     open_except(CR, deny=cross(ORG1, CR) | cross(CR, ORG1)),
     says="org-1 pods cannot even resolve names (Kubernetes semantics, without the Calico GNP)")

WALKTHROUGHS: tuple[Walkthrough, ...] = tuple(W)


def walkthroughs(example: str) -> list[Walkthrough]:
    return [w for w in WALKTHROUGHS if w.example == example]


def assert_walkthrough(w: Walkthrough) -> None:
    """The engine's matrix and external verdicts are exactly what ``w`` states."""
    engine = engine_for(w)
    problems = matrix_mismatches(w.allowed, actual_matrix(engine, w))
    for src, dst, want in w.external:
        got = engine.allows(src, dst, w.protocol, w.port)
        if got != want:
            problems.append(f"{src} -> {dst}: expected {'allowed' if want else 'denied'}, "
                            f"engine says {'allowed' if got else 'denied'}")
    where = f"{w.id} ({w.protocol}/{w.port}; {w.says})"
    assert not problems, where + "\n" + "\n".join(problems)
