// package.json names the manifest already ("customElements"); the analyzer must not rewrite it (the manifest
// test analyzes into a scratch folder, and would point package.json there).
export default { packagejson: false };
