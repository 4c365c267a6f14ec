// Small progressive enhancements; every page but the browser upload works without this file.
"use strict";
document.documentElement.classList.add("js");

const MiB = 1024 * 1024;

function formatBytes(bytes) {
  if (bytes >= 1024 * MiB) return (bytes / (1024 * MiB)).toFixed(2) + " GiB";
  if (bytes >= MiB) return (bytes / MiB).toFixed(1) + " MiB";
  if (bytes >= 1024) return (bytes / 1024).toFixed(1) + " KiB";
  return bytes + " bytes";
}

function apiError(xhr) {
  try {
    return JSON.parse(xhr.responseText).error.message;
  } catch (e) {
    return "The server answered " + xhr.status + ".";
  }
}

// The upload page: the File object itself is the request body (the browser streams it from
// disk), sent to PUT /v2/images/{id}/file with the session cookie and the CSRF token.
function setUpUpload(form) {
  const input = form.querySelector("input[type=file]");
  const button = form.querySelector("button[type=submit]");
  const box = document.getElementById("upload-status");
  const bar = document.getElementById("upload-progress");
  const figures = document.getElementById("upload-figures");
  const failure = document.getElementById("upload-error");
  const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const file = input.files[0];
    if (!file) return;
    button.disabled = true;
    input.disabled = true;
    box.hidden = false;
    failure.hidden = true;
    const started = performance.now();
    const xhr = new XMLHttpRequest();
    xhr.open("PUT", form.dataset.uploadUrl);
    xhr.setRequestHeader("Content-Type", "application/octet-stream");
    xhr.setRequestHeader("X-CSRFToken", token);
    xhr.upload.addEventListener("progress", (e) => {
      const total = e.lengthComputable ? e.total : file.size;
      const percent = total ? Math.floor((e.loaded / total) * 100) : 0;
      const seconds = (performance.now() - started) / 1000;
      const rate = seconds > 0 ? e.loaded / seconds : 0;
      bar.value = percent;
      bar.textContent = percent + " %";
      figures.textContent = formatBytes(e.loaded) + " of " + formatBytes(total) + " (" +
        percent + " %), " + formatBytes(rate) + "/s";
    });
    xhr.addEventListener("load", () => {
      if (xhr.status === 204) {
        bar.value = 100;
        figures.textContent = formatBytes(file.size) + " uploaded and checked.";
        form.dataset.state = "done";
        window.location.assign(form.dataset.doneUrl);
      } else {
        failure.textContent = "Upload refused: " + apiError(xhr);
        failure.hidden = false;
        form.dataset.state = "failed";
        button.disabled = false;
        input.disabled = false;
      }
    });
    xhr.addEventListener("error", () => {
      failure.textContent = "The connection failed during the upload.";
      failure.hidden = false;
      form.dataset.state = "failed";
      button.disabled = false;
      input.disabled = false;
    });
    xhr.send(file);
  });
}

// The detail page: while an import runs, follow its task and the image status.
function followTasks(section) {
  const busy = ["importing", "uploading", "saving"];
  if (!busy.includes(section.dataset.status)) return;
  const image = section.dataset.image;
  const statusCell = section.querySelector("[data-live-status]");
  const poll = () => {
    fetch("/v2/images/" + image, { credentials: "same-origin" })
      .then((r) => r.json())
      .then((view) => {
        statusCell.textContent = view.status;
        if (busy.includes(view.status)) {
          window.setTimeout(poll, 1500);
        } else {
          window.location.reload();
        }
      })
      .catch(() => window.setTimeout(poll, 5000));
  };
  window.setTimeout(poll, 1500);
}

document.addEventListener("DOMContentLoaded", () => {
  // Selects marked data-autosubmit submit their form on change (the button stays for no-JS).
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
  for (const form of document.querySelectorAll("form[data-confirm]")) {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  }
  // The list's "select every image on this page" box (a keyboard-reachable checkbox).
  for (const all of document.querySelectorAll("input[data-select-all]")) {
    const boxes = () => all.form.querySelectorAll("input[name=" + all.dataset.selectAll + "]");
    all.addEventListener("change", () => {
      for (const box of boxes()) box.checked = all.checked;
    });
  }
  const upload = document.getElementById("upload-form");
  if (upload) setUpUpload(upload);
  const tasks = document.getElementById("tasks");
  if (tasks) followTasks(tasks);
});
