import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Either, Schema } from "effect"
import { decodeEnvelope, encodeEnvelope, WireEnvelope } from "../../../src/events/EnvelopeCodec.js"
import { priorityOf, readOrder } from "../../../src/events/Priority.js"
import { anEnvelope } from "../../contract/Fixtures.js"

describe("Priority", () => {
  it("goes by aggregate, so all of an aggregate's events share one stream and keep their order", () => {
    expect(priorityOf({ aggregateType: "project" })).toBe("high")
    expect(priorityOf({ aggregateType: "task" })).toBe("default")
    expect(priorityOf({ aggregateType: "user" })).toBe("low")
    expect(priorityOf({ aggregateType: "apikey" })).toBe("low")
  })

  it("reads start at high 6, default 3 and low 1 times in 10, each falling through to the rest", () => {
    const orders = Array.from({ length: 20 }, (_, round) => readOrder(round))
    const starts = orders.map((order) => order[0])
    expect(["high", "default", "low"].map((p) => starts.filter((s) => s === p).length)).toEqual([12, 6, 2])
    orders.forEach((order) => expect([...order].sort()).toEqual(["default", "high", "low"]))
  })
})

describe("EnvelopeCodec", () => {
  it.effect("round-trips an envelope with its priority", () =>
    Effect.gen(function* () {
      const envelope = anEnvelope({ actor: "u1", correlationId: "c", causationId: null, traceparent: "00-ab-cd-01" })
      const decoded = decodeEnvelope(yield* encodeEnvelope(envelope, "low"))
      expect(Either.isRight(decoded)).toBe(true)
      if (Either.isRight(decoded)) {
        expect(decoded.right.priority).toBe("low")
        expect({ ...decoded.right.envelope, occurredAt: DateTime.formatIso(decoded.right.envelope.occurredAt) })
          .toEqual({ ...envelope, occurredAt: DateTime.formatIso(envelope.occurredAt) })
      }
    }))

  it.effect("writes what the wire schema's own encoder writes, and refuses a payload JSON cannot hold", () =>
    Effect.gen(function* () {
      const envelope = anEnvelope({ actor: "u1", correlationId: "c", causationId: "e0", traceparent: null })
      const text = yield* encodeEnvelope(envelope, "high")
      expect(JSON.parse(text)).toEqual(Schema.encodeSync(WireEnvelope)({ ...envelope, priority: "high" }))
      const error = yield* Effect.flip(encodeEnvelope(anEnvelope({ payload: { n: 1n } }), "default"))
      expect(error._tag).toBe("TransportError")
      expect(error.message).toContain("cannot be encoded")
    }))

  it("explains why text is not an envelope", () => {
    expect(Either.isLeft(decodeEnvelope("not json"))).toBe(true)
    const wrongType = JSON.stringify({ ...anEnvelope(), occurredAt: "2026-01-01T00:00:00Z", priority: "high", type: "nope" })
    expect(Either.getLeft(decodeEnvelope(wrongType))._tag).toBe("Some")
  })
})
