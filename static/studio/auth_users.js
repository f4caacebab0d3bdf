// The Auth pages' actions, each a call of the JSON twin under /studio/api/auth/.
//   <form data-api="url">          POST the fields as JSON, then open the user.
//   <button data-post="url">       POST, then reload (data-done: a toast first).
//   <button data-delete="url">     DELETE, then reload or go to data-then.
// data-confirm asks first; errors show in the form's [data-errors] or a toast.
//   <select data-other="id">       its empty option shows (and enables) #id's fields.
(function () {
  "use strict";

  function fields(form) {
    const body = {};
    for (const input of form.elements) {
      if (!input.name || input.disabled) continue;
      if (input.type === "checkbox") body[input.name] = input.checked;
      else if (input.value !== "") body[input.name] = input.value;
    }
    return body;
  }

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.api) return;
    event.preventDefault();
    // studio.js asks first and submits again once confirmed.
    if (form.dataset.confirm && !form.dataset.confirmed) return;
    delete form.dataset.confirmed;
    const errors = form.querySelector("[data-errors]");
    const button = form.querySelector("button[type=submit]");
    errors.textContent = "";
    button.disabled = true;
    try {
      const user = await Studio.api(form.dataset.api, { method: "POST", body: fields(form) });
      window.location.assign("/studio/auth/users/" + encodeURIComponent(user.id) + "/");
    } catch (error) {
      errors.textContent = error.message;
      button.disabled = false;
    }
  });

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-post], button[data-delete]");
    if (!button) return;
    if (button.dataset.confirm && !(await Studio.confirm(button.dataset.confirm, button.textContent.trim()))) return;
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

  function showOther(select, focus) {
    const other = document.getElementById(select.dataset.other);
    const chosen = select.value === "";
    other.hidden = !chosen;
    for (const input of other.querySelectorAll("input")) input.disabled = !chosen;
    if (chosen && focus) other.querySelector("input").focus();
  }
  document.addEventListener("change", (event) => {
    if (event.target instanceof HTMLSelectElement && event.target.dataset.other) showOther(event.target, true);
  });
  // A choice the browser restored on going back shows its fields too.
  for (const select of document.querySelectorAll("select[data-other]")) showOther(select, false);

  // A message kept across the reload an action caused.
  const pending = sessionStorage.getItem("studio.toast");
  if (pending) {
    sessionStorage.removeItem("studio.toast");
    Studio.toast(pending);
  }
})();
