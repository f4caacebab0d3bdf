// The Studio's shared helpers: CSRF-aware fetch, a confirm dialog, toasts.
// Data reaches the page through textContent and json_script, never innerHTML.
(function () {
  "use strict";

  function cookie(name) {
    const match = document.cookie.match(new RegExp("(?:^|; )" + name + "=([^;]*)"));
    return match ? decodeURIComponent(match[1]) : "";
  }

  // fetch() for the Studio's JSON endpoints: same-origin cookies, the CSRF
  // token Django checks, and errors thrown with the server's message.
  async function api(url, options = {}) {
    const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
    const init = Object.assign({ credentials: "same-origin" }, options, { headers });
    if (init.body !== undefined && !(init.body instanceof FormData) && typeof init.body !== "string") {
      init.body = JSON.stringify(init.body);
      headers["Content-Type"] = "application/json";
    }
    if (!["GET", "HEAD"].includes((init.method || "GET").toUpperCase())) {
      headers["X-CSRFToken"] = cookie("csrftoken");
    }
    const response = await fetch(url, init);
    const type = response.headers.get("Content-Type") || "";
    const data = type.includes("json") ? await response.json() : await response.text();
    if (!response.ok) {
      const message = (data && (data.message || data.detail)) || response.statusText;
      const error = new Error(message);
      error.status = response.status;
      error.data = data;
      throw error;
    }
    return data;
  }

  // A modal confirmation; resolves true only when the operator confirms.
  function confirmAction(message, confirmLabel = "Confirm") {
    return new Promise((resolve) => {
      const dialog = document.createElement("dialog");
      dialog.className = "confirm";
      const text = document.createElement("p");
      text.textContent = message;
      const buttons = document.createElement("div");
      buttons.className = "buttons";
      const cancel = document.createElement("button");
      cancel.type = "button";
      cancel.textContent = "Cancel";
      const ok = document.createElement("button");
      ok.type = "button";
      ok.className = "danger";
      ok.textContent = confirmLabel;
      buttons.append(cancel, ok);
      dialog.append(text, buttons);
      document.body.append(dialog);
      const close = (value) => { dialog.close(); dialog.remove(); resolve(value); };
      cancel.addEventListener("click", () => close(false));
      ok.addEventListener("click", () => close(true));
      dialog.addEventListener("cancel", (event) => { event.preventDefault(); close(false); });
      dialog.showModal();
      cancel.focus();
    });
  }

  function toast(message, kind = "info") {
    let region = document.getElementById("toasts");
    if (!region) {
      region = document.createElement("div");
      region.id = "toasts";
      region.setAttribute("role", "status");
      region.setAttribute("aria-live", "polite");
      document.body.append(region);
    }
    const item = document.createElement("div");
    item.className = "toast " + kind;
    item.textContent = message;
    region.append(item);
    setTimeout(() => item.remove(), 6000);
  }

  // <form data-confirm="…"> asks before it submits.
  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.confirm || form.dataset.confirmed) return;
    event.preventDefault();
    if (await confirmAction(form.dataset.confirm)) {
      form.dataset.confirmed = "1";
      form.requestSubmit(event.submitter || undefined);
    }
  });

  window.Studio = { api, confirm: confirmAction, toast, cookie };
})();
