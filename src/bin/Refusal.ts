import { Data } from "effect"

/** Something the user can act on: said in one sentence on stderr, without a stack trace; exit code 1. */
export class Refusal extends Data.TaggedError("Refusal")<{ readonly message: string }> {}
