export declare const MANIFEST: string

export interface Manifest {
  /** `hashInputs` of `inputs` at build time. */
  readonly hash: string
  /** The built CLI, relative to the project root. */
  readonly entry: string
  /** Every project file the build read (sources, assets, build settings), relative to the root. */
  readonly inputs: ReadonlyArray<string>
}

export type BuildState =
  | { readonly state: "fresh"; readonly entry: string }
  | { readonly state: "stale" | "missing"; readonly reason: string }

export declare const hashInputs: (root: string, inputs: ReadonlyArray<string>) => string | undefined
export declare const readManifest: (root: string) => Manifest | undefined
export declare const checkBuild: (root: string) => BuildState
