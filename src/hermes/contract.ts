// src/hermes/contract.ts
// Which Hermes answers the dashboard gives natively. Hermes changes the shapes, parameters and
// profile scoping of its read routes between releases, and its state.db schema with them; a native
// answer is given only for a release this project knows and tests, on the schema that release
// writes. For any other, Hermes' own server answers (backend/). Pure.

/** The read-route contracts this project implements, each with the state.db schema it reads. */
export type Contract = 'v0.13' | 'v0.18'

export const CONTRACTS: Readonly<Record<Contract, { readonly versions: RegExp, readonly schema: number }>> = Object.freeze({
  'v0.13': { versions: /^0\.13\.\d+/, schema: 11 },
  'v0.18': { versions: /^0\.18\.\d+/, schema: 21 },
})

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
  const bySchema = (Object.keys(CONTRACTS) as Contract[]).find((c) => CONTRACTS[c].schema === input.schema) ?? null
  if (input.hermesVersion !== null) {
    const known = (Object.keys(CONTRACTS) as Contract[]).find((c) => CONTRACTS[c].versions.test(input.hermesVersion as string)) ?? null
    if (known === null) return { contract: null, why: `Hermes ${input.hermesVersion} is a release this dashboard does not answer for natively` }
    // A database not (yet) migrated to the release's schema is read by the release itself.
    if (input.schema !== null && input.schema !== CONTRACTS[known].schema) return { contract: null, why: `state.db is at schema ${input.schema}, Hermes ${input.hermesVersion} writes ${CONTRACTS[known].schema}` }
    return { contract: known }
  }
  if (input.backendOff && bySchema !== null) return { contract: bySchema }
  if (input.backendOff && input.schema === null) return { contract: 'v0.18' }
  return { contract: null, why: input.schema === null ? 'the Hermes version is not known yet' : `the Hermes version is not known, and state.db is at schema ${input.schema}` }
}
