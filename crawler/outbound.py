"""One outbound-request policy: which URLs the crawler may fetch and which addresses it may reach.

Pure: URL in, verdict out. Scrapy applies it twice (crawler.middleware): a downloader middleware
checks every request (feeds, entry links, pages, attachments, redirects, robots.txt) before it
is sent, and the crawl's DNS resolver checks every address a host resolves to, at connect time,
so a name that resolves to 127.0.0.1 (or starts to, DNS rebinding) is refused too.

Refused: any scheme but http and https; loopback, private, link-local, unspecified, multicast,
reserved and other non-global addresses, however spelled (`2130706433`, `0x7f.1`, `0177.0.0.1`,
`[::ffff:127.0.0.1]`); `localhost` names. Allowed despite that: the origins (scheme, host, port)
the user configured on purpose (the crawl's base URL or feed URL), and addresses inside the
networks the user listed (BRIEFING_ALLOWED_PRIVATE_NETWORKS).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Named failure kinds, stored with the item that could not be fetched.
BLOCKED_SCHEME = "blocked_scheme"
BLOCKED_ADDRESS = "blocked_address"
BLOCKED_URL = "blocked_url"
REFUSED_KINDS = frozenset({BLOCKED_SCHEME, BLOCKED_ADDRESS, BLOCKED_URL})

SCHEMES = ("http", "https")
DEFAULT_PORTS = {"http": 80, "https": 443}
ALLOW_SETTING = "BRIEFING_ALLOWED_PRIVATE_NETWORKS"
# Names every resolver maps to this machine, whatever DNS says (RFC 6761 §6.3, Debian's hosts file).
LOCAL_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback")
# Well-known prefixes that carry an IPv4 address inside an IPv6 one (NAT64, RFC 6052).
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


@dataclass(frozen=True, slots=True)
class Refusal:
    kind: str  # BLOCKED_SCHEME, BLOCKED_ADDRESS or BLOCKED_URL
    reason: str


@dataclass(frozen=True, slots=True)
class Origin:
    scheme: str
    host: str  # canonical: lower case, no trailing dot, IP literals in their standard spelling
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        port = "" if DEFAULT_PORTS[self.scheme] == self.port else f":{self.port}"
        return f"{self.scheme}://{host}{port}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the policy says about one URL before any DNS lookup."""

    refusal: Refusal | None = None
    origin: Origin | None = None
    # A DNS name outside the configured origins: the address it resolves to decides.
    lookup: bool = False

    @property
    def refused(self) -> bool:
        return self.refusal is not None


class BadHost(ValueError):
    """The host part of a URL is not a usable host name or address."""


def parse_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """The address an all-numeric host means to inet_aton (and so to the resolver), or None.

    Each dot-separated part is decimal, octal (leading 0) or hex (0x); the last part fills the
    remaining bytes, so `2130706433`, `0x7f.1` and `127.1` are all 127.0.0.1. A host that looks
    numeric but is no address (`999.1.1.1`) raises BadHost.
    """
    parts = host.split(".")
    if len(parts) > 1 and parts[-1] == "":
        parts.pop()  # one trailing dot is allowed, as in a DNS name
    if not parts or not all(_numeric(p) for p in parts):
        return None
    if len(parts) > 4:
        raise BadHost(f"{host!r} is not an IPv4 address")
    values = [_number(p) for p in parts]
    *head, last = values
    if any(v > 255 for v in head) or last >= 256 ** (5 - len(values)):
        raise BadHost(f"{host!r} is not an IPv4 address")
    number = last
    for i, value in enumerate(head):
        number += value << (8 * (3 - i))
    return ipaddress.IPv4Address(number)


def _numeric(part: str) -> bool:
    lowered = part.lower()
    if lowered.startswith("0x"):
        return all(c in "0123456789abcdef" for c in lowered[2:])
    return part.isascii() and part.isdigit()


def _number(part: str) -> int:
    lowered = part.lower()
    if lowered.startswith("0x"):
        return int(lowered[2:] or "0", 16)
    if len(part) > 1 and part.startswith("0"):
        if any(c in "89" for c in part):
            raise BadHost(f"{part!r} is not an octal number")
        return int(part, 8)
    return int(part)


def literal_address(host: str) -> IPAddress | None:
    """The IP address a URL's host spells (any IPv4 spelling, or IPv6), or None for a name."""
    if ":" in host:
        try:
            return ipaddress.IPv6Address(host)
        except ValueError:
            raise BadHost(f"{host!r} is not an IPv6 address") from None
    return parse_ipv4(host)


def canonical_host(host: str) -> str:
    """The one spelling of a host that origins compare by; BadHost when it is none."""
    host = host.strip().lower()
    address = literal_address(host)
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped  # ::ffff:127.0.0.1 connects to 127.0.0.1
    if address is not None:
        return str(address)
    # Percent-escapes, spaces or '@' in a host mean different things to different parsers.
    if not host or not all(c.isalnum() or c in "-._" or not c.isascii() for c in host):
        raise BadHost(f"{host!r} is not a host name")
    return host.removesuffix(".")


