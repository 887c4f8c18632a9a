// src/index.ts
// The package's public entry: the app factory, the plugin, configuration loading and the trust types.

export { createDashboard, dashboardPlugin, VERSION, type CreateOptions, type DashboardOptions, type DashboardPluginOptions } from './app.js'
export { loadConfig, ConfigError, type Config, type ConfigSources } from './config/load.js'
export { DashboardError, ERRORS, type ErrorCode } from './errors.js'
export { inspect, type RawRequest, type RequestView } from './trust/inspect.js'
export { builtInPolicy, PROTECTED, PUBLIC, type Access, type Allow, type Deny, type RouteTrust, type TrustPolicy, type Verdict } from './trust/policy.js'
export { compileTrustSettings, type TrustMode, type TrustSettings } from './trust/settings.js'
