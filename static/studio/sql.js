// The SQL editor: CodeMirror with table/column completion, run (selection or
// all), EXPLAIN QUERY PLAN, results built with DOM APIs, error line:column
// selected in the editor, history and snippets. Data goes in via textContent.
(function () {
  "use strict";
  const CM = window.CodeMirror;
  const state = JSON.parse(document.getElementById("sql-editor-state").textContent);
  const results = document.getElementById("sql-results");
  const historyList = document.getElementById("sql-history");
  const snippetList = document.getElementById("sql-snippets");
  const API = "/studio/api/sql";
  const openedBox = document.getElementById("sql-opened");
  const saveButton = document.getElementById("sql-save");
  // The snippet the editor holds ({id, name, sql} as last saved), or null.
  let opened = null;

  function el(tag, props = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props)) {
      if (key === "dataset") Object.assign(node.dataset, value);
      else if (key.startsWith("aria-") || key === "role") node.setAttribute(key, value);
      else node[key] = value;
    }
    node.append(...children);
    return node;
  }

  const view = new CM.EditorView({
    parent: document.getElementById("sql-editor-host"),
    state: CM.EditorState.create({
      doc: state.sql || "",
      extensions: [
        CM.keymap.of([{ key: "Mod-Enter", preventDefault: true, run: () => { run(false); return true; } }]),
        CM.basicSetup,
        CM.sql({ dialect: CM.PostgreSQL, schema: state.schema, upperCaseKeywords: false }),
        CM.placeholder("select * from …"),
        CM.EditorView.contentAttributes.of({ "aria-label": "SQL", "data-testid": "sql-input" }),
        CM.EditorView.updateListener.of((update) => { if (update.docChanged) showOpened(); }),
      ],
    }),
  });

  function currentSql() {
    const sel = view.state.selection.main;
    return sel.empty ? { text: view.state.doc.toString(), base: 0 }
                     : { text: view.state.sliceDoc(sel.from, sel.to), base: sel.from };
  }

  async function run(explain) {
    const { text, base } = currentSql();
    if (!text.trim()) { Studio.toast("Nothing to run.", "error"); return; }
    results.replaceChildren(el("p", { className: "loading", textContent: "Running…" }));
    try {
      const data = await Studio.api(API, { method: "POST", body: { sql: text, explain } });
      showRows(data);
    } catch (error) {
      if (error.data && error.data.error) showError(error.data.error, base);
      else showError({ message: error.message }, base);
    }
    loadHistory();
  }

  function showRows(data) {
    const parts = [];
    const note = el("p", { className: "sql-note", dataset: { testid: "sql-summary" } });
    const statuses = (data.statuses || []).join(" · ");
    if (data.columns.length === 0) {
      note.textContent = `${statuses || "Done"} — ${data.duration_ms} ms`;
      results.replaceChildren(note);
      return;
    }
    note.textContent = data.truncated
      ? `Showing first ${data.rows.length} of ${data.row_count} rows — ${data.duration_ms} ms`
      : `${data.row_count} row${data.row_count === 1 ? "" : "s"} — ${data.duration_ms} ms`;
    parts.push(note);
    const table = el("table", { className: "data", dataset: { testid: "sql-grid" } });
    const head = el("tr");
    for (const name of data.columns) head.append(el("th", { scope: "col", textContent: name }));
    table.append(el("thead", {}, head));
    const body = el("tbody");
    for (const row of data.rows) {
      const tr = el("tr");
      for (const value of row) {
        const td = el("td");
        if (value === null) { td.textContent = "NULL"; td.className = "null"; }
        else if (typeof value === "number") { td.textContent = String(value); td.className = "num"; }
        else if (typeof value === "object") td.textContent = JSON.stringify(value);
        else td.textContent = String(value);
        tr.append(td);
      }
      body.append(tr);
    }
    if (data.rows.length === 0) {
      const td = el("td", { className: "empty", textContent: "No rows." });
      td.colSpan = data.columns.length;
      body.append(el("tr", {}, td));
    }
    table.append(body);
    parts.push(el("div", { className: "sql-results-scroll" }, table));
    results.replaceChildren(...parts);
  }

  // The server places the error in the text it ran; with a selection, that
  // text started at `base`, so line numbers are shifted to the whole editor.
  function showError(error, base) {
    const box = el("div", { className: "sql-error", role: "alert", dataset: { testid: "sql-error" } });
    if (error.line) {
      const from = base + error.start;
      const line = view.state.doc.lineAt(from);
      const where = el("strong", { textContent: `Line ${line.number}:${from - line.from + 1} ` });
      box.append(where);
      view.dispatch({ selection: { anchor: from, head: Math.min(base + error.end, view.state.doc.length) }, scrollIntoView: true });
      view.focus();
    }
    box.append(document.createTextNode(error.message));
    if (error.hint) box.append(el("div", { className: "helptext", textContent: error.hint }));
    results.replaceChildren(box);
  }

  function setSql(text) {
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
    view.focus();
  }

  function open(snippet) {
    opened = snippet ? { id: snippet.id, name: snippet.name, sql: snippet.sql } : null;
    showOpened();
  }

  function showOpened() {
    openedBox.hidden = !opened;
    if (!opened) return;
    const dirty = view.state.doc.toString() !== opened.sql;
    document.getElementById("sql-opened-name").textContent = opened.name;
    document.getElementById("sql-dirty").hidden = !dirty;
    saveButton.disabled = !dirty;
  }

  function listEmpty(list, message) {
    list.replaceChildren(el("li", { className: "empty", textContent: message }));
  }

  async function loadHistory() {
    try {
      const data = await Studio.api(API + "/history");
      if (data.runs.length === 0) return listEmpty(historyList, "No runs yet.");
      historyList.replaceChildren(...data.runs.map((r) => {
        const when = new Date(r.created_at).toLocaleString();
        const opener = el("button", { type: "button", className: "sql-open", textContent: r.sql, title: r.sql, "aria-label": "Open run: " + r.sql.slice(0, 80) });
        opener.addEventListener("click", () => { open(null); setSql(r.sql); history.replaceState(null, "", "?run=" + r.id); });
        const meta = el("div", { className: "meta" + (r.error ? " failed" : "") });
        meta.textContent = `${when} · ${r.error ? "failed" : (r.row_count ?? 0) + " rows"} · ${r.duration_ms} ms${r.explain ? " · explain" : ""}`;
        return el("li", {}, opener, meta);
      }));
    } catch (error) {
      historyList.replaceChildren(el("li", { className: "error", textContent: "Could not load history: " + error.message }));
    }
  }

  async function loadSnippets() {
    try {
      const data = await Studio.api(API + "/snippets");
      // Keep the opened snippet's name current (a rename) or let it go (a delete).
      const id = opened ? opened.id : state.snippet;
      state.snippet = null;
      const current = data.snippets.find((s) => s.id === id);
      if (!current) open(null);
      else if (opened) { opened.name = current.name; showOpened(); }
      else if (current.sql === view.state.doc.toString()) open(current);
      if (data.snippets.length === 0) return listEmpty(snippetList, "No saved snippets.");
      snippetList.replaceChildren(...data.snippets.map(snippetItem));
    } catch (error) {
      snippetList.replaceChildren(el("li", { className: "error", textContent: "Could not load snippets: " + error.message }));
    }
  }

  function snippetItem(s) {
    const opener = el("button", { type: "button", className: "sql-open", textContent: s.name, title: s.sql, "aria-label": "Open snippet " + s.name });
    opener.addEventListener("click", () => { open(s); setSql(s.sql); history.replaceState(null, "", "?snippet=" + s.id); });
    const rename = el("button", { type: "button", textContent: "Rename", "aria-label": "Rename snippet " + s.name });
    const remove = el("button", { type: "button", className: "danger", textContent: "Delete", "aria-label": "Delete snippet " + s.name });
    const item = el("li", {}, opener, el("div", { className: "row" }, rename, remove));
    rename.addEventListener("click", () => {
      const input = el("input", { value: s.name, required: true, maxLength: 200, "aria-label": "New name for " + s.name });
      const form = el("form", { className: "row" }, input, el("button", { type: "submit", textContent: "Save name" }));
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        try {
          await Studio.api(`${API}/snippets?id=${s.id}`, { method: "PATCH", body: { name: input.value } });
          Studio.toast("Snippet renamed.");
          loadSnippets();
        } catch (error) { Studio.toast(errorText(error), "error"); }
      });
      item.append(form);
      input.focus();
    });
    remove.addEventListener("click", async () => {
      if (!(await Studio.confirm(`Delete the snippet “${s.name}”?`, "Delete"))) return;
      try {
        await Studio.api(`${API}/snippets?id=${s.id}`, { method: "DELETE" });
        Studio.toast("Snippet deleted.");
        loadSnippets();
      } catch (error) { Studio.toast(errorText(error), "error"); }
    });
    return item;
  }

  function errorText(error) {
    const data = error.data || {};
    if (data.name) return "Name: " + [].concat(data.name).join(" ");
    return data.message || error.message;
  }

  document.getElementById("sql-save-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = document.getElementById("snippet-name");
    const sql = view.state.doc.toString();
    if (!sql.trim()) { Studio.toast("Write some SQL first.", "error"); return; }
    try {
      const saved = await Studio.api(API + "/snippets", { method: "POST", body: { name: name.value, sql } });
      Studio.toast("Snippet saved.");
      name.value = "";
      open(saved);
      history.replaceState(null, "", "?snippet=" + saved.id);
      loadSnippets();
    } catch (error) { Studio.toast(errorText(error), "error"); }
  });
  saveButton.addEventListener("click", async () => {
    const sql = view.state.doc.toString();
    if (!sql.trim()) { Studio.toast("Write some SQL first.", "error"); return; }
    saveButton.disabled = true;
    try {
      const saved = await Studio.api(`${API}/snippets?id=${opened.id}`, { method: "PATCH", body: { sql } });
      Studio.toast("Snippet saved.");
      open(saved);
      loadSnippets();
    } catch (error) {
      Studio.toast(errorText(error), "error");
      showOpened();
    }
  });
  document.getElementById("sql-run").addEventListener("click", () => run(false));
  document.getElementById("sql-explain").addEventListener("click", () => run(true));
  loadHistory();
  loadSnippets();
})();
