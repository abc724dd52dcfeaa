// Small progressive enhancements; the pages work without JavaScript.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to the error summary after a failed form submit (WCAG 3.3.1).
  const summary = document.getElementById("form-errors");
  if (summary) summary.focus();
  // Bars in dashboards: width from data-pct (no inline styles under a strict CSP).
  document.querySelectorAll("[data-pct]").forEach((el) => {
    el.style.width = `${Math.max(0, Math.min(100, Number(el.dataset.pct) || 0))}%`;
  });
  // Auto-submit filter selects marked data-autosubmit.
  document.querySelectorAll("[data-autosubmit]").forEach((el) => {
    el.addEventListener("change", () => el.form && el.form.requestSubmit());
  });
});
