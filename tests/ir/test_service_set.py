"""``ServiceSet``: exact protocol × port algebra, its normal form and its renderings."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from netwarden.ir.services import (
    ICMP,
    ICMPV6,
    SCTP,
    TCP,
    UDP,
    ServiceSet,
    protocol_name,
    protocol_number,
)

ALL, NONE = ServiceSet.all(), ServiceSet.none()


def tcp(*ranges: tuple[int, int]) -> ServiceSet:
    return ServiceSet.ports(TCP, ranges)


# -- construction and normal form ---------------------------------------------
def test_ports_merge_overlapping_and_adjacent_ranges() -> None:
    assert tcp((80, 80), (81, 90), (85, 100), (200, 300)) == tcp((80, 100), (200, 300))
    assert tcp((81, 90), (80, 80)).listed == ((TCP, ((80, 90),)),)


def test_empty_port_list_is_none() -> None:
    assert ServiceSet.ports(TCP, []) == NONE
    assert not ServiceSet.ports(TCP, [])


def test_full_range_of_a_protocol_equals_the_protocol() -> None:
    assert tcp((1, 65535)) == ServiceSet.protocol(TCP)
    assert tcp((1, 100), (101, 65535)) == ServiceSet.protocol(TCP)


def test_union_of_complements_is_all() -> None:
    some = tcp((80, 80)) | ServiceSet.protocol(ICMP)
    whole = (ALL - some) | some
    assert whole == ALL
    assert whole.is_all
    assert hash(whole) == hash(ALL)


def test_everything_removed_is_none() -> None:
    assert (ALL - ALL) == NONE
    assert (tcp((1, 10)) - tcp((1, 20))) == NONE
    assert (ALL - ServiceSet.protocol(TCP)) & ServiceSet.protocol(TCP) == NONE


def test_adding_back_a_removed_protocol_is_all() -> None:
    assert (ALL - ServiceSet.protocol(UDP)) | ServiceSet.protocol(UDP) == ALL


def test_bool() -> None:
    assert ALL and tcp((1, 1)) and (ALL - ServiceSet.protocol(TCP))
    assert not NONE


# -- exact algebra on hand-picked sets ----------------------------------------
def test_union_intersection_difference_on_ports() -> None:
    a, b = tcp((10, 20)), tcp((15, 30))
    assert a | b == tcp((10, 30))
    assert a & b == tcp((15, 20))
    assert a - b == tcp((10, 14))
    assert b - a == tcp((21, 30))


def test_difference_splits_a_range() -> None:
    assert tcp((1, 100)) - tcp((50, 50)) == tcp((1, 49), (51, 100))


def test_protocols_do_not_mix() -> None:
    udp = ServiceSet.ports(UDP, [(80, 80)])
    assert tcp((80, 80)) & udp == NONE
    assert (tcp((80, 80)) | udp) - udp == tcp((80, 80))


def test_all_minus_one_port() -> None:
    rest = ALL - tcp((80, 80))
    assert not rest.contains(TCP, 80)
    assert rest.contains(TCP, 79) and rest.contains(TCP, 81)
    assert rest.contains(UDP, 80) and rest.contains(ICMP, 8 << 8) and rest.contains(99)
    assert not rest.is_all


def test_contains_without_value_means_the_whole_protocol() -> None:
    assert ServiceSet.protocol(UDP).contains(UDP)
    assert not ServiceSet.ports(UDP, [(1, 65534)]).contains(UDP)
    assert ALL.contains(47)
    assert not NONE.contains(TCP)


def test_port_protocols_have_no_port_zero() -> None:
    assert not ServiceSet.protocol(TCP).contains(TCP, 0)
    assert ServiceSet.protocol(ICMP).contains(ICMP, 0)  # echo reply: type 0 code 0


# -- ICMP encoding -------------------------------------------------------------
@pytest.mark.parametrize(
    ("icmp_type", "code", "inside", "outside"),
    [
        (8, None, [(8, 0), (8, 255)], [(7, 255), (9, 0)]),
        (3, 4, [(3, 4)], [(3, 3), (3, 5), (4, 4)]),
        (None, None, [(0, 0), (255, 255)], []),
    ],
    ids=["type-only", "type-and-code", "any"],
)
def test_icmp_type_code_encoding(
    icmp_type: int | None,
    code: int | None,
    inside: list[tuple[int, int]],
    outside: list[tuple[int, int]],
) -> None:
    services = ServiceSet.icmp(ICMP, icmp_type, code)
    for t, c in inside:
        assert services.contains(ICMP, t << 8 | c)
    for t, c in outside:
        assert not services.contains(ICMP, t << 8 | c)
    assert not services.contains(ICMPV6, (icmp_type or 0) << 8)


def test_icmp_type_is_type_times_256_plus_every_code() -> None:
    assert ServiceSet.icmp(ICMP, 8, None) == ServiceSet.ports(ICMP, [(2048, 2303)])
    assert ServiceSet.icmp(ICMPV6, 128, 0) == ServiceSet.ports(ICMPV6, [(32768, 32768)])
    assert ServiceSet.icmp(ICMP, None, None) == ServiceSet.protocol(ICMP)


# -- renderings -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("services", "json"),
    [
        (ALL, "all"),
        (NONE, []),
        (tcp((80, 80), (8000, 8100)),
         [{"protocol": "TCP", "ports": [[80, 80], [8000, 8100]]}]),
        (ServiceSet.protocol(UDP), [{"protocol": "UDP", "ports": [[1, 65535]]}]),
        (ServiceSet.ports(SCTP, [(5, 6)]) | tcp((1, 1)),
         [{"protocol": "TCP", "ports": [[1, 1]]}, {"protocol": "SCTP", "ports": [[5, 6]]}]),
        (ServiceSet.icmp(ICMP, 8, None), [{"protocol": "ICMP", "types": [[2048, 2303]]}]),
        (ServiceSet.icmp(ICMPV6, 128, 0), [{"protocol": "ICMPv6", "types": [[32768, 32768]]}]),
        (ServiceSet.protocol(ICMP), [{"protocol": "ICMP"}]),
        (ServiceSet.protocol(99), [{"protocol": "99"}]),
        (ALL - tcp((80, 80)), [
            {"protocol": "TCP", "ports": [[1, 79], [81, 65535]]},
            {"protocol": "UDP", "ports": [[1, 65535]]},
            {"protocol": "SCTP", "ports": [[1, 65535]]},
            {"protocol": "other"},
        ]),
        (ALL - ServiceSet.protocol(TCP), [
            {"protocol": "UDP", "ports": [[1, 65535]]},
            {"protocol": "SCTP", "ports": [[1, 65535]]},
            {"protocol": "other", "except": ["TCP"]},
        ]),
        (ALL - ServiceSet.protocol(ICMP), [
            {"protocol": "TCP", "ports": [[1, 65535]]},
            {"protocol": "UDP", "ports": [[1, 65535]]},
            {"protocol": "SCTP", "ports": [[1, 65535]]},
            {"protocol": "other", "except": ["ICMP"]},
        ]),
    ],
    ids=["all", "none", "tcp-ranges", "udp-whole", "two-protocols", "icmp-type",
         "icmpv6-type-code", "icmp-whole", "other-protocol", "all-but-tcp-80", "all-but-tcp",
         "all-but-icmp"],
)
def test_to_json(services: ServiceSet, json: object) -> None:
    assert services.to_json() == json


def test_to_json_tells_apart_sets_that_exclude_different_protocols() -> None:
    no_icmp = ALL - ServiceSet.protocol(ICMP)
    no_icmpv6 = ALL - ServiceSet.protocol(ICMPV6)
    assert no_icmp != no_icmpv6
    assert no_icmp.to_json() != no_icmpv6.to_json()


@pytest.mark.parametrize(
    ("services", "text"),
    [
        (ALL, "all"),
        (NONE, "none"),
        (tcp((80, 80), (8000, 8100)), "TCP 80, 8000-8100"),
        (ServiceSet.protocol(UDP), "UDP"),
        (ServiceSet.icmp(ICMP, 8, None), "ICMP type 8"),
        (ServiceSet.icmp(ICMP, 3, 4), "ICMP type 3 code 4"),
        (ALL - tcp((80, 80)), "TCP 1-79, 81-65535; every other protocol than TCP"),
        (ALL - ServiceSet.protocol(TCP), "every protocol except TCP"),
    ],
)
def test_str(services: ServiceSet, text: str) -> None:
    assert str(services) == text


def test_str_of_an_excluded_protocol_does_not_claim_it() -> None:
    text = str(ALL - ServiceSet.protocol(TCP))
    assert not text.startswith("TCP")


def test_protocol_names_and_numbers() -> None:
    assert protocol_number("tcp") == TCP == protocol_number(6) == protocol_number("6")
    assert protocol_number("ICMPv6") == ICMPV6
    assert protocol_name(SCTP) == "SCTP" and protocol_name(99) == "99"
    with pytest.raises(ValueError, match="unknown protocol"):
        protocol_number("GRE")


# -- properties against a brute-force model --------------------------------------
# Generated ranges stay inside 1..20, so every value from 21 up behaves like 21;
# protocol 132 (SCTP) is never named by a generated set and stands for "any other
# protocol". Membership on this finite window therefore decides set equality.
PROTOCOLS = (TCP, UDP, ICMP, 99)
WINDOW = (*range(0, 22), 65535)
UNIVERSE = frozenset((p, v) for p in (*PROTOCOLS, SCTP) for v in WINDOW)

Model = frozenset[tuple[int, int]]


def model(services: ServiceSet) -> Model:
    return frozenset((p, v) for p, v in UNIVERSE if services.contains(p, v))


ranges = st.lists(
    st.tuples(st.integers(1, 20), st.integers(0, 6)).map(lambda t: (t[0], min(20, t[0] + t[1]))),
    max_size=3,
)
leaves = st.one_of(
    st.just(ALL),
    st.just(NONE),
    st.sampled_from(PROTOCOLS).map(ServiceSet.protocol),
    st.builds(ServiceSet.ports, st.sampled_from(PROTOCOLS), ranges),
)
service_sets = st.recursive(
    leaves,
    lambda inner: st.one_of(
        st.builds(ServiceSet.union, inner, inner),
        st.builds(ServiceSet.intersection, inner, inner),
        st.builds(ServiceSet.difference, inner, inner),
    ),
    max_leaves=6,
)
FAST = settings(max_examples=150, deadline=None)


@FAST
@given(service_sets, service_sets)
def test_algebra_matches_the_model(a: ServiceSet, b: ServiceSet) -> None:
    assert model(a | b) == model(a) | model(b)
    assert model(a & b) == model(a) & model(b)
    assert model(a - b) == model(a) - model(b)


@FAST
@given(service_sets, service_sets)
def test_equal_sets_have_one_representation(a: ServiceSet, b: ServiceSet) -> None:
    assert (a == b) == (model(a) == model(b))
    if a == b:
        assert hash(a) == hash(b)
        assert str(a) == str(b)


@FAST
@given(service_sets)
def test_normal_form_survives_round_trips(a: ServiceSet) -> None:
    assert (a | a) == a == (a & a) == (a & ALL) == (a | NONE) == (a - NONE)
    assert (ALL - (ALL - a)) == a
    assert bool(a) == bool(model(a))
    assert a.is_all == (model(a) == model(ALL))


@FAST
@given(service_sets, service_sets, service_sets)
def test_algebra_laws(a: ServiceSet, b: ServiceSet, c: ServiceSet) -> None:
    assert a | b == b | a and a & b == b & a
    assert a & (b | c) == (a & b) | (a & c)
    assert a - (b | c) == (a - b) & (a - c)
    assert (a - b) | (a & b) == a
