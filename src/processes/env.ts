// src/processes/env.ts
// The environment of every program the dashboard starts: its own, without the dashboard's secret,
// plus what that program needs.

/** No dashboard secret, and nothing that would make a child think it is the gateway. */
export function childEnv (env: Readonly<Record<string, string | undefined>>, extra: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v
  delete out.HERMES_DASHBOARD_SESSION_TOKEN
  delete out.HERMES_DASHBOARD_BACKEND_TOKEN
  delete out._HERMES_GATEWAY
  return Object.assign(out, extra)
}
