// The leaderboard chart: each model's Bradley–Terry rating (dot) and its 95% bootstrap interval (bar), best on top.
function loadChart() {
  if (window.Chart) return Promise.resolve(window.Chart);
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = '/lib/chartjs/chart.umd.min.js';
    script.onload = () => resolve(window.Chart);
    script.onerror = () => reject(new Error('chart library missing'));
    document.head.append(script);
  });
}

export async function start() {
  const rows = JSON.parse(document.getElementById('leaderboard-data').textContent);
  const canvas = document.getElementById('leaderboard-chart');
  const Chart = await loadChart();
  const ends = rows.flatMap((r) => [r.lower ?? r.rating, r.upper ?? r.rating]);
  const min = Math.floor((Math.min(...ends) - 25) / 50) * 50;
  const max = Math.ceil((Math.max(...ends) + 25) / 50) * 50;
  new Chart(canvas, {
    type: 'bar',
    data: {
      labels: rows.map((r) => r.model),
      datasets: [
        {
          type: 'bar',
          label: '95% interval',
          data: rows.map((r) => [r.lower ?? r.rating, r.upper ?? r.rating]),
          backgroundColor: 'rgba(79, 70, 229, 0.18)',
          borderColor: 'rgba(79, 70, 229, 0.7)',
          borderWidth: 1,
          borderSkipped: false,
          barPercentage: 0.5,
        },
        {
          type: 'line',
          label: 'Rating',
          data: rows.map((r) => r.rating),
          showLine: false,
          pointRadius: 6,
          pointHoverRadius: 7,
          pointBackgroundColor: '#4338ca',
          pointStyle: 'circle',
        },
      ],
    },
    options: {
      indexAxis: 'y',
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: { x: { min, max, title: { display: true, text: 'Rating (Elo scale, 1000 = average)' } } },
      plugins: {
        legend: { position: 'bottom', labels: { usePointStyle: true } },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const r = rows[ctx.dataIndex];
              return ctx.datasetIndex === 0
                ? `95% interval ${Math.round(r.lower ?? r.rating)} – ${Math.round(r.upper ?? r.rating)}`
                : `rating ${Math.round(r.rating)}`;
            },
          },
        },
      },
    },
  });
}
