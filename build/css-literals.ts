/** Our `css` templates as the one string each holds, so that Lit's `css` tag stays out of the bundle. */
import MagicString from 'magic-string';
import { parseSync, Visitor, type Plugin } from 'vite';

/**
 * A `css` template without `${}` values is, to Lit, the CSSResult of its one string: the tag's work (checking
 * each value is a CSSResult or a number, with a long error message for the rest) is for the values alone. In
 * src/ every one is such a literal (call-widget.styles.ts), written as `css` for the editor's highlighting, the
 * lint and Lit's minifier (minifyHTMLLiterals, which runs before this and looks for the tag), and served to Lit
 * here as `unsafeCSS` of that same string: no longer "unsafe" than the literal was, since it is the literal.
 * The tag's code then drops out of the bundle (0.1 KB gzip). A template with values keeps its tag.
 *
 * Lit caches the stylesheet of a `css` result by its template and that of an `unsafeCSS` result on the result
 * itself; our styles are module constants, made once, so each is one stylesheet either way.
 */
export function cssLiteralsAsStrings(): Plugin {
  return {
    name: 'call-widget:css-literals-as-strings',
    apply: 'build',
    transform(code, id) {
      const file = id.split('?')[0]!;
      if (!/[\\/]src[\\/].*\.ts$/.test(file) || !code.includes('css`')) return null;
      const out = new MagicString(code);
      let replaced = 0;
      new Visitor({
        TaggedTemplateExpression: (node) => {
          if (node.tag.type !== 'Identifier' || node.tag.name !== 'css' || node.quasi.expressions.length > 0) return;
          const text = node.quasi.quasis[0]!.value.cooked;
          if (text === null || text === undefined) return;
          out.overwrite(node.start, node.end, `__unsafeCSS(${JSON.stringify(text)})`);
          replaced++;
        },
      }).visit(parseSync(file, code).program);
      if (replaced === 0) return null;
      out.prepend(`import { unsafeCSS as __unsafeCSS } from 'lit';\n`);
      return { code: out.toString(), map: out.generateMap({ hires: true, source: file }) };
    },
  };
}
