/* Import job page: sizes the progress bar from data-percent and, while the job runs, polls
   its progress (JSON) every 1.5 s; when the job has finished the page reloads to show the
   preview, counts and row errors. No inline script (strict CSP). */
(function () {
  "use strict";

  function paint(percent) {
    var wrapper = document.getElementById("import-progress-bar");
    if (!wrapper) {
      return;
    }
    var bar = wrapper.querySelector(".progress-bar");
    var value = Math.max(0, Math.min(100, Number(percent) || 0));
    bar.style.width = value + "%";
    bar.textContent = value + "%";
    wrapper.setAttribute("aria-valuenow", String(value));
  }

  function poll(section) {
    var url = section.getAttribute("data-import-progress");
    var text = document.getElementById("import-progress-text");
    var status = document.getElementById("import-status");
    var template = section.getAttribute("data-progress-template") || "{checked} / {total}";
    var timer = window.setInterval(function () {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (!data) {
            return;
          }
          paint(data.percent);
          if (status) {
            status.textContent = data.statusLabel;
          }
          if (text) {
            text.textContent = template.replace("{checked}", data.rowsValidated)
              .replace("{total}", data.rowsTotal).replace("{written}", data.rowsWritten);
          }
          if (!data.running) {
            window.clearInterval(timer);
            window.location.reload();
          }
        })
        .catch(function () { /* try again on the next tick */ });
    }, 1500);
  }

  function start() {
    var bar = document.querySelector("#import-progress-bar .progress-bar");
    if (bar) {
      paint(bar.getAttribute("data-percent"));
    }
    var section = document.querySelector("[data-import-progress]");
    if (section) {
      poll(section);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
