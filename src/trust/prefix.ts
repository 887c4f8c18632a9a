// src/trust/prefix.ts
// The base path the browser sees (X-Forwarded-Prefix, the path of --public-url, a mount prefix). Pure.

export const MAX_PREFIX_LENGTH = 256

// Path characters only, and of those none that means something elsewhere the prefix lands: `;`, `,`
// and `=` would add attributes to Set-Cookie's Path=, quotes and angle brackets would leave an HTML
// attribute or a JS string, `%`, `?` and `#` would change what the path is. No dot-dot, no `//`.
const ALLOWED = /^[A-Za-z0-9._~@:+/-]*$/
const FORBIDDEN = /\.\.|\/\//

/**
 * Normalises a prefix to `''` or `/a/b` (leading slash, no trailing slash); null when it is unsafe.
 */
export function normalizePrefix (value: string): string | null {
  if (value.length > MAX_PREFIX_LENGTH) return null
  if (!ALLOWED.test(value) || FORBIDDEN.test(value)) return null
  const trimmed = value.replace(/\/+$/, '')
  if (trimmed === '') return ''
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`
}

/** Joins normalised prefixes. */
export function joinPrefix (...parts: readonly string[]): string {
  return parts.filter((p) => p !== '').join('')
}
