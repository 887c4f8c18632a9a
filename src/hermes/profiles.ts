// src/hermes/profiles.ts
// Hermes profiles: `default` is HERMES_HOME itself, a named one lives in HERMES_HOME/profiles/<name>.

import { statSync } from 'node:fs'
import { join } from 'node:path'
import { DashboardError } from '../errors.js'
import { isProfileName } from '../trust/identity.js'

export interface Profile {
  /** `default`, or the profile's name. */
  readonly name: string
  readonly home: string
  readonly isDefault: boolean
}

/** `''`, `current` and `default` name the dashboard's own home, as in Hermes. */
export function resolveProfile (hermesHome: string, requested: string | undefined): Profile {
  const name = requested ?? ''
  if (name === '' || name === 'current' || name === 'default') return { name: 'default', home: hermesHome, isDefault: true }
  if (!isProfileName(name)) {
    throw new DashboardError('HD_ERR_PROFILE_INVALID', `"${name.slice(0, 64)}" is not a profile name`, 'Profile names are lower-case letters, digits, _ and -.')
  }
  const home = join(hermesHome, 'profiles', name)
  let isDir = false
  try {
    isDir = statSync(home).isDirectory()
  } catch {}
  if (!isDir) throw new DashboardError('HD_ERR_PROFILE_NOT_FOUND', `Profile '${name}' does not exist.`, `Create it with: hermes profile create ${name}`)
  return { name, home, isDefault: false }
}
