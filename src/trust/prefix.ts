// src/trust/prefix.ts
// The base path the browser sees (X-Forwarded-Prefix, the path of --public-url, a mount prefix). Pure.

export const MAX_PREFIX_LENGTH = 256

// No dot-dot, no doubled slash, nothing that could break out of an HTML attribute or a JS string.
const FORBIDDEN = /\.\.|\/\/|["'<>`\\?#%]|[\s\x00-\x1f\x7f]/

/**
 * Normalises a prefix to `''` or `/a/b` (leading slash, no trailing slash); null when it is unsafe.
 */
export function normalizePrefix (value: string): string | null {
  if (value.length > MAX_PREFIX_LENGTH) return null
  if (FORBIDDEN.test(value)) return null
  const trimmed = value.replace(/\/+$/, '')
  if (trimmed === '') return ''
  return trimmed.startsWith('/') ? trimmed : `/${trimmed}`
}

/** Joins normalised prefixes. */
export function joinPrefix (...parts: readonly string[]): string {
  return parts.filter((p) => p !== '').join('')
}
