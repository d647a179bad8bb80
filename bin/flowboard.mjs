#!/usr/bin/env node
// The `flowboard` command: runs the TypeScript entry point through tsx's loader, so the
// same sources serve `npm start`, the CLI and the tests without a build step.
import { register } from "tsx/esm/api"

register()
await import("../src/bin/flowboard.ts")
