// The Functions pages' actions, each a call of the JSON twin under
// /studio/api/functions:
//   #new-function   POST the name, then open the new function.
//   #code-form      PUT the code, then POST deploy; Deno's errors are shown
//                   and the editor's cursor goes to the first one.
// The code is edited in CodeMirror (TypeScript, Mod-s saves and deploys); the
// textarea stays the form's field, kept equal to the editor, and is what the
// page shows when CodeMirror did not load.
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

  // The settings line's "Deployed <time>." after a deploy from this page,
  // in the server's form (UTC, as the page renders it).
  function showDeployed(seconds) {
    const status = document.querySelector("[data-testid=deploy-status]");
    if (!status) return;
    const at = new Date(seconds * 1000);
    const time = document.createElement("time");
    time.dateTime = at.toISOString();
    time.textContent = at.toISOString().slice(0, 19).replace("T", " ");
    status.replaceChildren("Deployed ", time, ".");
  }

  // The first "index.ts:line:column" of Deno's diagnostics.
  const DIAGNOSTIC = /index\.ts:(\d+):(\d+)/;

  function codeEditor(form) {
    const CM = window.CodeMirror;
    const textarea = form.elements.source;
    if (!CM) return null;
    const host = document.getElementById("code-editor-host");
    const view = new CM.EditorView({
      parent: host,
      state: CM.EditorState.create({
        doc: textarea.value,
        extensions: [
          CM.keymap.of([{ key: "Mod-s", preventDefault: true, run: () => { form.requestSubmit(); return true; } }]),
          CM.basicSetup,
          CM.javascript({ typescript: true }),
          CM.EditorView.contentAttributes.of({ "aria-label": "Code (index.ts)", "data-testid": "code-editor" }),
          CM.EditorView.updateListener.of((update) => {
            if (update.docChanged) textarea.value = update.state.doc.toString();
          }),
        ],
      }),
    });
    textarea.hidden = true;
    host.hidden = false;
    document.querySelector("label[for=code]").addEventListener("click", () => view.focus());
    return view;
  }

  function showDiagnostic(view, message) {
    const found = DIAGNOSTIC.exec(message);
    if (!view || !found) return;
    const doc = view.state.doc;
    const line = doc.line(Math.min(Math.max(1, Number(found[1])), doc.lines));
    const at = Math.min(line.from + Math.max(0, Number(found[2]) - 1), line.to);
    view.dispatch({ selection: { anchor: at }, scrollIntoView: true });
  }

  const code = document.getElementById("code-form");
  if (code) {
    const view = codeEditor(code);
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
        showDeployed(deployed.deployed_at);
      } catch (error) {
        result.textContent = "Deploy failed";
        errors.textContent = error.message;
        errors.hidden = false;
        showDiagnostic(view, error.message);
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
