// The parts of CodeMirror 6 the Studio uses, as one global: window.CodeMirror.
export { EditorView, keymap, placeholder } from "@codemirror/view";
export { EditorState, Compartment } from "@codemirror/state";
export { basicSetup } from "codemirror";
export { sql, SQLite, PostgreSQL } from "@codemirror/lang-sql";
export { javascript } from "@codemirror/lang-javascript";
export { autocompletion } from "@codemirror/autocomplete";
