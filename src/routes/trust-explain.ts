// src/routes/trust-explain.ts
// GET /api/trust/explain: how the server saw this very request: peer, proxy, forwarded chain, host
// and origin verdicts, base path, which credentials were offered (never their values), identity, and
// what a protected REST call and a WebSocket with the same headers would get.

import type { FastifyInstance } from 'fastify'
import { ERRORS } from '../errors.js'
import type { RequestView } from '../trust/inspect.js'
import { PROTECTED, type TrustPolicy, type Verdict } from '../trust/policy.js'
import type { TrustSettings } from '../trust/settings.js'

interface Opts {
  readonly policy: TrustPolicy
  readonly settings: TrustSettings
}

function verdictJson (v: Verdict): Record<string, unknown> {
  if (v.allow) return { allow: true, via: v.via }
  const spec = ERRORS[v.code]
  return { allow: false, reason: spec.reason, code: v.code, status: spec.status, close_code: spec.close, detail: v.detail, hint: v.hint }
}

/** Plain sentences for people (the built-in page shows them). */
export function summarize (view: RequestView, mode: string, protectedVerdict: Verdict): string[] {
  const out: string[] = [`The dashboard runs in ${mode} mode.`]
  if (view.peerIsTrustedProxy) {
    out.push(`The connection came from ${view.peer}, a trusted proxy.`)
    if (view.forwarded.read) {
      out.push(view.forwarded.chosen === -1
        ? 'The proxy forwarded no client address, so the proxy itself counts as the client.'
        : `It forwarded the chain ${view.forwarded.hops.join(' → ')}; the client is ${view.client}.`)
    }
  } else {
    out.push(`The connection came from ${view.peer}${view.peerIsLoopback ? ' (this host)' : ''}, which is not a trusted proxy, so forwarded headers are not read.`)
    if (view.forwarded.sent.length > 0) out.push(`Ignored: ${view.forwarded.sent.join(', ')}. If ${view.peer} is your proxy, add it to --trusted-proxies.`)
  }
  out.push(`Seen as ${view.scheme}://${view.forwardedHost?.raw ?? view.host?.raw ?? '?'}${view.basePath}/.`)
  const offered = Object.entries(view.credentials).filter(([k, s]) => k !== 'ignoredAuthorization' && s !== 'absent').map(([k, s]) => `${k} (${String(s)})`)
  out.push(offered.length === 0 ? 'No credential was offered.' : `Credentials offered: ${offered.join(', ')}.`)
  if (view.credentials.ignoredAuthorization !== null) out.push(`Authorization: ${view.credentials.ignoredAuthorization} belongs to the proxy and is ignored.`)
  if (view.identity !== null) out.push(`The proxy says the user is ${view.identity.user}${view.identity.groups.length > 0 ? ` (groups: ${view.identity.groups.join(', ')})` : ''}.`)
  out.push(protectedVerdict.allow
    ? `A protected request like this one is allowed (${protectedVerdict.via}).`
    : `A protected request like this one is refused: ${ERRORS[protectedVerdict.code].reason}. ${protectedVerdict.hint}`)
  return out
}

export async function trustExplainRoutes (fastify: FastifyInstance, opts: Opts): Promise<void> {
  const { policy, settings } = opts
  fastify.get('/api/trust/explain', { config: { access: 'diagnostic' } }, async (request, reply) => {
    const { view, verdict } = request.trust
    const restVerdict = policy.evaluate({ ...view, upgrade: false, method: 'GET' }, PROTECTED)
    const wsVerdict = policy.evaluate({ ...view, upgrade: true, method: 'GET' }, { access: 'protected', queryToken: true })
    reply.header('cache-control', 'no-store')
    return {
      mode: policy.mode,
      request: { method: view.method, path: view.path, upgrade: view.upgrade, scheme: view.scheme },
      peer: { address: view.peer, loopback: view.peerIsLoopback, trusted_proxy: view.peerIsTrustedProxy },
      forwarded: {
        family: view.forwarded.family,
        sent: view.forwarded.sent,
        read: view.forwarded.read,
        ignored: view.forwarded.ignored,
        used: view.forwarded.used,
        hops: view.forwarded.hops,
        chosen_hop: view.forwarded.chosen,
        prefix: view.forwarded.prefix,
      },
      client: view.client,
      host: view.host,
      forwarded_host: view.forwardedHost,
      origin: view.origin,
      sec_fetch_site: view.fetchSite,
      base_path: view.basePath,
      credentials: view.credentials,
      identity: view.identity,
      profile: { named: view.profile, decided: request.trust.profile },
      problems: view.problems.map((p) => ({ reason: ERRORS[p.code].reason, code: p.code, detail: p.detail, hint: p.hint })),
      verdicts: { this_request: verdictJson(verdict), protected_rest: verdictJson(restVerdict), websocket: verdictJson(wsVerdict) },
      settings: {
        trusted_proxies: settings.proxies.entries,
        allowed_hosts: settings.hosts.names,
        forwarded: settings.forwarded,
        auth_header: settings.identity?.userHeader ?? null,
        groups_header: settings.identity?.groupsHeader ?? null,
      },
      summary: summarize(view, policy.mode, restVerdict),
    }
  })
}
