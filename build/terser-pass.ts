/** terser's pass over the built chunks: compression, and the renaming of members (build/member-names.ts). */
import { minify as terser } from 'terser';
import type { Plugin } from 'vite';
import { MANGLED, QUOTED, type NameCache } from './member-names.js';

/** The members terser renames: the `_likeThis` ones and ours that never leave the bundle. */
const renamed = (names: NameCache) => new RegExp(`${MANGLED.source}|^(${names.internal.join('|') || '(?!)'})$`);

/**
 * terser over each chunk once the bundler's own minifier (oxc) is done (`generateBundle`), for two things:
 *
 * - Another compression pass: together they find more (conditions and returns to merge) than oxc alone, and
 *   terser drops what oxc leaves of unused valibot schemas (their arguments, as oxc keeps a call's arguments
 *   that are calls themselves): 0.2 KB gzip.
 * - The members named `_likeThis` renamed (MANGLED, QUOTED). oxc can rename members only in a build of one
 *   chunk, and the widget has parts it loads on demand whose code reads members of objects made by the bundle
 *   (long-polling reads its socket's `_cookieJar`); one name cache for the bundle, its chunks and the parts
 *   built apart (`names`, emptied when a build starts) gives a member the same short name in each.
 *
 * terser composes its source map with the chunk's, so dist's map still points at src/.
 */

export function compressAgain(names: NameCache): Plugin {
  return {
    name: 'call-widget:compress-again',
    apply: 'build',
    async generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        // The chunk's source map: an asset beside it by now when the build writes files, on the chunk otherwise.
        const asset = bundle[`${chunk.fileName}.map`];
        const map = asset?.type === 'asset' ? String(asset.source) : chunk.map?.toString();
        const result = await terser(chunk.code, {
          module: true,
          ecma: 2020,
          // `unsafe_arrows`: a function expression that reads neither `this` nor `arguments` becomes an arrow (34 B
          // gzip, mostly functions inlined as IIFEs and listener callbacks). Unsafe only for one that is called with
          // `new` or has its `prototype` read; the packages' constructors are declarations, which it leaves alone.
          compress: { passes: 2, unsafe_arrows: true },
          mangle: { properties: { regex: renamed(names), reserved: QUOTED } },
          nameCache: names.cache,
          format: { comments: /^!/ },
          sourceMap: map ? { content: map, url: `${chunk.fileName}.map` } : false,
        });
        chunk.code = result.code!;
        if (!result.map) continue;
        const composed = typeof result.map === 'string' ? result.map : JSON.stringify(result.map);
        if (asset?.type === 'asset') asset.source = composed;
        else if (chunk.map) Object.assign(chunk.map, JSON.parse(composed) as object);
      }
    },
  };
}
