"""The fetcher's pure parts: address classification, decoded-size caps, Retry-After, and refusal
before any connection (a fake resolver; no socket is opened)."""

from __future__ import annotations

import gzip
import ipaddress
import zlib

import pytest

from ingestor.feeds.fetch import (
    AddressPolicy,
    Fetcher,
    FetchError,
    IPAddress,
    _Decoder,
    classify_address,
    parse_retry_after,
)


@pytest.mark.parametrize(
    ("addr", "kind"),
    [
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.1", "private"),
        ("192.168.0.1", "private"),
        ("169.254.169.254", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "cgnat"),
        ("100.127.255.254", "cgnat"),
        ("fd00::1", "ula"),
        ("fc00::1", "ula"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("2002:7f00:1::", "loopback"),
        ("64:ff9b::a00:1", "private"),
        ("240.0.0.1", "private"),
    ],
)
def test_non_public_addresses_are_classified(addr: str, kind: str) -> None:
    assert classify_address(ipaddress.ip_address(addr)) == kind


@pytest.mark.parametrize("addr", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "1.1.1.1"])
def test_public_addresses_pass(addr: str) -> None:
    assert classify_address(ipaddress.ip_address(addr)) is None
    assert AddressPolicy().refusal(ipaddress.ip_address(addr)) is None


def test_policy_switch_and_single_address_allowance() -> None:
    lo = ipaddress.ip_address("127.0.0.1")
    assert AddressPolicy().refusal(lo) == "loopback"
    assert AddressPolicy(allow_private=True).refusal(lo) is None
    assert AddressPolicy(extra_allowed=frozenset({lo})).refusal(lo) is None
    assert AddressPolicy(extra_allowed=frozenset({lo})).refusal(ipaddress.ip_address("127.0.0.2")) == "loopback"


def test_gzip_bomb_stops_at_the_cap_without_inflating_everything() -> None:
    bomb = gzip.compress(b"\0" * (64 * 1024 * 1024))
    d = _Decoder("gzip", 1024 * 1024, "http://x/")
    with pytest.raises(FetchError) as info:
        for i in range(0, len(bomb), 4096):
            d.feed(bomb[i : i + 4096])
    assert info.value.reason == "too_large"
    assert d.size <= 1024 * 1024 + 1


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS])
def test_deflate_wrapped_or_raw(wbits: int) -> None:
    c = zlib.compressobj(wbits=wbits)
    data = c.compress(b"hello feed " * 100) + c.flush()
    d = _Decoder("deflate", 10_000, "http://x/")
    d.feed(data)
    assert d.finish() == b"hello feed " * 100


def test_unknown_encoding_is_an_error() -> None:
    with pytest.raises(FetchError) as info:
        _Decoder("br", 10, "http://x/")
    assert info.value.reason == "decode"


def test_retry_after() -> None:
    assert parse_retry_after("120", 0) == 120.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", 1445412480 - 60) == 60.0
    assert parse_retry_after("soon", 0) is None and parse_retry_after(None, 0) is None


def _fetcher(addrs: list[str], contacts: list[str]) -> Fetcher:
    def resolver(host: str, port: int) -> list[IPAddress]:
        return [ipaddress.ip_address(a) for a in addrs]

    return Fetcher(resolver=resolver, on_connect=lambda h, ip, p: contacts.append(str(ip)))


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "bad_scheme"),
        ("gopher://x/", "bad_scheme"),
        ("http:///nohost", "bad_url"),
        ("http://x:99999/", "bad_url"),
        ("ftp://example.com/feed", "bad_scheme"),
    ],
)
def test_bad_urls_are_refused(url: str, reason: str) -> None:
    contacts: list[str] = []
    with pytest.raises(FetchError) as info:
        _fetcher(["93.184.216.34"], contacts).get(url)
    assert info.value.reason == reason and not contacts


def test_any_private_answer_refuses_the_host_before_connecting() -> None:
    """A DNS answer mixing public and private addresses (rebinding) is refused as a whole."""
    contacts: list[str] = []
    with pytest.raises(FetchError) as info:
        _fetcher(["93.184.216.34", "10.0.0.7"], contacts).get("http://rebind.example/feed")
    assert info.value.reason == "blocked_address" and "10.0.0.7" in str(info.value)
    assert contacts == []


def test_a_hanging_resolver_is_cut_by_the_deadline() -> None:
    import threading
    import time

    from ingestor.feeds.fetch import FetchLimits

    release = threading.Event()

    def stuck(host: str, port: int) -> list[IPAddress]:
        release.wait(10)
        return []

    f = Fetcher(resolver=stuck, limits=FetchLimits(deadline_s=0.3))
    t = time.monotonic()
    with pytest.raises(FetchError) as info:
        f.get("http://slow-dns.example/feed")
    release.set()
    assert info.value.reason == "deadline" and time.monotonic() - t < 2
