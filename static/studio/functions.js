// The Functions pages' actions, each a call of the JSON twin under
// /studio/api/functions:
//   #new-function   POST the name, then open the new function.
//   #code-form      PUT the code, then POST deploy; Deno's errors are shown.
//   #invoke-form    POST method, path, headers and body; the response shown.
// Server text reaches the page only through textContent.
(function () {
  "use strict";

  const created = document.getElementById("new-function");
  if (created) {
    created.addEventListener("submit", async (event) => {
      event.preventDefault();
      const errors = created.querySelector("[data-errors]");
      const name = created.elements.name.value.trim();
      errors.textContent = "";
      try {
        await Studio.api(created.dataset.api, { method: "POST", body: { name } });
        window.location.assign("/studio/functions/" + encodeURIComponent(name) + "/");
      } catch (error) {
        errors.textContent = error.message;
      }
    });
  }

  const code = document.getElementById("code-form");
  if (code) {
    code.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = code.querySelector("button[type=submit]");
      const errors = code.querySelector("[data-errors]");
      const result = code.querySelector("[data-testid=deploy-result]");
      errors.hidden = true;
      errors.textContent = "";
      result.textContent = "Deploying…";
      button.disabled = true;
      try {
        await Studio.api(code.dataset.source, { method: "PUT", body: { source: code.elements.source.value } });
        const deployed = await Studio.api(code.dataset.deploy, { method: "POST", body: {} });
        result.textContent = "Deployed: type-checked in " + Math.round(deployed.check_ms) + " ms" +
          (deployed.bundle_skipped ? " (not bundled: " + deployed.bundle_skipped + ")" : ", bundle " + deployed.bundle_bytes + " bytes");
      } catch (error) {
        result.textContent = "Deploy failed";
        errors.textContent = error.message;
        errors.hidden = false;
      } finally {
        button.disabled = false;
      }
    });
  }

  const invoke = document.getElementById("invoke-form");
  if (invoke) {
    invoke.addEventListener("submit", async (event) => {
      event.preventDefault();
      const elements = invoke.elements;
      const errors = invoke.querySelector("[data-errors]");
      const panel = invoke.querySelector("[data-testid=invoke-response]");
      errors.textContent = "";
      let headers = {};
      if (elements.headers.value.trim()) {
        try {
          headers = JSON.parse(elements.headers.value);
        } catch (error) {
          errors.textContent = "Headers must be a JSON object: " + error.message;
          return;
        }
      }
      const button = invoke.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        const response = await Studio.api(invoke.dataset.api, {
          method: "POST",
          body: { method: elements.method.value, path: elements.path.value, headers, body: elements.body.value },
        });
        panel.querySelector("[data-testid=invoke-status]").textContent =
          response.status + (response.relay_error ? " " + response.relay_error : "");
        panel.querySelector("[data-testid=invoke-headers]").textContent =
          response.headers.map(([key, value]) => key + ": " + value).join("\n");
        panel.querySelector("[data-testid=invoke-body]").textContent =
          response.encoding === "base64" ? "(binary, base64) " + response.body : response.body;
        panel.hidden = false;
      } catch (error) {
        errors.textContent = error.message;
      } finally {
        button.disabled = false;
      }
    });
  }
})();
