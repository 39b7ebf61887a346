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
  CallQualityChangeEvent,
  CallReconnectEvent,
  CallStateChangeEvent,
  CallSummaryEvent,
  type CallDeviceChangeDetail,
  type CallErrorDetail,
  type CallMediaStateDetail,
  type CallQualityChangeDetail,
  type CallReconnectDetail,
  type CallStateChangeDetail,
  type CallSummaryDetail,
} from './events.js';
export type { DeviceInfo, DeviceKind, DeviceLists } from './core/devices.js';
export type { CaptureState, DeviceChange } from './core/local-media.js';
export { CALL_STATES, CallMachine, type CallReason, type CallState } from './core/call-machine.js';
export { CallSession, type CallSessionConfig, type CallSummary } from './core/call-session.js';
export type { CallQuality, DirectionQuality, QualityReason, QualityReport } from './core/quality-monitor.js';
export { ErrorCode, PROTOCOL_VERSION } from './protocol/protocol.js';
export { callContext, type CallContextValue } from './call-context.js';
export type { CallPath, IceDiagnosticSummary } from './core/ice-diagnostics.js';
export { normalizeIceServersResponse } from './core/ice-server-response.js';
