"""The address the login throttle counts: the connection's peer, or — only from a trusted
reverse proxy — the client X-Forwarded-For names (its right-most untrusted entry)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from sqlalchemy import Engine

from credit_scoring.dashboard.auth import LOCAL, authenticate, resolve_client_address
from credit_scoring.settings import get_settings, proxy_networks
from credit_scoring.store.users import ThrottlePolicy

from .conftest import ULLA_PASSWORD as PASSWORD

PROXY = "10.0.0.5"
EDGE = "172.18.0.2"  # a second proxy, in front of PROXY
TRUSTED = proxy_networks(f"{PROXY}, 172.18.0.0/16")


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    assert resolve_client_address(PROXY, ["203.0.113.7"], ()) == PROXY
    assert resolve_client_address("198.51.100.4", ["203.0.113.7"], ()) == "198.51.100.4"
    assert get_settings().dashboard_proxy_networks == ()  # the default: no proxy trusted


def test_a_trusted_proxy_passes_on_the_client_address() -> None:
    assert resolve_client_address(PROXY, ["203.0.113.7"], TRUSTED) == "203.0.113.7"
    # Without the header a trusted peer is counted as itself.
    assert resolve_client_address(PROXY, [], TRUSTED) == PROXY


def test_an_untrusted_peer_cannot_choose_the_address_it_is_counted_under() -> None:
    for forged in (["203.0.113.7"], [PROXY], ["1.1.1.1, 2.2.2.2", "3.3.3.3"]):
        assert resolve_client_address("198.51.100.4", forged, TRUSTED) == "198.51.100.4"


def test_a_chain_of_proxies_gives_the_right_most_untrusted_entry() -> None:
    # client → EDGE → PROXY → dashboard: EDGE appended the client, PROXY appended EDGE.
    assert resolve_client_address(PROXY, [f"203.0.113.7, {EDGE}"], TRUSTED) == "203.0.113.7"
    # What the client wrote itself lies further left and is not believed.
    spoofed = [f"6.6.6.6, 7.7.7.7, 203.0.113.7, {EDGE}"]
    assert resolve_client_address(PROXY, spoofed, TRUSTED) == "203.0.113.7"
    # Repeated header lines read as one list, in order.
    assert resolve_client_address(PROXY, ["6.6.6.6", f"203.0.113.7, {EDGE}"], TRUSTED) == (
        "203.0.113.7"
    )
    # Every entry a trusted proxy: the left-most is the client.
    assert resolve_client_address(PROXY, [f"{EDGE}, {PROXY}"], TRUSTED) == EDGE


def test_addresses_are_compared_and_counted_as_addresses() -> None:
    # Ports, brackets and IPv4 mapped into IPv6 do not make another client or hide a proxy.
    assert resolve_client_address(f"::ffff:{PROXY}", ["203.0.113.7:50412"], TRUSTED) == (
        "203.0.113.7"
    )
    assert resolve_client_address(PROXY, [f"[2001:db8::1]:443, {EDGE}:8443"], TRUSTED) == (
        "2001:db8::1"
    )
    assert resolve_client_address(PROXY, ["not-an-address"], TRUSTED) == "not-an-address"


def test_a_loopback_proxy_is_trusted_only_when_listed() -> None:
    # Streamlit names no loopback peer (None): a proxy on the same host.
    assert resolve_client_address(None, ["203.0.113.7"], ()) == LOCAL
    assert resolve_client_address(None, ["203.0.113.7"], proxy_networks("127.0.0.1")) == (
        "203.0.113.7"
    )
    assert resolve_client_address(None, [], proxy_networks("127.0.0.1")) == LOCAL


def test_the_setting_takes_addresses_and_networks_and_refuses_anything_else() -> None:
    settings = get_settings(dashboard_trusted_proxies=" 10.0.0.5 , 172.18.0.0/16,::1 ,")
    assert [str(n) for n in settings.dashboard_proxy_networks] == [
        "10.0.0.5/32", "172.18.0.0/16", "::1/128",
    ]  # fmt: skip
    with pytest.raises(ValidationError, match=r"'proxy\.internal' is not an IP address"):
        get_settings(dashboard_trusted_proxies="10.0.0.5, proxy.internal")


def test_behind_a_trusted_proxy_one_client_is_throttled_and_not_the_others(
    engine: Engine,
) -> None:
    policy = ThrottlePolicy(max_user_failures=100, max_address_failures=3)
    attacker = resolve_client_address(PROXY, ["203.0.113.7"], TRUSTED)
    for k in range(3):
        authenticate(engine, username=f"user{k}", password="x" * 12, address=attacker,
                     policy=policy)  # fmt: skip
    # Forging the header does not get the attacker another address …
    forged = resolve_client_address(PROXY, ["198.51.100.99, 203.0.113.7"], TRUSTED)
    blocked = authenticate(engine, username="ulla", password=PASSWORD, address=forged,
                           policy=policy)  # fmt: skip
    assert blocked.user is None and "from this address" in blocked.message
    # … and the colleague behind the same proxy logs in.
    colleague = resolve_client_address(PROXY, ["203.0.113.8"], TRUSTED)
    assert authenticate(engine, username="ulla", password=PASSWORD, address=colleague,
                        policy=policy).user is not None  # fmt: skip
