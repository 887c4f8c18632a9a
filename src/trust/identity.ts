// src/trust/identity.ts
// Identity asserted by an SSO proxy (Authelia's Remote-User, authentik's X-authentik-username, ...),
// the refusal of spoofed or aliased identity headers, and the group → profile binding. Pure.

import { isProfileName } from '../hermes/profiles.js'

export interface IdentitySettings {
  /** Lower-case header names; groupsHeader may be null. */
  readonly userHeader: string
  readonly groupsHeader: string | null
  /** Characters that separate groups (`,` for Authelia, `|` for authentik; both by default). */
  readonly separators: string
  /** Group → profiles it may use; `*` means any profile. Null when no binding is configured. */
  readonly groupProfiles: ReadonlyMap<string, readonly string[]> | null
}

export interface Identity {
  readonly user: string
  readonly groups: readonly string[]
}

export type IdentityReading =
  | { readonly kind: 'absent', readonly sent: boolean }
  | { readonly kind: 'present', readonly identity: Identity }
  | { readonly kind: 'spoofed', readonly detail: string }

const MAX_USER_LENGTH = 256
const MAX_GROUPS = 256
const CONTROL = /[\x00-\x1f\x7f]/

/** `Remote_User`, `remote.user` and `REMOTE-USER` all fold to `remote-user`. */
function foldName (name: string): string {
  return name.toLowerCase().replace(/[_.]/g, '-')
}

/**
 * Reads the identity headers of one request. rawHeaders is Node's flat [name, value, ...] list, which
 * keeps every line and the exact spelling; fromTrustedProxy says whether the raw peer may assert anything.
 */
export function readIdentity (settings: IdentitySettings, rawHeaders: readonly string[], fromTrustedProxy: boolean): IdentityReading {
  const wanted = [settings.userHeader, settings.groupsHeader].filter((h): h is string => h !== null)
  const values = new Map<string, string>()
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string
    const folded = foldName(name)
    if (!wanted.includes(folded)) continue
    const lower = name.toLowerCase()
    // Proxies manage the dash spelling only; an alias would slip past them and must never count.
    if (lower !== folded) return { kind: 'spoofed', detail: `identity header sent as "${name}"; only "${folded}" is read` }
    if (values.has(lower)) return { kind: 'spoofed', detail: `identity header "${lower}" sent more than once` }
    if (!fromTrustedProxy) return { kind: 'spoofed', detail: `identity header "${lower}" from a peer that is not a trusted proxy` }
    values.set(lower, rawHeaders[i + 1] as string)
  }
  const user = values.get(settings.userHeader)?.trim()
  // An empty or groups-only header is no identity, but it was sent: it still counts as asserting one.
  if (user === undefined || user === '') return { kind: 'absent', sent: values.size > 0 }
  if (user.length > MAX_USER_LENGTH || CONTROL.test(user)) return { kind: 'spoofed', detail: 'identity header value is too long or has control characters' }
  const groupsText = settings.groupsHeader === null ? undefined : values.get(settings.groupsHeader)
  const groups = groupsText === undefined ? [] : splitGroups(groupsText, settings.separators)
  if (groups.length > MAX_GROUPS) return { kind: 'spoofed', detail: `more than ${MAX_GROUPS} groups` }
  return { kind: 'present', identity: { user, groups } }
}

export function splitGroups (text: string, separators: string): string[] {
  const out: string[] = []
  let current = ''
  for (const ch of text) {
    if (separators.includes(ch)) {
      if (current.trim() !== '') out.push(current.trim())
      current = ''
    } else {
      current += ch
    }
  }
  if (current.trim() !== '') out.push(current.trim())
  return out
}

/** The profiles an identity may use: `'*'` for any, else a set (possibly empty: deny by default). */
export function boundProfiles (settings: IdentitySettings, identity: Identity): '*' | ReadonlySet<string> {
  const allowed = new Set<string>()
  for (const group of identity.groups) {
    for (const profile of settings.groupProfiles?.get(group) ?? []) {
      if (profile === '*') return '*'
      allowed.add(profile)
    }
  }
  return allowed
}

/** Parses `grp=profile,grp2=profile2` (a group may be listed more than once). */
export function parseGroupProfiles (entries: readonly string[]): Map<string, string[]> {
  const map = new Map<string, string[]>()
  for (const entry of entries) {
    const eq = entry.indexOf('=')
    if (eq <= 0 || eq === entry.length - 1) throw new Error(`"${entry}" is not group=profile`)
    const group = entry.slice(0, eq).trim()
    const profile = entry.slice(eq + 1).trim()
    if (profile !== '*' && !isProfileName(profile)) throw new Error(`"${profile}" is not a profile name (or *)`)
    map.set(group, [...(map.get(group) ?? []), profile])
  }
  return map
}

