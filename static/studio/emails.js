// The Emails page: resend a logged mail; edit a template with a live preview.
// The preview's HTML goes into a sandboxed iframe's srcdoc, text via textContent.
(function () {
  "use strict";

  document.querySelectorAll("[data-resend]").forEach((button) => {
    button.addEventListener("click", async () => {
      if (!(await Studio.confirm("Send this email again, as it was rendered?", "Resend"))) return;
      button.disabled = true;
      try {
        const sent = await Studio.api("/studio/api/emails/" + encodeURIComponent(button.dataset.resend) + "/resend", { method: "POST" });
        window.location.assign("/studio/emails/" + encodeURIComponent(sent.id) + "/");
      } catch (error) {
        Studio.toast("Could not resend: " + error.message, "error");
        button.disabled = false;
      }
    });
  });

  const data = document.getElementById("template-editor");
  if (!data) return;
  const editor = JSON.parse(data.textContent);
  const form = document.getElementById("template-form");
  const context = document.getElementById("tpl-context");
  const errorBox = document.getElementById("template-error");
  const subject = document.querySelector("[data-testid=preview-subject]");
  const frame = document.getElementById("preview-html");
  const text = document.getElementById("preview-text");
  context.value = JSON.stringify(editor.context, null, 2);
  const templateUrl = (name) => "/studio/api/emails/templates/" + name.split("/").map(encodeURIComponent).join("/");

  function fields() {
    return {
      subject: form.elements.subject.value,
      html: form.elements.html.value,
      text: form.elements.text.value,
    };
  }

  let timer = null;
  let sequence = 0;
  async function preview() {
    let sample;
    try {
      sample = JSON.parse(context.value || "{}");
    } catch (error) {
      errorBox.textContent = "The sample context is not valid JSON: " + error.message;
      return;
    }
    const mine = ++sequence;
    try {
      const result = await Studio.api("/studio/api/emails/preview", {
        method: "POST",
        body: Object.assign({ name: editor.name || "new", context: sample }, fields()),
      });
      if (mine !== sequence) return;
      if (!result.ok) {
        errorBox.textContent = result.error.message;
        return;
      }
      errorBox.textContent = "";
      subject.textContent = result.subject;
      frame.srcdoc = result.html;
      text.textContent = result.text;
    } catch (error) {
      errorBox.textContent = "Could not preview: " + error.message;
    }
  }
  form.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(preview, 250);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = fields();
    try {
      if (editor.is_new) {
        body.name = form.elements.name.value.trim();
        const created = await Studio.api("/studio/api/emails/templates/", { method: "POST", body });
        window.location.assign("/studio/emails/templates/" + created.name.split("/").map(encodeURIComponent).join("/") + "/");
        return;
      }
      await Studio.api(templateUrl(editor.name), { method: "PUT", body });
      errorBox.textContent = "";
      Studio.toast("Template saved.");
    } catch (error) {
      errorBox.textContent = error.message;
    }
  });

  const remove = document.getElementById("delete-template");
  if (remove) {
    remove.addEventListener("click", async () => {
      if (!(await Studio.confirm("Delete the template " + editor.name + "? Mails that name it can no longer be sent.", "Delete"))) return;
      try {
        await Studio.api(templateUrl(editor.name), { method: "DELETE" });
        window.location.assign("/studio/emails/templates/");
      } catch (error) {
        Studio.toast("Could not delete: " + error.message, "error");
      }
    });
  }
})();
