// Issue 16, item 4 (Deployment): the Dockerfile and deploy/kubernetes cannot run here (no
// Docker, no cluster), so they are read as Docker and Kubernetes read them and held to what
// the built gateway really does: their configs go through `mcpx-gateway validate` and are
// started (on loopback, port 0, the Secret's variables set, Redis a real local one), and
// every probe, port, path and Host they name is asked of the running gateway.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` is what the config files hold

import { readFileSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join, posix } from 'node:path'
import { fileURLToPath } from 'node:url'
import { eventually, runProcess, type StartedProcess, startProcess } from '@mcpx/test-utils'
import { type RedisServer, startRedis } from '@mcpx/test-utils/redis'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse, parseDocument } from 'yaml'
import {
  all,
  dockerIgnored,
  execForm,
  last,
  loadManifests,
  type Manifest,
  options,
  parseDockerfile,
  redisUrls,
  repoRoot,
  variables,
} from './fixtures/deployment-files.js'

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url))
const gatewayPackage = JSON.parse(readFileSync(join(repoRoot, 'apps/gateway/package.json'), 'utf8'))
const rootPackage = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8'))

const stages = parseDockerfile(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'))
const runtime = stages.at(-1)!
const dockerignore = readFileSync(join(repoRoot, '.dockerignore'), 'utf8')
/** What the container runs: ENTRYPOINT then CMD, both exec form. */
const command = [
  ...execForm(last(runtime, 'ENTRYPOINT')!.args),
  ...execForm(last(runtime, 'CMD')!.args),
]
const configPath = command[command.indexOf('--config') + 1]!
/** The image's default config: the heredoc COPY'd to the path CMD names. */
const imageConfigText = (() => {
  const copy = all(runtime, 'COPY').find((c) => c.args.endsWith(` ${configPath}`))
  if (copy?.heredoc === undefined) throw new Error(`the Dockerfile puts no config at ${configPath}`)
  return copy.heredoc
})()

const manifests = loadManifests().map(({ manifest }) => manifest)
const find = (kind: string, name: string): Manifest => {
  const found = manifests.find((m) => m.kind === kind && m.metadata.name === name)
  if (!found) throw new Error(`no ${kind} ${name} in deploy/kubernetes`)
  return found
}
const gatewayDeployment = find('Deployment', 'mcpx-gateway')
const pod = gatewayDeployment.spec.template.spec
const container = pod.containers[0]
const configVolume = pod.volumes.find((v: Manifest) => v.configMap !== undefined)
const configMount = container.volumeMounts.find((m: Manifest) => m.name === configVolume.name)
const configMap = find('ConfigMap', configVolume.configMap.name)
const [configKey] = Object.keys(configMap.data)
const k8sConfigText: string = configMap.data[configKey!]
const k8sConfig = parse(k8sConfigText)

/** A container's port by its name or number. */
function portOf(c: Manifest, port: string | number): number {
  if (typeof port === 'number') return port
  const named = c.ports.find((p: Manifest) => p.name === port)
  if (!named) throw new Error(`container ${c.name} has no port named ${port}`)
  return named.containerPort
}
/** The Services whose selector picks this Deployment's pods. */
function servicesOf(deployment: Manifest): Manifest[] {
  const labels = deployment.spec.template.metadata.labels
  return manifests.filter(
    (m) =>
      m.kind === 'Service' &&
      Object.entries(m.spec.selector).every(([key, value]) => labels[key] === value),
  )
}
const secretEnv = (c: Manifest) =>
  (c.env ?? []).filter((e: Manifest) => e.valueFrom?.secretKeyRef !== undefined)

/** Values for every `${VAR}` of a config, as the Secret would provide them. */
function secretValues(text: string): Record<string, string> {
  const names = new Set(variables(text).map((v) => v.name))
  return Object.fromEntries(
    [...names].map((name) => [name, `${name.toLowerCase()}-0123456789abcdef`]),
  )
}

let dir: string
const running: StartedProcess[] = []
const clients: Client[] = []
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mcpx-deployment-'))
})
afterAll(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()))
  await Promise.all(running.splice(0).map((gateway) => gateway.stop()))
  await rm(dir, { recursive: true, force: true })
})

/**
 * The config adapted only as far as this machine needs: loopback (the container's 0.0.0.0
 * would listen on every interface here), port 0, and each Redis URL's host and port moved
 * to `redis` when given. Comments, `${VAR}`s and everything else stay as they are.
 */
