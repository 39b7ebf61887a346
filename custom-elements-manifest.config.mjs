// package.json names the manifest already ("customElements"); the analyzer must not rewrite it (the manifest
// test analyzes into a scratch folder, and would point package.json there).
export default {
  packagejson: false,
  plugins: [
    {
      // Lit's internal reactive state (`_menuOpen: { state: true }` in `static properties`) has no attribute,
      // but the analyzer reads every entry of `static properties` as one; members and attributes named `_…`
      // are not part of the element's surface, so the manifest leaves them out.
      name: 'call-widget:no-internal-members',
      packageLinkPhase({ customElementsManifest }) {
        const internal = (item) => item.name?.startsWith('_');
        for (const module of customElementsManifest.modules ?? []) {
          for (const declaration of module.declarations ?? []) {
            if (declaration.attributes) declaration.attributes = declaration.attributes.filter((a) => !internal(a));
            if (declaration.members) declaration.members = declaration.members.filter((m) => !internal(m));
          }
        }
      },
    },
  ],
};
