/**
 * Which network addresses a webhook may reach. Receivers are chosen by users, so a URL must not
 * become a way into our own network (SSRF): loopback, private, link-local, cloud metadata and
 * every special-purpose range are refused unless an operator allowlists them (an internal
 * receiver in development, a known service behind the firewall).
 */
import ipaddr from "ipaddr.js"
import { Data, Either } from "effect"
import { isIP } from "node:net"

export type AddressClass = "public" | "loopback" | "private" | "link-local" | "multicast" | "unspecified" | "metadata" | "reserved"

type Address = ipaddr.IPv4 | ipaddr.IPv6

// Checked before link-local and unique-local: the instance credentials behind these are the
// prize of most SSRF attacks, so a refusal should say so.
const metadata: ReadonlyArray<Address> = [ipaddr.parse("169.254.169.254"), ipaddr.parse("fd00:ec2::254")]

const embeddedV4 = (high: number | undefined, low: number | undefined): ipaddr.IPv4 =>
  new ipaddr.IPv4([((high ?? 0) >> 8) & 0xff, (high ?? 0) & 0xff, ((low ?? 0) >> 8) & 0xff, (low ?? 0) & 0xff])

const classifyV4 = (address: ipaddr.IPv4): AddressClass => {
  if (metadata.some((known) => known instanceof ipaddr.IPv4 && address.match(known, 32))) return "metadata"
  switch (address.range()) {
    case "unicast":
      return "public"
    case "loopback":
      return "loopback"
    case "private":
    case "carrierGradeNat":
      return "private"
    case "linkLocal":
      return "link-local"
    case "multicast":
      return "multicast"
    case "unspecified":
      // The range is 0/8; only 0.0.0.0 itself means "this host".
      return address.toString() === "0.0.0.0" ? "unspecified" : "reserved"
    default:
      // Broadcast, documentation, benchmarking, 240/4, AS112 and AMT anycast: nothing a
      // receiver has any business listening on.
      return "reserved"
  }
}

const classifyV6 = (address: ipaddr.IPv6): AddressClass => {
  if (metadata.some((known) => known instanceof ipaddr.IPv6 && address.match(known, 128))) return "metadata"
  const parts = address.parts
  const range: string = address.range()
  switch (range) {
    case "loopback":
      return "loopback"
    case "unspecified":
      return "unspecified"
    case "uniqueLocal":
    case "deprecatedSiteLocal":
      return "private"
    case "linkLocal":
      return "link-local"
    case "multicast":
      return "multicast"
    // These forms carry an IPv4 address the packet ends up at: judge that one.
    case "rfc6145":
      return classifyV4(embeddedV4(parts[6], parts[7]))
    case "rfc6052":
      return parts.slice(2, 6).every((part) => part === 0) ? classifyV4(embeddedV4(parts[6], parts[7])) : "reserved"
    case "6to4":
      return classifyV4(embeddedV4(parts[1], parts[2])) === "public" ? "public" : "reserved"
    case "unicast":
      // IPv4-compatible (::a.b.c.d, which URL parsing writes as ::7f00:1) reaches the IPv4 host.
      if (parts.slice(0, 6).every((part) => part === 0)) return classifyV4(embeddedV4(parts[6], parts[7]))
      // Only 2000::/3 is allocated for global unicast; the rest is unassigned.
      return ((parts[0] ?? 0) & 0xe000) === 0x2000 ? "public" : "reserved"
    default:
      return "reserved"
  }
}

/** The class of a literal IP address; text that is not one is "reserved", so it is never reached. */
export const classify = (address: string): AddressClass => {
  if (!ipaddr.isValid(address)) return "reserved"
  const parsed = ipaddr.process(address)
  return parsed instanceof ipaddr.IPv4 ? classifyV4(parsed) : classifyV6(parsed)
}

export interface AllowList {
  /** Lower case, without a trailing dot. */
  readonly hosts: ReadonlySet<string>
  readonly ranges: ReadonlyArray<readonly [Address, number]>
}

export const emptyAllowList: AllowList = { hosts: new Set(), ranges: [] }

const label = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/
// A last label that is a number makes URL parsing read the whole host as an IPv4 address.
const numeric = /^(?:0x[0-9a-f]*|[0-9]+)$/

const hostName = (entry: string): string | null => {
  const name = entry.toLowerCase().replace(/\.$/, "")
  const labels = name.split(".")
  const last = labels[labels.length - 1] ?? ""
  return name.length <= 253 && labels.every((part) => label.test(part)) && !numeric.test(last) ? name : null
}

// Allowed addresses are compared after `process`, so a mapped entry must become IPv4 too.
const unmapped = ([address, bits]: readonly [Address, number]): readonly [Address, number] =>
  address instanceof ipaddr.IPv6 && address.isIPv4MappedAddress() && bits >= 96 ? [address.toIPv4Address(), bits - 96] : [address, bits]

const range = (entry: string): readonly [Address, number] | null => {
  const [address = "", bits, ...rest] = entry.split("/")
  if (rest.length > 0 || isIP(address) === 0) return null
  if (bits === undefined) return unmapped([ipaddr.parse(address), isIP(address) === 4 ? 32 : 128])
  return /^[0-9]{1,3}$/.test(bits) && ipaddr.isValidCIDR(entry) ? unmapped(ipaddr.parseCIDR(entry)) : null
}

/** An allowlist setting: comma-separated IPs, CIDRs and exact host names. */
export const parseAllowList = (text: string): Either.Either<AllowList, string> => {
  const hosts = new Set<string>()
  const ranges: Array<readonly [Address, number]> = []
  for (const entry of text.split(",").map((part) => part.trim()).filter((part) => part !== "")) {
    const asRange = range(entry)
    const asHost = asRange === null && !entry.includes("/") ? hostName(entry) : null
    if (asRange !== null) ranges.push(asRange)
    else if (asHost !== null) hosts.add(asHost)
    else return Either.left(`"${entry}" is neither an IP address, a CIDR range nor a host name`)
  }
  return Either.right({ hosts, ranges })
}

const described: Record<Exclude<AddressClass, "public">, string> = {
  loopback: "a loopback address",
  private: "a private address",
  "link-local": "a link-local address",
  multicast: "a multicast address",
  unspecified: "an unspecified address",
  metadata: "a cloud metadata address",
  reserved: "a reserved address"
}

/** Why `host`, resolved to `address`, may not be reached; null when it may. */
export const refusal = (host: string, address: string, allow: AllowList): string | null => {
  if (allow.hosts.has(host.toLowerCase().replace(/\.$/, ""))) return null
  if (!ipaddr.isValid(address)) return `${address} is not an IP address`
  const parsed = ipaddr.process(address)
  if (allow.ranges.some(([network, bits]) => network.kind() === parsed.kind() && parsed.match(network, bits))) return null
  const kind = classify(address)
  return kind === "public" ? null : `${address} is ${described[kind]}`
}

export class AddressRefused extends Data.TaggedError("AddressRefused")<{
  readonly host: string
  readonly address: string
  readonly reason: string
}> {
  override get message(): string {
    return this.host === this.address ? `refused: ${this.reason}` : `refused ${this.host}: ${this.reason}`
  }
}
