// web/console/charts.js — the console's two charts per attraction, drawn by Chart.js (npm)
// with its annotation plugin for the "now" line: nothing here draws on a canvas itself.
//
// Owns each chart's configuration and how fresh figures go in. The figures themselves are
// vqd's, untouched: the slot chart's datasets are `ops slots` (seats taken per tier, the
// capacity, guests admitted), the show chart's are `noshow` of state/<attraction>. The
// console's tests read these datasets back and compare them with the store.
import {
	BarController,
	BarElement,
	CategoryScale,
	Chart,
	Legend,
	LinearScale,
	LineController,
	LineElement,
	PointElement,
	Tooltip,
} from 'chart.js';
import annotationPlugin from 'chartjs-plugin-annotation';

Chart.register(
	BarController,
	BarElement,
	CategoryScale,
	LinearScale,
	LineController,
	LineElement,
	PointElement,
	Legend,
	Tooltip,
	annotationPlugin,
);

// tiers in order, as the day report colours them
const PALETTE = ['#5d6b82', '#2f6fc9', '#b58700', '#7f4fc9', '#2f9e6e', '#c9504f', '#2a8fa6', '#a86f2f'];
const ADMITTED = '#1f7a4a';
const CAPACITY = '#111111';
const NOW = '#b3261e';
const NO_SHOW = '#b3261e';

// a slot whose window has passed is drawn paler, so "now" reads at a glance
const faded = (hex) => `${hex}99`;

const BASE = {
	animation: false,
	responsive: true,
	maintainAspectRatio: false,
	plugins: { legend: { labels: { boxWidth: 12 } } },
};

export function slotsChart(canvas) {
	return new Chart(canvas, {
		type: 'bar',
		data: { labels: [], datasets: [] },
		options: {
			...BASE,
			interaction: { mode: 'index', intersect: false },
			scales: {
				x: { stacked: true, ticks: { autoSkip: true, maxRotation: 0 } },
				y: { stacked: true, beginAtZero: true, title: { display: true, text: '' } },
			},
			plugins: { ...BASE.plugins, annotation: { annotations: {} } },
		},
	});
}

// d: { labels: ['09:00', …], tiers: [{ name, data: [seats…] }], cap: [...], admitted: [...],
//      past: number of slots that are over, now: x position (slot index, fractional) or
//      null, names: { capacity, admitted, now, guests } }
export function setSlots(chart, d) {
	const colours = (hex) => d.labels.map((_, i) => (i < d.past ? faded(hex) : hex));
	chart.data.labels = d.labels;
	chart.data.datasets = [
		...d.tiers.map((t, i) => ({
			label: t.name,
			stack: 'taken',
			data: t.data,
			backgroundColor: colours(PALETTE[i % PALETTE.length]),
			order: 2,
		})),
		{
			label: d.names.admitted,
			stack: 'admitted',
			data: d.admitted,
			backgroundColor: colours(ADMITTED),
			order: 2,
		},
		{
			type: 'line',
			label: d.names.capacity,
			stack: 'capacity',
			data: d.cap,
			borderColor: CAPACITY,
			backgroundColor: CAPACITY,
			borderWidth: 1.5,
			pointRadius: 0,
			stepped: 'middle',
			order: 1,
		},
	];
	chart.options.scales.y.title.text = d.names.guests;
	chart.options.plugins.annotation.annotations =
		d.now === null
			? {}
			: {
					now: {
						type: 'line',
						xMin: d.now,
						xMax: d.now,
						borderColor: NOW,
						borderWidth: 2,
						label: {
							display: true,
							content: d.names.now,
							position: 'end',
							backgroundColor: NOW,
							color: '#fff',
							font: { size: 11 },
						},
					},
				};
	chart.update('none');
}

export function showsChart(canvas) {
	return new Chart(canvas, {
		type: 'bar',
		data: { labels: [''], datasets: [] },
		options: {
			...BASE,
			indexAxis: 'y',
			scales: {
				x: { stacked: true, beginAtZero: true },
				y: { stacked: true, display: false },
			},
		},
	});
}

// d: { redeemed, noShows, names: { redeemed, noShows } }
export function setShows(chart, d) {
	chart.data.datasets = [
		{ label: d.names.redeemed, data: [d.redeemed], backgroundColor: ADMITTED },
		{ label: d.names.noShows, data: [d.noShows], backgroundColor: NO_SHOW },
	];
	chart.update('none');
}
