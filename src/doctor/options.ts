// src/doctor/options.ts
// The flags of `hermes-dashboard doctor` (node:util parseArgs options), in one place: the command
// line parses them, and the docs test checks that the docs name no other.

export const DOCTOR_OPTIONS = {
  token: { type: 'string' },
  user: { type: 'string' },
  header: { type: 'string', multiple: true },
  'insecure-tls': { type: 'boolean' },
  timeout: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const
