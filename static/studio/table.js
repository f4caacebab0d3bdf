// The Table editor's grid: one page at a time from /studio/api/tables/<name>/rows,
// with the page's query string (PostgREST grammar + page/per_page/as) as state.
// Every value reaches the DOM through textContent; nothing builds HTML from data.
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("grid-config").textContent);
  const base = "/studio/api/tables/" + encodeURIComponent(config.table);
  const editable = !config.is_view && !config.viewing_as && config.primary_key.length > 0;
  const status = document.getElementById("grid-status");
  const errorBox = document.getElementById("grid-error");
  const pageLabel = document.getElementById("page-label");
  let lastPage = { total: 0, page: 1, per_page: 50 };

  // ------------------------------------------------------------ URL state

  function params() {
    return new URLSearchParams(window.location.search);
  }

  function navigate(next, reload) {
    const query = next.toString();
    const url = window.location.pathname + (query ? "?" + query : "");
    if (reload) {
      window.location.assign(url);
    } else {
      history.pushState(null, "", url);
      load();
    }
  }

  // PostgREST quotes a value inside in.(...) / or=(...) when it has reserved characters.
  function quoteItem(value) {
    const text = String(value);
    if (/^[^,.:()"\\\s]+$/.test(text)) return text;
    return '"' + text.replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';
  }

  // The filter selecting exactly `rows` by primary key.
  function keyFilter(rows) {
    const keys = config.primary_key;
    const query = new URLSearchParams();
    if (keys.length === 1) {
      const values = rows.map((row) => quoteItem(row[keys[0]]));
      query.set(keys[0], rows.length === 1 ? "eq." + rows[0][keys[0]] : "in.(" + values.join(",") + ")");
    } else {
      const terms = rows.map((row) => "and(" + keys.map((k) => k + ".eq." + quoteItem(row[k])).join(",") + ")");
      query.set("or", "(" + terms.join(",") + ")");
    }
    return query;
  }

  // ------------------------------------------------------------ display

  function display(value) {
    if (value === null || value === undefined) return "NULL";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
  }

  function textElement(text, className) {
    const span = document.createElement("span");
    span.textContent = text;
    if (className) span.className = className;
    return span;
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.hidden = !message;
  }

  function errorText(error) {
    const data = error.data || {};
    return [data.code, error.message, data.details, data.hint].filter(Boolean).join(" — ");
  }

  // ------------------------------------------------------------ columns

  function editorFor(column) {
    if (!editable || column.generated) return undefined;
    if (column.fk) return fkEditor(column);
    switch (column.kind) {
      case "boolean": return "tickCross";
      case "integer": case "numeric": return "number";
      case "date": return "date";
      case "time": return "time";
      case "json": case "array": return jsonEditor;
      default: return "input";
    }
  }

  // JSON in a textarea: Ctrl+Enter or leaving saves, invalid JSON is refused
  // on the row and nothing is sent; a blank textarea is NULL.
  function jsonEditor(cell, onRendered, success, cancel) {
    const area = document.createElement("textarea");
    const value = cell.getValue();
    area.value = value === null || value === undefined ? "" : JSON.stringify(value, null, 2);
    area.setAttribute("aria-label", cell.getField() + " (JSON)");
    area.rows = 4;
    area.style.width = "100%";
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const text = area.value.trim();
      if (text === "") { success(null); return; }
      try {
        success(JSON.parse(text));
      } catch (error) {
        markRow(cell.getRow(), `${cell.getField()}: not valid JSON (${error.message})`);
        cancel();
      }
    };
    area.addEventListener("blur", finish);
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); finish(); }
      else if (event.key === "Escape") { done = true; cancel(); }
      event.stopPropagation(); // arrows move the caret, not the grid
    });
    onRendered(() => area.focus());
    return area;
  }

  function fkEditor(column) {
    const target = column.fk;
    return {
      editor: "list",
      params: {
        autocomplete: true,
        filterRemote: true,
        allowEmpty: column.nullable,
        emptyValue: null,
        listOnEmpty: true,
        valuesLookup: async (cell, term) => {
          const query = new URLSearchParams({ per_page: "20" });
          if (term) searchReferenced(query, target, term);
          const url = "/studio/api/tables/" + encodeURIComponent(target.table) + "/rows?" + query;
          try {
            const data = await Studio.api(url);
            return data.rows.map((row) => ({
              value: row[target.column],
              label: display(row[target.column]) + " · " + (target.display ? display(row[target.display]) : summary(row, target.column)),
            }));
          } catch (error) {
            return [];
          }
        },
        itemFormatter: (label) => textElement(label),
      },
    };
  }

  // The picker's search in the /rest/v1 grammar: the key equal to the term,
  // or the display column containing it. A term that cannot be a number is
  // not compared with a numeric key, which would refuse it.
  function searchReferenced(query, target, term) {
    const numeric = ["integer", "numeric"].includes(target.kind);
    const keyTerm = numeric && !/^-?\d+(\.\d+)?$/.test(term) ? null : target.column + ".eq." + quoteItem(term);
    const textTerm = target.display ? target.display + ".ilike." + quoteItem("*" + term + "*") : null;
    if (keyTerm && textTerm) query.set("or", "(" + keyTerm + "," + textTerm + ")");
    else if (textTerm) query.set(target.display, "ilike.*" + term + "*");
    else query.set(target.column, "eq." + term);
  }

  // A referenced row in a few words: its other values, shortened.
  function summary(row, skip) {
    return Object.keys(row).filter((k) => k !== skip).slice(0, 3).map((k) => k + "=" + display(row[k])).join(", ").slice(0, 80);
  }

  function sortState() {
    const order = params().get("order") || "";
    const [column, direction] = order.split(".");
    return { column, direction };
  }

  function columnDefinitions() {
    const sort = sortState();
    return config.columns.map((column) => {
      const editor = editorFor(column);
      const definition = {
        field: column.name,
        headerSort: false,
        titleFormatter: () => {
          const wrap = document.createElement("span");
          wrap.append(textElement(column.name));
          wrap.append(textElement(" " + column.type + (column.pk ? " · key" : "") + (column.fk ? " → " + column.fk.table : ""), "muted small"));
          if (sort.column === column.name) wrap.append(textElement(sort.direction === "desc" ? " ▼" : " ▲"));
          return wrap;
        },
        headerClick: () => toggleSort(column.name),
        formatter: (cell) => {
          const value = cell.getValue();
          if (column.kind === "boolean" && value !== null && value !== undefined) return textElement(value ? "true" : "false");
          return textElement(display(value), value === null || value === undefined ? "muted" : "");
        },
      };
      if (editor && typeof editor === "object") {
        definition.editor = editor.editor;
        definition.editorParams = editor.params;
      } else if (editor) {
        definition.editor = editor;
        if (editor === "tickCross") definition.editorParams = { tristate: column.nullable };
      }
      return definition;
    });
  }

  function toggleSort(name) {
    const next = params();
    const { column, direction } = sortState();
    if (column !== name) next.set("order", name + ".asc");
    else if (direction === "asc") next.set("order", name + ".desc");
    else next.delete("order");
    next.delete("page");
    navigate(next, true);
  }

  // ------------------------------------------------------------ the grid

  const table = new Tabulator("#grid", {
    data: [],
    columns: columnDefinitions(),
    layout: "fitDataStretch",
    maxHeight: "60vh",
    nestedFieldSeparator: false,
    index: config.primary_key.length === 1 ? config.primary_key[0] : "id",
    placeholder: "No rows",
    selectableRange: 1,
    selectableRangeRows: true,
    selectableRangeColumns: false,
    selectableRangeClearCells: false,
    editTriggerEvent: "dblclick",
    rowHeader: { resizable: false, frozen: true, width: 48, hozAlign: "center", formatter: "rownum", headerSort: false },
  });

  let ready = false;
  table.on("tableBuilt", () => { ready = true; load(); });

  async function load() {
    if (!ready) return;
    status.textContent = "Loading…";
    showError("");
    try {
      const data = await Studio.api(base + "/rows" + window.location.search);
      lastPage = data;
      await table.replaceData(data.rows);
      const first = data.total === 0 ? 0 : (data.page - 1) * data.per_page + 1;
      const last = (data.page - 1) * data.per_page + data.rows.length;
      status.textContent = data.total === 0 ? "No rows match." : `Rows ${first}–${last} of ${data.total}`;
      const pages = Math.max(1, Math.ceil(data.total / data.per_page));
      pageLabel.textContent = `Page ${data.page} of ${pages}`;
      document.getElementById("prev-page").disabled = data.page <= 1;
      document.getElementById("next-page").disabled = data.page >= pages;
    } catch (error) {
      status.textContent = "";
      showError(errorText(error));
      table.clearData();
    }
  }

  window.addEventListener("popstate", load);

  function goToPage(page) {
    const next = params();
    if (page <= 1) next.delete("page");
    else next.set("page", String(page));
    navigate(next, false);
  }
  document.getElementById("prev-page").addEventListener("click", () => goToPage(lastPage.page - 1));
  document.getElementById("next-page").addEventListener("click", () => goToPage(lastPage.page + 1));

  // ------------------------------------------------------------ editing

  function markRow(row, message) {
    const element = row.getElement();
    element.classList.toggle("row-error", Boolean(message));
    element.title = message || "";
    row.getCells().forEach((cell) => cell.getElement().classList.toggle("row-error", Boolean(message)));
    showError(message);
  }

  table.on("cellEdited", async (cell) => {
    const column = config.columns.find((c) => c.name === cell.getField());
    const row = cell.getRow();
    let value = cell.getValue();
    if (value === "" && column.kind !== "text") value = null;
    const old = Object.assign({}, row.getData(), { [column.name]: cell.getOldValue() });
    try {
      const result = await Studio.api(base + "/rows?" + keyFilter([old]), { method: "PATCH", body: { [column.name]: value } });
      markRow(row, "");
      if (result.rows.length === 1) row.update(result.rows[0]);
      Studio.toast("Saved " + column.name, "success");
    } catch (error) {
      cell.restoreOldValue();
      markRow(row, errorText(error));
    }
  });

  function selectedRows() {
    const seen = new Set();
    const rows = [];
    table.getRanges().forEach((range) => {
      range.getRows().forEach((row) => {
        const position = row.getPosition();
        if (!seen.has(position)) { seen.add(position); rows.push(row); }
      });
    });
    return rows;
  }

  async function deleteSelected() {
    const rows = selectedRows();
    if (!editable || rows.length === 0) return;
    const noun = rows.length === 1 ? "1 row" : rows.length + " rows";
    if (!(await Studio.confirm(`Delete ${noun} from ${config.table}? This cannot be undone.`, "Delete"))) return;
    try {
      const result = await Studio.api(base + "/rows?" + keyFilter(rows.map((r) => r.getData())), { method: "DELETE" });
      Studio.toast(`Deleted ${result.affected} of ${noun}`, "success");
      load();
    } catch (error) {
      showError(errorText(error));
    }
  }

  const deleteButton = document.getElementById("delete-rows");
  table.on("rangeChanged", () => {
    if (deleteButton) deleteButton.disabled = selectedRows().length === 0;
  });
  if (deleteButton) deleteButton.addEventListener("click", deleteSelected);

  // Keyboard: arrows move the active cell (Tabulator's range selection),
  // Enter edits it, Delete asks to delete the selected rows.
  // Listened for on the document: after an edit, focus leaves the grid.
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    if (target.closest(".tabulator-editing, dialog, form, input, select, textarea, button, a")) return;
    if (!table.getRanges().length) return;
    if (event.key === "Enter") {
      const ranges = table.getRanges();
      const cells = ranges.length ? ranges[0].getCells() : [];
      if (cells.length && cells[0].length && editable) {
        event.preventDefault();
        cells[0][0].edit(true);
      }
    } else if (event.key === "Delete" && editable) {
      event.preventDefault();
      deleteSelected();
    }
  });

  // ------------------------------------------------------------ add a row

  const addButton = document.getElementById("add-row");
  if (addButton) addButton.addEventListener("click", openAddDialog);

  function inputFor(column, id) {
    let input;
    if (column.kind === "boolean") {
      input = document.createElement("select");
      [["", "default / NULL"], ["true", "true"], ["false", "false"]].forEach(([value, label]) => {
        const option = document.createElement("option");
        option.value = value;
        option.textContent = label;
        input.append(option);
      });
    } else if (column.kind === "json" || column.kind === "array") {
      input = document.createElement("textarea");
      input.rows = 3;
    } else {
      input = document.createElement("input");
      input.type = { integer: "number", numeric: "number", date: "date", time: "time" }[column.kind] || "text";
      if (column.kind === "numeric") input.step = "any";
    }
    input.id = id;
    input.name = column.name;
    return input;
  }

  function openAddDialog() {
    const dialog = document.createElement("dialog");
    dialog.className = "confirm add-row";
    dialog.setAttribute("aria-label", "Add row");
    const form = document.createElement("form");
    form.className = "stack";
    form.append(textElement("Add a row to " + config.table, "heading"));
    const writable = config.columns.filter((c) => !c.generated);
    writable.forEach((column, i) => {
      const id = "add-field-" + i;
      const label = document.createElement("label");
      label.htmlFor = id;
      label.textContent = column.name;
      const hint = textElement(column.type + (column.nullable ? "" : ", required") + (column.has_default ? ", blank for default" : "") + (column.fk ? ", references " + column.fk.table + "." + column.fk.column : ""), "helptext");
      form.append(label, inputFor(column, id), hint);
    });
    const error = document.createElement("p");
    error.className = "error";
    error.setAttribute("role", "alert");
    const buttons = document.createElement("div");
    buttons.className = "buttons";
    const cancel = document.createElement("button");
    cancel.type = "button";
    cancel.textContent = "Cancel";
    const save = document.createElement("button");
    save.type = "submit";
    save.className = "primary";
    save.textContent = "Save row";
    buttons.append(cancel, save);
    form.append(error, buttons);
    dialog.append(form);
    document.body.append(dialog);
    const close = () => { dialog.close(); dialog.remove(); };
    cancel.addEventListener("click", close);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const body = {};
      for (const column of writable) {
        const raw = form.elements[column.name].value;
        if (raw === "") continue; // the column's default (or NULL)
        if (column.kind === "boolean") body[column.name] = raw === "true";
        else if (column.kind === "integer" || column.kind === "numeric") body[column.name] = Number(raw);
        else if (column.kind === "json" || column.kind === "array") {
          try { body[column.name] = JSON.parse(raw); } catch (e) { error.textContent = `${column.name}: not valid JSON (${e.message})`; return; }
        } else body[column.name] = raw;
      }
      try {
        await Studio.api(base + "/rows", { method: "POST", body });
        close();
        Studio.toast("Row added", "success");
        load();
      } catch (e) {
        error.textContent = errorText(e);
      }
    });
    dialog.showModal();
    const first = form.querySelector("input, select, textarea");
    if (first) first.focus();
  }

  // ------------------------------------------------------------ filters

  const filterForm = document.getElementById("filter-form");
  filterForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const column = document.getElementById("filter-column").value;
    const operator = document.getElementById("filter-operator").value;
    const negate = document.getElementById("filter-negate").checked;
    const value = document.getElementById("filter-value").value;
    const next = params();
    next.append(column, (negate ? "not." : "") + operator + "." + value);
    next.delete("page");
    navigate(next, true);
  });

  document.querySelectorAll("[data-remove-filter]").forEach((button) => {
    button.addEventListener("click", () => {
      const current = Array.from(params().entries());
      const filters = current.filter(([k]) => !["order", "select", "page", "per_page", "as", "limit", "offset"].includes(k));
      const drop = filters[Number(button.dataset.removeFilter)];
      const next = new URLSearchParams();
      let dropped = false;
      current.forEach(([k, v]) => {
        if (!dropped && drop && k === drop[0] && v === drop[1]) { dropped = true; return; }
        if (k !== "page") next.append(k, v);
      });
      navigate(next, true);
    });
  });

  // ------------------------------------------------------------ view as

  const viewAs = document.getElementById("view-as");
  viewAs.addEventListener("change", () => {
    const next = params();
    if (viewAs.value) next.set("as", viewAs.value); else next.delete("as");
    next.delete("page");
    navigate(next, true);
  });

  const userInput = document.getElementById("view-as-user");
  const userList = document.getElementById("view-as-users");
  function viewAsUser(users) {
    const match = users.find((u) => u.email === userInput.value);
    if (!match) return false;
    const next = params();
    next.set("as", match.id);
    next.delete("page");
    navigate(next, true);
    return true;
  }

  // Suggestions come from the server; an exact email (typed or picked) switches.
  userInput.addEventListener("input", async () => {
    try {
      const data = await Studio.api("/studio/api/app-users/?search=" + encodeURIComponent(userInput.value));
      if (viewAsUser(data.users)) return;
      userList.replaceChildren(...data.users.map((u) => { const o = document.createElement("option"); o.value = u.email; return o; }));
    } catch (error) {
      showError(errorText(error));
    }
  });

  // ------------------------------------------------------------ export

  document.querySelectorAll("[data-export]").forEach((link) => {
    const query = params();
    query.delete("page");
    query.delete("per_page");
    const search = query.toString();
    link.href = base + "/export." + link.dataset.export + (search ? "?" + search : "");
  });

  // ------------------------------------------------------------ CSV import

  // RFC 4180 records, each with the line it starts on (1-based).
  function parseCsv(text) {
    const records = [];
    let record = [], field = "", quoted = false, line = 1, start = 1, i = 0;
    const endField = () => { record.push(field); field = ""; };
    const endRecord = () => { endField(); records.push({ line: start, values: record }); record = []; };
    while (i < text.length) {
      const ch = text[i];
      if (quoted) {
        if (ch === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue; }
        if (ch === '"') { quoted = false; i += 1; continue; }
        if (ch === "\n") line += 1;
        field += ch; i += 1; continue;
      }
      if (ch === '"' && field === "") { quoted = true; i += 1; continue; }
      if (ch === ",") { endField(); i += 1; continue; }
      if (ch === "\r" && text[i + 1] === "\n") { i += 1; continue; }
      if (ch === "\n") { endRecord(); line += 1; start = line; i += 1; continue; }
      field += ch; i += 1;
    }
    if (field !== "" || record.length) endRecord();
    return records.filter((r) => !(r.values.length === 1 && r.values[0] === ""));
  }

  const importInput = document.getElementById("import-file");
  if (importInput) importInput.addEventListener("change", async () => {
    const file = importInput.files[0];
    if (!file) return;
    const records = parseCsv(await file.text());
    importInput.value = "";
    if (records.length < 1) { showError("The CSV file is empty."); return; }
    const header = records[0].values;
    const data = records.slice(1);
    const panel = document.getElementById("import-progress");
    const bar = document.getElementById("import-bar");
    const summaryText = document.getElementById("import-summary");
    const errorTable = document.getElementById("import-errors");
    const errorBody = errorTable.querySelector("tbody");
    panel.hidden = false;
    errorBody.replaceChildren();
    errorTable.hidden = true;
    bar.max = Math.max(1, data.length);
    bar.value = 0;
    let inserted = 0, failed = 0;
    const chunk = 500;
    for (let at = 0; at < data.length; at += chunk) {
      const part = data.slice(at, at + chunk);
      // Rows are sent one JSON object each; a blank cell is NULL (or the default).
      const rows = part.map((r) => Object.fromEntries(header.map((name, k) => [name, r.values[k] === "" || r.values[k] === undefined ? null : r.values[k]])));
      const lines = part.map((r) => r.line);
      try {
        const result = await Studio.api(base + "/import", { method: "POST", body: { rows, first_line: 0 } });
        inserted += result.inserted;
        result.errors.forEach((e) => {
          failed += 1;
          const tr = document.createElement("tr");
          const td1 = document.createElement("td");
          td1.textContent = String(lines[e.index]);
          const td2 = document.createElement("td");
          td2.textContent = e.code + " — " + e.message;
          tr.append(td1, td2);
          errorBody.append(tr);
        });
      } catch (error) {
        failed += part.length;
        showError(errorText(error));
      }
      bar.value = Math.min(data.length, at + part.length);
      summaryText.textContent = `${inserted} imported, ${failed} failed, of ${data.length} rows`;
    }
    errorTable.hidden = failed === 0;
    Studio.toast(`Import finished: ${inserted} rows imported, ${failed} failed`, failed ? "error" : "success");
    load();
  });
})();
