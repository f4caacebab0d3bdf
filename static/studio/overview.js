// Overview: copy buttons, and the service_role key fetched only on request.
// The key is written with textContent; it is never part of the page's HTML.
(function () {
  "use strict";

  async function copy(text, label) {
    try {
      await navigator.clipboard.writeText(text);
      window.Studio.toast(label + " copied");
    } catch (error) {
      window.Studio.toast("Could not copy: " + error.message, "error");
    }
  }

  document.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-copy]");
    if (button) copy(button.dataset.copy, button.getAttribute("aria-label").replace(/^Copy /, ""));
  });

  const reveal = document.getElementById("reveal-service-key");
  if (!reveal) return;
  const row = document.getElementById("service-key-row");
  const code = row.querySelector("[data-testid=service-key]");
  const hiddenNote = row.querySelector("[data-testid=service-key-hidden]");
  const copyButton = document.getElementById("copy-service-key");

  reveal.addEventListener("click", async () => {
    if (!code.hidden) {
      code.hidden = true;
      code.textContent = "";
      hiddenNote.hidden = false;
      copyButton.hidden = true;
      reveal.textContent = "Reveal service key";
      return;
    }
    reveal.disabled = true;
    hiddenNote.textContent = "Loading…";
    try {
      const data = await window.Studio.api(reveal.dataset.url, { method: "POST" });
      code.textContent = data.service_role_key;
      code.hidden = false;
      hiddenNote.hidden = true;
      copyButton.hidden = false;
      reveal.textContent = "Hide service key";
    } catch (error) {
      hiddenNote.textContent = "Hidden";
      window.Studio.toast("Could not load the service key: " + error.message, "error");
    } finally {
      reveal.disabled = false;
    }
  });
  copyButton.addEventListener("click", () => copy(code.textContent, "service key"));
})();
