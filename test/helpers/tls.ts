// test/helpers/tls.ts
// A self-signed certificate for dash.example.test (and 127.0.0.1), made with openssl into a temporary
// directory that the test's teardown removes. Clients must use insecureTls to accept it.

import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const TLS_NAME = 'dash.example.test'

export interface SelfSigned {
  readonly dir: string
  /** PEM certificate path. */
  readonly cert: string
  /** PEM private key path (unencrypted). */
  readonly key: string
  /** The certificate's PEM text, for clients that want to pin it. */
  readonly pem: string
}

interface Teardown { teardown (fn: () => unknown): void }

export function createSelfSignedCert (t: Teardown, name = TLS_NAME): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'hd-tls-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const cert = join(dir, `${name}.crt`)
  const key = join(dir, `${name}.key`)
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes',
    '-keyout', key, '-out', cert,
    '-subj', `/CN=${name}`,
    '-addext', `subjectAltName=DNS:${name},IP:127.0.0.1`,
    '-days', '2',
  ], { stdio: ['ignore', 'ignore', 'pipe'] })
  return { dir, cert, key, pem: readFileSync(cert, 'utf8') }
}
