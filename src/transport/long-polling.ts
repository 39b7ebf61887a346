/**
 * Engine.IO's long-polling transport over `fetch()`, for where WebSocket is blocked (a proxy that resets
 * upgrades). A file of its own beside the bundle, `call-widget-long-polling.js`, built apart with everything it
 * needs inside (build/on-demand.ts, builtApart): most visitors' WebSocket connects and they never load it.
 */
export { Fetch as LongPolling } from 'engine.io-client';
