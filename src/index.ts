/**
 * The package entry (`import 'call-widget'`, built into `dist/lib/`): importing it defines `<call-widget>`.
 * The framework-free core is exported too, for pages that want the call logic without the element. The
 * script-tag bundle has its own entry, which exports nothing (src/script-tag.ts).
 */
export { CallWidget } from './call-widget.js';
export {
  CallDeviceChangeEvent,
  CallErrorEvent,
  CallMediaStateEvent,
  CallReconnectEvent,
  CallStateChangeEvent,
  type CallDeviceChangeDetail,
  type CallErrorDetail,
  type CallMediaStateDetail,
  type CallReconnectDetail,
  type CallStateChangeDetail,
} from './events.js';
export type { DeviceInfo, DeviceKind, DeviceLists } from './core/devices.js';
export type { CaptureState, DeviceChange } from './core/local-media.js';
export { CALL_STATES, CallMachine, type CallReason, type CallState } from './core/call-machine.js';
export { CallSession, type CallSessionConfig } from './core/call-session.js';
export { ErrorCode, PROTOCOL_VERSION } from './protocol/protocol.js';
export { callContext, type CallContextValue } from './call-context.js';
export type { CallPath, IceDiagnosticSummary } from './core/ice-diagnostics.js';
export { normalizeIceServersResponse } from './core/ice-server-response.js';
