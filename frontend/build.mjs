// Build the Studio's vendored browser libraries into ../static/vendor from the
// pinned npm packages: CodeMirror bundled by esbuild, Tabulator copied. Source-map comments are dropped: the maps are not shipped, and
// Django's manifest storage would refuse a reference to a missing file.
import { build } from "esbuild";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, "..", "static", "vendor");
mkdirSync(out, { recursive: true });

const withoutSourceMap = (text) =>
  text.replace(/\n?\/[/*][#@] sourceMappingURL=[^\n]*\n?/g, "\n");

function copy(from, to) {
  const text = readFileSync(join(here, "node_modules", from), "utf8");
  writeFileSync(join(out, to), withoutSourceMap(text));
}

const version = (name) =>
  JSON.parse(readFileSync(join(here, "node_modules", name, "package.json"), "utf8")).version;

await build({
  entryPoints: [join(here, "src", "codemirror.js")],
  bundle: true,
  minify: true,
  format: "iife",
  globalName: "CodeMirror",
  outfile: join(out, "codemirror.js"),
  legalComments: "eof",
});
copy("tabulator-tables/dist/js/tabulator.min.js", "tabulator.min.js");
copy("tabulator-tables/dist/css/tabulator.min.css", "tabulator.min.css");
// GraphiQL's own browser build, on React's UMD builds (the Studio's GraphQL page).
copy("react/umd/react.production.min.js", "react.production.min.js");
copy("react-dom/umd/react-dom.production.min.js", "react-dom.production.min.js");
copy("graphiql/graphiql.min.js", "graphiql.min.js");
copy("graphiql/graphiql.min.css", "graphiql.min.css");

const versions = {
  codemirror: version("codemirror"),
  "@codemirror/lang-sql": version("@codemirror/lang-sql"),
  "@codemirror/lang-javascript": version("@codemirror/lang-javascript"),
  "tabulator-tables": version("tabulator-tables"),
  graphiql: version("graphiql"),
  react: version("react"),
  "react-dom": version("react-dom"),
};
writeFileSync(
  join(out, "VERSIONS.txt"),
  Object.entries(versions).map(([n, v]) => `${n} ${v} (MIT)`).join("\n") + "\n",
);
console.log("static/vendor:", Object.entries(versions).map(([n, v]) => `${n}@${v}`).join(", "));
