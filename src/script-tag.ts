/**
 * The script-tag bundle's entry (`dist/call-widget.js`, vite.config.ts): defines `<call-widget>` and exports
 * nothing, so that the bundle carries no export list, nor what only an export would keep. A page reaches the
 * element's class as `customElements.get('call-widget')`; npm users import the package (src/index.ts, built
 * as modules into `dist/lib/` that leave Lit and socket.io-client to their bundler).
 */
import './call-widget.js';
