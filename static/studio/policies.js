// The Policies page: validate the expression as it is typed, preview the
// statement, run it after a confirmation; toggle RLS and drop policies.
// Server text reaches the page only through textContent.
(function () {
  "use strict";

  const API = "/studio/api/policies/";
  const pageError = document.querySelector("[data-testid=page-error]");

  function showError(error) {
    pageError.textContent = error.message;
    pageError.hidden = false;
  }

  function reloadAt(table) {
    const url = new URL(window.location.href);
    url.search = table ? "?table=" + encodeURIComponent(table) : "";
    url.hash = "";
    window.location.assign(url.toString());
  }

  // Run a statement the server builds from `body`, after showing it.
  async function runStatement(body, question, confirmLabel) {
    const preview = await Studio.api(API + "statement", { method: "POST", body });
    const ok = await Studio.confirm(question + "\n\n" + preview.sql, confirmLabel);
    if (!ok) return false;
    await Studio.api(API + "statement", { method: "POST", body: Object.assign({}, body, { run: true }) });
    return true;
  }

  document.querySelectorAll("[data-rls]").forEach((button) => {
    button.addEventListener("click", async () => {
      const table = button.dataset.table;
      const enabled = button.dataset.enabled === "true";
      const question = enabled
        ? "Enable row-level security on " + table + "? Requests then see only rows a policy allows."
        : "Disable row-level security on " + table + "? Anyone with the anon key can then read and write every row.";
      try {
        if (await runStatement({ action: "rls", table, enabled }, question, enabled ? "Enable RLS" : "Disable RLS")) {
          reloadAt(table);
        }
      } catch (error) { showError(error); }
    });
  });

  document.querySelectorAll("[data-drop]").forEach((button) => {
    button.addEventListener("click", async () => {
      const table = button.dataset.table;
      const name = button.dataset.name;
      try {
        if (await runStatement({ action: "drop", table, name }, "Drop policy " + name + " on " + table + "?", "Drop policy")) {
          reloadAt(table);
        }
      } catch (error) { showError(error); }
    });
  });

  const form = document.querySelector("[data-policy-form]");
  if (!form) return;
  const status = form.querySelector("[data-testid=validation]");
  const statement = form.querySelector("[data-testid=statement]");

  function formBody() {
    const el = form.elements;
    const body = {
      table: el.table.value,
      name: el.name.value,
      command: el.command.value,
      permissive: el.permissive.value === "true",
      roles: Array.from(form.querySelectorAll("input[name=roles]:checked")).map((box) => box.value),
      using: el.using.value,
      check: el.check.value,
    };
    if (el.original) body.original = el.original.value;
    return body;
  }

  let generation = 0;
  async function refresh() {
    const mine = ++generation;
    const body = formBody();
    status.className = "loading";
    status.textContent = "Checking…";
    try {
      const [verdict, preview] = await Promise.all([
        Studio.api(API + "validate", { method: "POST", body }),
        // The statement needs a name; until one is typed there is nothing to show.
        body.name.trim()
          ? Studio.api(API + "statement", { method: "POST", body }).catch((error) => ({ sql: "", error }))
          : Promise.resolve({ sql: "", error: { message: "Name the policy to see its statement." } }),
      ]);
      if (mine !== generation) return; // a newer keystroke owns the display
      if (verdict.ok) {
        status.className = "valid";
        status.textContent = "Expression is valid.";
      } else {
        status.className = "error";
        status.textContent = verdict.error.message;
      }
      statement.textContent = preview.error ? preview.error.message : preview.sql;
    } catch (error) {
      if (mine !== generation) return;
      status.className = "error";
      status.textContent = error.message;
    }
  }

  let timer = null;
  function scheduleRefresh() {
    clearTimeout(timer);
    timer = setTimeout(refresh, 300);
  }
  form.addEventListener("input", scheduleRefresh);
  form.addEventListener("change", scheduleRefresh);
  refresh();

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = formBody();
    try {
      const verb = body.original ? "Save" : "Create";
      if (await runStatement(body, verb + " policy " + body.name + "? This statement runs:", verb + " policy")) {
        reloadAt(body.table);
      }
    } catch (error) {
      status.className = "error";
      status.textContent = error.message;
    }
  });
})();
