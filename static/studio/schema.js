// The schema editor: every form is one operation sent to the server, which
// builds the DDL; the SQL is shown before it runs, and can be saved as a
// migration. Data reaches the page through textContent and json_script only.
(function () {
  "use strict";
  const state = JSON.parse(document.getElementById("schema-state").textContent);
  const preview = document.getElementById("schema-preview");
  const previewSql = document.getElementById("preview-sql");
  const previewError = document.getElementById("preview-error");
  const rowTemplate = document.getElementById("column-row");
  const DESTRUCTIVE = new Set(["drop_table", "drop_column", "drop_index"]);
  let pending = null; // the operation whose SQL is shown

  function options(select, values) {
    for (const value of values) {
      const option = document.createElement("option");
      option.value = value;
      option.textContent = value;
      select.append(option);
    }
  }

  function addColumnRow(container) {
    const row = rowTemplate.content.firstElementChild.cloneNode(true);
    options(row.querySelector("[name=type]"), state.types);
    options(row.querySelector("[name=default_expression]"), state.default_expressions);
    options(row.querySelector("[name=ref_table]"), ["auth.users", ...Object.keys(state.tables)]);
    options(row.querySelector("[name=on_delete]"), state.on_delete);
    const number = container.children.length + 1;
    row.querySelector("legend").textContent = "Column " + number;
    row.setAttribute("aria-label", "Column " + number);
    const remove = row.querySelector(".remove-column");
    if (container.dataset.single) remove.remove();
    else remove.addEventListener("click", () => { if (container.children.length > 1) row.remove(); });
    container.append(row);
    return row;
  }

  function columnOf(row) {
    const get = (name) => row.querySelector(`[name=${name}]`);
    const column = {
      name: get("name").value,
      type: get("type").value,
      nullable: get("nullable").checked,
      unique: get("unique").checked,
      primary_key: get("primary_key").checked,
      default_value: get("default_value").value || null,
      default_expression: get("default_expression").value || null,
      check: get("check").value || null,
      references: null,
    };
    if (get("ref_table").value) {
      column.references = { table: get("ref_table").value, column: get("ref_column").value || "id", on_delete: get("on_delete").value };
    }
    return column;
  }

  function operationOf(form) {
    const op = { action: form.dataset.action };
    for (const input of form.querySelectorAll(":scope > input, :scope > select, :scope > .row > input, :scope > label > input, :scope > .row > label > input")) {
      if (!input.name) continue;
      if (input.type === "checkbox") op[input.name] = input.checked;
      else if (input.value === "true" || input.value === "false") op[input.name] = input.value === "true";
      else op[input.name] = input.value;
    }
    const rows = [...form.querySelectorAll(".column-row")].map(columnOf);
    if (op.action === "create_table") op.columns = rows;
    if (op.action === "add_column") op.column = rows[0];
    if (op.action === "create_index") op.columns = op.columns.split(",").map((s) => s.trim()).filter(Boolean);
    return op;
  }

  function describe(data) {
    if (!data || typeof data !== "object") return String(data);
    if (data.error) return data.error.message;
    return Object.entries(data).map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join("\n");
  }

  function showError(message) {
    previewError.textContent = message;
    previewError.hidden = false;
  }

  async function showPreview(op) {
    try {
      const data = await Studio.api("/studio/api/schema/preview", { method: "POST", body: op });
      pending = op;
      previewSql.textContent = data.sql;
      previewError.hidden = true;
      preview.hidden = false;
      preview.scrollIntoView({ block: "nearest" });
      document.getElementById("preview-run").focus();
    } catch (error) {
      Studio.toast(describe(error.data) || error.message, "error");
    }
  }

  async function runPending() {
    if (!pending) return;
    if (DESTRUCTIVE.has(pending.action) || (pending.action === "set_rls" && !pending.enabled)) {
      if (!(await Studio.confirm("Run this SQL? " + previewSql.textContent, "Run"))) return;
    }
    const body = Object.assign({}, pending, {
      save_migration: document.getElementById("save-migration").checked,
      migration_name: document.getElementById("migration-name").value,
    });
    try {
      const data = await Studio.api("/studio/api/schema/run", { method: "POST", body });
      const saved = data.migration ? " Saved migrations/" + data.migration + "." : "";
      sessionStorage.setItem("schema-toast", "Done: " + data.statuses.join(", ") + "." + saved);
      const table = pending.action === "create_table" ? pending.name
        : pending.action === "rename_table" ? pending.new_name
        : pending.action === "drop_table" ? null : pending.table;
      location.assign(table ? "?table=" + encodeURIComponent(table) : "?");
    } catch (error) {
      showError(describe(error.data) || error.message);
    }
  }

  for (const select of document.querySelectorAll("select[data-types]")) {
    options(select, state.change_types);
    const current = state.change_types.find((t) => t === select.dataset.current.toLowerCase());
    if (current) select.value = current;
  }
  for (const container of document.querySelectorAll(".columns")) addColumnRow(container);
  for (const button of document.querySelectorAll(".add-column")) {
    button.addEventListener("click", () => {
      const row = addColumnRow(button.closest("form").querySelector(".columns"));
      row.querySelector("[name=name]").focus();
    });
  }
  for (const form of document.querySelectorAll("form.op")) {
    form.addEventListener("submit", (event) => { event.preventDefault(); showPreview(operationOf(form)); });
  }
  document.getElementById("preview-run").addEventListener("click", runPending);
  document.getElementById("preview-cancel").addEventListener("click", () => { preview.hidden = true; pending = null; });
  const message = sessionStorage.getItem("schema-toast");
  if (message) { sessionStorage.removeItem("schema-toast"); Studio.toast(message); }
})();
