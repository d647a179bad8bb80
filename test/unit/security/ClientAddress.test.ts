import { describe, expect, it } from "@effect/vitest"
import { clientAddress, parseTrustedProxies, type TrustedProxies } from "../../../src/security/ClientAddress.js"

const trust = (...entries: ReadonlyArray<string>): TrustedProxies => {
  const parsed = parseTrustedProxies(entries)
  if (typeof parsed !== "function") throw new Error(`invalid: ${parsed.invalid}`)
  return parsed
}

describe("the client address", () => {
  it("is the socket's peer when no proxy is trusted: a spoofed X-Forwarded-For is ignored", () => {
    expect(clientAddress("203.0.113.9", "198.51.100.1", null)).toBe("203.0.113.9")
    expect(clientAddress("::ffff:203.0.113.9", undefined, null)).toBe("203.0.113.9")
    expect(clientAddress(undefined, "198.51.100.1", null)).toBe("unknown")
  })

  it("behind a trusted proxy, is the hop that proxy saw; entries a client wrote itself are never reached", () => {
    const proxies = trust("10.0.0.0/8")
    // The client sent `X-Forwarded-For: 1.1.1.1`; the proxy appended the address it saw.
    expect(clientAddress("10.0.0.5", "1.1.1.1, 203.0.113.9", proxies)).toBe("203.0.113.9")
    // Two trusted proxies in a row: walk past both.
    expect(clientAddress("10.0.0.5", "1.1.1.1, 203.0.113.9, 10.0.0.7", proxies)).toBe("203.0.113.9")
    // A peer that is not a trusted proxy is the client, whatever its header says.
    expect(clientAddress("203.0.113.50", "1.1.1.1", proxies)).toBe("203.0.113.50")
    // Garbage in the header ends the walk at the last address that can be believed.
    expect(clientAddress("10.0.0.5", "evil, <script>", proxies)).toBe("10.0.0.5")
  })

  it("understands loopback, private, single addresses and IPv6 ranges, and refuses what it cannot read", () => {
    expect(trust("loopback")("127.0.0.1")).toBe(true)
    expect(trust("loopback")("10.0.0.1")).toBe(false)
    expect(trust("private")("192.168.1.1")).toBe(true)
    expect(trust("192.0.2.10")("192.0.2.10")).toBe(true)
    expect(trust("192.0.2.10")("192.0.2.11")).toBe(false)
    expect(trust("2001:db8::/32")("2001:db8::1")).toBe(true)
    expect(parseTrustedProxies(["10.0.0.0/33"])).toEqual({ invalid: "10.0.0.0/33" })
    expect(parseTrustedProxies(["proxy.internal"])).toEqual({ invalid: "proxy.internal" })
  })
})
