// Charts from data embedded with json_script (no inline script under the strict CSP).
// <canvas data-chart="bar|line" data-source="element-id" [data-stacked] [data-unit="%"]>
document.addEventListener("DOMContentLoaded", () => {
  if (typeof Chart === "undefined") return;
  // Colour-blind-safe palette (Okabe–Ito).
  const palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"];
  const locale = document.documentElement.lang === "en" ? "en-GB" : "nl-NL";
  document.querySelectorAll("canvas[data-chart]").forEach((canvas) => {
    const source = document.getElementById(canvas.dataset.source);
    if (!source) return;
    const data = JSON.parse(source.textContent);
    const stacked = "stacked" in canvas.dataset;
    const unit = canvas.dataset.unit || "";
    const type = canvas.dataset.chart;
    new Chart(canvas, {
      type,
      data: {
        labels: data.labels,
        datasets: data.series.map((serie, i) => ({
          // clip: false, so a point at 100 % is not cut in half by the chart's edge.
          label: serie.label, data: serie.data, spanGaps: true, clip: false,
          backgroundColor: palette[i % palette.length], borderColor: palette[i % palette.length],
        })),
      },
      options: {
        animation: false, maintainAspectRatio: false, locale,
        scales: {
          // offset: a single month sits mid-chart instead of on the y axis.
          x: { stacked, offset: true },
          y: { stacked, beginAtZero: true, ticks: { precision: 0, callback: (v) => `${v}${unit}` },
               max: unit === "%" ? 100 : undefined },
        },
        plugins: { legend: { position: "bottom" } },
      },
    });
  });
});
