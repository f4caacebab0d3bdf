// The Storage page's actions, each a call of the JSON twin under
// /studio/api/storage/: buckets, uploads (XHR, for their progress), folders,
// and an object's signed URL, rename and delete. After a change the page's
// server-rendered parts are fetched again and swapped in; server text only
// ever reaches the page through textContent or that rendered HTML.
(function () {
  "use strict";

  const API = "/studio/api/storage/buckets";
  const PLACEHOLDER = ".emptyFolderPlaceholder";
  const configNode = document.getElementById("storage-config");
  const config = configNode ? JSON.parse(configNode.textContent) : "";
  const bucket = config ? config.bucket : null;
  const pageError = document.querySelector("[data-testid=storage-error]");

  const encodePath = (name) => name.split("/").map(encodeURIComponent).join("/");
  const bucketUrl = (suffix = "") => API + "/" + encodeURIComponent(bucket.id) + suffix;

  function showError(error) {
    pageError.textContent = error.message;
    pageError.hidden = false;
  }

  // Open the page with `changes` made to its query string (null removes).
  function goto(changes, path) {
    const url = new URL(path || window.location.href, window.location.href);
    for (const [key, value] of Object.entries(changes)) {
      if (value === null || value === "") url.searchParams.delete(key);
      else url.searchParams.set(key, value);
    }
    window.location.assign(url.toString());
  }

  // Swap in the listing, details and bucket list as the server renders them now.
  async function refresh() {
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
    // The operator's overwrite choice lives in the part replaced: keep it.
    const upsert = document.getElementById("upload-upsert")?.checked;
    for (const selector of ["#browser", ".bucket-list"]) {
      const current = document.querySelector(selector);
      const replacement = fresh.querySelector(selector);
      if (current && replacement) current.replaceWith(document.adoptNode(replacement));
    }
    const box = document.getElementById("upload-upsert");
    if (box && upsert !== undefined) box.checked = upsert;
    loadTextPreview();
    updateSelection();
  }

  // ---------------------------------------------------------------- dialogs

  function openDialog(dialog, onSubmit) {
    const form = dialog.querySelector("form");
    const errors = form.querySelector("[data-dialog-error]");
    errors.hidden = true;
    const submit = async (event) => {
      event.preventDefault();
      errors.hidden = true;
      try {
        await onSubmit(form);
        dialog.close();
      } catch (error) {
        errors.textContent = error.message;
        errors.hidden = false;
      }
    };
    form.onsubmit = submit;
    form.querySelector("[data-dialog-cancel]").onclick = () => dialog.close();
    dialog.showModal();
    form.querySelector("input:not([disabled])").focus();
  }

  function askName(title, label, value, onSubmit) {
    const dialog = document.getElementById("name-dialog");
    dialog.querySelector("#name-dialog-title").textContent = title;
    dialog.querySelector("[data-name-label]").textContent = label;
    const input = dialog.querySelector("#name-input");
    input.value = value;
    openDialog(dialog, () => onSubmit(input.value.trim()));
  }

  function bucketBody(form) {
    const size = form.elements.file_size_limit.value.trim();
    const types = form.elements.allowed_mime_types.value
      .split(",").map((t) => t.trim()).filter(Boolean);
    return {
      public: form.elements.public.checked,
      file_size_limit: size || null,
      allowed_mime_types: types.length ? types : null,
    };
  }

  function bucketDialog(existing) {
    const dialog = document.getElementById("bucket-dialog");
    const form = dialog.querySelector("form");
    dialog.querySelector("#bucket-dialog-title").textContent = existing ? "Settings of " + existing.name : "New bucket";
    form.elements.name.value = existing ? existing.name : "";
    form.elements.name.disabled = Boolean(existing);
    form.elements.public.checked = existing ? existing.public : false;
    form.elements.file_size_limit.value = existing && existing.file_size_limit ? String(existing.file_size_limit) : "";
    form.elements.allowed_mime_types.value = existing && existing.allowed_mime_types ? existing.allowed_mime_types.join(", ") : "";
    openDialog(dialog, async () => {
      if (existing) {
        await Studio.api(bucketUrl(), { method: "PUT", body: bucketBody(form) });
        window.location.reload();
        return;
      }
      const body = Object.assign({ name: form.elements.name.value.trim() }, bucketBody(form));
      const created = await Studio.api(API, { method: "POST", body });
      window.location.assign("/studio/storage/" + encodeURIComponent(created.id) + "/");
    });
  }

  // ---------------------------------------------------------------- uploads

  // PUT `body` as the object `name`, reporting progress; resolves with the
  // server's answer, rejects with its message.
  function put(name, body, upsert, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PUT", bucketUrl("/objects/" + encodePath(name)) + (upsert ? "?upsert=true" : ""));
      xhr.setRequestHeader("X-CSRFToken", Studio.cookie("csrftoken"));
      xhr.setRequestHeader("Accept", "application/json");
      if (body.type) xhr.setRequestHeader("Content-Type", body.type);
      if (onProgress) {
        xhr.upload.addEventListener("progress", (event) => {
          if (event.lengthComputable) onProgress(event.loaded / event.total);
        });
      }
      xhr.addEventListener("load", () => {
        let data = null;
        try { data = JSON.parse(xhr.responseText); } catch (_) { data = null; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(data);
        else reject(new Error(xhr.status + ": " + ((data && data.message) || xhr.statusText)));
      });
      xhr.addEventListener("error", () => reject(new Error("the upload was cut off")));
      xhr.send(body);
    });
  }

  // What was dropped, as {file, name}: a dropped folder is walked, and its
  // files keep their paths under it. The entries are taken before the first
  // await, while the drop's data is still readable.
  async function droppedFiles(transfer) {
    const entries = Array.from(transfer.items || [], (item) => item.webkitGetAsEntry && item.webkitGetAsEntry())
      .filter(Boolean);
    if (!entries.some((entry) => entry.isDirectory)) {
      return Array.from(transfer.files, (file) => ({ file, name: file.name }));
    }
    const found = [];
    async function walk(entry, prefix) {
      if (entry.isFile) {
        const file = await new Promise((resolve, reject) => entry.file(resolve, reject));
        found.push({ file, name: prefix + entry.name });
        return;
      }
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((resolve, reject) => reader.readEntries(resolve, reject));
        if (!batch.length) return;
        for (const child of batch) await walk(child, prefix + entry.name + "/");
      }
    }
    for (const entry of entries) await walk(entry, "");
    return found;
  }

  function uploadItem(name) {
    const item = document.createElement("li");
    item.setAttribute("data-testid", "upload-item");
    const label = document.createElement("span");
    label.className = "name";
    label.textContent = name;
    const bar = document.createElement("progress");
    bar.max = 1;
    bar.value = 0;
    bar.setAttribute("aria-label", "Upload of " + name);
    const status = document.createElement("span");
    status.className = "status";
    status.setAttribute("data-testid", "upload-status");
    status.textContent = "waiting";
    item.append(label, bar, status);
    return { item, bar, status };
  }

  // Upload each {file, name} into the folder shown, one after another.
  async function uploadFiles(files) {
    if (!bucket || !files.length) return;
    const section = document.getElementById("uploads");
    const list = section.querySelector("ul");
    section.hidden = false;
    const upsert = document.getElementById("upload-upsert").checked;
    const rows = files.map(({ file, name }) => {
      const row = uploadItem(name);
      list.prepend(row.item);
      return Object.assign(row, { file, name });
    });
    for (const { file, name, item, bar, status } of rows) {
      status.textContent = "uploading";
      try {
        await put(config.path + name, file, upsert, (fraction) => { bar.value = fraction; });
        bar.value = 1;
        status.textContent = "done";
        item.dataset.state = "done";
      } catch (error) {
        status.textContent = error.message;
        item.dataset.state = "error";
      }
    }
    await refresh();
  }

  // ---------------------------------------------------------------- objects

  function selected() {
    const boxes = Array.from(document.querySelectorAll("input[data-select]:checked"));
    return {
      names: boxes.filter((b) => !b.hasAttribute("data-folder")).map((b) => b.value),
      folders: boxes.filter((b) => b.hasAttribute("data-folder")).map((b) => b.value),
    };
  }

  function updateSelection() {
    const button = document.querySelector("[data-delete-selected]");
    if (button) button.disabled = !document.querySelector("input[data-select]:checked");
  }

  async function removeObjects(names, folders) {
    const count = names.length + folders.length;
    const what = count === 1 ? (names[0] || folders[0]) : count + " items";
    const question = "Delete " + what + "?" + (folders.length ? " A folder is deleted with every file in it." : "") + " This cannot be undone.";
    if (!(await Studio.confirm(question, "Delete"))) return;
    await Studio.api(bucketUrl("/objects"), { method: "DELETE", body: { names, folders } });
    const shown = new URL(window.location.href).searchParams.get("object");
    if (shown && (names.includes(shown) || folders.some((f) => shown.startsWith(f)))) goto({ object: null });
    else await refresh();
  }

  function loadTextPreview() {
    const pre = document.querySelector("[data-text-preview]");
    if (!pre) return;
    fetch(pre.dataset.textPreview, { credentials: "same-origin" })
      .then((response) => response.text())
      .then((text) => { pre.textContent = text; })
      .catch((error) => { pre.textContent = error.message; });
  }

  async function copy(input) {
    try {
      await navigator.clipboard.writeText(input.value);
      Studio.toast("Copied to the clipboard");
    } catch (_) {
      input.select();
      Studio.toast("Press Ctrl+C to copy the selected URL");
    }
  }

  // ---------------------------------------------------------------- events

  async function onClick(event) {
    const target = event.target.closest("button");
    if (!target) return;
    if (target.matches("[data-bucket-create]")) bucketDialog(null);
    else if (target.matches("[data-bucket-settings]")) bucketDialog(bucket);
    else if (target.matches("[data-bucket-empty]")) {
      if (!(await Studio.confirm("Delete every file in " + bucket.name + "? This cannot be undone.", "Empty bucket"))) return;
      await Studio.api(bucketUrl("/empty"), { method: "POST", body: {} });
      goto({ path: null, search: null, page: null, object: null });
    } else if (target.matches("[data-bucket-delete]")) {
      if (!(await Studio.confirm("Delete the bucket " + bucket.name + "? Only an empty bucket can be deleted.", "Delete bucket"))) return;
      await Studio.api(bucketUrl(), { method: "DELETE" });
      window.location.assign("/studio/storage/");
    } else if (target.matches("[data-folder-create]")) {
      askName("New folder", "Folder name", "", async (name) => {
        const folder = config.path + name.replace(/^\/+|\/+$/g, "") + "/";
        await put(folder + PLACEHOLDER, new Blob([]), false, null);
        goto({ path: folder, search: null, page: null, object: null });
      });
    } else if (target.matches("[data-rename]")) {
      const from = target.dataset.rename;
      askName("Rename or move", "New path in " + bucket.name, from, async (to) => {
        await Studio.api(bucketUrl("/move"), { method: "POST", body: { from, to } });
        const folder = to.includes("/") ? to.slice(0, to.lastIndexOf("/") + 1) : "";
        goto({ path: folder, search: null, page: null, object: to });
      });
    } else if (target.matches("[data-delete-object]")) {
      await removeObjects([target.dataset.deleteObject], []);
    } else if (target.matches("[data-delete-selected]")) {
      const { names, folders } = selected();
      await removeObjects(names, folders);
    } else if (target.matches("[data-copy]")) {
      await copy(document.getElementById(target.dataset.copy));
    }
  }

  document.addEventListener("click", (event) => {
    onClick(event).catch(showError);
  });

  document.addEventListener("change", (event) => {
    if (event.target.matches("input[data-select]")) updateSelection();
    if (event.target.id === "upload-input") {
      const input = event.target;
      const files = Array.from(input.files, (file) => ({ file, name: file.name }));
      uploadFiles(files).catch(showError).finally(() => { input.value = ""; });
    }
  });

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!form.matches("[data-sign]")) return;
    event.preventDefault();
    try {
      const body = { name: form.dataset.sign, expires_in: Number(form.elements.expires_in.value) };
      const signed = await Studio.api(bucketUrl("/sign"), { method: "POST", body });
      const input = form.querySelector("#signed-url");
      input.value = signed.signed_url;
      form.querySelector("[data-signed]").hidden = false;
      await copy(input);
    } catch (error) { showError(error); }
  });

  // Drops land on the listing, which is swapped on refresh: listen above it.
  const inZone = (event) => event.target instanceof Element && event.target.closest("[data-dropzone]");
  document.addEventListener("dragover", (event) => {
    const zone = inZone(event);
    if (!zone || !bucket) return;
    event.preventDefault();
    zone.classList.add("dragging");
  });
  document.addEventListener("dragleave", (event) => {
    const zone = inZone(event);
    if (zone && !zone.contains(event.relatedTarget)) zone.classList.remove("dragging");
  });
  document.addEventListener("drop", (event) => {
    const zone = inZone(event);
    if (!zone || !bucket) return;
    event.preventDefault();
    zone.classList.remove("dragging");
    droppedFiles(event.dataTransfer).then(uploadFiles).catch(showError);
  });

  loadTextPreview();
  updateSelection();
})();