async function runnable(name: string, text: string, redis?: RedisServer): Promise<string> {
  const doc = parseDocument(text)
  doc.setIn(['serve', 'host'], '127.0.0.1')
  doc.setIn(['serve', 'port'], 0)
  for (const { path, url } of redisUrls(doc.toJS())) {
    const { hostname, port } = new URL(url)
    doc.setIn(path.split('.'), url.replace(`@${hostname}:${port}`, `@127.0.0.1:${redis!.port}`))
  }
  const file = join(dir, name)
  await writeFile(file, doc.toString())
  return file
}

async function startGateway(file: string, env: Record<string, string>): Promise<URL> {
  const gateway = startProcess(process.execPath, [cli, '--config', file], {
    name: 'mcpx-gateway',
    env: { ...process.env, ...env },
  })
  running.push(gateway)
  return new URL(await gateway.ready)
}

async function validate(text: string, env: Record<string, string>) {
  const file = join(dir, `validate-${Math.random().toString(36).slice(2)}.yaml`)
  await writeFile(file, text)
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !(name in secretValues(text))),
  )
  return runProcess(process.execPath, [cli, 'validate', file], {
    env: { ...clean, ...env },
    timeoutMs: 20_000,
  })
}

/** GET with a Host header of our choosing (fetch may not set one). */
function get(url: URL, path: string, headers: Record<string, string> = {}) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, path, headers }, (res) => {
      let body = ''
      res.setEncoding('utf8').on('data', (chunk: string) => {
        body += chunk
      })
      res.on('end', () => resolve({ status: res.statusCode!, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

async function connect(url: URL, token: string): Promise<Client> {
  const client = new Client({ name: 'deployment-test', version: '1' })
  const headers = { authorization: `Bearer ${token}` }
  await client.connect(new StreamableHTTPClientTransport(url, { requestInit: { headers } }))
  clients.push(client)
  return client
}

describe('Dockerfile', () => {
  const image = parse(imageConfigText)
  let url: URL
  let env: Record<string, string>
  beforeAll(async () => {
    env = secretValues(imageConfigText)
    url = await startGateway(await runnable('image.yaml', imageConfigText), env)
  }, 60_000)

  it('builds in one stage and runs from another, on a Node the gateway supports', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2)
    const major = Number(/^node:(\d+)/.exec(runtime.from)?.[1])
    expect(major).toBeGreaterThanOrEqual(Number(/\d+/.exec(gatewayPackage.engines.node)![0]))
  })

  it('installs the pnpm of packageManager, so that the lockfile is read as it was written', () => {
    const version = rootPackage.packageManager.replace(/^pnpm@/, '')
    const runs = stages[0]!.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args)
    expect(runs.some((run) => run.includes(`pnpm@${version}`))).toBe(true)
  })

  it('runs the bin of the deployed gateway package with the config path Kubernetes mounts', () => {
    const deploy = stages[0]!.instructions.find((i) => /\bpnpm\b.*\bdeploy\b/.test(i.args))!
    expect(deploy.args).toContain(`--filter ${gatewayPackage.name} `)
    expect(deploy.args).toContain('--prod')
    const out = deploy.args.split(/\s+/).at(-1)!
    const copy = all(runtime, 'COPY').find(
      (c) => options(c.args).flags.get('from') === stages[0]!.name,
    )!
    const [source, target] = options(copy.args).rest.split(/\s+/)
    expect(source).toBe(out)
    const script = command[command.indexOf('node') + 1]
    expect(script).toBe(posix.join(target!, gatewayPackage.bin['mcpx-gateway']))
    expect(configPath).toBe(posix.join(configMount.mountPath, configKey!))
  })

  it('runs as a numeric user that is not root, the one the pods run as', () => {
    const [user, group] = last(runtime, 'USER')!.args.split(':')
    expect(user).toMatch(/^\d+$/)
    expect(user).not.toBe('0')
    expect(Number(user)).toBe(pod.securityContext.runAsUser)
    expect(Number(group)).toBe(pod.securityContext.runAsGroup)
  })

  it('exposes the port its default config and the ConfigMap serve on', () => {
    const exposed = all(runtime, 'EXPOSE').flatMap((e) =>
      e.args.split(/\s+/).map((p) => Number.parseInt(p, 10)),
    )
    expect(exposed).toContain(image.serve.port)
    expect(exposed).toContain(k8sConfig.serve.port)
  })

  it('has a default config that validates with MCPX_GATEWAY_TOKEN set', async () => {
    const result = await validate(imageConfigText, env)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
  })

  it('fails closed without the variable: exit 2 naming it, nothing served', async () => {
    const result = await validate(imageConfigText, {})
    expect(result.code).toBe(2)
    for (const name of Object.keys(env))
      expect(result.stderr).toContain(`variable ${name} is not set`)
  })

  it('has a HEALTHCHECK whose command passes against the running gateway', async () => {
    const { rest } = options(last(runtime, 'HEALTHCHECK')!.args)
    const check = execForm(rest.replace(/^CMD\s+/, ''))
    const target = new URL(/https?:\/\/[^'"`\s)]+/.exec(check.join(' '))![0])
    expect(Number(target.port)).toBe(image.serve.port)
    // Inside the container the URL reaches the gateway; here the gateway is on port 0's port.
    const here = check.map((arg) => arg.replace(target.origin, url.origin))
    const probe = await runProcess(
      here[0] === 'node' ? process.execPath : here[0]!,
      here.slice(1),
      {
        timeoutMs: 20_000,
      },
    )
    expect(probe.code).toBe(0)
    expect(await get(url, target.pathname, { host: target.host })).toEqual({
      status: 200,
      body: 'ok\n',
    })
  })

  it('serves the default config only to callers with the token', async () => {
    const anonymous = await fetch(new URL(image.serve.path, url), { method: 'POST', body: '{}' })
    expect(anonymous.status).toBe(401)
    const client = await connect(url, env.MCPX_GATEWAY_TOKEN!)
    const { tools } = await client.listTools()
    expect(tools.map((tool) => tool.name)).toContain('math_add')
  })

  it('keeps host build output and dependencies out of the build context, not the lockfile', () => {
    for (const path of ['node_modules', 'apps/gateway/node_modules', 'apps/gateway/dist', '.git']) {
      expect(dockerIgnored(dockerignore, path), path).toBe(true)
    }
    const copied = stages[0]!.instructions
      .filter((i) => i.keyword === 'COPY' && !options(i.args).flags.has('from'))
      .flatMap((i) => options(i.args).rest.split(/\s+/).slice(0, -1))
    for (const path of [
      ...copied.filter((p) => p !== '.'),
      'packages/core/src',
      'apps/gateway/src',
    ]) {
      expect(dockerIgnored(dockerignore, path), path).toBe(false)
    }
  })
})

describe('deploy/kubernetes', () => {
  const redisDeployment = find('Deployment', 'mcpx-redis')
  let redis: RedisServer
  let url: URL
  let env: Record<string, string>
  beforeAll(async () => {
    env = secretValues(k8sConfigText)
    // Started without a password (its readiness check is a bare PING), then given the one the
    // Secret would, as --requirepass gives it in the cluster.
    redis = await startRedis()
    const admin = new Redis(redis.url)
    await admin.config('SET', 'requirepass', env.REDIS_PASSWORD!)
    admin.disconnect()
    url = await startGateway(await runnable('k8s.yaml', k8sConfigText, redis), env)
  }, 60_000)
  afterAll(async () => {
    await redis?.stop()
  })

  it('holds a ConfigMap config that validates as it is, on 0.0.0.0 (its auth section allows it)', async () => {
    const result = await validate(k8sConfigText, env)
    expect(result.stderr).toBe('')
    expect(result.code).toBe(0)
    expect(k8sConfig.serve.host).toBe('0.0.0.0')
  })

  it('mounts the ConfigMap where the image reads its config, without overriding the command', () => {
    expect(configMount.readOnly).toBe(true)
    expect(configVolume.configMap.items).toBeUndefined()
    expect(container.command).toBeUndefined()
    expect(container.args).toBeUndefined()
  })

  it('gives the container the port of serve.port, and the Service targets it', () => {
    expect(container.ports.map((p: Manifest) => p.containerPort)).toContain(k8sConfig.serve.port)
    const [service] = servicesOf(gatewayDeployment)
    expect(portOf(container, service!.spec.ports[0].targetPort)).toBe(k8sConfig.serve.port)
  })

  it('probes paths the gateway answers 200 on its port, with a Host it accepts', async () => {
    const probes = [container.livenessProbe, container.readinessProbe]
    expect(new Set(probes.map((p) => p.httpGet.path)).size).toBe(2)
    for (const probe of probes) {
      expect(portOf(container, probe.httpGet.port)).toBe(k8sConfig.serve.port)
      const headers = Object.fromEntries(
        (probe.httpGet.httpHeaders ?? []).map((h: Manifest) => [h.name.toLowerCase(), h.value]),
      )
      expect(await get(url, probe.httpGet.path, headers), probe.httpGet.path).toMatchObject({
        status: 200,
      })
    }
  })

  it('accepts the Host of in-cluster clients, the Service name', async () => {
    const [service] = servicesOf(gatewayDeployment)
    const host = `${service!.metadata.name}:${service!.spec.ports[0].port}`
    expect(await get(url, container.livenessProbe.httpGet.path, { host })).toMatchObject({
      status: 200,
    })
  })

  it('refuses anonymous callers and serves the service token from the Secret', async () => {
    const anonymous = await fetch(new URL(k8sConfig.serve.path, url), {
      method: 'POST',
      body: '{}',
    })
    expect(anonymous.status).toBe(401)
    const client = await connect(url, env.MCPX_SERVICE_TOKEN!)
    const result = await client.callTool({ name: 'math_add', arguments: { a: 2, b: 3 } })
    expect((result.content as { text: string }[])[0]!.text).toBe('5')
  })

  it('references Secrets that the config uses, and provides every ${VAR} without a default', () => {
    const used = variables(k8sConfigText)
    const names = new Set((container.env ?? []).map((e: Manifest) => e.name))
    for (const entry of secretEnv(container)) {
      expect(
        used.map((v) => v.name),
        entry.name,
      ).toContain(entry.name)
    }
    for (const { name } of used.filter((v) => !v.hasDefault)) expect(names, name).toContain(name)
    // References only: no Secret with values among the manifests.
    for (const m of manifests.filter((m) => m.kind === 'Secret')) {
      expect(m.data ?? m.stringData, m.metadata.name).toBeUndefined()
    }
  })

  it('points every Redis URL of the config at the Redis Service, with its password', async () => {
    const urls = redisUrls(k8sConfig)
    expect(urls.length).toBeGreaterThan(0)
    const [service] = servicesOf(redisDeployment)
    const redisContainer = redisDeployment.spec.template.spec.containers[0]
    const args: string[] = redisContainer.args
    // redis-server's own default port, unless the args set one.
    const listens = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : 6379
    expect(portOf(redisContainer, service!.spec.ports[0].targetPort)).toBe(listens)
    const redisPassword = secretEnv(redisContainer)[0]
    expect(args[args.indexOf('--requirepass') + 1]).toBe(`$(${redisPassword.name})`)
    for (const { path, url: redisUrl } of urls) {
      const parsed = new URL(redisUrl)
      expect(parsed.hostname, path).toBe(service!.metadata.name)
      expect(Number(parsed.port), path).toBe(service!.spec.ports[0].port)
      const [variable] = variables(decodeURIComponent(parsed.password))
      const gatewayRef = secretEnv(container).find((e: Manifest) => e.name === variable!.name)
      expect(gatewayRef.valueFrom.secretKeyRef, path).toEqual(redisPassword.valueFrom.secretKeyRef)
    }
    // The running gateway reaches Redis with that password: a call leaves its counter there.
    const mcp = await connect(url, env.MCPX_SERVICE_TOKEN!)
    await mcp.callTool({ name: 'math_add', arguments: { a: 1, b: 1 } })
    const client = new Redis(redis.url, { password: env.REDIS_PASSWORD, lazyConnect: true })
    await client.connect()
    try {
      await eventually(async () => (await client.dbsize()) > 0, 10_000)
    } finally {
      client.disconnect()
    }
  })

  it('runs every container non-root, read-only, unprivileged, with requests and limits', () => {
    for (const deployment of manifests.filter((m) => m.kind === 'Deployment')) {
      const spec = deployment.spec.template.spec
      expect(spec.securityContext.runAsNonRoot, deployment.metadata.name).toBe(true)
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0)
      for (const c of spec.containers) {
        expect(c.securityContext).toMatchObject({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
        })
        for (const kind of ['requests', 'limits']) {
          expect(Object.keys(c.resources[kind]).sort(), `${c.name} ${kind}`).toEqual([
            'cpu',
            'memory',
          ])
        }
      }
    }
  })

  it('gives a pod more time to stop than the preStop pause and the drain take', () => {
    const pause = Number(container.lifecycle?.preStop?.exec?.command?.at(-1) ?? 0)
    const drain = (k8sConfig.serve.shutdownTimeout ?? 10_000) / 1000
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(pause + drain)
  })
})