def address_problem(address: IPAddress) -> str | None:
    """What kind of non-public address `address` is ("a loopback address"), or None if public."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv4 address inside an IPv6 one reaches the IPv4 host: judge that one.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            problem = address_problem(embedded)
            return f"{problem} ({embedded} inside an IPv6 address)" if problem else None
    for test, what in (
        ("is_unspecified", "an unspecified address"),
        ("is_loopback", "a loopback address"),
        ("is_link_local", "a link-local address"),
        ("is_multicast", "a multicast address"),
        ("is_reserved", "a reserved address"),  # before private: Python counts 240.0.0.0/4 as both
        ("is_private", "a private address"),
    ):
        if getattr(address, test):
            return what
    if not address.is_global:  # e.g. 100.64.0.0/10, shared by a carrier's NAT
        return "not a public address"
    return None


def is_local_name(host: str) -> bool:
    return host in LOCAL_NAMES or host.endswith(".localhost")


def scheme_refusal(url: str) -> Refusal | None:
    """The scheme check alone (and a host to connect to), for URLs the user configures."""
    try:
        parts = urlsplit(url.strip())
        hostname = parts.hostname
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        return Refusal(BLOCKED_URL, f"not a valid URL: {exc}")
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        shown = f"{scheme}:" if scheme else "a URL without a scheme"
        return Refusal(BLOCKED_SCHEME, f"only http and https URLs are fetched, not {shown}")
    if not hostname:
        return Refusal(BLOCKED_URL, "the URL has no host")
    try:
        canonical_host(hostname)
    except BadHost as exc:
        return Refusal(BLOCKED_URL, str(exc))
    return None


def origin_of(url: str) -> Origin:
    """The (scheme, host, port) of an http(s) URL; ValueError when it has none."""
    refusal = scheme_refusal(url)
    if refusal is not None:
        raise ValueError(f"{url!r}: {refusal.reason}")
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    assert parts.hostname is not None
    return Origin(scheme, canonical_host(parts.hostname), parts.port or DEFAULT_PORTS[scheme])


@dataclass(frozen=True, slots=True)
class Policy:
    origins: frozenset[Origin] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def build(cls, origins: Iterable[str] = (), networks: Iterable[str] = ()) -> Policy:
        """From configured URLs and CIDR networks; ValueError names a bad one."""
        built = []
        for network in networks:
            try:
                built.append(ipaddress.ip_network(network, strict=False))
            except ValueError as exc:
                raise ValueError(f"{ALLOW_SETTING}: {exc}") from None
        return cls(frozenset(origin_of(u) for u in origins), tuple(built))

    @property
    def hosts(self) -> frozenset[str]:
        """Hosts of the configured origins: the resolver lets their private answers through."""
        return frozenset(o.host for o in self.origins)

    def check_url(self, url: str) -> Verdict:
        refusal = scheme_refusal(url)
        if refusal is not None:
            return Verdict(refusal)
        origin = origin_of(url)
        if origin in self.origins:
            return Verdict(origin=origin)
        address = literal_address(origin.host)
        if address is not None:
            problem = self.address_refusal(address)
            if problem is None:
                return Verdict(origin=origin)
            return Verdict(self._blocked(f"{origin.host} is {problem}", origin), origin)
        if is_local_name(origin.host):
            return Verdict(self._blocked(f"{origin.host} names this machine", origin), origin)
        return Verdict(origin=origin, lookup=True)

    def address_refusal(self, address: IPAddress) -> str | None:
        """Why `address` may not be reached (outside a configured origin), or None."""
        if any(address.version == n.version and address in n for n in self.networks):
            return None
        return address_problem(address)

    def check_answer(self, host: str, address: str) -> str | None:
        """Connect time: why `host` may not be reached at the `address` DNS gave, or None."""
        try:
            key = canonical_host(host)
        except BadHost:
            key = host.lower()
        if key in self.hosts:
            return None  # a configured origin's host (its port was checked before the request)
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return f"{address!r} is not an IP address"
        problem = self.address_refusal(parsed)
        return f"{host} resolves to {parsed}, {problem}" if problem else None

    def refusal_for_answer(self, origin: Origin, address: str) -> Refusal | None:
        """Before the request: the address a looked-up name resolves to, judged for `origin`."""
        try:
            parsed = ipaddress.ip_address(address)
        except ValueError:
            return Refusal(BLOCKED_ADDRESS, f"{origin.host} resolves to {address!r}, not an IP address")
        problem = self.address_refusal(parsed)
        if problem is None:
            return None
        return self._blocked(f"{origin.host} resolves to {parsed}, {problem}", origin)

    def _blocked(self, problem: str, origin: Origin) -> Refusal:
        configured = ", ".join(sorted(str(o) for o in self.origins)) or "none"
        return Refusal(
            BLOCKED_ADDRESS,
            f"{problem}: {origin} is not a configured origin (configured: {configured}) "
            f"and not in {ALLOW_SETTING}",
        )
