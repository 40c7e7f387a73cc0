import { fileURLToPath } from 'node:url'

/** The example servers `exampleServerPath` runs, one per `--flavour`. */
export const EXAMPLE_FLAVOURS = ['math', 'data', 'admin'] as const

/** One of {@link EXAMPLE_FLAVOURS}. */
export type ExampleFlavour = (typeof EXAMPLE_FLAVOURS)[number]

/**
 * The built stdio entry: `node <exampleServerPath> --flavour math|data|admin`
 * serves one example over stdin/stdout. A subpath of its own so that a
 * process which only spawns the examples (the gateway) loads no server code.
 */
export const exampleServerPath: string = fileURLToPath(
  new URL('./bin/example-server.js', import.meta.url),
)
