/**
 * Runs before every test file. The suite shares one module cache per worker (`isolate: false`
 * in vitest.config.ts), and @effect/vitest's `layer()` installs its layered `effect`/`scoped`
 * onto the shared `it` object. Without this reset, the next file's `it.effect` would run inside
 * the previous file's (closed) layer and its TestClock.
 */
import { effect, flakyTest, it, layer, live, prop, scoped, scopedLive } from "@effect/vitest"

Object.assign(it, { effect, scoped, live, scopedLive, layer, flakyTest, prop })
