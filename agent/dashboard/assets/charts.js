// The five charts of one server over the last 10 minutes, drawn with Chart.js (Debian's
// libjs-chart.js, served by the agent). Without Chart.js, CorralCharts.create returns null and
// the page says so.
'use strict';

window.CorralCharts = (() => {
  const WINDOW_S = 600;
  // [title, unit, [[label, index in a point], ...]]; a point is [t, rps, p50, p99, eps, cpu, rss].
  const SPECS = [
    ['Requests per second', 'req/s', [['req/s', 1]]],
    ['Latency', 'ms', [['p50', 2], ['p99', 3]]],
    ['Errors per second', 'err/s', [['errors/s', 4]]],
    ['CPU', '% of one core', [['CPU %', 5]]],
    ['Resident memory', 'MiB', [['RSS MiB', 6]]],
  ];
  const COLORS = ['#2563eb', '#dc2626'];
  const clock = (v) => new Date(v * 1000).toLocaleTimeString([], {hour: '2-digit', minute: '2-digit', second: '2-digit'});

  function create(container, points) {
    if (typeof window.Chart !== 'function') return null;
    container.replaceChildren();
    const charts = SPECS.map(([title, unit, series]) => {
      const figure = document.createElement('figure');
      const caption = document.createElement('figcaption');
      caption.textContent = `${title} (${unit})`;
      const box = document.createElement('div');
      box.className = 'chart-box';
      const canvas = document.createElement('canvas');
      canvas.setAttribute('role', 'img');
      canvas.setAttribute('aria-label', `${title} over the last 10 minutes, in ${unit}`);
      box.appendChild(canvas);
      figure.append(caption, box);
      container.appendChild(figure);
      const chart = new window.Chart(canvas, {
        type: 'line',
        data: {datasets: series.map(([label, i], n) => ({
          label, borderColor: COLORS[n], backgroundColor: COLORS[n], pointRadius: 0,
          borderWidth: 1.5, data: points.map((p) => ({x: p[0], y: p[i]})),
        }))},
        options: {
          animation: false, responsive: true, maintainAspectRatio: false, parsing: false,
          normalized: true,
          scales: {x: {type: 'linear', ticks: {callback: clock, maxTicksLimit: 6}},
                   y: {beginAtZero: true}},
          plugins: {legend: {display: series.length > 1}},
        },
      });
      return {chart, series};
    });
    return {
      append(point) {
        const oldest = point[0] - WINDOW_S;
        for (const {chart, series} of charts) {
          chart.data.datasets.forEach((d, n) => {
            d.data.push({x: point[0], y: point[series[n][1]]});
            while (d.data.length && d.data[0].x < oldest) d.data.shift();
          });
          chart.update('none');
        }
      },
      destroy() { for (const {chart} of charts) chart.destroy(); container.replaceChildren(); },
    };
  }
  return {create};
})();
