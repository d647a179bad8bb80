import { BlockList, isIP } from "node:net"

/**
 * The client's address as far as it can be believed. The socket's peer, unless that peer is a
 * trusted proxy (`TRUST_PROXY`): then `X-Forwarded-For` is read from the right, each hop
 * believed only while the one that appended it is trusted. The first untrusted hop is the
 * client. A client that writes its own `X-Forwarded-For` only adds entries to the left of what
 * the proxies append, which are never reached; with no trusted proxy the header is not read.
 */
export type TrustedProxies = (address: string) => boolean

const LOOPBACK = [["127.0.0.0", 8, "ipv4"], ["::1", 128, "ipv6"]] as const
const PRIVATE = [
  ["10.0.0.0", 8, "ipv4"],
  ["172.16.0.0", 12, "ipv4"],
  ["192.168.0.0", 16, "ipv4"],
  ["fc00::", 7, "ipv6"]
] as const

/** `::ffff:10.0.0.1` is 10.0.0.1: Node reports IPv4 peers of a dual-stack socket that way. */
export const normalise = (address: string): string => {
  const trimmed = address.trim().replace(/^\[|\]$/g, "")
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(trimmed)
  return (mapped?.[1] ?? trimmed).toLowerCase()
}

/** Refuses an entry it cannot read, naming it (a typo must not silently trust nobody, or everybody). */
export const parseTrustedProxies = (entries: ReadonlyArray<string>): TrustedProxies | { readonly invalid: string } => {
  const list = new BlockList()
  for (const entry of entries) {
    if (entry === "loopback") {
      for (const [net, prefix, type] of LOOPBACK) list.addSubnet(net, prefix, type)
      continue
    }
    if (entry === "private") {
      for (const [net, prefix, type] of [...LOOPBACK, ...PRIVATE]) list.addSubnet(net, prefix, type)
      continue
    }
    const [address = "", prefix] = entry.split("/")
    const family = isIP(address)
    if (family === 0) return { invalid: entry }
    const type = family === 4 ? "ipv4" : "ipv6"
    if (prefix === undefined) {
      list.addAddress(address, type)
      continue
    }
    const bits = Number(prefix)
    if (!/^\d+$/.test(prefix) || bits > (family === 4 ? 32 : 128)) return { invalid: entry }
    list.addSubnet(address, bits, type)
  }
  return (address) => {
    const family = isIP(address)
    return family !== 0 && list.check(address, family === 4 ? "ipv4" : "ipv6")
  }
}

export const clientAddress = (peer: string | undefined, forwardedFor: string | undefined, trusted: TrustedProxies | null): string => {
  let client = peer === undefined ? "unknown" : normalise(peer)
  if (trusted === null || forwardedFor === undefined) return client
  const hops = forwardedFor.split(",").map(normalise).filter((hop) => hop !== "")
  while (trusted(client)) {
    const hop = hops.pop()
    // A hop that is not an address (a proxy's `unknown`, garbage) ends the walk at the last good one.
    if (hop === undefined || isIP(hop) === 0) break
    client = hop
  }
  return client
}
