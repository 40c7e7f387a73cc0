export { EXAMPLE_FLAVOURS, type ExampleFlavour, exampleServerPath } from './server-path.js'
export { createAdminServer, MAX_FLAGS } from './servers/admin.js'
export { createDataServer } from './servers/data.js'
export { createMathServer } from './servers/math.js'
