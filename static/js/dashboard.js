/* Draws the dashboard's and the briefing's charts with the vendored ECharts, from the
   figures the page embeds (json_script "chart-data"). No request leaves the portal. */
(function () {
  "use strict";

  function draw(id, option, renderer) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var chart = echarts.init(element, null, { renderer: renderer });
    // Tooltips drawn inside the chart, not as HTML: ECharts' HTML tooltip writes inline style
    // attributes, which the Content-Security-Policy refuses (docs/deployment.md).
    if (option.tooltip) { option.tooltip.renderMode = "richText"; }
    chart.setOption(option);
    window.addEventListener("resize", function () { chart.resize(); });
    element.dataset.drawn = "true";
  }

  function percentAxis() {
    return { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("chart-data");
    if (!source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    // The briefing is printed: SVG stays sharp on paper, and no animation is caught half-way.
    var printing = document.querySelector(".briefing-sheet") !== null;
    var renderer = printing ? "svg" : "canvas";
    var animation = !printing;

    draw("chart-trend", {
      animation: animation,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 28 },
      xAxis: { type: "category", data: data.months },
      yAxis: percentAxis(),
      series: [
        { name: data.names.reporting, type: "line", data: data.reporting, connectNulls: true },
        { name: data.names.on_time, type: "line", data: data.on_time, connectNulls: true },
        { name: data.names.completion, type: "line", data: data.completion, connectNulls: true }
      ]
    }, renderer);

    draw("chart-pillars", {
      animation: animation,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
      grid: { left: 48, right: 16, top: 16, bottom: 28 },
      xAxis: { type: "category", data: data.pillars },
      yAxis: percentAxis(),
      series: [{ name: data.names.completion, type: "bar", data: data.pillar_completion, label: { show: true, position: "top", formatter: "{c}%" } }]
    }, renderer);

    draw("chart-lead-units", {
      animation: animation,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
      grid: { left: 110, right: 40, top: 8, bottom: 24 },
      xAxis: percentAxis(),
      yAxis: { type: "category", data: data.lead_units.slice().reverse() },
      series: [{ name: data.names.completion, type: "bar", data: data.lead_unit_completion.slice().reverse(), label: { show: true, position: "right", formatter: "{c}%" } }]
    }, renderer);

    draw("chart-states", {
      animation: animation,
      tooltip: { trigger: "item" },
      legend: { bottom: 0 },
      series: [{
        name: data.names.states, type: "pie", radius: ["40%", "68%"], data: data.states,
        label: { formatter: "{b}\n{c}" },
        color: ["#2e7d32", "#f9a825", "#c62828"]
      }]
    }, renderer);
  });
})();
