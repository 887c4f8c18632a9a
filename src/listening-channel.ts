// src/listening-channel.ts
// The name of the diagnostics channel on which the command line says, once, that its server
// listens. The launcher (src/launcher.ts) writes its code cache then: by that time the functions a
// start compiles have been compiled, and a command that only prints (--version, --help, doctor)
// never gets there. A channel, not an import: the launcher and the command line are two bundles,
// each with its own copy of every module, and diagnostics channels are shared by name.

export const LISTENING_CHANNEL = 'hermes-dashboard:listening'
