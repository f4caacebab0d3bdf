// The Cron page's live parts: the job form, and run now / pause / resume /
// delete, all through /studio/api/cron/ (the page's JSON twin).
(function () {
  "use strict";
  const base = "/studio/api/cron/";

  document.querySelectorAll("form[data-cron-form]").forEach((form) => {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = {};
      for (const name of ["name", "schedule", "kind", "command", "timezone"]) {
        fields[name] = form.elements[name].value;
      }
      const job = form.dataset.job;
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const saved = await Studio.api(job ? base + job + "/" : base, {
          method: job ? "PATCH" : "POST",
          body: fields,
        });
        window.location.assign("/studio/cron/" + saved.id + "/");
      } catch (error) {
        Studio.toast("Could not save the job: " + error.message, "error");
        button.disabled = false;
      }
    });
  });

  document.querySelectorAll("[data-cron-action]").forEach((button) => {
    button.addEventListener("click", async () => {
      const job = button.dataset.job;
      const action = button.dataset.cronAction;
      try {
        if (action === "delete") {
          const question = "Delete the job " + button.dataset.label + " and its history?";
          if (!(await Studio.confirm(question, "Delete"))) return;
          button.disabled = true;
          await Studio.api(base + job + "/", { method: "DELETE" });
          window.location.assign("/studio/cron/");
          return;
        }
        button.disabled = true;
        if (action === "run") {
          await Studio.api(base + job + "/run", { method: "POST" });
          Studio.toast("Run started; refresh to see its outcome.");
          button.disabled = false;
          return;
        }
        await Studio.api(base + job + "/", { method: "PATCH", body: { active: action === "resume" } });
        window.location.reload();
      } catch (error) {
        Studio.toast("Could not " + action + " the job: " + error.message, "error");
        button.disabled = false;
      }
    });
  });
})();
