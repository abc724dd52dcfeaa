// Dashboard charts from data embedded with json_script (no inline script under CSP).
document.addEventListener("DOMContentLoaded", () => {
  const canvas = document.getElementById("intake-chart");
  const source = document.getElementById("intake-data");
  if (!canvas || !source || typeof Chart === "undefined") return;
  const data = JSON.parse(source.textContent);
  // Colour-blind-safe palette (Okabe–Ito), AA contrast against white.
  const palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];
  new Chart(canvas, {
    type: "bar",
    data: {
      labels: data.labels,
      datasets: data.series.map((serie, i) => ({
        label: serie.label, data: serie.data, backgroundColor: palette[i % palette.length],
      })),
    },
    options: {
      animation: false, maintainAspectRatio: false,
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { position: "bottom" } },
      locale: document.documentElement.lang === "en" ? "en-GB" : "nl-NL",
    },
  });
});
