/**
 * Which addresses a webhook may reach: every class of address, the IPv4 forms hidden in IPv6
 * ones, and the operator's allowlist of ranges, addresses and host names.
 */
import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import { AddressRefused, classify, emptyAllowList, parseAllowList, refusal } from "../../../src/webhooks/AddressGuard.js"

const classes = (cases: ReadonlyArray<readonly [string, string]>) =>
  expect(cases.map(([address]) => [address, classify(address)])).toEqual(cases)

describe("the class of an address", () => {
  it("names loopback, private, link-local, metadata, multicast and unspecified addresses, IPv4 and IPv6", () =>
    classes([
      ["127.0.0.1", "loopback"],
      ["127.255.255.254", "loopback"],
      ["::1", "loopback"],
      ["10.1.2.3", "private"],
      ["172.16.0.1", "private"],
      ["172.31.255.254", "private"],
      ["192.168.1.1", "private"],
      ["100.64.0.1", "private"],
      ["fc00::1", "private"],
      ["fd12:3456::1", "private"],
      ["169.254.1.1", "link-local"],
      ["fe80::1", "link-local"],
      ["169.254.169.254", "metadata"],
      ["fd00:ec2::254", "metadata"],
      ["224.0.0.1", "multicast"],
      ["ff02::1", "multicast"],
      ["0.0.0.0", "unspecified"],
      ["::", "unspecified"]
    ]))

  it("judges the IPv4 address inside mapped, compatible, NAT64 and 6to4 forms", () =>
    classes([
      ["::ffff:127.0.0.1", "loopback"],
      ["::ffff:7f00:1", "loopback"],
      ["::ffff:10.0.0.1", "private"],
      ["::ffff:169.254.169.254", "metadata"],
      // How URL parsing writes [::127.0.0.1].
      ["::7f00:1", "loopback"],
      ["64:ff9b::a00:1", "private"],
      ["64:ff9b::5db8:d822", "public"],
      ["2002:a00:1::", "reserved"],
      ["2002:5db8:d822::1", "public"]
    ]))

  it("calls broadcast, 0/8, benchmarking, documentation, 240/4, teredo, discard and unallocated IPv6 reserved", () =>
    classes([
      ["255.255.255.255", "reserved"],
      ["0.1.2.3", "reserved"],
      ["192.0.0.1", "reserved"],
      ["198.18.0.1", "reserved"],
      ["192.0.2.1", "reserved"],
      ["203.0.113.9", "reserved"],
      ["240.0.0.1", "reserved"],
      ["2001:db8::1", "reserved"],
      ["2001::1", "reserved"],
      ["100::1", "reserved"],
      ["4000::1", "reserved"],
      ["not an address", "reserved"]
    ]))

  it("lets public addresses through", () =>
    classes([
      ["93.184.216.34", "public"],
      ["8.8.8.8", "public"],
      ["2606:4700::1111", "public"]
    ]))
})

describe("refusal", () => {
  it("says why, naming the address", () => {
    expect(refusal("localhost", "127.0.0.1", emptyAllowList)).toBe("127.0.0.1 is a loopback address")
    expect(refusal("meta.test", "169.254.169.254", emptyAllowList)).toBe("169.254.169.254 is a cloud metadata address")
    expect(refusal("x.test", "::ffff:10.0.0.1", emptyAllowList)).toBe("::ffff:10.0.0.1 is a private address")
    expect(refusal("x.test", "0.0.0.0", emptyAllowList)).toBe("0.0.0.0 is an unspecified address")
    expect(refusal("x.test", "nonsense", emptyAllowList)).toBe("nonsense is not an IP address")
    expect(refusal("example.com", "93.184.216.34", emptyAllowList)).toBeNull()
    expect(refusal("example.com", "2606:4700::1111", emptyAllowList)).toBeNull()
  })

  it("allows what the allowlist names: a CIDR range, an exact address, a host name in any case", () => {
    const allow = Either.getOrThrow(parseAllowList(" 10.0.0.0/8, 192.168.5.7 ,::1/128, fd00::/8, Hooks.Internal., localhost,"))
    expect(refusal("x.test", "10.200.0.1", allow)).toBeNull()
    expect(refusal("x.test", "::ffff:10.0.0.9", allow)).toBeNull()
    expect(refusal("x.test", "192.168.5.7", allow)).toBeNull()
    expect(refusal("x.test", "::1", allow)).toBeNull()
    expect(refusal("x.test", "fd12::1", allow)).toBeNull()
    expect(refusal("HOOKS.internal", "172.16.0.1", allow)).toBeNull()
    expect(refusal("localhost", "127.0.0.1", allow)).toBeNull()
    expect(refusal("x.test", "192.168.5.8", allow)).toBe("192.168.5.8 is a private address")
    expect(refusal("x.test", "127.0.0.1", allow)).toBe("127.0.0.1 is a loopback address")
    expect(refusal("hooks.internal.evil.test", "172.16.0.1", allow)).toBe("172.16.0.1 is a private address")
  })

  it("reads a mapped IPv6 range as the IPv4 range it covers", () => {
    const allow = Either.getOrThrow(parseAllowList("::ffff:10.0.0.0/104"))
    expect(refusal("x.test", "10.1.1.1", allow)).toBeNull()
    expect(refusal("x.test", "172.16.0.1", allow)).toBe("172.16.0.1 is a private address")
  })

  it("names the entry of an allowlist it cannot read", () => {
    for (const bad of ["10.0.0.0/33", "::1/129", "1.2.3.4/8/2", "10.0.0.300", "not a host", "http://x.test", "a..b", "x.test/24", "1.2.3.4/ 8"]) {
      const problem = Either.match(parseAllowList(`127.0.0.1,${bad},hooks.internal`), { onLeft: (p) => p, onRight: () => "accepted" })
      expect(problem).toBe(`"${bad.trim()}" is neither an IP address, a CIDR range nor a host name`)
    }
    expect(parseAllowList(" , ")).toEqual(Either.right(emptyAllowList))
  })

  it("carries its reason into the error a connection fails with", () => {
    const refused = new AddressRefused({ host: "meta.test", address: "169.254.169.254", reason: "169.254.169.254 is a cloud metadata address" })
    expect(refused.message).toBe("refused meta.test: 169.254.169.254 is a cloud metadata address")
    expect(refused).toBeInstanceOf(Error)
  })
})
