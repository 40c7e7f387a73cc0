/**
 * A real OAuth 2.0 token endpoint (client credentials grant, RFC 6749 §4.4)
 * on 127.0.0.1 port 0, for the tests of `clientCredentials()`. Test code only.
 */
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface TokenRequestSeen {
  authorization: string | undefined
  contentType: string | undefined
  form: URLSearchParams
}

export interface TokenEndpoint {
  url: string
  /** HTTP requests received, whatever their fate. */
  hits: number
  requests: TokenRequestSeen[]
  /** Access tokens issued, in order. */
  issued: string[]
  /** Requests whose connection closed before they were answered (an aborted fetch). */
  aborted: number
  /**
   * `serve`: check the client and issue a token; `hang`: never answer;
   * `fail`: HTTP 503; `redirect`: 307 to another path of this server.
   */
  mode: 'serve' | 'hang' | 'fail' | 'redirect'
  /** `expires_in` of the tokens issued; undefined leaves it out. */
  expiresIn: number | undefined
  /** Answers the next request instead of the mode (then cleared). */
  answerNext: ((res: ServerResponse) => void) | undefined
  /** Holds every answer from now until {@link release}. */
  hold(): void
  /** Lets the held answers go. */
  release(): void
  close(): Promise<void>
}

export async function tokenEndpoint(
  client: { id: string; secret: string },
  expiresIn: number | undefined = 3600,
): Promise<TokenEndpoint> {
  let held: { promise: Promise<void>; release(): void } | undefined
  const server = createServer((req, res) => {
    state.hits++
    let body = ''
    let answered = false
    res.on('finish', () => {
      answered = true
    })
    req.on('close', () => {
      if (!answered && !res.writableFinished) state.aborted++
    })
    req.on('data', (chunk) => {
      body += chunk
    })
    req.on('end', async () => {
      const seen = {
        authorization: req.headers.authorization,
        contentType: req.headers['content-type'],
        form: new URLSearchParams(body),
      }
      state.requests.push(seen)
      if (held) await held.promise
      const custom = state.answerNext
      state.answerNext = undefined
      if (custom) return custom(res)
      if (state.mode === 'hang') return
      if (state.mode === 'fail') return void res.writeHead(503).end('token service is down')
      if (state.mode === 'redirect') {
        return void res.writeHead(307, { location: `${state.url}/elsewhere` }).end()
      }
      const json = (status: number, value: unknown) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value))
      if (seen.form.get('grant_type') !== 'client_credentials') {
        return json(400, { error: 'unsupported_grant_type' })
      }
      if (!authenticated(seen, client)) return json(401, { error: 'invalid_client' })
      const token = `gateway-token-${state.issued.length + 1}`
      state.issued.push(token)
      json(200, {
        access_token: token,
        token_type: 'Bearer',
        ...(state.expiresIn === undefined ? {} : { expires_in: state.expiresIn }),
      })
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const state: TokenEndpoint = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`,
    hits: 0,
    requests: [],
    issued: [],
    aborted: 0,
    mode: 'serve',
    expiresIn,
    answerNext: undefined,
    hold() {
      let release!: () => void
      const promise = new Promise<void>((resolve) => {
        release = resolve
      })
      held ??= { promise, release }
    },
    release() {
      held?.release()
      held = undefined
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
  return state
}

/** RFC 6749 §2.3.1: Basic over the form-encoded id and secret, or both in the body. */
function authenticated(seen: TokenRequestSeen, client: { id: string; secret: string }): boolean {
  const basic = /^Basic (.+)$/.exec(seen.authorization ?? '')
  if (basic) {
    const [id, secret] = Buffer.from(basic[1]!, 'base64').toString('utf8').split(':')
    const decode = (s: string | undefined) => new URLSearchParams(`v=${s ?? ''}`).get('v')
    return decode(id) === client.id && decode(secret) === client.secret
  }
  return (
    seen.form.get('client_id') === client.id && seen.form.get('client_secret') === client.secret
  )
}
