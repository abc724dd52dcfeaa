/* Canned responses in the reply form: choosing one puts its text into the message at the
   cursor (or at the end) and resets the choice, so the server does not add it a second
   time. Without JavaScript the server adds the chosen text on sending (ReplyForm). */
(function () {
  "use strict";

  function insert(textarea, text) {
    var value = textarea.value;
    var start = typeof textarea.selectionStart === "number" ? textarea.selectionStart : value.length;
    var end = typeof textarea.selectionEnd === "number" ? textarea.selectionEnd : value.length;
    if (document.activeElement !== textarea && start === 0 && end === 0 && value.length) {
      start = end = value.length;
    }
    var before = value.slice(0, start);
    var after = value.slice(end);
    var glue = before && !/\n\s*$/.test(before) ? "\n\n" : "";
    textarea.value = before + glue + text + after;
    var caret = (before + glue + text).length;
    textarea.focus();
    textarea.setSelectionRange(caret, caret);
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function bind(select) {
    var textarea = document.getElementById(select.getAttribute("data-canned-target"));
    if (!textarea || select.dataset.cannedBound) {
      return;
    }
    select.dataset.cannedBound = "1";
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      var body = option ? option.getAttribute("data-body") : null;
      if (!body) {
        return;
      }
      insert(textarea, body);
      select.value = "";
    });
  }

  function init(root) {
    (root || document).querySelectorAll("select[data-canned-target]").forEach(bind);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(document); });
  } else {
    init(document);
  }
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
