import { Effect, Metric } from "effect"

/**
 * What counts as a security event, the label `kind` of `flowboard_security_events_total`:
 * - `authentication_failure`: a key presented and refused (unknown, wrong, expired, revoked);
 * - `blocked`: an address or key prefix blocked after repeated failures (once per block);
 * - `blocked_request`: a request refused because its address or prefix is blocked;
 * - `rate_limited`: a request refused by a rate limit or a live-stream cap;
 * - `scope_denied`: a valid key used beyond its scope, or a member beyond their role;
 * - `admin_action`: a change the audit trail records in its unit of work (users, keys,
 *   memberships, deleted or archived projects, dead-letter replays and discards, audit exports).
 *   Counted when recorded: a unit that fails after it is not taken back.
 * A spike of any of them is what the `FlowboardSecurityEvents` alert watches (docs/monitoring.md).
 */
export type SecurityEventKind = "authentication_failure" | "blocked" | "blocked_request" | "rate_limited" | "scope_denied" | "admin_action"

export const securityEvents = Metric.counter("flowboard_security_events_total", {
  description: "Security events by kind: authentication failures, blocks, blocked requests, rate-limit refusals, scope denials, audited admin actions",
  incremental: true
})

const byKind = {
  authentication_failure: Metric.tagged(securityEvents, "kind", "authentication_failure"),
  blocked: Metric.tagged(securityEvents, "kind", "blocked"),
  blocked_request: Metric.tagged(securityEvents, "kind", "blocked_request"),
  rate_limited: Metric.tagged(securityEvents, "kind", "rate_limited"),
  scope_denied: Metric.tagged(securityEvents, "kind", "scope_denied"),
  admin_action: Metric.tagged(securityEvents, "kind", "admin_action")
} satisfies Record<SecurityEventKind, Metric.Metric.Counter<number>>

export const countSecurityEvent = (kind: SecurityEventKind, n = 1): Effect.Effect<void> => Metric.incrementBy(byKind[kind], n)
