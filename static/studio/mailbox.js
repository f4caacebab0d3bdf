// The Mailbox's one live action: delete all captured mail, after confirming.
(function () {
  "use strict";
  const button = document.getElementById("delete-all-mail");
  if (!button) return;
  button.addEventListener("click", async () => {
    if (!(await Studio.confirm("Delete all captured mail? This cannot be undone.", "Delete all"))) return;
    button.disabled = true;
    try {
      await Studio.api("/studio/api/mailbox/", { method: "DELETE" });
      window.location.assign(window.location.pathname);
    } catch (error) {
      Studio.toast("Could not delete the mail: " + error.message, "error");
      button.disabled = false;
    }
  });
})();
