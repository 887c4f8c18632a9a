// src/hermes/contract.ts
// Which Hermes answers the dashboard gives natively. Hermes changes the shapes, parameters and
// profile scoping of its read routes between releases, and its state.db schema with them; a native
// answer is given only for a release this project knows and tests, on the schema that release
// writes. For any other, Hermes' own server answers (backend/). Pure.

/** The read-route contracts this project implements, each with the state.db schema it reads. */
export type Contract = 'v0.13' | 'v0.18'

export interface ContractSpec {
  readonly versions: RegExp
  readonly schema: number
  /** Its own config.yaml schema version (DEFAULT_CONFIG's `_config_version`), as /api/status reports it. */
  readonly configVersion: number
  /** A config.yaml without `_config_version` is reported as 0 (read as written), not as up to date. */
  readonly absentConfigVersionIsLegacy: boolean
  /** The fields of its /api/status, in its order (the dashboard's own `dashboard` comes last). */
  readonly statusKeys: readonly string[]
}

const GATEWAY_KEYS = ['gateway_platforms', 'gateway_exit_reason', 'gateway_updated_at'] as const
const HOST_KEYS = ['hermes_home', 'config_path', 'env_path'] as const

export const CONTRACTS: Readonly<Record<Contract, ContractSpec>> = Object.freeze({
  'v0.13': {
    versions: /^0\.13\.\d+/, schema: 11, configVersion: 23, absentConfigVersionIsLegacy: false,
    statusKeys: ['version', 'release_date', ...HOST_KEYS, 'config_version', 'latest_config_version', 'gateway_running', 'gateway_pid',
      'gateway_health_url', 'gateway_state', ...GATEWAY_KEYS, 'active_sessions'],
  },
  'v0.18': {
    versions: /^0\.18\.\d+/, schema: 21, configVersion: 33, absentConfigVersionIsLegacy: true,
    statusKeys: ['version', 'release_date', 'config_version', 'latest_config_version', 'can_update_hermes', 'gateway_running', 'gateway_state',
      ...GATEWAY_KEYS, 'active_agents', 'gateway_busy', 'gateway_drainable', 'restart_drain_timeout', 'active_sessions', 'auth_required',
      'auth_providers', 'nous_session_valid', 'profiles', 'gateway_mode', ...HOST_KEYS, 'gateway_pid', 'gateway_health_url', 'gateways'],
  },
})

/** The contract of a Hermes version, or null for a release this project does not know. */
export function contractOf (version: string): Contract | null {
  return (Object.keys(CONTRACTS) as Contract[]).find((c) => CONTRACTS[c].versions.test(version)) ?? null
}

/** The contract whose release writes this state.db schema, or null for another schema. */
export function contractOfSchema (schema: number | null): Contract | null {
  return (Object.keys(CONTRACTS) as Contract[]).find((c) => CONTRACTS[c].schema === schema) ?? null
}

export interface ContractInput {
  /** Hermes' version (`hermes version`, or its server's /api/status); null when not known. */
  readonly hermesVersion: string | null
  /** schema_version of the profile's state.db; null without one. */
  readonly schema: number | null
  /** No Hermes server runs behind the dashboard: nobody else could answer. */
  readonly backendOff: boolean
}

export type ContractChoice =
  | { readonly contract: Contract }
  /** Forward to Hermes' own server (or, with none, say why nothing answers). */
  | { readonly contract: null, readonly why: string }

/**
 * The contract to answer with: the known release of the installed Hermes, when its state.db has
 * that release's schema. With no Hermes server behind (a container of the dashboard alone) and no
 * version to go by, the schema alone decides, since nobody else could answer.
 */
export function chooseContract (input: ContractInput): ContractChoice {
  const bySchema = contractOfSchema(input.schema)
  if (input.hermesVersion !== null) {
    const known = contractOf(input.hermesVersion)
    if (known === null) return { contract: null, why: `Hermes ${input.hermesVersion} is a release this dashboard does not answer for natively` }
    // A database not (yet) migrated to the release's schema is read by the release itself.
    if (input.schema !== null && input.schema !== CONTRACTS[known].schema) return { contract: null, why: `state.db is at schema ${input.schema}, Hermes ${input.hermesVersion} writes ${CONTRACTS[known].schema}` }
    return { contract: known }
  }
  if (input.backendOff && bySchema !== null) return { contract: bySchema }
  if (input.backendOff && input.schema === null) return { contract: 'v0.18' }
  return { contract: null, why: input.schema === null ? 'the Hermes version is not known yet' : `the Hermes version is not known, and state.db is at schema ${input.schema}` }
}
