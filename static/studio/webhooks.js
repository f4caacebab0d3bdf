// The Webhooks pages' actions, each a call of the JSON twin under
// /studio/api/webhooks/:
//   #endpoint-form                 POST (new) or PATCH (edit) the settings.
//   <button data-post="url">       POST, then reload (data-done: a toast after).
//   <button data-delete="url">     DELETE, then go to data-then.
//   #reveal-secret, #rotate-secret the signing secret, fetched only on request.
// data-confirm asks first. Parts marked data-live are fetched again every few
// seconds as the server renders them, so new deliveries and attempts appear.
// Server text reaches the page only through textContent or that rendered HTML.
(function () {
  "use strict";

  // ------------------------------------------------------------ table picker
  const tablesNode = document.getElementById("webhook-tables");
  const schemaSelect = document.getElementById("wh-schema");
  const tableSelect = document.getElementById("wh-table");
  if (tablesNode && schemaSelect && tableSelect) {
    const tables = JSON.parse(tablesNode.textContent);
    const fill = (chosen) => {
      tableSelect.replaceChildren();
      const all = document.createElement("option");
      all.value = "";
      all.textContent = "All tables";
      tableSelect.append(all);
      for (const name of tables[schemaSelect.value] || []) {
        const option = document.createElement("option");
        option.value = name;
        option.textContent = name;
        option.selected = name === chosen;
        tableSelect.append(option);
      }
    };
    fill(tableSelect.dataset.current);
    schemaSelect.addEventListener("change", () => fill(""));
  }

  // -------------------------------------------------------------- the form
  const form = document.getElementById("endpoint-form");
  if (form) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const errors = form.querySelector("[data-errors]");
      const button = form.querySelector("button[type=submit]");
      const elements = form.elements;
      const timeout = elements.timeout_ms.value.trim();
      const body = {
        name: elements.name.value,
        url: elements.url.value,
        method: elements.method.value,
        schema_name: elements.schema_name.value,
        table_name: elements.table_name.value,
        events: Array.from(form.querySelectorAll("input[name=events]:checked"), (box) => box.value),
        row_filter: elements.row_filter.value,
        // Sent as typed: the server says what is wrong with it.
        headers: elements.headers.value,
        timeout_ms: /^\d+$/.test(timeout) ? Number(timeout) : timeout,
        owner_email: elements.owner_email.value,
        active: elements.active.checked,
      };
      errors.textContent = "";
      button.disabled = true;
      try {
        const saved = await Studio.api(form.dataset.api, { method: form.dataset.method, body });
        window.location.assign("/studio/webhooks/" + encodeURIComponent(saved.id) + "/");
      } catch (error) {
        errors.textContent = error.message;
        button.disabled = false;
      }
    });
  }

  // ----------------------------------------------------- buttons that POST
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-post], button[data-delete]");
    if (!button) return;
    const label = button.dataset.confirmLabel || button.textContent.trim();
    if (button.dataset.confirm && !(await Studio.confirm(button.dataset.confirm, label))) return;
    const method = button.dataset.post ? "POST" : "DELETE";
    button.disabled = true;
    try {
      await Studio.api(button.dataset.post || button.dataset.delete, { method, body: method === "POST" ? {} : undefined });
      if (button.dataset.done) sessionStorage.setItem("studio.toast", button.dataset.done);
      if (button.dataset.then) window.location.assign(button.dataset.then);
      else window.location.reload();
    } catch (error) {
      Studio.toast(error.message, "error");
      button.disabled = false;
    }
  });

  const pending = sessionStorage.getItem("studio.toast");
  if (pending) {
    sessionStorage.removeItem("studio.toast");
    Studio.toast(pending);
  }

  // ------------------------------------------------------- signing secret
  const reveal = document.getElementById("reveal-secret");
  if (reveal) {
    const code = document.querySelector("[data-testid=secret]");
    const hiddenNote = document.querySelector("[data-testid=secret-hidden]");
    const copyButton = document.getElementById("copy-secret");
    const rotate = document.getElementById("rotate-secret");
    const show = (secret) => {
      code.textContent = secret;
      code.hidden = false;
      hiddenNote.hidden = true;
      copyButton.hidden = false;
      reveal.textContent = "Hide secret";
    };
    const hide = () => {
      code.textContent = "";
      code.hidden = true;
      hiddenNote.hidden = false;
      copyButton.hidden = true;
      reveal.textContent = "Reveal secret";
    };
    reveal.addEventListener("click", async () => {
      if (!code.hidden) return hide();
      reveal.disabled = true;
      try {
        show((await Studio.api(reveal.dataset.url, { method: "POST" })).secret);
      } catch (error) {
        Studio.toast("Could not load the secret: " + error.message, "error");
      } finally {
        reveal.disabled = false;
      }
    });
    rotate.addEventListener("click", async () => {
      const asked = "Give this endpoint a new signing secret? Receivers must switch to it: the old one stops verifying at once.";
      if (!(await Studio.confirm(asked, "Rotate secret"))) return;
      rotate.disabled = true;
      try {
        show((await Studio.api(rotate.dataset.url, { method: "POST" })).secret);
        Studio.toast("The endpoint has a new secret.");
      } catch (error) {
        Studio.toast("Could not rotate the secret: " + error.message, "error");
      } finally {
        rotate.disabled = false;
      }
    });
    copyButton.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(code.textContent);
        Studio.toast("Secret copied");
      } catch (error) {
        Studio.toast("Could not copy: " + error.message, "error");
      }
    });
  }

  // ------------------------------------------------------------ live parts
  const live = () => Array.from(document.querySelectorAll("[data-live][id]"));
  if (live().length) {
    const refresh = async () => {
      if (document.visibilityState === "visible") {
        try {
          const response = await fetch(window.location.href, { credentials: "same-origin" });
          if (response.ok) {
            const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
            for (const current of live()) {
              const replacement = fresh.getElementById(current.id);
              if (replacement && replacement.outerHTML !== current.outerHTML) {
                current.replaceWith(document.adoptNode(replacement));
              }
            }
          }
        } catch (error) {
          // Offline for a moment: the next round tries again.
        }
      }
      setTimeout(refresh, 2000);
    };
    setTimeout(refresh, 2000);
  }
})();
