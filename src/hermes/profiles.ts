// src/hermes/profiles.ts
// Hermes profile names. `default` is HERMES_HOME itself; a named profile lives in
// HERMES_HOME/profiles/<name> (the home door, home.ts, opens it).

/** Hermes profile names: lower-case letters, digits, `_` and `-`, starting with a letter or digit. */
export function isProfileName (name: string): boolean {
  return /^[a-z0-9][a-z0-9_-]{0,63}$/.test(name)
}
