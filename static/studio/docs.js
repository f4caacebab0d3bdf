// API docs: a copy button per snippet copies its <code> element's text.
(function () {
  "use strict";
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-copy-target]");
    if (!button) return;
    const code = document.getElementById(button.dataset.copyTarget);
    try {
      await navigator.clipboard.writeText(code.textContent);
      window.Studio.toast("Copied");
    } catch (error) {
      window.Studio.toast("Could not copy: " + error.message, "error");
    }
  });
})();
