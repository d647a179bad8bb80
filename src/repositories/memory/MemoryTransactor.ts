import { Effect, Layer } from "effect"
import { Transactor } from "../Transactor.js"
import { MemoryStore } from "./MemoryStore.js"

/**
 * Units of work run one at a time (one permit), which stands in for Postgres row locks and
 * makes `ColumnRepository.lock` trivially true. A unit that fails, dies or is interrupted
 * restores the snapshot taken when it began. A nested call joins the unit in flight instead of
 * waiting for the permit it already holds.
 */
export const MemoryTransactor = Layer.effect(
  Transactor,
  Effect.map(MemoryStore, (store) => Transactor.of({ transaction: store.unit }))
)
