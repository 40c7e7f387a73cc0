/** Small HTTP pieces the authenticators and `clientCredentials()` share. Web APIs only. */

/** RFC 6749 Appendix B: application/x-www-form-urlencoded, as URLSearchParams writes it. */
const formEncode = (value: string) => new URLSearchParams([['', value]]).toString().slice(1)

/**
 * The `Authorization` value of RFC 6749 §2.3.1 `client_secret_basic`: the
 * client id and secret form-encoded, joined by `:`, then Base64 (UTF-8).
 */
export function clientSecretBasic(clientId: string, clientSecret: string): string {
  let binary = ''
  const pair = `${formEncode(clientId)}:${formEncode(clientSecret)}`
  for (const byte of new TextEncoder().encode(pair)) binary += String.fromCharCode(byte)
  return `Basic ${btoa(binary)}`
}

/** The body as text, or undefined (and the body cancelled) past `max` bytes: a hostile server cannot fill memory. */
export async function readLimited(response: Response, max: number): Promise<string | undefined> {
  if (response.body === null) return ''
  const reader = response.body.getReader()
  const chunks: Uint8Array[] = []
  let size = 0
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      reader.cancel().catch(() => {})
      return undefined
    }
    chunks.push(value)
  }
  const bytes = new Uint8Array(size)
  let offset = 0
  for (const chunk of chunks) {
    bytes.set(chunk, offset)
    offset += chunk.byteLength
  }
  return new TextDecoder().decode(bytes)
}
